"""Machine formats (SARIF, GitHub, JUnit, GitLab), several reports from one run, and
baselines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from protolint.cli import main

NET = """name: "n"
layer { name: "data" type: "Input" top: "data"
  input_param { shape { dim: 1 dim: 3 dim: 12 dim: 12 } } }
layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"
  pooling_param { pool: MAX kernel_size: 2 stride: 3 } }
layer { name: "bn" type: "BatchNorm" bottom: "pool" top: "pool" param { lr_mult: 1 } }
"""
SOLVER = 'net: "net.prototxt"\nbase_lr: 0.01\nlr_policy: "poly"\npower: 1\n'


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "net.prototxt").write_text(NET)
    (tmp_path / "solver.prototxt").write_text(SOLVER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args):
    return CliRunner().invoke(main, ["lint", *args])


SCHEMA_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
SCHEMA_MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"


@pytest.fixture(scope="session")
def sarif_schema(tmp_path_factory):
    """The official SARIF 2.1.0 JSON schema, as Microsoft ships it in an npm package
    (the registry is reachable where the network is not); $SARIF_SCHEMA overrides."""
    given = os.environ.get("SARIF_SCHEMA")
    if given:
        return json.loads(Path(given).read_text())
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: cannot fetch the SARIF 2.1.0 schema")
    where = tmp_path_factory.mktemp("sarif-schema")
    packed = subprocess.run([npm, "pack", SCHEMA_PACKAGE, "--silent"], cwd=where,
                            capture_output=True, text=True, timeout=300)
    if packed.returncode != 0:
        pytest.skip(f"npm pack {SCHEMA_PACKAGE} failed: {packed.stderr.strip()[:200]}")
    (tarball,) = where.glob("*.tgz")
    with tarfile.open(tarball) as archive:
        return json.load(archive.extractfile(SCHEMA_MEMBER))


def test_sarif_validates_against_the_schema(project, sarif_schema):
    import jsonschema

    result = lint("--format", "sarif", "solver.prototxt")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    jsonschema.validate(report, sarif_schema)
    run = report["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert "PL101" in ids and all(r["help"]["markdown"].startswith(f"# {r['id']}") for r in rules)
    by_rule = {r["ruleId"]: r for r in run["results"]}
    poly = by_rule["PL101"]
    assert poly["level"] == "error" and ids[poly["ruleIndex"]] == "PL101"
    region = poly["locations"][0]["physicalLocation"]["region"]
    assert region == {"startLine": 3, "startColumn": 1, "endLine": 3, "endColumn": 18}
    assert poly["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "solver.prototxt"
    assert by_rule["PL204"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "net.prototxt"
    prints = [r["partialFingerprints"]["protolint/v1"] for r in run["results"]]
    assert len(set(prints)) == len(prints)


def test_github_annotations_escape_their_data(project):
    result = lint("--format", "github", "net.prototxt")
    lines = result.output.splitlines()
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
    pool = next(line for line in lines if "PL201" in line or "PL208" in line)
    assert "file=net.prototxt,line=5," in pool
    head, message = pool[2:].split("::", 1)
    assert "\n" not in message and "%0Ahelp: " in message
    assert "title=PL20" in head and "," not in head.split("title=")[1]


def test_junit_has_one_testcase_per_file(project):
    result = lint("--format", "junit", "solver.prototxt")
    root = ET.fromstring(result.output)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"solver.prototxt", "net.prototxt"}
    failures = cases["net.prototxt"].findall("failure")  # one per finding
    assert [f.get("type") for f in failures] == ["PL208", "PL204"]
    assert failures[1].get("message").startswith("6:73: PL204 error: BatchNorm 'bn'")
    assert "help:" in failures[1].text
    assert root.find("testsuite").get("failures") == "2"


def test_junit_is_well_formed_whatever_the_names_hold(project):
    """XML 1.0 cannot carry control characters even escaped: they are shown as \\xNN."""
    net = project / "net.prototxt"
    net.write_text(net.read_text().replace('name: "bn"', 'name: "a\\001b\\033]]>&<"'))
    root = ET.fromstring(lint("--format", "junit", "net.prototxt").output)
    message = root.find(".//failure[@type='PL204']").get("message")
    assert "BatchNorm 'a\\x01b\\x1b]]>&<'" in message


def test_gitlab_code_quality(project):
    issues = json.loads(lint("--format", "gitlab", "solver.prototxt").output)
    assert {i["severity"] for i in issues} <= {"critical", "major", "info"}
    poly = next(i for i in issues if i["check_name"].startswith("PL101"))
    assert poly["severity"] == "critical" and poly["location"] == {
        "path": "solver.prototxt", "lines": {"begin": 3, "end": 3}}
    assert len({i["fingerprint"] for i in issues}) == len(issues)


def test_several_reports_from_one_run(project):
    result = lint("solver.prototxt", "--format", "text", "--output-format", "sarif=out.sarif",
                  "--output-format", "junit=out.xml", "--output-format", "json=out.json")
    assert result.exit_code == 1 and "PL101" in result.output
    assert json.loads((project / "out.sarif").read_text())["version"] == "2.1.0"
    ET.parse(project / "out.xml")
    assert json.loads((project / "out.json").read_text())["summary"]["error"] >= 1
    for bad in ("xml=out.xml", "sarif", "sarif="):
        assert lint("solver.prototxt", "--output-format", bad).exit_code == 2
    before = (project / "net.prototxt").read_text()
    refused = lint("solver.prototxt", "--output-format", "json=net.prototxt")
    assert refused.exit_code == 2 and (project / "net.prototxt").read_text() == before
    for clash in (["--output-format", "sarif=x.out", "--output-format", "json=x.out"],
                  ["-o", "y.out", "--output-format", "sarif=./y.out"]):
        refused = lint("solver.prototxt", *clash)
        assert refused.exit_code == 2 and "writes there too" in refused.output
        assert not list(project.glob("*.out"))  # refused before anything is written


def test_baseline_reports_only_new_findings(project):
    made = CliRunner().invoke(main, ["baseline", ".", "-o", ".protolint-baseline.json"])
    assert made.exit_code == 0, made.output
    assert lint(".", "--baseline", ".protolint-baseline.json").exit_code == 0
    # Unrelated edits move every line: the baseline still matches.
    net = project / "net.prototxt"
    net.write_text("# a comment\n\n" + net.read_text().replace('name: "n"', 'name: "renamed"'))
    moved = lint(".", "--baseline", ".protolint-baseline.json", "--format", "json")
    assert moved.exit_code == 0 and json.loads(moved.output)["findings"] == []
    # A new mistake is reported, alone.
    net.write_text(net.read_text() + 'layer { name: "bn2" type: "BatchNorm" bottom: "pool" '
                                     'top: "pool" param { lr_mult: 2 } }\n')
    fresh = json.loads(lint(".", "--baseline", ".protolint-baseline.json", "--format",
                            "json").output)["findings"]
    assert [(f["code"], f["line"]) for f in fresh] == [("PL204", 9)]


def test_the_same_line_in_another_layer_is_a_new_finding(project):
    """Fixing one layer's mistake while making it again in another keeps the gate shut."""
    def batchnorm(name: str, param: str) -> str:
        return (f'layer {{\n  name: "{name}"\n  type: "BatchNorm"\n  bottom: "pool"\n'
                f'  top: "pool"\n{param}}}\n')

    net = project / "net.prototxt"
    head = NET.split('layer { name: "bn"')[0]
    net.write_text(head + batchnorm("bn", "  param { lr_mult: 1 }\n"))
    assert CliRunner().invoke(main, ["baseline", ".", "-o", "base.json"]).exit_code == 0
    net.write_text(head + batchnorm("bn", "") + batchnorm("bn2", "  param { lr_mult: 1 }\n"))
    fresh = json.loads(lint(".", "--baseline", "base.json", "--format", "json").output)
    assert [(f["code"], f["message"].split(":")[0]) for f in fresh["findings"]] == [
        ("PL204", "BatchNorm 'bn2'")]


