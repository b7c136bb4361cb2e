"""Configuration: `[tool.protolint]` in pyproject.toml, or a `.protolint.toml`.

The nearest configuration file above a linted file applies to it (`.protolint.toml`
wins over pyproject.toml in the same directory; a pyproject.toml without a
`[tool.protolint]` table is passed over). `--config FILE` replaces the search.

Keys: `select` and `ignore` (lists of codes or code prefixes), `per-file-ignores`
(glob relative to the configuration file's directory -> codes), `severity` (code ->
"error" | "warning" | "info"), and the Caffe dialect: `infogain-input` ("scores", BVLC
Caffe 1.0 and later, whose InfogainLoss applies softmax itself; or "probabilities",
Caffe rc5 and earlier and the forks that kept that behaviour).
"""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from protolint.checks import all_rules, selects_some_rule
from protolint.findings import Severity

_KEYS = {"select", "ignore", "per-file-ignores", "severity", "infogain-input"}
INFOGAIN_INPUTS = ("scores", "probabilities")


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file."""


@dataclass
class Config:
    path: Path | None = None
    select: list[str] | None = None
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: list[tuple[str, list[str]]] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    infogain_input: str = "scores"

    def ignored_for(self, file: Path) -> list[str]:
        """Codes ignored for `file` by per-file-ignores."""
        if self.path is None or not self.per_file_ignores:
            return []
        try:
            rel = file.resolve().relative_to(self.path.parent.resolve()).as_posix()
        except ValueError:
            return []
        codes: list[str] = []
        for pattern, listed in self.per_file_ignores:
            if fnmatch.fnmatchcase(rel, pattern) or fnmatch.fnmatchcase(Path(rel).name, pattern):
                codes.extend(listed)
        return codes


def _codes(value, where: str) -> list[str]:
    """Rule codes or prefixes, each naming some rule: a typo in `select` would otherwise
    switch every rule off without a word."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of rule codes")
    codes = [v.strip().upper() for v in value]
    for code in codes:
        if not selects_some_rule(code):
            raise ConfigError(f"{where}: {code!r} matches no rule code (see `protolint rules`)")
    return codes


def from_table(table: dict, path: Path | None) -> Config:
    where = str(path) if path else "configuration"
    unknown = set(table) - _KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
                          f"(known: {', '.join(sorted(_KEYS))})")
    config = Config(path=path)
    if "select" in table:
        config.select = _codes(table["select"], f"{where}: select")
    if "ignore" in table:
        config.ignore = _codes(table["ignore"], f"{where}: ignore")
    pfi = table.get("per-file-ignores", {})
    if not isinstance(pfi, dict):
        raise ConfigError(f"{where}: per-file-ignores must be a table of glob = [codes]")
    config.per_file_ignores = [(g, _codes(c, f"{where}: per-file-ignores.{g}")) for g, c in pfi.items()]
    sev = table.get("severity", {})
    if not isinstance(sev, dict):
        raise ConfigError(f"{where}: severity must be a table of CODE = \"error\"|\"warning\"|\"info\"")
    for code, level in sev.items():
        if code.upper() not in all_rules():
            raise ConfigError(f"{where}: severity.{code}: not a rule code (see `protolint rules`)")
        try:
            config.severity[code.upper()] = Severity.parse(str(level))
        except ValueError as exc:
            raise ConfigError(f"{where}: severity.{code}: {exc}") from None
    if "infogain-input" in table:
        if table["infogain-input"] not in INFOGAIN_INPUTS:
            raise ConfigError(f"{where}: infogain-input must be one of "
                              f"{', '.join(map(repr, INFOGAIN_INPUTS))}")
        config.infogain_input = table["infogain-input"]
    return config


def load(path: Path) -> Config | None:
    """The configuration in `path`, or None for a pyproject.toml without one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        table = data.get("tool", {}).get("protolint")
        if table is None:
            return None
    else:
        table = data
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.protolint] must be a table")
    return from_table(table, path)


class Finder:
    """The configuration for each file, searched upward once per directory."""

    def __init__(self, explicit: Path | None = None):
        self._explicit = load(explicit) or Config(path=explicit) if explicit else None
        self._by_dir: dict[Path, Config] = {}

    def for_file(self, file: Path) -> Config:
        if self._explicit is not None:
            return self._explicit
        return self._for_dir(file.resolve().parent)

    def _for_dir(self, directory: Path) -> Config:
        cached = self._by_dir.get(directory)
        if cached is not None:
            return cached
        config = None
        for name in (".protolint.toml", "pyproject.toml"):
            candidate = directory / name
            if candidate.is_file():
                config = load(candidate)
                if config is not None:
                    break
        if config is None:
            config = Config() if directory.parent == directory else self._for_dir(directory.parent)
        self._by_dir[directory] = config
        return config
