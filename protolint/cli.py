"""The `protolint` command.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 a usage,
I/O, configuration or internal error.
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from protolint import __version__, baseline
from protolint.catalogue import pages
from protolint.checks import all_rules, selects_some_rule
from protolint.config import ConfigError
from protolint.document import NET, SOLVER
from protolint.findings import Severity
from protolint.formats import FORMATS, renderer
from protolint.lint import Options, run
from protolint.messages import BAD_VALUE, DUPLICATE, MISSING
from protolint.net import TEST, TRAIN
from protolint.project import STDIN, Project
from protolint.floats import f32
from protolint.schedule import Schedule, default_points
from protolint.shapes import takes_input_shape

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

# Parse problems that leave a value unread, which `schedule` and `shapes` cannot work
# around (an unknown field or enum value of a fork is skipped, as lint skips it).
REFUSED = (BAD_VALUE, DUPLICATE, MISSING)


class Failure(click.ClickException):
    """An error that ends the run with exit code 2 and a one-line message."""

    exit_code = EXIT_ERROR

    def show(self, file=None) -> None:
        click.echo(f"protolint: error: {self.format_message()}", err=True)


def _codes(values: tuple[str, ...], option: str) -> list[str]:
    """Split comma-separated codes and check each selects at least one rule."""
    codes = [c.strip().upper() for v in values for c in v.split(",") if c.strip()]
    for code in codes:
        if not selects_some_rule(code):
            raise click.BadParameter(f"{code!r} matches no rule code (see `protolint rules`)",
                                     param_hint=option)
    return codes


def _input_shapes(values: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """BLOB=N,C,H,W (repeatable) -> {blob: dims}."""
    shapes: dict[str, tuple[int, ...]] = {}
    for value in values:
        name, sep, dims = value.partition("=")
        try:
            parsed = tuple(int(d) for d in dims.split(",")) if dims.strip() else ()
        except ValueError:
            parsed = None
        if not sep or not name.strip() or not parsed or any(d < 0 for d in parsed):
            raise click.BadParameter(f"{value!r}: expected BLOB=N,C,H,W (non-negative integers)",
                                     param_hint="--input-shape")
        shapes[name.strip()] = parsed
    return shapes


INPUT_SHAPE_HELP = ("The shape of a net input or data-layer top the files cannot tell, as "
                    "BLOB=N,C,H,W (repeatable).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="protolint")
def main() -> None:
    """Static linter for Caffe prototxt files: nets and solvers."""


def _lint_options(command):
    """The options that choose what is linted and how: shared by `lint` and `baseline`."""
    options = [
        click.argument("paths", nargs=-1, required=True, type=click.Path()),
        click.option("--select", multiple=True, metavar="CODES",
                     help="Only these codes or prefixes (comma-separated; replaces the config's)."),
        click.option("--ignore", multiple=True, metavar="CODES",
                     help="Skip these codes or prefixes (comma-separated; added to the config's)."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="Use this configuration file instead of searching for one."),
        click.option("--root", "roots", multiple=True, type=click.Path(file_okay=False),
                     help="Another directory to look for files a solver names (repeatable)."),
        click.option("--input-shape", "input_shape", multiple=True, metavar="BLOB=N,C,H,W",
                     help=INPUT_SHAPE_HELP),
        click.option("--data", "data", is_flag=True,
                     help="Also open the data sources the nets name (LMDB, LevelDB, HDF5, "
                          "image lists, mean files; read-only) and check what they hold."),
        click.option("--data-sample", "data_sample", type=click.IntRange(min=1), metavar="N",
                     help="With --data: check N records spread over each source instead of all."),
        click.option("--stdin-filename", "stdin_filename", metavar="PATH",
                     help="The path of the text read from standard input (a PATHS entry `-`): "
                          "shown in findings, and where the files it names and the "
                          "configuration are looked for from."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


# Set by entry(): a console run with --data reads its data in a watched child process
# (_watch_for_crashes). Tests that invoke `main` in their own process never fork.
_CONSOLE = False
_watch_fd: int | None = None  # in that child: where to say which source is being read
_CRASH_SIGNALS = {getattr(signal, name) for name in ("SIGBUS", "SIGSEGV", "SIGABRT", "SIGFPE",
                                                     "SIGILL") if hasattr(signal, name)}


def _tell_watcher(line: str) -> None:
    if _watch_fd is not None:
        try:
            os.write(_watch_fd, line.encode("utf-8", "replace") + b"\n")
        except OSError:
            pass  # the watcher is gone: nothing to tell


def _watch_for_crashes() -> None:
    """Split the process: the child goes on with the run, this one waits for it. A
    damaged data source can crash the C library reading it (liblmdb on pages that point
    outside the file, libhdf5, an image decoder), which kills the process beyond any
    exception handler. The waiting parent then names the source that was being read and
    exits 2, like any I/O error; otherwise it exits as the child did."""
    global _watch_fd
    if not _CONSOLE or not hasattr(os, "fork"):
        return
    readable, writable = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        os.close(readable)
        _watch_fd = writable
        return
    os.close(writable)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the child reports an interrupt itself
    signal.signal(signal.SIGTERM, lambda signum, _frame: os.kill(pid, signum))
    reading = ""
    with os.fdopen(readable, "rb") as lines:
        for line in lines:
            reading = line.decode("utf-8", "replace").strip()
    _, status = os.waitpid(pid, 0)
    if not os.WIFSIGNALED(status):
        os._exit(os.WEXITSTATUS(status))
    signum = os.WTERMSIG(status)
    if signum not in _CRASH_SIGNALS:
        os._exit(128 + signum)
    name = signal.Signals(signum).name
    if sys.stderr.isatty():  # end the child's progress bar line and show the cursor again
        sys.stderr.write("\x1b[?25h\n")
    if reading:
        click.echo(f"protolint: error: {reading}: the library reading it crashed ({name}), so "
                   "the source is damaged; Caffe reads it with the same kind of library and "
                   "can crash the same way: rebuild it, or restore an intact copy", err=True)
    else:
        click.echo(f"protolint: internal error: the process crashed ({name})", err=True)
    os._exit(EXIT_ERROR)


@contextmanager
def _progress_bar(source, expected: int | None):
    """A progress bar on standard error while a data source is read, on a terminal only;
    the crash watcher learns which source it is."""
    use = source.uses[0] if source.uses else None
    if use is not None:
        where = use.location()
        line, column = where.begin
        _tell_watcher(f"{where.path}:{line}:{column}: {use.layer.type} "
                      f"'{use.layer.name}' source \"{source.name}\"")
    try:
        if not sys.stderr.isatty() or not expected:
            yield None
        else:
            with click.progressbar(length=expected, label=f"reading {source.name}",
                                   file=sys.stderr) as bar:
                yield bar.update
    finally:
        _tell_watcher("")


def _read_stdin() -> bytes:
    """Standard input's bytes, for the path `-`."""
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise Failure("-: standard input is not open")
    try:
        return stream.read()
    except OSError as exc:
        raise Failure(f"-: standard input: {exc.strerror or exc}") from None


