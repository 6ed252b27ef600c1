"""Contracts users rely on: every command has help, the README documents every command, config key,
workbook sheet and column, docs/reference.md (linked from the README) every record field, rule and reason
code, and CI runs the README's own test command."""

import re
from pathlib import Path

import pytest

from audit.cli import build_parser
from audit.config import SCHEMA
from crawler.items import PAGE_FIELDS

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
REFERENCE = (ROOT / "docs" / "reference.md").read_text()   # the full reference, linked from the README


def subcommands():
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return action.choices


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_every_command_has_help_and_is_documented(name):
    sub = subcommands()[name]
    assert sub.description and len(sub.format_help()) > 100
    for action in sub._actions:
        assert action.help, f"longneck {name}: option {action.option_strings or action.dest} has no help"
    assert f"`longneck {name}" in README, f"README does not document `longneck {name}`"


def test_every_config_key_is_documented_in_the_readme():
    for section, keys in SCHEMA.items():
        assert f"`[{section}]`" in README or f"`[[{section}]]`" in README, section
        for key in keys:
            assert re.search(rf"^\| `{key}` \|", README, re.MULTILINE), f"README lacks {section}.{key}"


def test_every_record_field_is_documented_in_the_reference():
    assert "(docs/reference.md#the-crawl-records-pagesjsonl)" in README
    for field in PAGE_FIELDS:
        assert re.search(rf"^\| `{field}` \|", REFERENCE, re.MULTILINE), f"docs/reference.md lacks the field {field}"


def test_ci_runs_the_readme_test_command():
    """The quick start shows the demo command alone first; the test command (which may install Debian
    packages as root) comes in a block of its own, and it is exactly what CI runs."""
    quick_start = README[README.index("## Quick start"):README.index("\n## ", README.index("## Quick start") + 1)]
    blocks = [b.strip().splitlines() for b in re.findall(r"```sh\n(.*?)```", quick_start, re.DOTALL)]
    assert len(blocks) == 2 and all(len(b) == 1 for b in blocks), blocks
    assert blocks[0][0].endswith("longneck demo") and "pytest" not in blocks[0][0]
    assert "system-packages.sh" in blocks[1][0] and blocks[1][0] in (ROOT / ".ci" / "run").read_text()


def test_version_is_single_sourced():
    import tomllib

    from audit import __version__

    assert __version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert not re.search(r"__version__\s*=\s*['\"]", (ROOT / "audit" / "__init__.py").read_text())


def test_demo_command_runs_the_pipeline_and_says_where_the_output_is(tmp_path):
    from .conftest import longneck, read_records

    proc = longneck("demo", "--out", tmp_path / "demo", "-q")
    assert f"pages: {tmp_path / 'demo' / 'pages.jsonl'}" in proc.stdout
    assert f"workbook: {tmp_path / 'demo' / 'audit.xlsx'}" in proc.stdout
    assert (tmp_path / "demo" / "audit.xlsx").stat().st_size > 10_000
    records = read_records(tmp_path / "demo")
    assert sum(1 for r in records if r["status"] == 200 and r["content_type"] == "text/html") >= 150


def test_every_workbook_column_reason_code_and_rule_is_documented():
    from audit.rules import REASONS, RULE_FUNCTIONS
    from reports.workbook import PAGES_COLUMNS

    for header in PAGES_COLUMNS:
        assert re.search(rf"^\| {re.escape(header)} \|", README, re.MULTILINE), f"README lacks the column {header}"
    assert "(docs/reference.md#reason-codes)" in README
    for code in REASONS:
        assert re.search(rf"^\| `{re.escape(code)}` \|", REFERENCE, re.MULTILINE), \
            f"docs/reference.md lacks the reason {code}"
    for name in RULE_FUNCTIONS:
        assert f"| `{name}` |" in REFERENCE, f"docs/reference.md lacks the rule {name}"
    for sheet in ("Summary", "Pages", "Tasks", "Duplicates", "Redirects", "Label queue", "Changes", "Follow-through",
                  "Settings"):
        assert re.search(rf"^\| {sheet} \|", README, re.MULTILINE), f"README lacks the sheet {sheet}"


def test_the_readme_names_every_reason_code():
    from audit.rules import REASONS

    missing = [code for code in REASONS if f"`{code}`" not in README]
    assert not missing, f"README does not name the reason codes {missing}"
