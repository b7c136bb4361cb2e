"""A suppression comment that suppresses nothing."""

from protolint.checks import all_rules
from protolint.findings import Report, Severity

CODE = "PL900"
NAME = "unused-suppression"
SEVERITY = Severity.INFO
TARGET = "directive"
SUMMARY = "a `# protolint: disable` comment that suppresses nothing"


def check(directive):
    unused = [c for c in directive.codes if c not in directive.used]
    if not unused:
        return
    known = all_rules()
    unknown = [c for c in unused if c not in known]
    stale = [c for c in unused if c in known]
    parts = []
    if stale:
        parts.append(f"{', '.join(stale)} reported nothing here")
    if unknown:
        parts.append(f"{', '.join(unknown)} is not a protolint rule code")
    yield Report(directive.location, f"unused suppression: {'; '.join(parts)}",
                 "remove the code from the comment (or the whole comment)")
