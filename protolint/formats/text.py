"""Terminal text, like gcc and ruff: `path:line:col: CODE severity: message`, the source
line with the span underlined, `help:` with the fix, and a summary line."""

from __future__ import annotations

import unicodedata
from collections import Counter

from protolint.findings import Finding, Severity

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


# Longest source line shown whole; a longer one (minified or generated files) is cut
# to this many characters around the finding, with "…" where text was left out.
EXCERPT_WIDTH = 120


def _cells(text: str) -> int:
    """Terminal columns `text` takes: two for a wide (CJK) character, none for a
    combining mark, one otherwise."""
    return sum(0 if unicodedata.combining(c) else
               2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _excerpt(finding: Finding, color: bool) -> list[str]:
    line, column = finding.line, finding.column
    source = finding.location.doc.lines.line_text(line).expandtabs(1)
    if not source.strip():
        return []
    end = finding.end_column if finding.end_line == line else len(source) + 1
    if len(source) > EXCERPT_WIDTH:
        first = max(0, min(column - 1 - EXCERPT_WIDTH // 3, len(source) - EXCERPT_WIDTH))
        last = first + EXCERPT_WIDTH
        shown = (("…" if first else "") + source[first:last]
                 + ("…" if last < len(source) else ""))
        shift = first - (1 if first else 0)
        source, column, end = shown, column - shift, min(end, last + 1) - shift
    width = max(_cells(source[column - 1:end - 1]), 1)
    gutter = f"{line:>4} | "
    marker = (" " * (len(gutter) - 2) + "| " + " " * _cells(source[:column - 1]) + "^"
              + "~" * (width - 1))
    return [gutter + source, _paint(marker, "1;" + _COLORS[finding.severity], color)]


def render_finding(finding: Finding, color: bool) -> list[str]:
    sev = _paint(str(finding.severity), "1;" + _COLORS[finding.severity], color)
    head = f"{finding.path}:{finding.line}:{finding.column}: {_paint(finding.code, '1', color)} {sev}: "
    message_lines = finding.message.split("\n")
    lines = [head + message_lines[0], *message_lines[1:]]
    lines.extend(_excerpt(finding, color))
    for location, note in finding.related:
        line, column = location.begin
        lines.append(f"  note: {location.path}:{line}:{column}: {note}")
    if finding.fix:
        lines.append(f"  {_paint('help', '1;32', color)}: {finding.fix}")
    return lines


def summary(findings: list[Finding], files: int) -> str:
    counts = Counter(f.severity for f in findings)
    if not findings:
        return f"No findings in {files} file{'s' if files != 1 else ''}."
    parts = [f"{counts[s]} {s}{'s' if counts[s] != 1 else ''}"
             for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]]
    return f"Found {', '.join(parts)} in {files} file{'s' if files != 1 else ''}."


def render(result, out, options) -> None:
    color = options.get("color", False)
    for finding in result.findings:
        out.write("\n".join(render_finding(finding, color)) + "\n\n")
    out.write(summary(result.findings, len(result.files)) + "\n")
