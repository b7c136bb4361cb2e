"""Every rule has its catalogue page, and the page's examples behave as it says:
the Bad example fires the rule, the Good example does not."""

from __future__ import annotations

import re

import pytest

from conftest import codes, lint_text
from protolint.catalogue import pages
from protolint.checks import all_rules

RULES = all_rules()
SECTIONS = ("Why", "Bad", "Good", "Fix")


def test_every_rule_has_a_page_and_every_page_a_rule():
    assert set(pages()) == set(RULES)


@pytest.mark.parametrize("code", sorted(RULES))
def test_page_matches_rule(code):
    page, rule = pages()[code], RULES[code]
    assert page.title == f"{code} {rule.name}"
    m = re.search(r"^Severity: (\w+)", page.text, re.M)
    assert m and m.group(1) == str(rule.severity), "the page's Severity line must match the rule"
    for section in SECTIONS:
        assert page.section(section), f"{code}: missing or empty section ## {section}"


# Data rules need data beside their examples: tests/test_data_rules_*.py build it and lint
# those pages' examples with --data.
LINTED_ALONE = sorted(code for code, rule in RULES.items() if not rule.needs_data)


def lint_example(tmp_path, code: str, section: str):
    """Lint a page's example, with the files it names (```prototxt NAME blocks) beside it."""
    page = pages()[code]
    example = page.example(section)
    assert example is not None, f"{code}: the {section} section needs a ```prototxt block"
    for name, text in page.beside(section).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return lint_text(tmp_path, example)


@pytest.mark.parametrize("code", LINTED_ALONE)
def test_bad_example_fires(code, tmp_path):
    assert code in codes(lint_example(tmp_path, code, "Bad"))


@pytest.mark.parametrize("code", LINTED_ALONE)
def test_good_example_is_silent(code, tmp_path):
    assert code not in codes(lint_example(tmp_path, code, "Good"))
