import re
import tomllib
from pathlib import Path

import pytest

from audit.config import SCHEMA, URL_LIMIT, ConfigError, load_config, parse_config

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = {"site": {"name": "x", "start_urls": ["https://www.example.org/"]}}


def parse(data, **kw):
    return parse_config(data, **kw)


def test_minimal_config_gets_every_default():
    config = parse(MINIMAL)
    assert set(config.site) == set(SCHEMA["site"])
    assert config.site["obey_robots_txt"] is True and config.site["autothrottle"] is True
    assert config.tasks == ()


def test_unknown_key_names_the_closest_valid_key():
    with pytest.raises(ConfigError, match=r"site: unknown key 'max_page'.*Did you mean 'max_pages'"):
        parse({"site": {**MINIMAL["site"], "max_page": 10}})


def test_unknown_section_is_rejected_with_suggestion():
    with pytest.raises(ConfigError, match=r"unknown section \[task\].*'tasks'"):
        parse({**MINIMAL, "task": {}})


@pytest.mark.parametrize("key, value, message", [
    ("max_pages", "many", r"site\.max_pages: expected a whole number, found 'many'"),
    ("max_pages", 0, r"site\.max_pages: must be at least 1, found 0"),
    ("obey_robots_txt", "yes", r"site\.obey_robots_txt: expected true or false, found 'yes'"),
    ("start_urls", ["ftp://x/"], r"site\.start_urls\[0\]: expected an absolute http:// or https:// URL, found 'ftp://x/'"),
    ("start_urls", "https://x/", r"site\.start_urls: expected a list of strings, found 'https://x/'"),
    ("start_urls", ["https://x/" + "a" * 2074], r"site\.start_urls\[0\]: expected a URL of at most 2,083 characters, "
     r"what browsers and servers accept \(this one has 2,084\), found 'https://x/a{190}\.\.\.'$"),
    ("exclude", ["(unclosed"], r"site\.exclude\[0\]: expected a valid regular expression"),
    ("concurrency", True, r"site\.concurrency: expected a number, found True"),
])
def test_bad_value_names_key_allowed_and_found(key, value, message):
    with pytest.raises(ConfigError, match=message):
        parse({"site": {**MINIMAL["site"], key: value}})


def test_missing_required_key():
    with pytest.raises(ConfigError, match="site: missing required key 'start_urls'"):
        parse({"site": {"name": "x"}})


def test_tasks_are_validated():
    task = {"id": "pay-fine", "name": "Pay", "description": "Pay a fine", "examples": ["https://x.org/a"]}
    config = parse({**MINIMAL, "tasks": [task]})
    assert config.tasks[0]["keywords"] == []
    with pytest.raises(ConfigError, match=r"tasks\[1\]\.id: expected a unique id, found 'pay-fine' twice"):
        parse({**MINIMAL, "tasks": [task, task]})
    with pytest.raises(ConfigError, match=r"tasks\[0\]\.id: expected any id but 'none'"):
        parse({**MINIMAL, "tasks": [{**task, "id": "none"}]})
    with pytest.raises(ConfigError, match=r"tasks\[0\]: unknown key 'example'.*'examples'"):
        parse({**MINIMAL, "tasks": [{**{k: v for k, v in task.items() if k != "examples"}, "example": []}]})
    with pytest.raises(ConfigError, match=r"written as \[\[tasks\]\]"):
        parse({**MINIMAL, "tasks": task})
    long = "https://x.org/" + "p" * (URL_LIMIT - len("https://x.org/"))  # the longest URL the crawler fetches
    assert parse({**MINIMAL, "tasks": [{**task, "examples": [long]}]}).tasks[0]["examples"] == [long]
    with pytest.raises(ConfigError, match=r"tasks\[0\]\.examples\[0\]: expected a URL of at most 2,083 characters"):
        parse({**MINIMAL, "tasks": [{**task, "examples": [long + "p"]}]})


def test_overrides_are_validated_like_the_file():
    config = parse(MINIMAL, overrides={"site.max_pages": 5})
    assert config.site["max_pages"] == 5
    with pytest.raises(ConfigError, match="site: unknown key 'max_pagez'"):
        parse(MINIMAL, overrides={"site.max_pagez": 5})


