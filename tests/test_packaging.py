"""A built wheel carries the schema and the catalogue, and works with no protoc step."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile

from conftest import REPO


def test_wheel_ships_proto_and_rules_and_runs(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(REPO)],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    (wheel,) = wheels.glob("protolint-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "protolint/_bundled/proto/caffe.proto" in names
    assert "protolint/templates/report.html.j2" in names
    pages = {n for n in names if n.startswith("protolint/_bundled/rules/")}
    assert len(pages) == len(list((REPO / "rules").glob("*.md")))

    target = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         str(wheel)], capture_output=True, text=True)
    assert install.returncode == 0, install.stderr
    # Run from a directory that is not the checkout, with an empty schema cache: the
    # installed package must find its own proto/ and rules/ and compile the schema itself.
    env = {**os.environ, "PYTHONPATH": str(target), "PROTOLINT_CACHE_DIR": str(tmp_path / "cache"),
           "NO_COLOR": "1"}
    explain = subprocess.run([sys.executable, "-m", "protolint", "explain", "PL204"],
                             cwd=tmp_path, env=env, capture_output=True, text=True)
    assert explain.returncode == 0 and explain.stdout.startswith("# PL204"), explain.stderr
    where = subprocess.run([sys.executable, "-c", "import protolint; print(protolint.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True)
    assert where.stdout.startswith(str(target))
    net = tmp_path / "net.prototxt"
    net.write_text('layer { name: "p" type: "Pooling" pooling_param { kernel_size: 1 stride: 2 } }\n')
    lint = subprocess.run([sys.executable, "-m", "protolint", "lint", "--fail-on", "warning", str(net)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert lint.returncode == 1 and "PL201" in lint.stdout, lint.stderr
    html = subprocess.run([sys.executable, "-m", "protolint", "lint", "--format", "html", str(net)],
                          cwd=tmp_path, env=env, capture_output=True, text=True)
    assert html.returncode == lint.returncode and "</html>" in html.stdout, html.stderr
    assert list((tmp_path / "cache").glob("caffe_pb2_*.py"))
