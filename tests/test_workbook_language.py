"""The workbook in the site's language (issue 13): the catalogs are complete and safe as sheet names and
dropdown values, a Romanian and a Chinese workbook read back translated, and a review typed in them
imports as the English recommendations."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from audit.changes import CAUSES
from audit.demo.server import SiteServer
from audit.history import History, database_url
from audit.pipeline import workbook_language
from audit.review import read_workbook_reviews
from reports import i18n
from reports import workbook as wb
from reports.workbook import RECOMMENDATIONS, write_workbook

from . import rules_site
from .conftest import longneck
from .test_workbook import tables

SHEETS = ("Summary", "Pages", "Sections", "Tasks", "Duplicates", "Redirects", "Broken links", "Label queue",
          "Changes", "Follow-through", "Settings")
COLUMN_SETS = {"Pages": wb.PAGES_COLUMNS, "Tasks": wb.TASKS_COLUMNS, "Changes": wb.CHANGES_COLUMNS,
               "Follow-through": wb.FOLLOW_COLUMNS, "Duplicates": wb.DUPLICATES_COLUMNS,
               "Redirects": wb.REDIRECTS_COLUMNS, "Broken links": wb.BROKEN_COLUMNS, "Sections": wb.SECTIONS_COLUMNS,
               "Label queue": wb.QUEUE_COLUMNS}
TRANSLATED = [name for name in i18n.languages() if name != "en"]


def code_messages() -> list[str]:
    """Every English text the workbook writer passes through the translator."""
    found = list(SHEETS) + ["Setting", "Value", *RECOMMENDATIONS, *wb.DUPLICATE_KINDS, *wb.CHANGE_KINDS,
                            *wb.FOLLOW_STATES, *wb.FOUND_VIA, *wb.DATE_SOURCES]
    for columns in COLUMN_SETS.values():
        found += list(columns)
    tree = ast.parse(Path(wb.__file__).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr" and node.args \
                and isinstance(node.args[0], ast.Constant):
            found.append(node.args[0].value)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "map" \
                and getattr(node.args[0], "id", None) == "tr" and isinstance(node.args[1], ast.Tuple):
            found += [e.value for e in node.args[1].elts]
    return list(dict.fromkeys(found))


def test_the_shipped_languages():
    assert set(i18n.languages()) >= {"en", "ro", "el", "ru", "zh_Hans", "nl"}
    assert [i18n.resolve(c) for c in ("RO", "el-GR", "zh", "zh-CN", "zh_Hans", "nl", "en-GB", "fr", "zh-TW", "")] == \
        ["ro", "el", "zh_Hans", "zh_Hans", "zh_Hans", "nl", "en", None, None, None]


def test_the_template_holds_every_message_and_every_catalog_translates_it():
    template = i18n.template()
    missing = [m for m in code_messages() if m not in template]
    assert not missing, f"add these to reports/locale/longneck.pot and every .po: {missing}"
    for language in TRANSLATED:
        catalog = i18n.catalog(language)
        untranslated = [m for m in template if not catalog.get(m)]
        assert not untranslated, f"{language}: untranslated {untranslated}"
        for message in template:  # placeholders kept, so .format() fills them
            assert set(re.findall(r"{\w+}", catalog[message])) == set(re.findall(r"{\w+}", message)), (language, message)


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_catalog_makes_valid_sheet_names_distinct_headers_and_decision_words(language):
    tr = i18n.translator(language)
    names = [tr(s) for s in SHEETS]
    assert len(set(names)) == len(names)
    for name in names + [f"{tr('Pages')} 12"]:
        assert 0 < len(name) <= 31 and not re.search(r"[:\\/?*\[\]]", name) and name[0] != "'" != name[-1], name
    for sheet, columns in COLUMN_SETS.items():
        headers = [tr(h) for h in columns]
        assert len(set(headers)) == len(headers), f"{language}: two {sheet} columns share a name"
    words = [tr(r) for r in RECOMMENDATIONS]
    assert len(set(words)) == 7 and all("," not in w and '"' not in w for w in words)
    assert len('"' + ",".join(words) + '"') <= 255  # Excel's limit for a list dropdown


def test_decision_words_map_back_to_one_recommendation_in_every_language():
    seen = {}
    for rec in RECOMMENDATIONS:
        for word in i18n.variants(rec):
            assert seen.setdefault(word.casefold(), rec) == rec, f"{word!r} means both {seen[word.casefold()]} and {rec}"


def test_default_language_is_the_sites_when_translated():
    def table(langs):
        return pd.DataFrame({"status": [200] * len(langs) + [404], "language": list(langs) + ["ro"]})

    assert workbook_language("", table(["ro", "ro", "en"])) == "ro"
    assert workbook_language("", table(["zh", "zh", "ro"])) == "zh_Hans"
    assert workbook_language("", table(["fr", "fr", "ro"])) == "en"  # no French catalog
    assert workbook_language("", table([None, None])) == "en"
    assert workbook_language("ru", table(["ro"])) == "ru"
    assert workbook_language("", table(["en", "en", "el"])) == "en"


def header(ws) -> list:
    return [c.value for c in next(ws.iter_rows(max_row=1))]


@pytest.mark.parametrize("language, pages, decision, words", [
    ("ro", "Pagini", "Decizie", ["păstrează", "îmbunătățește", "comasează", "retrogradează", "neindexat",
                                 "elimină", "repară"]),
    ("zh_Hans", "页面", "决定", ["保留", "改进", "合并", "降级", "禁止索引", "删除", "修复"])])
def test_a_workbook_in_romanian_or_chinese_reads_back_translated_and_its_decisions_as_english(
        tmp_path, language, pages, decision, words):
    tables_ = tables(3)
    tables_.language = language
    tables_.pages["decision"] = ["keep", None, None]
    tables_.pages["recommendation"] = ["keep", "remove", "improve"]
    path = write_workbook(tmp_path / "a.xlsx", tables_)
    book = openpyxl.load_workbook(path)
    tr = i18n.translator(language)
    assert book.sheetnames == [tr(s) for s in SHEETS] and book.sheetnames[1] == pages
    ws = book[pages]
    head = header(ws)
    assert head == [tr(h) for h in wb.PAGES_COLUMNS] and head[1] == decision
    dropdown = next(dv for dv in ws.data_validations.dataValidation if dv.formula1.startswith('"'))
    assert dropdown.formula1 == '"' + ",".join(words) + '"'
    corrected = next(dv for dv in ws.data_validations.dataValidation if not dv.formula1.startswith('"'))
    assert corrected.formula1 == {"ro": "=Sarcini!$A$2:$A$3", "zh_Hans": "='任务'!$A$2:$A$3"}[language]
    assert wb._sheet_ref("Pagina's") == "'Pagina''s'"
    rec = head.index(tr("Recommendation")) + 1
    assert [ws.cell(row=r, column=rec).value for r in (2, 3, 4)] == [words[0], words[5], words[1]]
    assert ws.cell(row=2, column=2).value == words[0]  # the pre-filled decision, in the language
    summary = [row[0] for row in book[tr("Summary")].iter_rows(values_only=True)]
    assert tr("Content audit: {site}").format(site="example") in summary and tr("URLs crawled") in summary
    assert words[4] in summary and "Pages per task (the long neck)" not in summary
    assert header(book[tr("Settings")]) == [tr("Setting"), tr("Value")]
    assert [r[0] for r in book[tr("Settings")].iter_rows(min_row=2, values_only=True)] == ["audit.thin_words"]
    # a reviewer picks the translated words; the import reads them as the English recommendations
    ws.cell(row=3, column=2).value = words[5]
    ws.cell(row=4, column=2).value = words[1].upper() if language == "ro" else words[1]
    book.save(path)
    _, rows = read_workbook_reviews(path)
    assert [(r["url"][-2:], r["decision"]) for r in rows] == [("p0", "keep"), ("p1", "remove"), ("p2", "improve")]


def test_english_is_unchanged(tmp_path):
    book = openpyxl.load_workbook(write_workbook(tmp_path / "a.xlsx", tables(2)))
    assert book.sheetnames == list(SHEETS)
    assert header(book["Pages"]) == list(wb.PAGES_COLUMNS)
    formulas = sorted(dv.formula1 for dv in book["Pages"].data_validations.dataValidation)
    assert formulas == ['"keep,improve,merge,demote,noindex,remove,fix"', "=Tasks!$A$2:$A$3"]


def fill(path, origin, edits, out):
    """Type into the reviewer columns of a workbook in any language: edits {path: {English column: value}}."""
    book = openpyxl.load_workbook(path)
    tr = i18n.translator(next(lang for lang in i18n.languages() if i18n.translator(lang)("Pages") == book.sheetnames[1]))
    ws = book[tr("Pages")]
    head = header(ws)
    for row in range(2, ws.max_row + 1):
        url = ws.cell(row=row, column=head.index(tr("URL")) + 1).value or ""
        for column, value in edits.get(url[len(origin):], {}).items():
            ws.cell(row=row, column=head.index(tr(column)) + 1).value = value
    book.save(out)
    return out


def test_a_review_typed_in_romanian_then_in_chinese_lands_as_english_recommendations(tmp_path):
    """The whole cycle through the command line: a run with its workbook in Romanian, reviewed in
    Romanian and imported; then the same crawl audited again in Chinese, pre-filled with the Romanian
    review (in Chinese), one more decision typed in Chinese, imported."""
    www = tmp_path / "www"
    rules_site.build(www)
    with SiteServer(www) as server:
        origin = server.url
        config = rules_site.write_config(tmp_path, origin)
        run = tmp_path / "audits" / "q1"
        longneck("run", config, "--out", run, "-q", "--set", "report.language=ro")
    book = openpyxl.load_workbook(run / "audit.xlsx")
    assert book.sheetnames[:2] == ["Rezumat", "Pagini"] and "Setări" in book.sheetnames
    reviewed = fill(run / "audit.xlsx", origin, {
        "/news/old-story": {"Decision": "elimină", "Notes": "știre veche"},
        "/parking/fines-2015": {"Decision": "Îmbunătățește"},
        "/parking/more": {"Corrected task": "bins"}}, tmp_path / "ro.xlsx")
    longneck("review", "import", reviewed)
    store = History(database_url("", run))
    try:
        site = store.run(1)["site"]
        decided = {u[len(origin):]: (d["decision"], d["notes"], d["corrected_task"])
                   for u, d in store.decisions(site).items()}
    finally:
        store.close()
    assert decided == {"/news/old-story": ("remove", "știre veche", None),
                       "/parking/fines-2015": ("improve", None, None), "/parking/more": (None, None, "bins")}

    longneck("audit", run, "--set", "report.language=zh", "--output", tmp_path / "zh.xlsx")
    book = openpyxl.load_workbook(tmp_path / "zh.xlsx")
    assert book.sheetnames[:2] == ["摘要", "页面"]
    ws = book["页面"]
    head = header(ws)
    prefilled = {ws.cell(row=r, column=1).value[len(origin):]: ws.cell(row=r, column=head.index("决定") + 1).value
                 for r in range(2, ws.max_row + 1)}
    assert prefilled["/news/old-story"] == "删除" and prefilled["/parking/fines-2015"] == "改进"
    reviewed = fill(tmp_path / "zh.xlsx", origin, {"/parking/old-rates": {"Decision": "保留", "Notes": "费率表"}},
                    tmp_path / "zh-reviewed.xlsx")
    longneck("review", "import", reviewed)
    store = History(database_url("", run))
    try:
        decided = {u[len(origin):]: d["decision"] for u, d in store.decisions(site).items()}
        runs = store.runs(site)
    finally:
        store.close()
    assert len(runs) == 2  # the Chinese workbook's review went to its own run
    assert decided["/parking/old-rates"] == "keep"
    assert decided["/news/old-story"] == "remove" and decided["/parking/fines-2015"] == "improve"


# ---- the audit's reason texts (Why, Reasons, Review, Why task) in the workbook's language ----

AUDIT_MODULES = ("audit/rules.py", "audit/review.py", "audit/pipeline.py", "audit/classify.py", "audit/changes.py",
                 "audit/analytics.py", "audit/signals.py", "reports/workbook.py")


def said_messages() -> list[str]:
    """Every template the audit writes as a Message (``M("...")``, either branch of ``M("a" if x else "b")``),
    and the words it passes to M() from tables: plain reasons, page kinds, counts, traffic bands, causes."""
    from audit import changes, pipeline, review, rules, signals

    def strings(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return strings(node.body) + strings(node.orelse)
        return []

    root = Path(rules.__file__).resolve().parent.parent
    found = []
    for name in AUDIT_MODULES:
        for node in ast.walk(ast.parse((root / name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "M" and node.args:
                found += strings(node.args[0])
    found += list(pipeline.PLAIN_REASONS.values()) + list(rules.KIND_LABELS.values()) + list(signals.CRAWL_ERRORS)
    found += [m for pair in rules.COUNTS.values() for m in pair] + ["low", "normal", "high", review.ASK_AGAIN]
    found += list(RECOMMENDATIONS) + list(changes.CAUSES)  # the Why's "Remove": M.capitalized("remove")
    return list(dict.fromkeys(found))


def test_every_reason_text_is_in_the_template_and_translated_with_its_placeholders():
    template = i18n.template()
    messages = said_messages()
    assert len(messages) > 150
    missing = [m for m in messages if m not in template]
    assert not missing, f"add these to reports/locale/longneck.pot and every .po: {missing}"
    for language in TRANSLATED:
        catalog = i18n.catalog(language)
        for message in messages:  # placeholders and their number formats ({n:,}, {share:.0%}) kept
            assert sorted(re.findall(r"{[^{}]*}", catalog[message])) == sorted(re.findall(r"{[^{}]*}", message)), \
                (language, message)
        # the review import finds a row to decide again by how its Review text starts, in any language
        assert catalog["{ask_again}: {change} (was {decision} on {on})"].startswith("{ask_again}")
        # "N more in Reasons" names the Reasons column as this language calls it
        assert catalog["Reasons"].lower() in catalog["{text}; {n} more in Reasons"].lower() \
            or language == "ru"  # declined: «Причинах»


def test_a_message_is_its_english_text_and_renders_in_a_language_with_its_numbers():
    import pickle

    from reports.i18n import Message as M, render

    views = M("{n:,} page views", n=1200)
    assert views == "1,200 page views" and isinstance(views, str) and views.render("en") == "1,200 page views"
    assert views.render("ru") == "просмотров: 1\xa0200" and views.render("ro") == "1.200 vizualizări"
    reasons = M.join("; ", [M.plain("{code}: {detail}", code="near-duplicate",
                                    detail=M("{similarity:.0%} similar to {url}", similarity=0.97, url="/a")),
                            M.plain("{code}: {detail}", code="thin", detail=M("{n} words", n=12))])
    assert reasons == "near-duplicate: 97% similar to /a; thin: 12 words"
    assert reasons.render("ro") == "near-duplicate: 97\xa0% asemănătoare cu /a; thin: 12 cuvinte"
    assert reasons.render("zh") == "near-duplicate: 与 /a 相似度 97%; thin: 12 字"  # codes stay: a contract
    assert M("confidence {confidence:.2f}, runner-up {task}", confidence=0.456, task="bins").render("el") == \
        "βεβαιότητα 0,46, δεύτερη επιλογή bins"
    assert pickle.loads(pickle.dumps(reasons)).render("nl") == reasons.render("nl")
    assert render("plain text", "ro") == "plain text" and render(None, "ro") is None


def test_a_packed_message_reads_back_whole_and_crosses_processes(tmp_path):
    """A Message keeps its tree packed (its shape once per process, its values per Message): the tree
    reads back as given, a value marshal cannot pack (a numpy number) keeps the tree as it is, and a
    pickled Message renders in a process that never saw its shape."""
    import pickle
    import subprocess
    import sys

    import numpy as np

    from reports.i18n import Message as M

    inner = M("{n} broken internal link", n=3)
    why = M.plain("{evidence}: {why}", evidence=M("fair evidence ({confidence:.2f})", confidence=0.8125),
                  why=M.join("; ", [M("folder {folder}", folder="/a/"), "plain part", inner, M("keep")]))
    tree = ("t", "{evidence}: {why}", False,
            ("evidence", ("t", "fair evidence ({confidence:.2f})", True, ("confidence", 0.8125)),
             "why", ("j", "; ", (("t", "folder {folder}", True, ("folder", "/a/")), "plain part",
                                 ("t", "{n} broken internal link", True, ("n", 3)), ("t", "keep", True, ())))))
    assert why._m == tree and isinstance(why._t, bytes) and b"evidence" not in why._t  # values only
    assert why.params["why"].parts[2].params == {"n": 3}
    # equal values of other types stay apart (the packed trees are remembered by their exact form)
    assert [M("{n} pages", n=v)._m[3][1] for v in (1, 1.0, True, 1)] == [1, 1.0, True, 1]
    assert [type(M("{n} pages", n=v)._m[3][1]) for v in (1, 1.0, True)] == [int, float, bool]
    numpy_valued = M("{share:.0%} similar", share=np.float64(0.5))
    assert numpy_valued._m == ("t", "{share:.0%} similar", True, ("share", np.float64(0.5)))
    assert numpy_valued.render("nl") == M("{share:.0%} similar", share=0.5).render("nl")
    (tmp_path / "why.pickle").write_bytes(pickle.dumps(why))
    script = ("import pickle, sys; m = pickle.loads(open(sys.argv[1], 'rb').read()); "
              "print(m.render('nl')); print(str(m))")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "why.pickle")], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out == [why.render("nl"), str(why)]


@pytest.fixture(scope="module")
def rules_run(tmp_path_factory):
    """The rules site crawled and audited once (English workbook), then audited again per language."""
    tmp = tmp_path_factory.mktemp("said")
    www = tmp / "www"
    rules_site.build(www)
    with SiteServer(www) as server:
        config = rules_site.write_config(tmp, server.url)
        run = tmp / "run"
        longneck("run", config, "--out", run, "-q", "--no-history")
    return run


def columns(path, names) -> list[dict]:
    """The Pages sheet's rows as {English column: value} for ``names``, whatever the workbook's language."""
    book = openpyxl.load_workbook(path, read_only=True)
    tr = i18n.translator(next(lang for lang in i18n.languages() if i18n.translator(lang)("Pages") == book.sheetnames[1]))
    rows = list(book[book.sheetnames[1]].iter_rows(values_only=True))
    where = {name: rows[0].index(tr(name)) for name in names}
    return [{name: row[i] if i < len(row) else None for name, i in where.items()} for row in rows[1:]]


CODES = re.compile(r"(?:^|; )([a-z-]+): ")


@pytest.mark.parametrize("language, thin, folder, english", [
    ("ro", r"thin: \d+ cuvinte", "dosarul /", "serves no top task"),
    ("ru", r"thin: слов: \d+", "папка /", "no rule"),
    ("el", r"thin: \d+ λέξεις", "φάκελος /", "page views"),
    ("zh", r"thin: \d+ 字", "目录 /", "given as example")])
def test_why_reasons_and_why_task_read_back_in_the_workbooks_language(rules_run, tmp_path, language, thin, folder,
                                                                        english):
    names = ["URL", "Why", "Reasons", "Why task", "Task", "Task name", "Recommendation"]
    en = columns(rules_run / "audit.xlsx", names)
    out = tmp_path / f"{language}.xlsx"
    longneck("audit", rules_run, "--set", f"report.language={language}", "--output", out, "--no-history")
    said = columns(out, names)
    assert [r["URL"] for r in said] == [r["URL"] for r in en] and len(said) > 20
    english_words = re.compile(r"\b(serves|no rule|words|folder|given as|clicks|similar|page views|links? to|"
                               r"newest date|confidence|runner-up|in the navigation|evidence)\b")
    for row, then in zip(said, en):
        assert row["Why"] != then["Why"] and not english_words.search(row["Why"]), row
        # the Why starts with the Recommendation column's word (noindex included)
        word = row["Recommendation"]
        assert re.match(re.escape(word[:1].upper() + word[1:]) + "[:：]", row["Why"]), (word, row["Why"])
        assert "{" not in row["Why"] + (row["Reasons"] or "") + (row["Why task"] or ""), row  # placeholders filled
        if then["Reasons"]:  # the reason codes are a contract: the same in every language
            assert CODES.findall(row["Reasons"]) == CODES.findall(then["Reasons"])
            assert not english_words.search(CODES.sub("; ", row["Reasons"])), row
        if then["Why task"]:
            assert row["Why task"] != then["Why task"] and folder in row["Why task"]
    reasons = " ".join(r["Reasons"] or "" for r in said)
    assert re.search(thin, reasons) and english not in reasons + " ".join(r["Why"] for r in said)
    no_task = {r["Task name"] for r in said if r["Task"] == "none"}  # the owner's task names stay as written
    assert no_task == {i18n.translator(language)("serves no top task")} != {"serves no top task"}
    book = openpyxl.load_workbook(out, read_only=True)
    tr = i18n.translator(language)
    kinds = [row[1] for row in book[tr("Duplicates")].iter_rows(min_row=2, values_only=True)]
    # said in the language (Romanian says exact as English does; near and similar differ everywhere)
    assert kinds and set(kinds) <= {tr(k) for k in wb.DUPLICATE_KINDS} and not set(kinds) & {"near", "similar"}
    assert any(k == tr("near") for k in kinds)


def test_the_english_workbook_keeps_its_texts(rules_run):
    """What an English workbook says is what the audit table holds (and what history, CSV and --json keep)."""
    rows = {r["URL"].split("/", 3)[-1]: r for r in columns(rules_run / "audit.xlsx", ["URL", "Why", "Reasons"])}
    assert rows["bins/"]["Why"] == "Improve: thin content (19 words)" and rows["bins/"]["Reasons"] == "thin: 19 words"
    assert rows[""]["Reasons"].startswith("home: a start URL of the crawl; hub: links to 5 top-task pages")


# ---- what a re-audit adds (Slipped, Cause, the Summary's notes) in the workbook's language ----

@pytest.fixture(scope="module")
def slipped_run(tmp_path_factory):
    """Two audits of the rules site with the history: between them a bins page (a task example) answers
    410, so the second run has a slipped task (fewer pages), a Changes row caused by the site and notes
    (the example not crawled, the time the audit took). The second run's workbook is English; the same run
    is audited again in other languages by the tests."""
    root = tmp_path_factory.mktemp("slipped")
    www = root / "www"
    rules_site.build(www)
    with SiteServer(www) as server:
        origin = server.url
        config = rules_site.write_config(root, origin)
        longneck("run", config, "--out", root / "q1", "-q")
        server.httpd.rules = {"redirects": rules_site.SERVER["redirects"], "gone": ["/bins/missed"]}
        longneck("run", config, "--out", root / "q2", "-q")
    return {"run": root / "q2", "origin": origin}


def said_texts(path, language) -> dict:
    """The texts a re-audit adds, as the workbook shows them: the Tasks sheet's Slipped, the Changes sheet's
    per-task Slipped and each changed page's Cause ({path: cause}), and the Summary's notes."""
    tr = i18n.translator(language)
    book = openpyxl.load_workbook(path)
    tasks = list(book[tr("Tasks")].iter_rows(values_only=True))
    column = tasks[0].index(tr("Slipped"))
    slipped = {}
    for row in tasks[1:]:
        if not row[0]:  # the notes below the table
            break
        slipped[row[0]] = row[column]
    changes = [list(row) for row in book[tr("Changes")].iter_rows(values_only=True)]
    at = next(i for i, row in enumerate(changes) if row[:2] == [tr("Task"), tr("Pages then")])
    per_task = {}
    for row in changes[at + 1:]:
        if not row[0]:
            break
        per_task[row[0]] = row[5]
    at = next(i for i, row in enumerate(changes) if row[:3] == [tr("URL"), tr("Change"), tr("Cause")])
    causes = {row[0]: row[2] for row in changes[at + 1:] if row[0]}
    change = {row[0]: row[1] for row in changes[at + 1:] if row[0]}
    summary = [row[0] for row in book[tr("Summary")].iter_rows(values_only=True)]
    notes = [n for n in summary[summary.index(tr("Notes")) + 1:] if n]
    pages = columns(path, ["URL", "Found via", "Newest date source"])
    return {"slipped": slipped, "per_task": per_task, "causes": causes, "notes": notes, "change": change,
            "found_via": {r["URL"]: r["Found via"] for r in pages},
            "date_source": {r["URL"]: r["Newest date source"] for r in pages}}


def test_the_english_re_audit_keeps_its_texts(slipped_run):
    """Slipped, Cause and the notes of an English workbook are the English texts, as the history and
    ``longneck compare`` keep them."""
    said = said_texts(slipped_run["run"] / "audit.xlsx", "en")
    assert re.fullmatch(r"fewer pages \(\d+ -> \d+\)", said["slipped"]["bins"]), said["slipped"]
    assert said["per_task"]["bins"] == said["slipped"]["bins"]
    causes = {u[len(slipped_run["origin"]):]: c for u, c in said["causes"].items()}
    assert causes["/bins/"] == "site"
    assert causes["/bins/missed"] == "site"  # it answers 410 now: no reviewer's decision is behind that
    assert set(", ".join(causes.values()).split(", ")) <= set(CAUSES)
    assert f"example {slipped_run['origin']}/bins/missed: not among the crawled pages with content (ignored)" \
        in said["notes"]
    assert re.fullmatch(r"audit took \d+\.\d s", said["notes"][-1])
    change = {u[len(slipped_run["origin"]):]: c for u, c in said["change"].items()}
    assert change["/bins/missed"] == "task, recommendation, status"  # the Changes sheet's Change, as compared
    assert set(", ".join(change.values()).split(", ")) <= set(wb.CHANGE_KINDS)
    assert set(said["found_via"].values()) == {"start", "link", "sitemap", "redirect"}
    sources = {u[len(slipped_run["origin"]):]: s for u, s in said["date_source"].items()}
    assert sources["/parking/fines-2015"] == "<meta dcterms.modified>"
    # the test server stamps one copy time on every file: not the pages' age
    assert sources["/bins/"] == "HTTP Last-Modified, the same on most pages (the server's copy or clock time): not used"


# English words of Slipped, Cause and the notes ("site" and "crawl" are Romanian and Dutch too)
ENGLISH_NOTES = re.compile(r"\b(audit took|example|not among the crawled|ignored|fewer pages|best page|more stale|"
                           r"competing|classifier|decision|traffic|settings)\b")


@pytest.mark.parametrize("language, fewer, site, took", [
    ("ro", "mai puține pagini", "site-ul", "auditul a durat"),
    ("zh_Hans", "页面减少", "网站", "审计用时")])
def test_slipped_cause_and_notes_read_back_in_the_workbooks_language(slipped_run, tmp_path, language, fewer, site,
                                                                     took):
    english = said_texts(slipped_run["run"] / "audit.xlsx", "en")
    out = tmp_path / f"{language}.xlsx"
    longneck("audit", slipped_run["run"], "--set", f"report.language={language}", "--output", out)
    said = said_texts(out, language)
    assert said["slipped"]["bins"].startswith(fewer) and said["per_task"]["bins"] == said["slipped"]["bins"]
    assert said["slipped"].keys() == english["slipped"].keys()
    for task, text in said["slipped"].items():
        if english["slipped"][task]:
            assert text != english["slipped"][task] and not ENGLISH_NOTES.search(text), text
    assert said["causes"].keys() == english["causes"].keys()
    assert said["causes"][slipped_run["origin"] + "/bins/"] == site
    tr = i18n.translator(language)
    for url, cause in said["causes"].items():  # each cause said in the language, in the same order
        assert cause == ", ".join(tr(c) for c in english["causes"][url].split(", ")), (url, cause)
        assert set(cause.split(", ")).isdisjoint(CAUSES), (url, cause)
    assert len(said["notes"]) == len(english["notes"]) >= 2
    for note in said["notes"]:
        assert not ENGLISH_NOTES.search(note.replace(slipped_run["origin"], "")) and "{" not in note, note
    assert said["notes"][-1].startswith(took)
    assert any(slipped_run["origin"] + "/bins/missed" in note for note in said["notes"])
    # the Changes sheet's Change, the Pages sheet's Found via and Newest date source: each value said
    assert said["change"].keys() == english["change"].keys()
    for url, change in said["change"].items():
        assert change == ", ".join(tr(c) for c in english["change"][url].split(", ")), (url, change)
        assert set(change.split(", ")).isdisjoint(wb.CHANGE_KINDS), (url, change)
    assert said["found_via"] == {u: tr(v) for u, v in english["found_via"].items()}
    assert set(said["found_via"].values()).isdisjoint({"start", "redirect", "example"})
    assert said["date_source"].keys() == english["date_source"].keys()
    for url, source in said["date_source"].items():
        then = english["date_source"][url]
        assert source == then if then is None or then.startswith("<meta") else source != then, (url, source)
    assert tr(wb.STAMPED) in said["date_source"].values()


def test_slipped_and_the_writers_own_notes_keep_their_english_and_are_said_in_the_language(tmp_path):
    from audit.pipeline import _slipped

    slipped = _slipped({"task": "bins", "best_depth_then": 1, "best_depth": 3, "pages_then": 12, "pages": 9,
                        "stale_share_then": 0.1, "stale_share": 0.25, "best_page_then": "/a", "best_page": "/b",
                        "competing_then": 0, "competing_duplicates": 2})
    assert slipped == ("best page deeper (1 -> 3 clicks); fewer pages (12 -> 9); more stale (10% -> 25%); "
                       "another best page; more competing duplicates (0 -> 2)")
    assert slipped.render("ru") == ("лучшая страница глубже (кликов: 1 -> 3); меньше страниц (12 -> 9); выше доля "
                                    "устаревших (10\xa0% -> 25\xa0%); сменилась лучшая страница; больше конкурирующих "
                                    "дубликатов (0 -> 2)")
    assert _slipped({"task": "bins", "pages_then": 3, "pages": 3}) is None

    def notes(language):
        tables_ = tables(25)
        tables_.language = language
        book = openpyxl.load_workbook(write_workbook(tmp_path / f"{language}.xlsx", tables_, max_rows=11))
        return [row[0] for row in book[i18n.translator(language)("Summary")].iter_rows(values_only=True) if row[0]]

    assert "25 URLs: more than Excel's 10 rows per sheet, so the Pages sheet is split into 3 sheets (Pages, Pages 2, " \
           "Pages 3)" in notes("en")
    assert "25 URL's: meer dan de 10 rijen per blad die Excel toestaat, dus het blad Pagina's is gesplitst in 3 " \
           "bladen (Pagina's, Pagina's 2, Pagina's 3)" in notes("nl")


# ---- short values (Change, Done, Found via, Newest date source, the Broken links sheet's Note and Target
# status) and the At stake note's costs: said when the cell is written, kept in English in the tables ----

O = "https://example.org"
DATED = {"fetched_at": "2026-09-01T00:00:00Z"}
CRAWLED = [  # pages.jsonl records as the crawl writes them: every Found via, every kind of date source
    {"url": O + "/", "status": 200, "found_via": "start", "title": "Home",
     "dates": {"sitemap_lastmod": "2026-01-02"}, "date_sources": {"sitemap_lastmod": "sitemap lastmod"},
     "outlinks": [{"url": O + "/moved", "internal": True, "region": "body", "text": "moved"},
                  {"url": O + "/silent", "internal": True, "region": "body", "text": "silent"},
                  {"url": O + "/missing", "internal": True, "region": "body", "text": "missing"}]},
    {"url": O + "/a", "status": 200, "found_via": "link", "title": "A",
     "dates": {"text_modified": "2012-06-05"}, "date_sources": {"text_modified": "text: «Publicat: 05.06.2012»"}},
    {"url": O + "/b.pdf", "status": 200, "found_via": "sitemap", "title": "B",
     "dates": {"pdf_modified": "2020-01-01"}, "date_sources": {"pdf_modified": "PDF properties"}},
    {"url": O + "/c", "status": 200, "found_via": "example", "title": "C",
     "dates": {"http_last_modified": "2020-01-01"}},
    {"url": O + "/d", "status": 200, "found_via": "link", "title": "D",
     "dates": {"meta_modified": "2020-01-01"}, "date_sources": {"meta_modified": "<meta dcterms.modified>"}},
    {"url": O + "/e.docx", "status": 200, "found_via": "link", "title": "E",
     "dates": {"office_modified": "2020-01-01"}},
    {"url": O + "/f", "status": 200, "found_via": "link", "title": "F", "dates": {"meta_published": "2020-01-01"}},
    {"url": O + "/moved", "status": 301, "found_via": "link", "final_url": O + "/missing"},
    {"url": O + "/missing", "status": 404, "found_via": "redirect"},
    {"url": O + "/silent", "status": None, "found_via": "link"},
]
SHORT = {  # sheet: {English column: the English values the tables hold}
    "Pages": {"Found via": {"start", "link", "sitemap", "example", "redirect"},
              "Newest date source": {"sitemap lastmod", "text: «Publicat: 05.06.2012»", "PDF properties",
                                     "HTTP Last-Modified (last resort: no date on the page)",
                                     "<meta dcterms.modified>", "document properties", "meta tag"}},
    "Follow-through": {"Done": {"done", "not done", "not checked"}},
    "Broken links": {"Note": {f"redirects to {O}/missing"}, "Target status": {404, "no response"}},
    "Changes": {"Change": {"new", "gone", "task, recommendation", "content, status"}},
}


def short_value_tables(language):
    """The tables of an audit, their short values made by the code that makes them in an audit: the signals
    (Found via, Newest date source, the broken links), the follow-through check (Done), the channel costs."""
    from audit.pipeline import _follow_through_table, channel_costs
    from audit.signals import Collector
    from reports.i18n import Message as M

    collector = Collector()
    for record in CRAWLED:
        collector.add({**DATED, "content_type": "text/html", **record})
    table, _ = collector.finish()
    tables_ = tables(len(table))
    tables_.language = language
    tables_.pages = table[["url", "status", "title", "found_via", "newest_date_source"]].assign(
        task="a", recommendation="keep", reasons="")
    tables_.broken_links = collector.broken_links
    checked = pd.DataFrame({"url": [O + "/a", O + "/b.pdf", O + "/c"], "followed": [True, False, None],
                            "follow_detail": [M("answers {status}", status="410"), M("still answers {status}",
                                              status="200"), None]})
    decisions = {url: {"decision": decision, "audited_at": "2026-06-01"}
                 for url, decision in ((O + "/a", "remove"), (O + "/b.pdf", "improve"), (O + "/gone", "demote"))}
    tables_.follow_through = _follow_through_table(checked, decisions, complete=False)
    tables_.changes = pd.DataFrame({"url": [O + "/a", O + "/b.pdf", O + "/c", O + "/d"],
                                    "change": ["new", "gone", "task, recommendation", "content, status"],
                                    "cause": ["site"] * 4})
    tables_.tasks = tables_.tasks.assign(views=[100, 5])
    tables_.costs = channel_costs({"cost_web": 0.4, "cost_phone": 7.0, "cost_email": 20.0, "cost_counter": 50.0})
    return tables_


def short_values(path, language) -> dict:
    """{sheet: {English column: set of values}} of SHORT's columns, and the Tasks sheet's notes under "notes"."""
    tr = i18n.translator(language)
    book = openpyxl.load_workbook(path)
    found = {}
    for sheet, names in SHORT.items():
        rows = [list(r) for r in book[tr(sheet)].iter_rows(values_only=True)]
        if sheet == "Changes":  # the changed pages' table, below the runs and the tasks
            rows = rows[next(i for i, r in enumerate(rows) if r[:2] == [tr("URL"), tr("Change")]):]
        found[sheet] = {name: {r[rows[0].index(tr(name))] for r in rows[1:] if r[0]} - {None} for name in names}
    found["notes"] = [r[0] for r in book[tr("Tasks")].iter_rows(values_only=True) if r[0] and r[1] is None]
    return found


def test_the_short_values_of_an_english_workbook_are_the_tables_own(tmp_path):
    """English: the values exactly as the audit's tables hold them (and as the history, the CSV files and
    `longneck compare` keep them), the costs as they always read."""
    from audit import signals

    # the workbook says the date sources the audit names (it imports no audit module: the names are its own)
    assert wb.LAST_RESORT == signals.LAST_RESORT and wb.STAMPED == signals.STAMPED
    assert all(name in wb.DATE_SOURCES or re.fullmatch(r"[A-Z]+ properties", name)
               for name in signals.DATE_SOURCE_NAMES.values() if not name.startswith("JSON-LD"))
    tables_ = short_value_tables("en")
    assert set(tables_.pages["found_via"]) == SHORT["Pages"]["Found via"]
    assert str(tables_.costs) == "web EUR 0.4, phone EUR 7, email EUR 20, counter EUR 50"
    assert set(tables_.follow_through["done"]) == SHORT["Follow-through"]["Done"]
    said = short_values(write_workbook(tmp_path / "en.xlsx", tables_), "en")
    assert {sheet: said[sheet] for sheet in SHORT} == SHORT
    assert any(note.endswith("instead (web EUR 0.4, phone EUR 7, email EUR 20, counter EUR 50).")
               for note in said["notes"]), said["notes"]


# English words that must not be left in a translated cell (URLs and the quoted page text taken out)
ENGLISH_SHORT = re.compile(r"\b(start|example|redirect|redirects|properties|last resort|no date|meta tag|done|not|"
                           r"checked|new|gone|task|recommendation|content|no response|phone|email|counter)\b")


@pytest.mark.parametrize("language, expect", [
    ("nl", {"Found via": "voorbeeld", "Newest date source": "PDF-eigenschappen", "Done": "niet gecontroleerd",
            "Note": f"verwijst door naar {O}/missing", "Change": "taak, advies", "costs": "balie EUR 50"}),
    ("ro", {"Found via": "pornire", "Newest date source": "textul paginii: «Publicat: 05.06.2012»",
            "Done": "nerealizată", "Note": f"redirecționează către {O}/missing", "Change": "conținut, stare",
            "costs": "web 0,4 EUR"}),
    ("ru", {"Found via": "карта сайта", "Newest date source": "lastmod в карте сайта", "Done": "выполнено",
            "Note": f"перенаправляет на {O}/missing", "Change": "исчезла", "costs": "сайт 0,4 EUR"}),
    ("el", {"Found via": "ανακατεύθυνση", "Newest date source": "ιδιότητες εγγράφου", "Done": "δεν ελέγχθηκε",
            "Note": f"ανακατευθύνει στο {O}/missing", "Change": "νέα", "costs": "τηλέφωνο 7 EUR"}),
    ("zh_Hans", {"Found via": "示例", "Newest date source": "HTTP Last-Modified（最后手段：页面上没有日期）",
                 "Done": "未落实", "Note": f"重定向到 {O}/missing", "Change": "任务, 建议", "costs": "柜台 50 欧元"})])
def test_the_short_values_are_said_in_the_workbooks_language(tmp_path, language, expect):
    tables_ = short_value_tables(language)
    said = short_values(write_workbook(tmp_path / f"{language}.xlsx", tables_), language)
    tr = i18n.translator(language)
    for sheet, names in SHORT.items():
        for name, english in names.items():
            values = said[sheet][name]
            assert len(values) == len(english), (sheet, name, values)
            assert name not in expect or expect[name] in values, (name, expect[name], values)
            for value in values:
                if value == 404 or (value in english and tr(value) == value):  # 'link', 'sitemap' in Dutch
                    continue
                assert value not in english, (name, value)
                text = str(value).replace(O + "/missing", "").split("«")[0]
                assert not ENGLISH_SHORT.search(text.replace("HTTP Last-Modified", "")), (name, value)
    assert said["Broken links"]["Target status"] == {404, tr("no response")}
    # what names markup or a header stays as it is
    assert "<meta dcterms.modified>" in said["Pages"]["Newest date source"]
    costs = next(note for note in said["notes"] if tr("phone EUR {cost:g}").split(" ")[0] in note)
    assert expect["costs"] in costs and "{" not in costs and not ENGLISH_SHORT.search(costs), costs
    # the tables the workbook was written from still hold the English values
    assert set(tables_.follow_through["done"]) == SHORT["Follow-through"]["Done"]
    assert set(tables_.pages["found_via"]) == SHORT["Pages"]["Found via"]
    assert str(tables_.costs) == "web EUR 0.4, phone EUR 7, email EUR 20, counter EUR 50"


def test_every_reason_code_has_plain_words_for_the_why_column():
    """The Why column says the deciding reason in plain words ("Keep: much visited (...)"), never its code."""
    from audit import pipeline, rules

    assert set(rules.REASONS) <= set(pipeline.PLAIN_REASONS), set(rules.REASONS) - set(pipeline.PLAIN_REASONS)


def test_the_changes_sheet_says_whether_the_audit_is_in_the_history(rules_run, tmp_path):
    """Without the history there is nothing to compare with, and the Changes sheet says why (not "first
    audit ... in the history", which it is not); the first recorded audit says that it is the first."""
    def said(path):
        return [row[0] for row in openpyxl.load_workbook(path, read_only=True)["Changes"].iter_rows(values_only=True)
                if row and isinstance(row[0], str) and "nothing to compare" in row[0]]

    assert said(rules_run / "audit.xlsx") == [
        "This audit is not recorded in the history (--no-history, or too few pages to classify): nothing to "
        "compare with."]
    import shutil

    run = tmp_path / "site" / "run"
    shutil.copytree(rules_run, run, ignore=shutil.ignore_patterns("audit*.xlsx"))
    longneck("audit", run, "--output", tmp_path / "first.xlsx")
    assert said(tmp_path / "first.xlsx") == ["First audit of this site in the history: nothing to compare yet."]


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_a_runner_up_of_none_says_what_the_task_name_says(tmp_path, language):
    """Runner-up (Pages and Label queue) names none as Task name does, in the workbook's language; the
    tables keep the id (the CSV files and the history read it)."""
    from reports.i18n import Message as M

    tables_ = tables(2)
    tables_.language = language
    tables_.pages = tables_.pages.assign(task=["a", "none"], task_name=["Task A", M("serves no top task")],
                                         runner_up=["none", "a"])
    tables_.label_queue = pd.DataFrame({"url": ["https://example.org/p0"], "task": ["a"], "runner_up": ["none"],
                                        "uncertainty": [0.5], "folder_pages": [2]})
    book = openpyxl.load_workbook(write_workbook(tmp_path / f"{language}.xlsx", tables_))
    tr = i18n.translator(language)
    pages = list(book[tr("Pages")].iter_rows(values_only=True))
    runner, name = pages[0].index(tr("Runner-up")), pages[0].index(tr("Task name"))
    none_name = pages[2][name]
    assert none_name == tr("serves no top task")
    assert [row[runner] for row in pages[1:]] == [none_name, "a"]
    queue = list(book[tr("Label queue")].iter_rows(values_only=True))
    assert queue[1][queue[0].index(tr("Runner-up"))] == none_name
    assert list(tables_.pages["runner_up"]) == ["none", "a"] and list(tables_.label_queue["runner_up"]) == ["none"]


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_the_why_and_the_sections_columns_say_each_recommendation_as_the_recommendation_column(tmp_path, language):
    """Every recommendation's Why prefix (and Sections column) is the Recommendation column's word with a
    capital, in every language: Dutch "Niet indexeren: ...", not the Pages sheet's column header "Noindex"."""
    from audit.pipeline import _reason_summary
    from reports.i18n import Message as M

    tr = i18n.translator(language)
    entry = M.plain("{code}: {detail}", code="thin", detail=M("{n} words", n=3))
    for rec in RECOMMENDATIONS:
        word = tr(rec)[:1].upper() + tr(rec)[1:]
        for why in (_reason_summary(rec, [entry], entry), _reason_summary(rec, [entry], None),
                    _reason_summary(rec, [], None)):
            assert re.match(re.escape(word) + "[:：]", why.render(language)), (rec, why.render(language))
            assert str(why).startswith(rec.capitalize())  # the English text, as the history keeps it
    tables_ = tables(2)
    tables_.language = language
    tables_.pages = tables_.pages.assign(section="/", recommendation=["noindex", "keep"])
    book = openpyxl.load_workbook(write_workbook(tmp_path / f"{language}.xlsx", tables_))
    sections = list(book[tr("Sections")].iter_rows(values_only=True))
    said = dict(zip(sections[0], sections[1]))
    for rec in RECOMMENDATIONS:
        assert said[tr(rec)[:1].upper() + tr(rec)[1:]] == (1 if rec in ("noindex", "keep") else 0), (rec, said)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_summarys_period_cells_start_with_a_word(tmp_path, language):
    """The period beside Visits and At stake is a cell of its own: no space before its first word."""
    tables_ = tables(3)
    tables_.language = language
    tables_.summary.update(analytics_periods=[("ga4.csv", ("2026-08-01", "2026-10-31"))], at_stake=1200.0,
                           visits=200.0)
    tr = i18n.translator(language)
    book = openpyxl.load_workbook(write_workbook(tmp_path / f"{language}.xlsx", tables_))
    rows = {row[0]: row for row in book[tr("Summary")].iter_rows(values_only=True) if row[0]}
    for label in ("Visits to top-task pages", "At stake (estimate, EUR)"):
        period = rows[tr(label)][2]
        assert "2026-08-01" in period and period == period.strip(), (label, period)


def crawl_failure(exc, url=O + "/x"):
    """A Twisted Failure of ``exc`` as the spider's errback gets it (with its request)."""
    from types import SimpleNamespace

    from twisted.python.failure import Failure

    try:
        raise exc
    except Exception:  # noqa: BLE001 - any exception: the Failure holds it
        failure = Failure()
    failure.request = SimpleNamespace(url=url, headers={})
    return failure


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_crawls_common_errors_are_said_in_the_workbooks_language(tmp_path, language):
    """A timeout, a DNS failure, a refused connection ... as the crawl words them: said in the workbook's
    language in the Broken links sheet's Target status and in the URL's Why and Reasons (the error rule);
    the tables keep the crawl's English text; an error the crawl words otherwise stays as it is."""
    from twisted.internet import defer
    from twisted.internet import error as terr

    from audit.rules import error
    from audit.signals import Collector, crawl_error
    from crawler.spider import describe_failure
    from scrapy.exceptions import DownloadTimeoutError

    said_by_crawler = [describe_failure(crawl_failure(exc, url), 10_000_000) for exc, url in (
        (DownloadTimeoutError(f"Getting {O}/slow took longer than 30.0 seconds."), O + "/slow"),
        (terr.DNSLookupError("no results for hostname lookup: example.invalid"), O + "/dns"),
        (terr.ConnectionRefusedError(), O + "/refused"),
        (defer.CancelledError(), O + "/huge"),
        (terr.ConnectionLost("handshake failed"), "https://example.org/tls"))]
    assert said_by_crawler[:3] == [f"timeout: Getting {O}/slow took longer than 30.0 seconds.",
                                   "DNS lookup failed: no results for hostname lookup: example.invalid.",
                                   "connection refused"]
    errors = said_by_crawler + ["WeirdError: boom"]
    tr = i18n.translator(language)
    english = re.compile(r"\b(timeout|Getting|took longer|lookup failed|no results|connection|refused|too large|"
                         r"response|exceeds|secure|failed)\b")
    for text in said_by_crawler:
        said = crawl_error(text)
        assert str(said) == text and said.render(language) != text, (text, said.render(language))
        words = said.render(language).replace("max_page_bytes", "")
        for quoted in said.params.values():  # what a library or server said (a URL, a host) stays as it is
            words = words.replace(quoted, "")
        assert not english.search(words), said.render(language)
    assert crawl_error("WeirdError: boom") == "WeirdError: boom" and crawl_error(None) is None
    # the error rule: the URL's Why and Reasons
    page = type("Page", (), {"status": None, "robots_blocked": False, "error": errors[0]})
    assert error(page, {}).render(language) == crawl_error(errors[0]).render(language)
    # the Broken links sheet
    collector = Collector()
    paths = ["/slow", "/dns", "/refused", "/huge", "/tls", "/odd"]
    collector.add({**DATED, "url": O + "/", "status": 200, "found_via": "start", "content_type": "text/html",
                   "outlinks": [{"url": O + p, "internal": True, "region": "body", "text": p} for p in paths]})
    for path, text in zip(paths, errors):
        collector.add({**DATED, "url": O + path, "status": None, "found_via": "link", "error": text})
    table, _ = collector.finish()
    tables_ = tables(len(table))
    tables_.language = language
    tables_.broken_links = collector.broken_links
    book = openpyxl.load_workbook(write_workbook(tmp_path / f"{language}.xlsx", tables_))
    rows = list(book[tr("Broken links")].iter_rows(values_only=True))
    status = {row[1]: row[rows[0].index(tr("Target status"))] for row in rows[1:]}
    for path, text in zip(paths, errors):
        assert status[O + path] == (crawl_error(text).render(language) if path != "/odd" else text), path
    broken = collector.broken_links  # the table keeps the crawl's English
    assert dict(zip(broken["target"], broken["target_status"])) == {O + p: t for p, t in zip(paths, errors)}