def _run(paths, select, ignore, config_path, roots, input_shape, data=False, data_sample=None,
         stdin_filename=None):
    """One lint run from the shared options; usage and I/O problems end it with exit 2."""
    if data_sample is not None and not data:
        raise click.BadParameter("needs --data", param_hint="--data-sample")
    if stdin_filename is not None and STDIN not in paths:
        raise click.BadParameter("needs `-` among the paths (standard input)",
                                 param_hint="--stdin-filename")
    options = Options(
        select=_codes(select, "--select") or None,
        ignore=_codes(ignore, "--ignore"),
        config=Path(config_path) if config_path else None,
        roots=[Path(r) for r in roots],
        input_shapes=_input_shapes(input_shape),
        data=data,
        data_sample=data_sample,
        data_progress=_progress_bar,
        stdin=_read_stdin() if STDIN in paths else None,
        stdin_filename=stdin_filename,
    )
    for root in options.roots:
        if not root.is_dir():
            raise Failure(f"--root {root}: no such directory")
    if options.config is not None and not options.config.is_file():
        raise Failure(f"--config {options.config}: no such file")
    if data:
        _watch_for_crashes()
    try:
        result = run(list(paths), options)
    except FileNotFoundError as exc:
        missing = exc.filename or (exc.args[0] if exc.args else exc)
        raise Failure(f"{missing}: no such file or directory") from None
    except ConfigError as exc:
        raise Failure(str(exc)) from None
    except OSError as exc:
        raise Failure(f"{exc.filename}: {exc.strerror or exc}") from None
    if not result.files:
        click.echo("protolint: warning: no *.prototxt files found in the given paths", err=True)
    _check_input_shapes(options.input_shapes, result.project.nets)
    for error in result.errors:
        click.echo(f"protolint: internal error: {error}", err=True)
    return result