def test_a_baseline_of_an_older_version_asks_to_be_recorded_again(project):
    (project / "old.json").write_text('{"version": 1, "findings": []}')
    result = lint(".", "--baseline", "old.json")
    assert result.exit_code == 2 and "recorded by an older protolint" in result.output


def test_a_broken_baseline_is_a_usage_error(project):
    (project / "base.json").write_text("[1, 2]")
    result = lint(".", "--baseline", "base.json")
    assert result.exit_code == 2 and "not a protolint baseline" in result.output
    result = lint(".", "--baseline", "missing.json")
    assert result.exit_code == 2 and "missing.json" in result.output


def test_every_format_from_one_run_of_the_bundled_example(tmp_path, monkeypatch, sarif_schema):
    """The issue's acceptance: one lint of examples/broken, every report at once."""
    import jsonschema

    from conftest import REPO

    monkeypatch.chdir(REPO)
    out = {fmt: tmp_path / f"report.{fmt}" for fmt in
           ("json", "sarif", "github", "junit", "gitlab", "html")}
    args = ["examples/broken/solver.prototxt", "--format", "text"]
    for fmt, path in out.items():
        args += ["--output-format", f"{fmt}={path}"]
    result = lint(*args)
    assert result.exit_code == 1 and "PL101" in result.output
    codes = {f["code"] for f in json.loads(out["json"].read_text())["findings"]}
    assert {"PL101", "PL204", "PL208"} <= codes
    sarif = json.loads(out["sarif"].read_text())
    jsonschema.validate(sarif, sarif_schema)
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == codes
    findings = json.loads(out["json"].read_text())["findings"]
    assert len(out["github"].read_text().splitlines()) == len(findings)
    assert {c.get("name") for c in ET.parse(out["junit"]).getroot().iter("testcase")} == {
        "examples/broken/solver.prototxt", "examples/broken/train_val.prototxt"}
    assert len(json.loads(out["gitlab"].read_text())) == len(sarif["runs"][0]["results"])
    page = out["html"].read_text()
    assert "</html>" in page and "PL101" in page


@pytest.mark.parametrize("offset", [0, 50, 3000, 5950])
def test_text_excerpt_of_a_long_line_is_cut_around_the_finding(tmp_path, offset):
    """A generated one-line file: the excerpt keeps the caret under the finding's first
    character, within EXCERPT_WIDTH characters and the "…" marks."""
    text = " " * offset + "layer { nmae: 1 }"
    text += " " * (6000 - len(text))
    (tmp_path / "one_line.prototxt").write_text(text)
    result = CliRunner().invoke(main, ["lint", str(tmp_path / "one_line.prototxt")])
    lines = result.output.splitlines()
    head, source, marker = lines[0], lines[1], lines[2]
    assert f"one_line.prototxt:1:{offset + 9}: PL002" in head
    assert len(source) <= len("   1 | ") + 120 + 2
    caret = marker.index("^")
    assert source[caret:caret + 4] == "nmae"
    assert marker[caret:].rstrip() == "^~~~"
