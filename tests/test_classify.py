"""The task classifier and its commands, on the demo site (crawled once for the module)."""

from __future__ import annotations

import csv
import json

import pytest

from audit.classify import NONE, TaskClassifier, build_pages, label_queue
from audit.config import ConfigError
from audit.runs import read_labels

from .conftest import longneck, path_of


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("classify") / "run"
    longneck("demo", "--out", out, "-q")
    return out


def load(out):
    records = [json.loads(line) for line in open(out / "pages.jsonl", encoding="utf-8")]
    config = json.loads((out / "config.json").read_text())
    return records, config


def classify(out, labels=None, **kwargs):
    records, config = load(out)
    result = TaskClassifier(config["tasks"], **kwargs).fit_predict(records, labels or {})
    return {path_of(u): row for u, row in zip(result.table["url"], result.table.to_dict("records"))}, result


def test_task_pages_get_their_task_and_examples_are_seeds(demo_run):
    by_path, _ = classify(demo_run)
    assert by_path["/residents/parking/pay-a-parking-fine"]["seed"]
    for path, task in [("/residents/parking/parking-fine-payment-plan", "pay-parking-fine"),
                       ("/residents/passports-and-id/urgent-passport", "passport"),
                       ("/residents/streets/report-graffiti", "report-street-problem"),
                       ("/residents/council-tax/council-tax-bands", "council-tax"),
                       ("/residents/births-deaths-marriages/register-a-death", "register-birth")]:
        assert by_path[path]["task"] == task, (path, by_path[path])
        assert 0 < by_path[path]["confidence"] <= 1 and by_path[path]["runner_up"] != task


def test_document_linked_from_a_task_page_gets_that_task(demo_run):
    """The document sits in a mixed /documents/ folder; the task page that lists it (a hub) decides."""
    by_path, _ = classify(demo_run)
    assert by_path["/documents/parking-permit-application-form.docx"]["task"] == "pay-parking-fine"


def test_pages_serving_no_task_are_none(demo_run):
    by_path, _ = classify(demo_run)
    for path in ["/events/summer-festival-2018", "/about/twin-towns", "/about/cookies"]:
        assert by_path[path]["task"] == NONE, (path, by_path[path])


def test_why_names_the_evidence(demo_run):
    by_path, _ = classify(demo_run)
    why = by_path["/residents/parking/parking-fine-payment-plan"]["why"]
    assert "breadcrumb Home › Residents › Parking" in why and "folder /residents/parking/" in why
    assert "given as example" in by_path["/residents/parking/pay-a-parking-fine"]["why"]


def test_labels_override_and_none_labels_are_used(demo_run):
    records, _ = load(demo_run)
    base = records[0]["url"].rstrip("/")
    by_path, _ = classify(demo_run, {f"{base}/about/budget": "council-tax", f"{base}/news/": NONE})
    assert by_path["/about/budget"]["task"] == "council-tax" and by_path["/about/budget"]["seed"]
    assert by_path["/news/"]["task"] == NONE


def test_deterministic(demo_run):
    _, a = classify(demo_run)
    _, b = classify(demo_run)
    assert a.table.equals(b.table)


def test_the_order_the_crawl_wrote_pages_in_does_not_change_a_task(demo_run):
    """Concurrent fetches finish in any order: the same site must classify the same way every quarter,
    or a re-audit shows changes nobody made."""
    import random

    records, config = load(demo_run)
    shuffled = list(records)
    random.Random(7).shuffle(shuffled)
    a = TaskClassifier(config["tasks"]).fit_predict(records, {})
    b = TaskClassifier(config["tasks"]).fit_predict(shuffled, {})
    tasks_a, tasks_b = dict(zip(a.table["url"], a.table["task"])), dict(zip(b.table["url"], b.table["task"]))
    assert tasks_a == tasks_b


def test_label_queue_is_uncertain_first_and_spread_over_folders_and_classes(demo_run):
    records, config = load(demo_run)
    pages = build_pages(records)
    result = TaskClassifier(config["tasks"]).fit_predict(pages)
    queue = label_queue(result, pages, size=20)
    assert len(queue) == 20 and not set(queue["url"]) & set(result.table.loc[result.table["seed"], "url"])
    for _, rows in queue.groupby("task", sort=False):  # within a predicted class: most uncertain first
        assert list(rows["score"]) == sorted(rows["score"], reverse=True)
    classes = queue["task"].nunique()
    assert classes >= 3 and queue["task"].head(classes).nunique() == classes  # classes take turns
    folder_of = dict(zip(pages.urls, pages.directories))
    assert queue["url"].map(folder_of).value_counts().max() <= 3


