"""The classifier's method on small sites built here: words in any script, positive evidence for none,
a combiner that learns which view to trust, and the evaluation corpus's contract."""

from __future__ import annotations

import numpy as np
import pytest

from audit.classify import NONE, TaskClassifier, build_pages
from audit.combine import NONE_FEATURES, TASK_FEATURES, Combiner, Evidence, features
from audit.text import fold, page_type_score, tokens

ORIGIN = "http://127.0.0.1:9"


def test_folding_matches_what_a_reader_would_not_tell_apart():
    assert fold("Ştiri") == fold("știri") == fold("ȘTIRI") == "stiri"  # Romanian cedilla and comma letters
    assert fold("ΝΕΑ") == fold("νέα")  # Greek capitals are written without accents
    assert fold("Ｔａｘ") == "tax"  # full-width letters


def test_tokens_split_scripts_without_spaces_into_character_pairs():
    assert tokens(fold("申请护照")) == ["申请", "请护", "护照"]
    assert tokens(fold("zdir_manual_en IPv6 council-tax 2019")) == ["zdir_manual_en", "ipv6", "council", "tax"]
    assert tokens("новости города") == ["новости", "города"]


def test_page_types_that_rarely_serve_a_task_are_recognised_in_several_languages():
    assert page_type_score("/news/2019/05/new-bins", "New bin days", ("Home", "News")) >= 0.5
    assert page_type_score("/novosti/", "Новости", ()) > 0
    assert page_type_score("/despre/contact", "Contact", ()) >= 0.5
    assert page_type_score("/xinwen", "新闻动态", ()) > 0
    assert page_type_score("/residents/waste/bin-collection-days", "Bin collection days", ("Home", "Waste")) == 0
    # words that also name services count only as a whole section, never inside a service's name
    for path, title in [("/licensing/taxi-licence", "Apply for a taxi licence"),
                        ("/bins/collection-calendar", "Bin collection calendar"),
                        ("/council-tax/about-council-tax-bands", "About council tax bands")]:
        assert page_type_score(path, title, ()) == 0, path
    assert page_type_score("/about/", "About us", ()) >= 0.5


def _page(path, title, text, links=(), crumbs=()):
    return {"url": ORIGIN + path, "final_url": ORIGIN + path, "status": 200, "title": title, "main_text": text,
            "headings": [{"level": 1, "text": title}], "breadcrumbs": [{"text": c} for c in crumbs],
            "outlinks": [{"url": ORIGIN + link, "internal": True, "region": "body"} for link in links]}


PASSPORT = "Apply for a passport at the town hall. Bring a passport photo, your old passport and the fee. "
BINS = "Your bin is collected every week. Put the bin out by seven. Recycling goes in the blue bin. "
TASKS = [{"id": "passport", "name": "Get a passport", "description": "Apply for or renew a passport",
          "keywords": ["passport", "photo"], "examples": [f"{ORIGIN}/p1", f"{ORIGIN}/p2"]},
         {"id": "bins", "name": "Bin collection", "description": "When bins are collected, recycling",
          "keywords": ["bin", "recycling"], "examples": [f"{ORIGIN}/b1", f"{ORIGIN}/b2"]}]


def flat_site():
    """A flat site: every page at the top level, no lists, no breadcrumbs; the home page links the examples
    only. Two task pages nothing links to, and news items with dates in their URLs."""
    pages = [_page("/", "Welcome", "Town services and news.", ["/p1", "/p2", "/b1", "/b2", "/news"]),
             _page("/p1", "Apply for a passport", PASSPORT * 3),
             _page("/p2", "Renew a passport", PASSPORT * 2 + "Renewal takes two weeks."),
             _page("/b1", "Bin collection days", BINS * 3),
             _page("/b2", "Missed bin", BINS * 2 + "Report a missed bin online."),
             # nothing links here and its folder says nothing: only its text speaks
             _page("/lost-passport", "Lost or stolen passport", PASSPORT * 2 + "Report a lost passport first."),
             _page("/garden-waste", "Garden waste bin", BINS * 2 + "The green bin takes garden waste."),
             _page("/news", "News", "News from the town hall.", ["/news/2019/05/fair", "/news/2018/02/band"]),
             _page("/news/2019/05/fair", "Summer fair opened", "The mayor opened the summer fair on Saturday. "
                   "A brass band played and children ran races in the park until the evening."),
             _page("/news/2018/02/band", "Band wins prize", "The town band won the regional prize on Friday. "
                   "The conductor thanked the players and the audience cheered in the concert hall.")]
    for k in range(12):  # more pages of each kind, so the vocabulary has a shape
        pages.append(_page(f"/passport-{k}", f"Passport question {k}", PASSPORT + f"Question number {k}."))
        pages.append(_page(f"/bins-{k}", f"Bin question {k}", BINS + f"Question number {k}."))
    return pages


def test_absence_of_structural_evidence_is_not_none():
    """Pages no seed links to and no folder groups take the task their text serves."""
    result = TaskClassifier(TASKS).fit_predict(flat_site())
    task = dict(zip(result.table["url"], result.table["task"]))
    assert task[ORIGIN + "/lost-passport"] == "passport"
    assert task[ORIGIN + "/garden-waste"] == "bins"
    assert sum(task[f"{ORIGIN}/passport-{k}"] == "passport" for k in range(12)) >= 11


