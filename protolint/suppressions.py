"""`# protolint: disable=CODE[,CODE]` and `# protolint: disable-file=CODE` comments.

`disable` covers the comment's own line and, when the comment stands on a line of its
own, the line after it; `disable-file` covers the whole file. A code in a directive
that suppressed nothing is reported (PL900), so stale suppressions do not pile up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from protolint.document import Document
from protolint.findings import Finding, Location

_DIRECTIVE = re.compile(r"#\s*protolint:\s*(disable|disable-file)\s*=\s*([A-Za-z0-9_,\s]*)")


@dataclass
class Directive:
    location: Location
    codes: list[str]
    lines: range | None  # None: the whole file
    used: set[str] = field(default_factory=set)


def directives(doc: Document) -> list[Directive]:
    if doc.tree is None:
        return []
    found = []
    for offset, text in doc.tree.comments:
        m = _DIRECTIVE.search(text)
        if m is None:
            continue
        codes = [c.strip().upper() for c in m.group(2).split(",") if c.strip()]
        start = offset + m.start()
        location = Location(doc, start, offset + len(text.rstrip()))
        if m.group(1) == "disable-file":
            lines = None
        else:
            line, column = doc.lines.position(offset)
            alone = not doc.lines.line_text(line)[: column - 1].strip()
            lines = range(line, line + (2 if alone else 1))
        found.append(Directive(location, codes, lines))
    return found


def apply(findings: list[Finding], doc_directives: dict[int, list[Directive]]) -> list[Finding]:
    """The findings no directive suppresses; marks which directive codes were used.
    `doc_directives` is keyed by id() of the document."""
    kept = []
    for finding in findings:
        suppressed = False
        for d in doc_directives.get(id(finding.location.doc), ()):
            if finding.code in d.codes and (d.lines is None or finding.line in d.lines):
                d.used.add(finding.code)
                suppressed = True
        if not suppressed:
            kept.append(finding)
    return kept