def test_classify_and_label_queue_commands_write_their_files(demo_run):
    proc = longneck("classify", demo_run)
    assert "pages classified" in proc.stdout
    with open(demo_run / "classification.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert set(rows[0]) == {"url", "task", "confidence", "raw_confidence", "runner_up", "runner_up_confidence",
                            "why", "seed"}
    assert len(rows) >= 150
    queue = longneck("label-queue", demo_run, "--size", "5").stdout.strip().splitlines()
    assert len(queue) == 6 and queue[1].startswith("http://127.0.0.1:")


def test_evaluate_holds_out_its_labels(demo_run, tmp_path):
    records, _ = load(demo_run)
    base = records[0]["url"].rstrip("/")
    labels = tmp_path / "sample.csv"
    labels.write_text("url,task\n"
                      f"{base}/residents/waste/order-a-new-bin,bin-collection\n"
                      f"{base}/residents/passports-and-id/urgent-passport,passport\n"
                      f"{base}/events/river-run-2019,none\n"
                      f"{base}/residents/parking/pay-a-parking-fine,pay-parking-fine\n")  # an example: not scored
    proc = longneck("evaluate", demo_run, "--labels", labels)
    assert "3 labelled pages scored" in proc.stdout and "macro-F1" in proc.stdout and "confusion" in proc.stdout


