"""GitLab Code Quality report (a JSON array of issues), for merge request widgets."""

from __future__ import annotations

import json

from protolint.findings import Severity
from protolint.fingerprints import fingerprints, relative_path

SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def render(result, out, options) -> None:
    issues = []
    for f, fingerprint in zip(result.findings, fingerprints(result.findings)):
        issues.append({
            "type": "issue",
            "check_name": f"{f.code} {f.name}",
            "description": f"{f.code}: {f.message}",
            "content": {"body": f.fix},
            "categories": ["Bug Risk"],
            "severity": SEVERITIES[f.severity],
            "fingerprint": fingerprint,
            "location": {"path": relative_path(f.location.doc),
                         "lines": {"begin": f.line, "end": f.end_line}},
        })
    json.dump(issues, out, indent=2)
    out.write("\n")
