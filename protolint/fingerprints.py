"""Stable identities for findings, for baselines, SARIF and GitLab.

A fingerprint must survive edits that do not touch the finding: lines inserted above it
move its line number, so the line number is left out. What goes in: the rule code, the
file (relative to the working directory), the text of the finding's first line with
spaces stripped, and which occurrence of that (code, file, text) it is in file order,
so that two identical lines with the same finding stay distinct.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter

from protolint.findings import Finding


def relative_path(doc) -> str:
    """A document's path relative to the working directory (POSIX separators), or its
    absolute path when it lies elsewhere."""
    path = doc.path.resolve()
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return path.as_posix() if rel.startswith("..") else rel.replace(os.sep, "/")


def fingerprints(findings: list[Finding]) -> list[str]:
    """One hex fingerprint per finding, in the order given (findings are expected in
    file order, as a lint run sorts them)."""
    seen: Counter = Counter()
    out = []
    for f in findings:
        text = " ".join(f.location.doc.lines.line_text(f.line).split())
        key = (f.code, relative_path(f.location.doc), text)
        seen[key] += 1
        digest = hashlib.sha256("\x1f".join((*key, str(seen[key]))).encode("utf-8"))
        out.append(digest.hexdigest()[:32])
    return out