def _check_input_shapes(given: dict, nets) -> None:
    """Every --input-shape names a blob it can shape in some net: a typo would otherwise
    leave the shape unknown without a word."""
    for name in given:
        if nets and not any(takes_input_shape(net, name) for net in nets):
            raise Failure(f"--input-shape {name}: no net input or data-layer top of the nets "
                          "linted is named so")


def _writable(result, output: str, option: str) -> Path:
    """An output path that is not one of the files being linted."""
    target = Path(output).resolve()
    if any(doc.path.resolve() == target for doc in result.files):
        raise Failure(f"{option} {output} is one of the files being linted; refusing to overwrite it")
    return target


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Failure(f"{option} {path}: {exc.strerror or exc}") from None


def _format_targets(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """FORMAT=FILE (repeatable) -> [(format, file)]."""
    targets = []
    for value in values:
        fmt, sep, file = value.partition("=")
        if not sep or fmt not in FORMATS or not file:
            raise click.BadParameter(f"{value!r}: expected FORMAT=FILE with FORMAT one of "
                                     f"{', '.join(FORMATS)}", param_hint="--output-format")
        targets.append((fmt, file))
    return targets


def _rendered(fmt: str, result, color: bool) -> str:
    buffer = io.StringIO()
    renderer(fmt)(result, buffer, {"color": color})
    return buffer.getvalue()


@main.command()
@_lint_options
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Output format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False),
              help="Write the report to this file instead of standard output.")
@click.option("--output-format", "extra_outputs", multiple=True, metavar="FORMAT=FILE",
              help="Also write a report in FORMAT to FILE, from the same run (repeatable), "
                   "e.g. --output-format sarif=report.sarif --output-format html=report.html.")
@click.option("--baseline", "baseline_path", type=click.Path(dir_okay=False),
              help="Report only findings that are not in this baseline file "
                   "(made by `protolint baseline`).")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]), default="error",
              show_default=True, help="Lowest severity that makes the exit code 1.")
@click.option("--color", type=click.Choice(["auto", "always", "never"]), default="auto",
              show_default=True, help="Colour the text output (auto: on a terminal, unless NO_COLOR).")