def test_bad_labels_file_lists_every_bad_row_and_uses_none(tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("url,task\nhttps://x.org/a,pay\nnot-a-url,none\nhttps://x.org/b,none\n")
    with pytest.raises(ConfigError) as error:
        read_labels(path, ["pay-fine"])
    message = str(error.value)
    assert "2 invalid row(s), none used" in message and "row 2:" in message and "row 3:" in message
    path.write_text("address,task\n")
    with pytest.raises(ConfigError, match="expected columns url,task; missing url"):
        read_labels(path, ["pay-fine"])


def test_classify_without_a_crawl_says_what_to_do(tmp_path):
    proc = longneck("classify", tmp_path, check=False)
    assert proc.returncode == 1 and "pages.jsonl not found" in proc.stderr


def toc_site():
    """A flat site (one folder, the same words on every page) whose only structure is its table of
    contents: two headings, 15 pages under each, two examples at the top of each. Every page also links
    to the example of a third task (a page everybody links to, like a configuration reference)."""
    base = "https://www.example.org/"
    parking = [f"{base}p{i}.html" for i in range(15)]
    waste = [f"{base}w{i}.html" for i in range(15)]
    toc = {"url": base + "toc.html", "status": 200, "title": "Contents", "main_text": "contents of the site",
           "headings": [{"level": 1, "text": "Contents"}, {"level": 2, "text": "Parking"}, {"level": 2, "text": "Waste"}],
           "outlinks": [{"url": u, "region": "body", "internal": True, "section": 1, "lists": [0]} for u in parking]
           + [{"url": u, "region": "body", "internal": True, "section": 2, "lists": [1]} for u in waste]}
    settings = [base + "settings.html", base + "settings-help.html"]
    records = [toc]
    for i, url in enumerate(parking + waste + settings):
        links = [{"url": base + "toc.html", "region": "nav", "internal": True}]
        if url in settings:
            records.append({"url": url, "status": 200, "title": "Settings", "outlinks": links,
                            "main_text": "This page explains one of the services the council offers to residents."})
            continue
        links.append({"url": settings[0], "region": "body", "internal": True, "section": 0})
        section = parking if url in parking else waste
        for neighbour in section[max(0, section.index(url) - 1):section.index(url) + 2]:  # see also: the next ones
            if neighbour != url:
                links.append({"url": neighbour, "region": "body", "internal": True, "section": 0})
        records.append({"url": url, "status": 200, "title": f"Page {i}", "outlinks": links,
                        "headings": [{"level": 2, "text": "See also"}],
                        "main_text": "This page explains one of the services the council offers to residents."})
    tasks = [{"id": "parking", "name": "Park", "description": "Parking permits and fines", "keywords": ["parking"],
              "examples": parking[:2]},
             {"id": "waste", "name": "Waste", "description": "Bins and collection", "keywords": ["bins"],
              "examples": waste[:2]},
             {"id": "settings", "name": "Settings", "description": "Account settings", "keywords": ["account"],
              "examples": settings}]
    return records, tasks, parking, waste, settings


def test_a_table_of_contents_divided_by_headings_groups_its_pages():
    records, tasks, parking, waste, _ = toc_site()
    table = TaskClassifier(tasks).fit_predict(records, {}).table.set_index("url")
    # the last parking pages sit next to the waste examples in the list, and every page links to the
    # settings example: only the headings (and the popularity discount) tell them apart
    assert (table.loc[parking, "task"] == "parking").all(), table.loc[parking, ["task", "why"]]
    assert (table.loc[waste, "task"] == "waste").all()
    # the why names the hub, the heading and the examples beside the page
    assert "listed by /toc.html in a list under 'Parking' beside 2 parking examples" in table.loc[parking[14], "why"]
    assert "under 'Waste' beside 2 waste examples" in table.loc[waste[3], "why"]


def test_without_headings_the_list_nesting_groups_the_pages():
    records, tasks, parking, waste, _ = toc_site()
    for link in records[0]["outlinks"]:
        del link["section"]  # only the nested lists are left
    table = TaskClassifier(tasks).fit_predict(records, {}).table.set_index("url")
    assert (table.loc[parking, "task"] == "parking").all()
    assert (table.loc[waste, "task"] == "waste").all()


def test_a_page_every_page_links_to_says_little():
    from audit.classify import specificity

    records, _, _, waste, settings = toc_site()
    pages = build_pages(records)
    weight = dict(zip(pages.urls, specificity(pages, popular=0.1)))
    assert weight[settings[0]] < 0.1  # linked from every page
    assert weight[waste[5]] == 1.0  # listed by the contents and two neighbours


def test_answering_the_label_queue_never_puts_a_task_page_at_risk(demo_run):
    """Labels answered from the site's truth (the top of the label queue, as a reviewer would answer it)
    must not send a page that serves a task to none with a confidence the audit would act on."""
    from audit.config import AUDIT
    from benchmarks.corpus import load_all

    records, config = load(demo_run)
    base = records[0]["url"].split("/", 3)[:3]
    site = load_all()["demo"]
    truth, _ = site.truth_and_tasks("/".join(base), site.root(demo_run.parent / "scratch"))
    pages = build_pages(records)
    classifier = TaskClassifier(config["tasks"])
    queue = label_queue(classifier.fit_predict(pages), pages, size=40)
    answers = {u: truth[u] for u in queue["url"] if u in truth}
    assert len(answers) >= 20
    for count in (10, 20):
        labels = dict(list(answers.items())[:count])
        result = classifier.fit_predict(pages, labels)
        at_risk = [(u, c) for u, t, c in zip(result.table["url"], result.table["task"], result.table["confidence"])
                   if t == NONE and truth.get(u, NONE) != NONE and c >= AUDIT["low_confidence"].default]
        assert not at_risk, (count, at_risk)


def test_the_pages_labels_moved_are_said_and_a_task_they_swelled_is_named():
    """One corrected task in a list pulls the list to its task: each page the labels moved says what it was
    before them, and a task that gained five pages or more is named in the notes with the label behind it."""
    import pandas as pd

    from audit.classify import NONE, Result, moved_by_labels

    urls = [f"https://x.org/business/{k}" for k in range(8)]
    before = ["none"] * 8
    after = ["council-tax"] * 7 + ["none"]  # page 0 is the label; pages 1-6 followed it
    table = lambda tasks, seeds: pd.DataFrame({"url": urls, "task": tasks, "why": ["words 'business'"] * 8,  # noqa: E731
                                               "seed": seeds})
    without = Result(table(before, [False] * 8), ["council-tax", NONE], None, [])
    result = Result(table(after, [True] + [False] * 7), ["council-tax", NONE], None, [])
    assert moved_by_labels(result, without, {urls[0]: "council-tax"}) == 6
    whys = [str(w) for w in result.table["why"]]
    assert whys[0] == "words 'business'" and whys[7] == "words 'business'"  # the label itself, and a page not moved
    assert all(w.endswith("; before the labels: none") for w in whys[1:7])
    assert [str(w) for w in result.warnings] == [
        f"after the labels on {urls[0]}, 6 other pages moved to council-tax: check them (Why task says 'before the labels')"]
    few = Result(table(["council-tax"] * 3 + ["none"] * 5, [True] + [False] * 7), ["council-tax", NONE], None, [])
    assert moved_by_labels(few, without, {urls[0]: "council-tax"}) == 2 and not few.warnings  # said per page only
