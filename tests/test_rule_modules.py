"""Every module in protolint/checks/ is loaded as a rule: none may import another rule
module (what rules share lives outside the package, e.g. in protolint/data/)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import protolint.checks

CHECKS = Path(protolint.checks.__file__).parent
PACKAGE = "protolint.checks"
RULES = sorted(p.stem for p in CHECKS.glob("*.py") if p.stem != "__init__")


def rule_imports(path: Path) -> list[str]:
    """The rule modules `path` imports, in any spelling: `import protolint.checks.PL305`,
    `from protolint.checks.PL305 import x`, `from protolint.checks import PL305`, and the
    relative `from .PL305 import x` / `from . import PL305`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 1:
                continue  # beyond the package: not a rule module
            base = node.module or ""
            if node.level == 1:
                base = f"{PACKAGE}.{base}" if base else PACKAGE
            modules = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            parent, _, name = module.rpartition(".")
            if parent == PACKAGE and name in RULES:
                found.append(name)
    return found


def test_every_rule_module_is_checked():
    from protolint.checks import all_rules
    assert set(RULES) == set(all_rules())


@pytest.mark.parametrize("rule", RULES)
def test_no_rule_module_imports_another(rule):
    assert rule_imports(CHECKS / f"{rule}.py") == []


@pytest.mark.parametrize("source", [
    "from protolint.checks.PL305 import shapes_seen",
    "import protolint.checks.PL305",
    "import protolint.checks.PL305 as other",
    "from protolint.checks import PL305",
    "from .PL305 import shapes_seen",
    "from . import PL305",
    "def f():\n    from protolint.checks.PL305 import shapes_seen\n",
])
def test_every_spelling_of_a_rule_import_is_caught(source, tmp_path):
    path = tmp_path / "module.py"
    path.write_text(source + "\n", encoding="utf-8")
    assert rule_imports(path) == ["PL305"]


@pytest.mark.parametrize("source", [
    "from protolint.checks import all_rules",
    "import protolint.checks",
    "from protolint.data.usage import views_of",
    "from protolint.findings import Report, Severity",
])
def test_other_imports_pass(source, tmp_path):
    path = tmp_path / "module.py"
    path.write_text(source + "\n", encoding="utf-8")
    assert rule_imports(path) == []
