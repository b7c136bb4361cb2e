"""GitHub Actions workflow commands: each finding becomes an annotation on the pull
request (`::error file=...,line=...,col=...::message`)."""

from __future__ import annotations

from protolint.findings import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def _data(text: str) -> str:
    """Escape a command's message as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render(result, out, options) -> None:
    for f in result.findings:
        props = ",".join([
            f"file={_property(f.path)}", f"line={f.line}", f"col={f.column}",
            f"endLine={f.end_line}", f"endColumn={f.end_column}",
            f"title={_property(f'{f.code} {f.name}')}",
        ])
        text = f"{f.message}\nhelp: {f.fix}" if f.fix else f.message
        out.write(f"::{COMMANDS[f.severity]} {props}::{_data(text)}\n")
