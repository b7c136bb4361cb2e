"""Stable JSON for machines; the schema is documented in docs/json-output.md."""

from __future__ import annotations

import json
from collections import Counter

from protolint import __version__

SCHEMA_VERSION = 1


def finding_dict(f) -> dict:
    return {
        "code": f.code,
        "name": f.name,
        "severity": str(f.severity),
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "message": f.message,
        "fix": f.fix,
        "related": [
            {"path": loc.path, "line": loc.begin[0], "column": loc.begin[1], "message": note}
            for loc, note in f.related
        ],
    }


def render(result, out, options) -> None:
    counts = Counter(str(f.severity) for f in result.findings)
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "protolint", "version": __version__},
        "findings": [finding_dict(f) for f in result.findings],
        "summary": {
            "files": len(result.files),
            "findings": len(result.findings),
            "error": counts.get("error", 0),
            "warning": counts.get("warning", 0),
            "info": counts.get("info", 0),
        },
    }
    json.dump(document, out, indent=2)
    out.write("\n")
