"""Stable identities for findings, for baselines, SARIF and GitLab.

A fingerprint must survive edits that do not touch the finding: lines inserted above it
move its line number, so the line number is left out. What goes in: the rule code, the
file (relative to the working directory), the text of the finding's first line with
spaces stripped, the name of the layer holding it (the same line in another layer is
another finding), and which occurrence of all that it is in
file order, so that two identical lines with the same finding stay distinct.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter

from protolint.findings import Finding
from protolint.messages import text_of
from protolint.textformat import MESSAGE


def relative_path(doc) -> str:
    """A document's path relative to the working directory (POSIX separators), or its
    absolute path when it lies elsewhere."""
    path = doc.path.resolve()
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path.as_posix()
    return path.as_posix() if rel.startswith("..") else rel.replace(os.sep, "/")


def layer_name(doc, offset: int) -> str:
    """The name of the innermost layer block holding `offset` (`layer`, or `layers` of a
    V1/V0 net, also inside a solver's inline net), or ''."""
    if doc.tree is None:
        return ""
    found, message = "", doc.tree.root
    while True:
        block = next((f for f in message.fields
                      if f.kind == MESSAGE and f.vstart <= offset < f.vend), None)
        if block is None:
            return found
        name = block.value.first("name")
        if block.name in ("layer", "layers") and name is not None:
            found = text_of(name) or found
        message = block.value


def fingerprints(findings: list[Finding]) -> list[str]:
    """One hex fingerprint per finding, in the order given (findings are expected in
    file order, as a lint run sorts them)."""
    seen: Counter = Counter()
    out = []
    for f in findings:
        text = " ".join(f.location.doc.lines.line_text(f.line).split())
        doc = f.location.doc
        key = (f.code, relative_path(doc), text, layer_name(doc, f.location.start))
        seen[key] += 1
        digest = hashlib.sha256("\x1f".join((*key, str(seen[key]))).encode("utf-8"))
        out.append(digest.hexdigest()[:32])
    return out
