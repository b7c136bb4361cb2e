"""The rules, one module per code (`PL101.py` holds rule PL101).

Each module defines CODE, NAME (a short kebab-case name), SEVERITY, TARGET (what its
`check` receives: "document", "net", "solver" or a suppression "directive"), SUMMARY (one line), and
`check(target)` yielding `Report`s. A rule about the data a net reads sets NEEDS_DATA = True:
it only has something to say with `--data` (net.data_reports). Why each rule exists, with bad and good examples,
is in the catalogue: `rules/<CODE>.md` at the repository root.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache
from typing import Callable, Iterable

from protolint.findings import Report, Severity

TARGETS = ("document", "net", "solver", "directive")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    target: str
    summary: str
    check: Callable[[object], Iterable[Report]]
    needs_data: bool = False


def selects_some_rule(pattern: str) -> bool:
    """Whether a --select/--ignore pattern (a code, a prefix, or ALL) names any rule."""
    return pattern == "ALL" or any(code.startswith(pattern) for code in all_rules())


@cache
def all_rules() -> dict[str, Rule]:
    """Every rule, by code, in code order."""
    rules = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        rule = Rule(module.CODE, module.NAME, module.SEVERITY, module.TARGET,
                    module.SUMMARY, module.check, getattr(module, "NEEDS_DATA", False))
        if rule.code != info.name or rule.target not in TARGETS:
            raise RuntimeError(f"rule module {info.name} is inconsistent")
        rules[rule.code] = rule
    return rules