def test_none_comes_from_positive_evidence_and_says_which():
    result = TaskClassifier(TASKS).fit_predict(flat_site())
    rows = result.table.set_index("url")
    for path in ("/news/2019/05/fair", "/news/2018/02/band"):
        assert rows.at[ORIGIN + path, "task"] == NONE, rows.loc[ORIGIN + path].to_dict()
        why = rows.at[ORIGIN + path, "why"]
        assert "a page type that rarely serves a task" in why and "unlike every task's examples" in why


def _evidence(rng, n, t, informative: str) -> tuple[Evidence, np.ndarray]:
    """Synthetic evidence for n pages and t tasks where one view tells the truth and the others are noise."""
    y = rng.integers(0, t + 1, n)
    noise = lambda: rng.random((n, t))  # noqa: E731
    truth = np.zeros((n, t))
    rows = np.flatnonzero(y < t)
    truth[rows, y[rows]] = 1.0
    views = {name: noise() for name in ("text", "nearest", "words", "graph", "folder", "hub")}
    views[informative] = 0.6 * truth + 0.4 * noise()
    text = views["text"] / views["text"].sum(axis=1, keepdims=True)
    ev = Evidence(text=text, text_none=np.zeros(n), nearest=views["nearest"], nearest_none=np.zeros(n),
                  words=views["words"], graph=views["graph"], graph_trust=1.0, folder=views["folder"],
                  folder_none=np.zeros(n), hub=views["hub"], hub_none=np.zeros(n),
                  page_type=(y == t) * 0.5 + 0.5 * rng.random(n), seeds=np.full(n, -1))
    return ev, y


def test_the_combiner_learns_which_view_to_trust_from_the_sites_it_is_fitted_on():
    rng = np.random.default_rng(0)
    sites = []
    for k in range(3):
        ev, y = _evidence(rng, 300, 4, "nearest")
        sites.append((f"site{k}", ev, y, np.ones(len(y), dtype=bool)))
    combiner = Combiner.fit(sites, second=False)
    w = dict(zip(TASK_FEATURES, combiner.w))
    assert w["nearest"] > 2 * max(abs(w["text"]), abs(w["graph"]), abs(w["folder"]), abs(w["hub"]))
    assert dict(zip(NONE_FEATURES, combiner.v))["page_type"] > 0
    ev, y = _evidence(rng, 300, 4, "nearest")  # a site it was not fitted on
    assert (combiner.predict(ev).argmax(axis=1) == y).mean() > 0.8
    other = Combiner.fit([(f"site{k}", *_evidence(rng, 300, 4, "hub"), np.ones(300, dtype=bool)) for k in range(3)],
                         second=False)
    assert dict(zip(TASK_FEATURES, other.w))["hub"] > dict(zip(TASK_FEATURES, other.w))["nearest"]


def test_the_shipped_combiner_fits_the_features_and_names_the_corpus_it_was_fitted_on(tmp_path):
    combiner = Combiner.load()
    assert len(combiner.w) == len(TASK_FEATURES) and len(combiner.v) == len(NONE_FEATURES)
    assert len(combiner.meta.get("sites", [])) >= 10
    combiner.save(tmp_path / "c.json", sites=["x"])
    again = Combiner.load(tmp_path / "c.json")
    assert np.allclose(again.w, combiner.w) and again.calibration == pytest.approx(combiner.calibration, abs=1e-6)
    bad = tmp_path / "bad.json"
    bad.write_text((tmp_path / "c.json").read_text().replace('"text_log"', '"renamed"'))
    with pytest.raises(ValueError, match="refit"):
        Combiner.load(bad)


def test_calibrated_confidence_is_monotone_and_a_probability():
    combiner = Combiner.load()
    raw = np.linspace(0.05, 0.99, 30)
    calibrated = combiner.calibrate(raw)
    assert ((0 < calibrated) & (calibrated < 1)).all() and (np.diff(calibrated) >= 0).all()


def test_features_have_the_documented_shape():
    rng = np.random.default_rng(1)
    ev, _ = _evidence(rng, 20, 3, "text")
    task, none = features(ev)
    assert task.shape == (20, 3, len(TASK_FEATURES)) and none.shape == (20, len(NONE_FEATURES))
    assert np.isfinite(task).all() and np.isfinite(none).all()


def test_the_evaluation_corpus_has_sites_of_every_shape_and_families_held_out_together(tmp_path):
    from benchmarks.corpus import load_all

    sites = load_all()
    assert len(sites) >= 10
    families = {s.family for s in sites.values()}
    assert len(families) >= 8
    assert {s.language for s in sites.values()} >= {"en", "nl", "ro", "ru", "el", "zh"}
    assert any(s.opaque for s in sites.values())
    assert all(s.family == sites[s.name.removesuffix("-opaque")].family for s in sites.values() if s.opaque)
    # a generated service site: deterministic, and its truth covers its examples with their own task
    town = sites["town-megamenu"]
    root = town.root(tmp_path / "town")
    truth, tasks = town.truth_and_tasks("http://127.0.0.1:1", root)
    assert len(tasks) >= 6 and all(len(t["examples"]) == 2 for t in tasks)
    assert all(truth[u] == t["id"] for t in tasks for u in t["examples"])
    share = sum(v == NONE for v in truth.values()) / len(truth)
    assert 0.1 < share < 0.7
    again = town.root(tmp_path / "town-again")
    assert sorted(p.name for p in root.rglob("*.html"))[:50] == sorted(p.name for p in again.rglob("*.html"))[:50]
