"""JUnit XML for Jenkins and GitLab test reports: one test case per linted file, with a
failure per finding."""

from __future__ import annotations

import re
from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from protolint.formats.text import render_finding

# What XML 1.0 cannot hold even as a character reference: control characters other than
# tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF. A layer name or a
# file name may contain them; they are shown as escapes instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", value)


def render(result, out, options) -> None:
    by_file = defaultdict(list)
    for f in result.findings:
        by_file[f.location.doc.display].append(f)
    files = [doc.display for doc in result.files]
    failed = sum(1 for name in files if by_file.get(name))
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(f'<testsuites name="protolint" tests="{len(files)}" failures="{failed}">\n')
    out.write(f'  <testsuite name="protolint" tests="{len(files)}" failures="{failed}" '
              f'errors="0" skipped="0">\n')
    for name in files:
        found = by_file.get(name, [])
        out.write(f"    <testcase classname=\"protolint\" name={quoteattr(_text(name))}")
        if not found:
            out.write("/>\n")
            continue
        out.write(">\n")
        for f in found:
            line, column = f.location.begin
            message = f"{line}:{column}: {f.code} {f.severity}: {f.message}"
            body = "\n".join(render_finding(f, color=False))
            out.write(f"      <failure message={quoteattr(_text(message))} "
                      f"type={quoteattr(f.code)}>{escape(_text(body))}</failure>\n")
        out.write("    </testcase>\n")
    out.write("  </testsuite>\n</testsuites>\n")