def lint(paths, select, ignore, config_path, roots, input_shape, data, data_sample,
         stdin_filename, fmt, output, extra_outputs, baseline_path, fail_on, color) -> None:
    """Lint nets and solvers: files, or directories (every *.prototxt below them)."""
    targets = _format_targets(extra_outputs)
    claimed: dict[Path, str] = {}
    for option, file in ([("--output", output)] if output else []) + [
            ("--output-format", file) for _, file in targets]:
        key = Path(file).resolve()
        if key in claimed:
            raise Failure(f"{option} {file}: {claimed[key]} writes there too; give each "
                          "report its own file")
        claimed[key] = f"{option} {file}"
    known = None
    if baseline_path is not None:
        try:
            known = baseline.load(Path(baseline_path))
        except baseline.BaselineError as exc:
            raise Failure(str(exc)) from None
    result = _run(paths, select, ignore, config_path, roots, input_shape, data, data_sample,
                  stdin_filename)
    if known is not None:
        result.findings = baseline.new_findings(result.findings, known)
    use_color = color == "always" or (
        color == "auto" and output is None and fmt == "text"
        and sys.stdout.isatty() and not os.environ.get("NO_COLOR"))  # no-color.org: non-empty
    for extra_fmt, file in targets:
        _write(_writable(result, file, "--output-format"), _rendered(extra_fmt, result, False),
               "--output-format")
    report = _rendered(fmt, result, use_color)
    if output is None:
        click.echo(report, nl=False, color=use_color)
    else:
        _write(_writable(result, output, "--output"), report, "--output")
    if result.errors:
        sys.exit(EXIT_ERROR)
    threshold = Severity.parse(fail_on)
    sys.exit(EXIT_FINDINGS if any(f.severity >= threshold for f in result.findings) else EXIT_CLEAN)


@main.command("baseline")
@_lint_options
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False),
              help="The baseline file to write (e.g. .protolint-baseline.json).")
def make_baseline(paths, select, ignore, config_path, roots, input_shape, data, data_sample,
                  stdin_filename, output) -> None:
    """Record today's findings, so that `lint --baseline FILE` reports only new ones."""
    result = _run(paths, select, ignore, config_path, roots, input_shape, data, data_sample,
                  stdin_filename)
    target = _writable(result, output, "--output")
    _write(target, baseline.dumps(result.findings), "--output")
    click.echo(f"protolint: recorded {len(result.findings)} findings in {output}", err=True)
    sys.exit(EXIT_ERROR if result.errors else EXIT_CLEAN)


def _open(project: Project, name: str, kind: str):
    """Load the one file a command works on, which must parse and be of `kind`."""
    try:
        doc = project.document(Path(name), name)
    except OSError as exc:
        raise Failure(f"{name}: {exc.strerror or exc}") from None
    if doc.syntax_error is not None:
        line, column = doc.lines.position(doc.syntax_error.start)
        raise Failure(f"{name}:{line}:{column}: syntax error: {doc.syntax_error.message}")
    if doc.kind != kind:
        raise Failure(f"{name}: not a {kind} file (it has no {kind} fields)")
    refused = next((p for p in doc.problems if p.kind in REFUSED), None)
    if refused is not None:  # a value that was not read: what it stood for is unknown
        line, column = doc.lines.position(refused.start)
        raise Failure(f"{name}:{line}:{column}: {refused.message} (Caffe's parser refuses "
                      "the file; `protolint lint` shows every such problem)")
    return doc


def _json_number(x: float):
    """A float32 rate as the shortest decimal that reads back as the same float32; JSON
    has no NaN or infinity, so those become the strings "NaN", "Infinity", "-Infinity"."""
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    for digits in range(1, 18):
        short = float(f"{x:.{digits}g}")
        if f32(short) == x:
            return short
    return x


