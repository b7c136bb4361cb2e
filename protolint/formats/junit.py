"""JUnit XML for Jenkins and GitLab test reports: one test case per linted file, failed
when the file has findings (all of them listed in the failure)."""

from __future__ import annotations

from collections import defaultdict
from xml.sax.saxutils import escape, quoteattr

from protolint.formats.text import render_finding


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
        out.write(f"    <testcase classname=\"protolint\" name={quoteattr(name)}")
        if not found:
            out.write("/>\n")
            continue
        counts = defaultdict(int)
        for f in found:
            counts[str(f.severity)] += 1
        summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        body = "\n\n".join("\n".join(render_finding(f, color=False)) for f in found)
        out.write(">\n")
        out.write(f"      <failure message={quoteattr(f'{len(found)} findings ({summary})')} "
                  f"type={quoteattr(found[0].code)}>{escape(body)}</failure>\n")
        out.write("    </testcase>\n")
    out.write("  </testsuite>\n</testsuites>\n")
