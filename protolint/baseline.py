"""Baselines: today's findings recorded by fingerprint, so a repository with history can
adopt protolint and gate only on new findings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from protolint.findings import Finding
from protolint.fingerprints import fingerprints, relative_path

VERSION = 2  # 2: fingerprints name the layer holding the finding


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names it."""


def dumps(findings: list[Finding]) -> str:
    entries = [{"fingerprint": fp, "code": f.code, "path": relative_path(f.location.doc),
                "line": f.line, "message": f.message}
               for f, fp in zip(findings, fingerprints(findings))]
    return json.dumps({"version": VERSION, "findings": entries}, indent=2) + "\n"


def load(path: Path) -> Counter:
    """The fingerprints a baseline file records (with multiplicity)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a protolint baseline (invalid JSON: {exc})") from None
    if isinstance(data, dict) and isinstance(data.get("version"), int) and \
            0 < data["version"] < VERSION:
        raise BaselineError(f"{path}: recorded by an older protolint (baseline version "
                            f"{data['version']}; this one reads {VERSION}): record it again "
                            "with `protolint baseline`")
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(
            data.get("findings"), list):
        raise BaselineError(f"{path}: not a protolint baseline (version {VERSION} expected)")
    try:
        return Counter(entry["fingerprint"] for entry in data["findings"])
    except (TypeError, KeyError):
        raise BaselineError(f"{path}: a baseline entry has no fingerprint") from None


def new_findings(findings: list[Finding], known: Counter) -> list[Finding]:
    """The findings the baseline does not account for."""
    remaining = Counter(known)
    kept = []
    for finding, fp in zip(findings, fingerprints(findings)):
        if remaining[fp] > 0:
            remaining[fp] -= 1
        else:
            kept.append(finding)
    return kept