def test_fingerprint_changes_with_settings_only():
    a, b = parse(MINIMAL), parse(MINIMAL)
    assert a.fingerprint() == b.fingerprint()
    assert parse(MINIMAL, overrides={"site.max_pages": 5}).fingerprint() != a.fingerprint()


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[site\nname = 1")
    with pytest.raises(ConfigError, match=r"bad\.toml: not valid TOML"):
        load_config(bad)


def test_example_config_is_valid_and_documents_every_key():
    path = ROOT / "config" / "example.toml"
    config = load_config(path)
    text = path.read_text()
    for section, keys in SCHEMA.items():
        for key in keys:
            assert re.search(rf"^#?\s*{key}\s*=", text, re.MULTILINE), f"config/example.toml does not document {section}.{key}"
    assert config.tasks, "the example should show [[tasks]]"


def test_demo_config_is_valid():
    from audit.demo import CONFIG

    config = parse(tomllib.loads(CONFIG.read_text()))
    assert 5 <= len(config.tasks) <= 8


# --- files the config names, checked before crawling; CSVs as European Excel saves them ---

def test_semicolon_csv_with_bom_and_decimal_commas_is_read_for_labels_and_analytics(tmp_path):
    from audit.analytics import period, read_export
    from audit.runs import read_labels

    labels = tmp_path / "labels.csv"
    labels.write_bytes("\ufeffurl;task\r\nhttps://x.org/a;pay\r\nhttps://x.org/b;none\r\n".encode("utf-8"))
    assert read_labels(labels, ["pay"]) == {"https://x.org/a": "pay", "https://x.org/b": "none"}
    export = tmp_path / "ga.csv"
    export.write_bytes("# Start date: 20260801\n# End date: 20261031\nPage path;Views\n/;1.234\n/a;12,5\n/b;7\n"
                       .encode("cp1252"))
    kind, data = read_export(export)
    assert kind == "ga4-page-path"
    assert data == {"/": {"views": 1234.0}, "/a": {"views": 12.5}, "/b": {"views": 7.0}}
    assert period(export) == ("2026-08-01", "2026-10-31")
    comma = tmp_path / "plausible.csv"
    comma.write_text("name,pageviews\n/,\"1,234\"\n", encoding="utf-8")
    assert read_export(comma)[1] == {"/": {"views": 1234.0}} and period(comma) is None


def test_sections_config_is_a_table_of_regular_expressions():
    config = parse({**MINIMAL, "audit": {"sections": {"/parking/": "Parking team"}}})
    assert config.audit["sections"] == {"/parking/": "Parking team"}
    assert parse(MINIMAL).audit["sections"] == {}
    with pytest.raises(ConfigError, match=r"audit\.sections: key '\(x': expected a valid regular expression"):
        parse({**MINIMAL, "audit": {"sections": {"(x": "A"}}})
    with pytest.raises(ConfigError, match=r"audit\.sections: expected a table"):
        parse({**MINIMAL, "audit": {"sections": ["/a/"]}})


def write_site_config(tmp_path, tasks: str, extra: str = "") -> Path:
    config = tmp_path / "site.toml"
    config.write_text('[site]\nname = "x"\nstart_urls = ["https://www.example.org/"]\n' + tasks + extra,
                      encoding="utf-8")
    return config


TASK = '[[tasks]]\nid = "pay"\nname = "Pay"\ndescription = "Pay a fine"\nexamples = ["{url}"]\n'


def test_check_finds_what_run_would_trip_on_before_crawling(tmp_path):
    from .conftest import longneck

    (tmp_path / "labels.csv").write_text("url;task\nhttps://www.example.org/a;pay\nhttps://www.example.org/b;payy\n",
                                         encoding="utf-8")
    (tmp_path / "views.csv").write_text("Page path;Views\n/;many\n", encoding="utf-8")
    config = write_site_config(tmp_path, TASK.format(url="https://other.example.net/pay"),
                               '[classifier]\nlabels = "labels.csv"\n[audit]\nanalytics = ["views.csv", "gone.csv"]\n')
    proc = longneck("check", config, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    for text in ("4 problem(s) found before crawling", "tasks[0].examples[0]: https://other.example.net/pay will not "
                 "be crawled", "row 3: task must be one of", "'payy'", "views must be a number, found 'many'",
                 "analytics file not found"):
        assert text in proc.stderr, proc.stderr
    assert longneck("run", config, "--out", tmp_path / "run", check=False).returncode == 2
    assert not (tmp_path / "run" / "pages.jsonl").exists()  # refused before crawling
    no_tasks = write_site_config(tmp_path, "")
    proc = longneck("check", no_tasks, check=False)
    assert proc.returncode == 2 and "at least one top task" in proc.stderr
    (tmp_path / "labels.csv").write_text("url;task\nhttps://www.example.org/a;pay\n", encoding="utf-8")
    (tmp_path / "views.csv").write_text("# Start date: 20260801\n# End date: 20261031\nPage path;Views\n/;1.234,0\n",
                                        encoding="utf-8")
    good = write_site_config(tmp_path, TASK.format(url="https://www.example.org/pay"),
                             '[classifier]\nlabels = "labels.csv"\n[audit]\nanalytics = ["views.csv"]\n')
    proc = longneck("check", good)
    assert "1 labelled URL(s)" in proc.stdout and "period 2026-08-01 to 2026-10-31" in proc.stdout


def test_a_bad_workbook_is_a_workbook_error_and_a_closed_pipe_no_traceback(tmp_path):
    import os
    import subprocess
    import sys

    from .conftest import longneck

    junk = tmp_path / "audit.xlsx"
    junk.write_text("not a workbook", encoding="utf-8")
    proc = longneck("review", "import", junk, check=False)
    assert proc.returncode == 2 and "workbook error" in proc.stderr and "config error" not in proc.stderr
    assert "Traceback" not in proc.stderr
    config = write_site_config(tmp_path, TASK.format(url="https://www.example.org/pay"))
    read, write = os.pipe()
    os.close(read)  # the reader has gone, as `longneck ... | head` leaves it
    proc = subprocess.run([sys.executable, "-m", "audit.cli", "check", str(config)], stdout=write,
                          stderr=subprocess.PIPE, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(write)
    assert proc.returncode == 141 and "Traceback" not in proc.stderr, proc.stderr


def test_every_mistake_is_named_in_one_go():
    """Three typos and a bad value: one run names them all, each as it would alone."""
    data = tomllib.loads('''
[site]
name = "x"
start_urls = ["https://example.org/"]
concurency = 4
max_pages = "many"
[[tasks]]
id = "a"
name = "A"
description = "Do A"
keyword = ["a"]
[report]
language = 5
''')
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    message = str(caught.value)
    assert message.startswith("4 problems:")
    for part in ("site: unknown key 'concurency'. Did you mean 'concurrency'?", "site.max_pages",
                 "tasks[0]: unknown key 'keyword'", "report.language"):
        assert part in message, part
    # one mistake reads as before: no list
    with pytest.raises(ConfigError, match=r"^site: unknown key 'concurency'"):
        parse_config(tomllib.loads('[site]\nname = "x"\nstart_urls = ["https://example.org/"]\nconcurency = 4\n'))
