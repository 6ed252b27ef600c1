"""Was an earlier decision carried out? Each kind of decision against what a crawl can show."""

from __future__ import annotations

import pytest

from audit.review import basis_change, follow_through

PAGE = {"status": 200, "redirect_hops": 0, "final_url": "http://s/a", "broken_links": 0, "noindex": False,
        "robots_blocked": False, "inlinks_body": 1, "inlinks_nav": 0, "content_hash": "h1", "task": "bins"}


@pytest.mark.parametrize("decision, page, done, says", [
    ({"decision": "fix"}, {**PAGE, "status": 301, "redirect_hops": 1, "final_url": "http://s/b"}, True, "one hop"),
    ({"decision": "fix"}, {**PAGE, "status": 301, "redirect_hops": 2}, False, "2 redirect hops"),
    ({"decision": "fix"}, {**PAGE, "status": 404, "inlinks_body": 0}, True, "no longer linked"),
    ({"decision": "fix"}, {**PAGE, "status": 404, "inlinks_body": 2}, False, "2 pages still link"),
    ({"decision": "improve", "content_hash": "h0"}, {**PAGE, "status": 404, "content_hash": float("nan")}, False, "404"),
    ({"decision": "improve", "content_hash": "h0"}, PAGE, True, "content changed"),
    ({"decision": "remove"}, {**PAGE, "status": None}, False, "no response"),
    ({"decision": "demote", "inlinks_nav": 176}, PAGE, True, "gone from the navigation"),
    ({"decision": "demote", "inlinks_nav": 176}, {**PAGE, "inlinks_nav": 176}, False, "still in the navigation"),
    # a page never in the menu: demoting it took nothing out, so it is not 'done'
    ({"decision": "demote", "inlinks_nav": 0}, PAGE, None, "nothing to check"),
])
def test_follow_through(decision, page, done, says):
    result, detail = follow_through(decision, page)
    assert result is done and says in detail and "None" not in detail and "nan" not in detail


def test_what_a_decision_rested_on_is_said_in_words():
    then = {"decision": "keep", "task": "bins", "status": 200, "noindex": False, "views": 4}
    assert basis_change(then, PAGE, {"low_traffic": 10}) is None
    changed = basis_change(then, {**PAGE, "status": None, "task": "none", "views": 2400.0}, {"low_traffic": 10})
    assert changed == "task bins -> none, status 200 -> no response, traffic low -> high (4 -> 2,400 page views)"