@main.command()
@click.argument("solver", type=click.Path(dir_okay=False))
@click.option("--at", "at", multiple=True, type=click.IntRange(min=0, max=2**31 - 1),
              metavar="N",
              help="Iteration to show (repeatable; Caffe counts iterations in an int); "
                   "default: a sample over [0, max_iter] and every change point.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def schedule(solver, at, fmt) -> None:
    """Print the learning rate Caffe uses at given iterations of a solver."""
    doc = _open(Project(), solver, SOLVER)
    plan = Schedule(doc.message)
    points = sorted(set(at)) if at else default_points(plan)
    rates = [] if plan.abort else [(k, plan.rate(k)) for k in points]
    if fmt == "json":
        report = {"policy": plan.policy, "max_iter": plan.max_iter,
                  "points": [[k, _json_number(r)] for k, r in rates]}
        if plan.abort:
            report["abort"] = plan.abort.message
        click.echo(json.dumps(report))
    else:
        click.echo(f"lr_policy: {plan.policy or '(unset)'}   base_lr: {plan.base_lr:g}   "
                   f"max_iter: {plan.max_iter}")
        if plan.abort:
            click.echo(f"Caffe aborts at the first update: {plan.abort.message}")
        for k, r in rates:
            click.echo(f"{k:>12}  {r:.6g}")
    if plan.abort:
        sys.exit(EXIT_FINDINGS)


def _dims(shape) -> list | None:
    return None if shape is None else list(shape)


@main.command()
@click.argument("net", type=click.Path(dir_okay=False))
@click.option("--phase", type=click.Choice(["TRAIN", "TEST"], case_sensitive=False),
              default="TEST", show_default=True, help="The phase to build the net in.")
@click.option("--input-shape", "input_shape", multiple=True, metavar="BLOB=N,C,H,W",
              help=INPUT_SHAPE_HELP)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def shapes(net, phase, input_shape, fmt) -> None:
    """Print every blob's shape, layer by layer, as Caffe builds the net."""
    project = Project(input_shapes=_input_shapes(input_shape))
    doc = _open(project, net, NET)
    project.lint_file(doc.path, doc.display)
    _check_input_shapes(project.input_shapes, project.nets)
    wanted = TRAIN if phase.upper() == "TRAIN" else TEST
    view = next(v for v in project.nets[0].views if v.phase == wanted)
    result = view.shapes
    if fmt == "json":
        click.echo(json.dumps({"phase": phase.upper(),
                               "blobs": {k: _dims(v) for k, v in result.blobs().items()}}))
    else:
        for layer in view.layers:
            tops = ", ".join(f"{name} {_shown(result.top(layer, i))}"
                             for i, name in enumerate(layer.tops))
            click.echo(f"{layer.name} ({layer.type})" + (f" -> {tops}" if tops else ""))
        for failure in result.failures:
            line, column = failure.layer.location(failure.field).begin
            click.echo(f"{doc.display}:{line}:{column}: Caffe aborts at layer "
                       f"'{failure.layer.name}': {failure.message}")
    sys.exit(EXIT_FINDINGS if result.failures else EXIT_CLEAN)


def _shown(shape) -> str:
    if shape is None:
        return "(unknown)"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + ")"


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
def list_rules(fmt) -> None:
    """List every rule: code, severity, name and summary."""
    rules = all_rules().values()
    if fmt == "json":
        click.echo(json.dumps([{"code": r.code, "name": r.name, "severity": str(r.severity),
                                "target": r.target, "summary": r.summary} for r in rules],
                              indent=2))
        return
    for r in rules:
        click.echo(f"{r.code}  {str(r.severity):<7}  {r.name:<32}  {r.summary}")


@main.command()
@click.argument("code")
def explain(code) -> None:
    """Print the catalogue page of a rule: why, bad and good examples, the fix."""
    code = code.strip().upper()
    rule = all_rules().get(code)
    page = pages().get(code)
    if rule is None or page is None:
        raise Failure(f"{code!r} is not a rule code (see `protolint rules`)")
    click.echo(page.text.rstrip("\n"))


def entry() -> None:
    """Console entry point: no traceback reaches the user."""
    global _CONSOLE
    _CONSOLE = True
    try:
        main(standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("protolint: interrupted", err=True)
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # a bug in protolint itself
        if os.environ.get("PROTOLINT_DEBUG"):
            raise
        click.echo(f"protolint: internal error: {type(exc).__name__}: {exc} "
                   "(set PROTOLINT_DEBUG=1 for a traceback)", err=True)
        sys.exit(EXIT_ERROR)
