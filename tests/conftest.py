"""Shared test helpers: the read-only ../shared material and small lint runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from protolint.lint import Options, run

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus"
ORACLE = SHARED / "oracle"


def shared_or_skip(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"{path} is absent: the shared corpus/oracle only exist beside the repository")
    return path


def manifest() -> list[dict]:
    """Rows of corpus/MANIFEST.tsv (empty when ../shared is absent)."""
    path = CORPUS / "MANIFEST.tsv"
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.rstrip("\r").split("\t"))) for line in lines[1:]]


def oracle_records(name: str) -> list[dict]:
    path = ORACLE / name
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def lint_text(tmp_path: Path, text: str, name: str = "example.prototxt", **options):
    """Write `text` to a file under tmp_path and lint it; returns the findings."""
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    result = run([str(path)], Options(cwd=tmp_path, **options))
    assert not result.errors, result.errors
    return result.findings


def codes(findings) -> list[str]:
    return [f.code for f in findings]
