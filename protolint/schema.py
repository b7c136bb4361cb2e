"""The compiled Caffe schema (`caffe_pb2`), built from `proto/caffe.proto` on first use.

Why compile on first use instead of in a build hook: the same code path then serves a
wheel, an editable install and a bare source checkout, and the generated module can
never be stale, because the cache key is the hash of the .proto text together with the
protobuf and grpcio-tools versions. Compiling takes a fraction of a second and happens
once per key; the module is cached in the user's cache directory (or
$PROTOLINT_CACHE_DIR), written atomically so that concurrent runs cannot see half a file.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import sys
import tempfile
from functools import cache
from pathlib import Path
from types import ModuleType

from protolint.resources import bundled

_MODULE_NAME = "protolint._caffe_pb2"


def _cache_dir() -> Path:
    explicit = os.environ.get("PROTOLINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "protolint"


def _compile(proto: Path, out_dir: Path) -> Path:
    from grpc_tools import protoc

    status = protoc.main(
        ["protoc", f"-I{proto.parent}", f"--python_out={out_dir}", str(proto)]
    )
    generated = out_dir / (proto.stem + "_pb2.py")
    if status != 0 or not generated.is_file():
        raise RuntimeError(f"protoc could not compile {proto} (exit status {status})")
    return generated


def _cached_module_path() -> Path:
    import google.protobuf

    proto = bundled("proto") / "caffe.proto"
    key = hashlib.sha256()
    key.update(proto.read_bytes())
    key.update(google.protobuf.__version__.encode())
    key.update(importlib.metadata.version("grpcio-tools").encode())
    target = _cache_dir() / f"caffe_pb2_{key.hexdigest()[:20]}.py"
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
            os.replace(_compile(proto, Path(scratch)), target)
        return target
    except OSError:
        # No writable cache: compile into a private directory for this process only.
        return _compile(proto, Path(tempfile.mkdtemp(prefix="protolint-")))


@cache
def caffe_pb2() -> ModuleType:
    """The generated protobuf module for Caffe's messages."""
    path = _cached_module_path()
    spec = importlib.util.spec_from_file_location(_MODULE_NAME, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module
