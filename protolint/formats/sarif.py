"""SARIF 2.1.0 for GitHub code scanning: the rules with their catalogue text, results
with regions (columns in Unicode code points), and stable partial fingerprints."""

from __future__ import annotations

import json
from urllib.parse import quote

from protolint import __version__
from protolint.catalogue import pages
from protolint.checks import all_rules
from protolint.findings import Severity
from protolint.fingerprints import fingerprints, relative_path

LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def _uri(doc) -> str:
    """The file as a URI: relative when it is below the working directory."""
    path = relative_path(doc)
    return doc.path.resolve().as_uri() if path.startswith("/") else quote(path)


def _region(location) -> dict:
    (line, column), (end_line, end_column) = location.begin, location.finish
    return {"startLine": line, "startColumn": column, "endLine": end_line,
            "endColumn": end_column}


def _physical(location) -> dict:
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(location.doc)},
                                 "region": _region(location)}}


def _rule(rule) -> dict:
    page = pages().get(rule.code)
    entry = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {"tags": [rule.target]},
    }
    if page is not None:
        entry["fullDescription"] = {"text": page.section("Why").split("\n\n")[0]}
        entry["help"] = {"text": page.text, "markdown": page.text}
    return entry


def document(result) -> dict:
    rules = list(all_rules().values())
    index = {rule.code: i for i, rule in enumerate(rules)}
    results = []
    for finding, fingerprint in zip(result.findings, fingerprints(result.findings)):
        entry = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": LEVELS[finding.severity],
            "message": {"text": f"{finding.message}\nFix: {finding.fix}" if finding.fix
                        else finding.message},
            "locations": [_physical(finding.location)],
            "partialFingerprints": {"protolint/v1": fingerprint},
        }
        if finding.related:
            entry["relatedLocations"] = [
                {**_physical(location), "id": i, "message": {"text": note}}
                for i, (location, note) in enumerate(finding.related)]
        results.append(entry)
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "protolint", "version": __version__,
                                "semanticVersion": __version__, "rules": [_rule(r) for r in rules]}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def render(result, out, options) -> None:
    json.dump(document(result), out, indent=2)
    out.write("\n")
