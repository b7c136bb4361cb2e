"""BlobProto files (mean files, infogain matrices) as Blob::FromProto loads them.

Pure Python (no numpy), so the infogain rules can use it too: the values come back as
an `array('f')`, rounded to float32 like Caffe's float blob.
"""

from __future__ import annotations

import math
import os
from array import array
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from google.protobuf.message import DecodeError

from protolint.data.model import MeanReport
from protolint.schema import caffe_pb2

_LEGACY = ("num", "channels", "height", "width")


@dataclass(frozen=True, eq=False)
class Blob:
    """A BlobProto: its shape (the legacy num/channels/height/width when any is set,
    else shape.dim, like FromProto), how many values that shape asks for, and the
    values (double_data when present, else data) as float32. `values` is None when
    their number differs from `count` (FromProto's CHECK_EQ fails)."""

    shape: tuple[int, ...]
    count: int
    held: int  # values in the file
    values: array | None

    @property
    def legacy(self) -> tuple[int, int, int] | None:
        """(channels(), height(), width()) as Caffe's legacy accessors answer: the shape
        padded with 1s for missing axes; None beyond 4 axes (Caffe aborts)."""
        n = len(self.shape)
        if n > 4:
            return None
        return tuple(self.shape[i] if i < n else 1 for i in (1, 2, 3))

    @property
    def miscounted(self) -> str | None:
        """Why FromProto's CHECK_EQ rejects the blob, or None when it loads."""
        if self.values is not None:
            return None
        return (f"holds {self.held} values but its shape "
                f"{'x'.join(map(str, self.shape)) or '()'} asks for {self.count}")


@lru_cache(maxsize=16)
def _read(filename: str, mtime: int, size: int) -> Blob | str:
    blob = caffe_pb2().BlobProto()
    try:
        with open(filename, "rb") as f:  # read-only
            blob.ParseFromString(f.read())
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    except (DecodeError, ValueError, RuntimeError):
        return "is not a BlobProto (Caffe's ReadProtoFromBinaryFile fails)"
    if any(blob.HasField(name) for name in _LEGACY):
        shape = tuple(getattr(blob, name) for name in _LEGACY)
    else:
        shape = tuple(blob.shape.dim)
    count = math.prod(shape)
    source = blob.double_data if len(blob.double_data) else blob.data
    values = array("f", source)  # rounds like a C cast (out-of-range doubles: inf)
    return Blob(shape, count, len(values), values if len(values) == count else None)


def read_blob(path: str | os.PathLike) -> Blob | str:
    """The BlobProto at `path`, or a phrase saying why it cannot be read."""
    try:
        st = os.stat(path)
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return _read(str(path), st.st_mtime_ns, st.st_size)


def mean_report(name: str, path: Path | None, tried: list[Path]) -> MeanReport:
    """What a transform_param.mean_file holds, as the DataTransformer will see it."""
    report = MeanReport(name, path, tried)
    if path is None:
        report.problem = "not found"
        return report
    try:
        st = os.stat(path)
    except OSError as exc:
        report.problem = f"cannot be read ({exc.strerror or exc})"
        return report
    numbers = dict(_mean_numbers(str(path), st.st_mtime_ns, st.st_size))  # cached: a copy
    if "channel_means" in numbers:
        numbers["channel_means"] = list(numbers["channel_means"])
    for key, value in numbers.items():
        setattr(report, key, value)
    return report


@lru_cache(maxsize=16)
def _mean_numbers(filename: str, mtime: int, size: int) -> dict:
    blob = _read(filename, mtime, size)
    if isinstance(blob, str):
        return {"problem": blob}
    out = {"shape": blob.shape, "legacy": blob.legacy, "count": blob.count, "values": blob.held}
    if blob.miscounted:
        out["problem"] = f"{blob.miscounted} (Blob::FromProto's check fails)"
        return out
    values = blob.values
    if not values:
        return out
    total = sum(values)  # in double: finite exactly when every float32 value is
    nonfinite = 0 if math.isfinite(total) else sum(1 for v in values if not math.isfinite(v))
    finite = values if not nonfinite else array("f", (v for v in values if math.isfinite(v)))
    out["nonfinite"] = nonfinite
    if finite:
        out["min"], out["max"] = min(finite), max(finite)
        out["mean"] = math.fsum(finite) / len(finite)
    if blob.legacy is not None and not nonfinite:
        channels, height, width = blob.legacy
        plane = height * width
        if plane and channels and len(values) % (channels * plane) == 0:
            sums = [0.0] * channels
            for start in range(0, len(values), plane):
                sums[(start // plane) % channels] += math.fsum(values[start:start + plane])
            per = len(values) // channels
            out["channel_means"] = tuple(s / per for s in sums)
    return out
