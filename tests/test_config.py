import re
import tomllib
from pathlib import Path

import pytest

from audit.config import SCHEMA, ConfigError, load_config, parse_config

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
