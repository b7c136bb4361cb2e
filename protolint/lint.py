"""One lint run: load the files, run every rule, then apply configuration and
suppression comments."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, ContextManager

from protolint.checks import Rule, all_rules
from protolint.config import Config, Finder
from protolint.document import Document
from protolint.findings import Finding, Report, Severity
from protolint.project import STDIN, Project, expand
from protolint.suppressions import Directive, apply, directives


@dataclass
class Options:
    select: list[str] | None = None  # replaces the configuration's select
    ignore: list[str] = field(default_factory=list)  # added to the configuration's
    config: Path | None = None
    roots: list[Path] = field(default_factory=list)
    cwd: Path | None = None
    input_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    data: bool = False  # open the data sources the nets name (--data)
    data_sample: int | None = None  # check this many records per source, spread over it
    # (source, records expected or None) -> a context giving an update(n) callable, or None
    data_progress: Callable[[object, int | None], ContextManager] | None = None
    stdin: bytes | None = None  # what standard input held, linted where paths say `-`
    stdin_filename: str | None = None  # the path it is shown as and placed at


@dataclass
class Result:
    findings: list[Finding]
    files: list[Document]  # every file read: those named, and the nets solvers use
    errors: list[str]  # internal errors: a rule that crashed, and where
    project: Project | None = None  # the nets and solvers, for reports that draw them


def matches(code: str, patterns: list[str]) -> bool:
    return any(p == "ALL" or code.startswith(p) for p in patterns)


class _Filter:
    """select/ignore/per-file-ignores/severity, per file, from its configuration."""

    def __init__(self, options: Options):
        self.options = options

    def __call__(self, finding: Finding) -> Finding | None:
        config: Config = finding.location.doc.config
        select = self.options.select or config.select or ["ALL"]
        ignore = config.ignore + self.options.ignore + config.ignored_for(finding.location.doc.path)
        if not matches(finding.code, select) or matches(finding.code, ignore):
            return None
        override = config.severity.get(finding.code)
        if override is not None and override != finding.severity:
            return Finding(finding.code, finding.name, override, finding.location,
                           finding.message, finding.fix, finding.related)
        return finding


def _stamp(rule: Rule, report: Report) -> Finding:
    return Finding(rule.code, rule.name, rule.severity, report.location, report.message,
                   report.fix, report.related)


@contextmanager
def without_cycle_collection():
    """Pause Python's cyclic garbage collector for one lint run. A run keeps everything it
    builds alive until it ends, so collecting finds nothing, yet each full collection walks
    every object: on a 16,000-layer net that made the analysis grow faster than linearly."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(paths: list[str], options: Options | None = None) -> Result:
    """Lint `paths`. Raises FileNotFoundError for a path that does not exist, OSError for
    a named file that cannot be read, ConfigError for a broken configuration."""
    with without_cycle_collection():
        return _run(paths, options or Options())


def _run(paths: list[str], options: Options) -> Result:
    files = expand(paths, options.stdin_filename)
    supplied = {}
    if options.stdin is not None:
        supplied[Path(options.stdin_filename or STDIN).resolve()] = options.stdin
    project = Project(options.cwd, options.roots, options.input_shapes,
                      configure=Finder(options.config).for_file, supplied=supplied)
    project.expect(files)
    for path, display in files:
        project.lint_file(path, display)
    if options.data:
        _inspect_data(project, options)
    keep = _Filter(options)
    rules = all_rules()
    errors: list[str] = []
    targets = {
        "document": list(project.documents.values()),
        "net": project.nets,
        "solver": project.solvers,
    }

    def collect(rule: Rule, target) -> list[Finding]:
        try:
            return [_stamp(rule, r) for r in rule.check(target)]
        except Exception as exc:  # a rule bug must not lose the other findings
            where = getattr(getattr(target, "doc", target), "display", "?")
            errors.append(f"rule {rule.code} failed on {where}: {type(exc).__name__}: {exc}")
            return []

    raw: list[Finding] = []
    for rule in rules.values():
        for target in targets.get(rule.target, ()):
            raw.extend(collect(rule, target))
    doc_directives: dict[int, list[Directive]] = {
        id(doc): directives(doc) for doc in project.documents.values()}
    found = apply(raw, doc_directives)
    for rule in rules.values():
        if rule.target == "directive":
            for ds in doc_directives.values():
                for d in ds:
                    found.extend(collect(rule, d))
    unique: dict[tuple, Finding] = {}
    for finding in found:
        kept = keep(finding)
        if kept is not None:
            unique.setdefault((kept.sort_key(), kept.location.end), kept)
    return Result(sorted(unique.values(), key=Finding.sort_key),
                  list(project.documents.values()), errors, project)


def _inspect_data(project: Project, options: Options) -> None:
    """Read the data sources every net names (only with --data: it reads data files,
    which can be large), into `net.data_reports` for the data rules."""
    from protolint.data import expected_records, find_sources, inspect_source
    from protolint.data.usage import top_shapes

    for net in project.nets:
        reports = []
        for source in find_sources(net):
            if options.data_progress is None:
                reports.append(inspect_source(source, options.data_sample))
                continue
            expected = expected_records(source, options.data_sample)
            with options.data_progress(source, expected) as update:
                reports.append(inspect_source(source, options.data_sample, update))
        net.data_reports = reports
        # What the data holds also tells the shapes the files cannot (an LMDB's channels,
        # an HDF5 dataset's rows): shape inference then judges the net with them.
        for report in reports:
            values = report.records.values if report.records is not None else None
            for use in report.uses:
                found = top_shapes(report, use)
                if found:
                    net.data_shapes[use.layer.index] = [found.get(t) for t in use.layer.tops]
                if values is not None and values.dtype == "float32" and use.layer.type == "Data":
                    # float_data holds any value: the records read bound it, when all were
                    # read and all are finite; the ranges otherwise assume pixels.
                    known = (not report.records.sampled and not values.nonfinite
                             and values.channels)
                    net.data_ranges[use.layer.index] = (
                        (min(c.min for c in values.channels), max(c.max for c in values.channels))
                        if known else None)


def worst(findings: list[Finding]) -> Severity | None:
    return max((f.severity for f in findings), default=None)
