"""The command line: exit codes, formats, selection, configuration, suppressions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO
from protolint import __version__
from protolint.cli import main

POOL_NET = """layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 10 dim: 10 } } }
layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
  pooling_param { pool: MAX kernel_size: 2 stride: 3 } }
"""
POLY_SOLVER = 'base_lr: 0.01\nlr_policy: "poly"\npower: 1\nnet_param { name: "n" }\n'


def invoke(*args, cwd: Path | None = None, stdin: str | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args), input=stdin)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args), input=stdin)
    finally:
        os.chdir(old)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "net.prototxt").write_text(POOL_NET)
    (tmp_path / "solver.prototxt").write_text(POLY_SOLVER)
    return tmp_path


def test_exit_codes_follow_fail_on(files):
    assert invoke("lint", str(files / "net.prototxt")).exit_code == 0  # a warning only
    assert invoke("lint", "--fail-on", "warning", str(files / "net.prototxt")).exit_code == 1
    assert invoke("lint", str(files / "solver.prototxt")).exit_code == 1  # an error
    clean = files / "clean.prototxt"
    clean.write_text('layer { name: "r" type: "ReLU" bottom: "x" top: "x" }\n'
                     'input: "x" input_dim: 1 input_dim: 1 input_dim: 1 input_dim: 1\n')
    assert invoke("lint", "--fail-on", "info", str(clean)).exit_code == 0


def test_usage_and_io_errors_exit_2_without_traceback(files):
    for args in (["lint", str(files / "missing.prototxt")],
                 ["lint", "--format", "xml", str(files)],
                 ["lint", "--select", "XX9", str(files)],
                 ["lint", "--config", str(files / "none.toml"), str(files)],
                 ["lint", "--root", str(files / "nodir"), str(files)],
                 ["explain", "PL999"],
                 ["lint"]):
        result = invoke(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output


def test_text_output_is_gcc_style_with_caret_and_help(files):
    result = invoke("lint", "--color", "never", "net.prototxt", cwd=files)
    lines = result.output.splitlines()
    assert lines[0].startswith("net.prototxt:4:44: PL201 warning: Pooling 'pool' (stride 3 > "
                               "kernel 2)")
    assert lines[0].endswith("MAX pooling outputs -FLT_MAX")
    assert lines[1] == "   4 |   pooling_param { pool: MAX kernel_size: 2 stride: 3 } }"
    assert lines[2] == "     |                                            ^~~~~~~~~"
    assert lines[3].startswith("  help: ")
    assert lines[-1] == "Found 1 warning in 1 file."
    assert "\x1b[" not in result.output


def test_color_only_when_asked_or_on_a_terminal(files):
    forced = invoke("lint", "--color", "always", str(files / "net.prototxt"))
    assert "\x1b[" in forced.output
    auto = invoke("lint", str(files / "net.prototxt"))  # CliRunner is not a terminal
    assert "\x1b[" not in auto.output


def test_json_output_schema(files):
    result = invoke("lint", "--format", "json", "net.prototxt", "solver.prototxt", cwd=files)
    report = json.loads(result.output)
    assert report["version"] == 1
    assert report["summary"] == {"files": 2, "findings": 2, "error": 1, "warning": 1, "info": 0}
    by_code = {f["code"]: f for f in report["findings"]}
    pool = by_code["PL201"]
    assert pool["path"] == "net.prototxt" and pool["severity"] == "warning"
    assert (pool["line"], pool["column"], pool["end_line"], pool["end_column"]) == (4, 44, 4, 53)
    assert set(pool) >= {"code", "severity", "path", "line", "column", "end_line",
                         "end_column", "message", "fix"}
    assert by_code["PL101"]["path"] == "solver.prototxt"


def test_paths_are_shown_as_given(files):
    result = invoke("lint", "--format", "json", str(files))
    paths = {f["path"] for f in json.loads(result.output)["findings"]}
    assert paths == {str(files / "net.prototxt"), str(files / "solver.prototxt")}


def test_standard_input_is_linted_as_dash_or_as_the_name_given(files):
    result = invoke("lint", "--format", "json", "-", cwd=files, stdin=POOL_NET)
    assert [(f["path"], f["code"], f["line"]) for f in json.loads(result.output)["findings"]] \
        == [("-", "PL201", 4)]
    # --stdin-filename names it, and places it: the configuration beside that path applies,
    # and a solver's nets are looked for from there.
    (files / "models").mkdir()
    (files / "models" / ".protolint.toml").write_text('ignore = ["PL201"]\n')
    (files / "models" / "pool.prototxt").write_text(POOL_NET)
    args = ("lint", "--format", "json", "--stdin-filename", "models/solver.prototxt", "-")
    solver = POLY_SOLVER.replace('net_param { name: "n" }', 'net: "pool.prototxt"')
    found = json.loads(invoke(*args, cwd=files, stdin=solver).output)["findings"]
    assert [(f["path"], f["code"]) for f in found] == [("models/solver.prototxt", "PL101")]
    found = json.loads(invoke(*args[:-1], "--select", "PL010", "-", cwd=files,
                              stdin=solver.replace("pool.prototxt", "gone.prototxt")).output)
    assert [f["code"] for f in found["findings"]] == ["PL010"]  # looked for, not found
    assert (files / "models" / "solver.prototxt").exists() is False  # nothing written


def test_stdin_filename_needs_a_dash(files):
    result = invoke("lint", "--stdin-filename", "x.prototxt", str(files / "net.prototxt"))
    assert result.exit_code == 2 and "needs `-` among the paths" in result.output


def test_a_directory_walk_reads_regular_files_only(files):
    """A dangling link or a FIFO named *.prototxt would fail the run or hang it."""
    (files / "dangling.prototxt").symlink_to(files / "gone.prototxt")
    os.mkfifo(files / "fifo.prototxt")
    result = invoke("lint", "--format", "json", str(files))
    paths = {Path(f["path"]).name for f in json.loads(result.output)["findings"]}
    assert result.exit_code == 1 and paths == {"net.prototxt", "solver.prototxt"}
    named = invoke("lint", str(files / "dangling.prototxt"))
    assert named.exit_code == 2 and "dangling.prototxt: no such file" in named.output


def test_select_and_ignore_by_code_and_prefix(files):
    def found(*args):
        out = invoke("lint", "--format", "json", *args, str(files)).output
        return sorted(f["code"] for f in json.loads(out)["findings"])

    assert found() == ["PL101", "PL201"]
    assert found("--select", "PL1") == ["PL101"]
    assert found("--ignore", "PL101,PL2") == []
    assert found("--select", "PL2", "--select", "PL101") == ["PL101", "PL201"]


def test_configuration_is_found_upward(files):
    sub = files / "models" / "deep"
    sub.mkdir(parents=True)
    (sub / "net.prototxt").write_text(POOL_NET)
    (files / "pyproject.toml").write_text(
        '[tool.protolint]\nignore = ["PL101"]\n[tool.protolint.severity]\nPL201 = "error"\n')
    out = json.loads(invoke("lint", "--format", "json", str(files)).output)
    assert sorted((f["code"], f["severity"]) for f in out["findings"]) == [
        ("PL201", "error"), ("PL201", "error")]
    # A nearer .protolint.toml wins for the files below it.
    (files / "models" / ".protolint.toml").write_text('ignore = ["PL201"]\n')
    out = json.loads(invoke("lint", "--format", "json", str(files)).output)
    assert [(f["path"], f["code"]) for f in out["findings"]] == [
        (str(files / "net.prototxt"), "PL201")]


def test_per_file_ignores_and_explicit_config(files):
    config = files / "lint.toml"
    config.write_text('[per-file-ignores]\n"solver*.prototxt" = ["PL101"]\n')
    out = json.loads(invoke("lint", "--format", "json", "--config", str(config), str(files)).output)
    assert [f["code"] for f in out["findings"]] == ["PL201"]


def test_broken_configuration_is_a_located_error(files):
    (files / ".protolint.toml").write_text("ignore = PL201\n")
    result = invoke("lint", str(files))
    assert result.exit_code == 2
    assert ".protolint.toml" in result.output and "TOML" in result.output
    (files / ".protolint.toml").write_text('colour = "red"\n')
    result = invoke("lint", str(files))
    assert result.exit_code == 2 and "unknown key" in result.output
    # A code that names no rule would silently switch rules off (or on).
    for text, said in (('select = ["PL99"]\n', "select: 'PL99' matches no rule code"),
                       ('[per-file-ignores]\n"*" = ["PL2O1"]\n', "'PL2O1' matches no rule"),
                       ('[severity]\nPL999 = "error"\n', "severity.PL999: not a rule code")):
        (files / ".protolint.toml").write_text(text)
        result = invoke("lint", str(files))
        assert result.exit_code == 2 and said in result.output, result.output


def test_suppression_comments(files):
    net = files / "net.prototxt"
    lines = POOL_NET.splitlines()
    lines.insert(3, "    # protolint: disable=PL201")
    net.write_text("\n".join(lines) + "\n")
    assert invoke("lint", "--fail-on", "info", str(net)).exit_code == 0
    # A suppression on the wrong line suppresses nothing, and says so.
    lines = POOL_NET.splitlines()
    lines.insert(0, "# protolint: disable=PL201,PL999")
    net.write_text("\n".join(lines) + "\n")
    out = json.loads(invoke("lint", "--format", "json", str(net)).output)
    assert sorted(f["code"] for f in out["findings"]) == ["PL201", "PL900"]
    unused = next(f for f in out["findings"] if f["code"] == "PL900")
    assert "PL201 reported nothing" in unused["message"] and "PL999 is not" in unused["message"]
    net.write_text("# protolint: disable-file=PL201\n" + POOL_NET)
    assert invoke("lint", "--fail-on", "info", str(net)).exit_code == 0


def test_trailing_suppression_covers_only_its_line(files):
    net = files / "net.prototxt"
    lines = POOL_NET.splitlines()
    lines[2] += "  # protolint: disable=PL201"  # the finding is on the next line
    net.write_text("\n".join(lines) + "\n")
    out = json.loads(invoke("lint", "--format", "json", str(net)).output)
    assert sorted(f["code"] for f in out["findings"]) == ["PL201", "PL900"]


def test_output_file_and_refusing_to_overwrite_an_input(files):
    report = files / "report.json"
    result = invoke("lint", "--format", "json", "-o", str(report), str(files / "net.prototxt"))
    assert result.exit_code == 0 and result.output == ""
    assert json.loads(report.read_text())["summary"]["warning"] == 1
    before = (files / "net.prototxt").read_bytes()
    result = invoke("lint", "-o", str(files / "net.prototxt"), str(files / "net.prototxt"))
    assert result.exit_code == 2 and "refusing" in result.output
    assert (files / "net.prototxt").read_bytes() == before


def test_rules_explain_and_version():
    listing = invoke("rules")
    assert listing.exit_code == 0 and "PL101" in listing.output and "PL207" in listing.output
    codes = [r["code"] for r in json.loads(invoke("rules", "--format", "json").output)]
    assert codes == sorted(codes) and "PL204" in codes
    page = invoke("explain", "pl101")
    assert page.exit_code == 0 and page.output.startswith("# PL101 poly-without-max-iter")
    assert __version__ in invoke("--version").output


def test_binary_and_empty_files_are_findings_not_crashes(files):
    (files / "weights.prototxt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    (files / "empty.prototxt").write_text("")
    out = json.loads(invoke("lint", "--format", "json", str(files / "weights.prototxt"),
                            str(files / "empty.prototxt")).output)
    assert [(Path(f["path"]).name, f["code"]) for f in out["findings"]] == [
        ("empty.prototxt", "PL008"), ("weights.prototxt", "PL001")]


def test_the_installed_command_runs_the_bundled_example():
    """The README's first command, as a real process from the repository root."""
    result = subprocess.run(
        [sys.executable, "-m", "protolint", "lint", "examples/broken/solver.prototxt"],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    # pool1 (AVE, kernel 2, stride 3 on 24x24) has empty windows: PL208, not PL201.
    for code in ("PL101", "PL103", "PL208", "PL202", "PL203", "PL204", "PL206", "PL207"):
        assert f" {code} " in result.stdout, code
    assert result.stdout.rstrip().endswith("in 2 files.")


def test_shapes_command(tmp_path):
    net = tmp_path / "net.prototxt"
    net.write_text('layer { name: "data" type: "Data" top: "data" top: "label" '
                   "data_param { batch_size: 8 } transform_param { crop_size: 32 } }\n"
                   'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" '
                   "convolution_param { num_output: 4 kernel_size: 3 stride: 2 } }\n")
    report = json.loads(invoke("shapes", str(net), "--format", "json").output)
    # Channels of an LMDB cannot be known: they stay unknown instead of being guessed.
    assert report == {"phase": "TEST", "blobs": {"data": [8, None, 32, 32], "label": [8],
                                                   "conv": [8, 4, 15, 15]}}
    given = invoke("shapes", str(net), "--phase", "train", "--input-shape", "data=2,3,9,9")
    assert given.exit_code == 0
    assert given.output.splitlines() == ["data (Data) -> data (2, 3, 9, 9), label (8)",
                                         "conv (Convolution) -> conv (2, 4, 4, 4)"]
    small = invoke("shapes", str(net), "--input-shape", "data=2,3,1,1")
    assert small.exit_code == 1 and "Caffe aborts at layer 'conv'" in small.output
    for bad in ("data", "data=1,x", "=1,2", "data=-1,3"):
        result = invoke("shapes", str(net), "--input-shape", bad)
        assert result.exit_code == 2 and "BLOB=N,C,H,W" in result.output, bad


def test_lint_takes_input_shapes(tmp_path):
    net = tmp_path / "net.prototxt"
    # An Input layer without a shape: the size comes from the command line.
    net.write_text('layer { name: "in" type: "Input" top: "data" }\n'
                   'layer { name: "conv" type: "Convolution" bottom: "data" '
                   'top: "conv" convolution_param { num_output: 4 kernel_size: 5 } }\n')
    assert invoke("lint", "--input-shape", "data=1,3,32,32", str(net)).exit_code == 0
    tiny = invoke("lint", "--input-shape", "data=1,3,2,2", str(net))
    assert tiny.exit_code == 1, tiny.output
    # A name that no net input or data-layer top has is a typo, not a silent no-op.
    for args in (["--input-shape", "dta=1,3,32,32"], ["--input-shape", "conv=1,4,28,28"],
                 ["--input-shape", "data="]):
        refused = invoke("lint", *args, str(net))
        assert refused.exit_code == 2 and "--input-shape" in refused.output, refused.output
    assert invoke("shapes", "--input-shape", "dta=1,3,32,32", str(net)).exit_code == 2


def test_the_caret_lines_up_under_wide_characters_and_eof_errors_show_a_line(tmp_path):
    net = tmp_path / "net.prototxt"
    net.write_text('layer { name: "池化" type: "Pooling" pooling_param { stride: 5 } }\n')
    out = invoke("lint", "--select", "PL212", str(net)).output.splitlines()
    source, marker = out[1], out[2]
    # each CJK character takes two terminal columns: the caret sits under `name`
    assert marker.index("^") == source.index("name") + source[:source.index("name")].count("池")
    assert marker.count("~") + 1 == len('name: "池化"') + 2
    (tmp_path / "open.prototxt").write_text('layer {\n  name: "x"\n\n\n')
    out = invoke("lint", str(tmp_path / "open.prototxt")).output
    assert ":2:12: PL001" in out and '   2 |   name: "x"' in out

