"""InfogainLoss without an infogain matrix, or with one of the wrong size."""

import math
import os
from array import array
from dataclasses import dataclass
from functools import lru_cache

from google.protobuf.message import DecodeError

from protolint.findings import Report, Severity
from protolint.schema import caffe_pb2

CODE = "PL203"
NAME = "infogain-matrix"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "InfogainLoss without its matrix, or with a matrix that is not K x K: Caffe aborts"


@dataclass(frozen=True, eq=False)  # identity hash: analyses are cached per file read
class Matrix:
    """An infogain matrix file as Blob::FromProto reads it: the entry count its shape
    gives, and its values as float32 (Caffe copies `double_data`, when present, into a
    float blob). `values` is None when the value count differs from the shape's (a
    CHECK in FromProto)."""

    count: int
    values: array | None  # float32 ('f'), row-major: H[i][j] is values[i * K + j]

    @property
    def side(self) -> int | None:
        """K when the matrix holds K x K values, else None."""
        if self.values is None:
            return None
        k = math.isqrt(self.count)
        return k if k * k == self.count else None


@lru_cache(maxsize=8)
def _read(filename: str, mtime: int, size: int) -> Matrix | None:
    blob = caffe_pb2().BlobProto()
    try:
        with open(filename, "rb") as f:  # read-only: the file is never written
            blob.ParseFromString(f.read())
    except (OSError, ValueError, RuntimeError, DecodeError):
        return None
    legacy = ("num", "channels", "height", "width")
    if any(blob.HasField(name) for name in legacy):
        count = math.prod(getattr(blob, name) for name in legacy)
    else:
        count = math.prod(blob.shape.dim)
    # array('f') rounds like a C cast to float (out-of-range doubles become inf) and keeps
    # a K x K matrix compact (4 bytes an entry, K in the thousands is fine).
    values = array("f", blob.double_data if len(blob.double_data) else blob.data)
    return Matrix(count, values if len(values) == count else None)


def read_matrix(path) -> Matrix | None:
    """The BlobProto file at `path`, or None when it cannot be read as one."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _read(str(path), st.st_mtime_ns, st.st_size)


def _matrix_count(path) -> int | None:
    """The entry count of a BlobProto file as Blob::FromProto shapes it, or None when
    the file cannot be read as one."""
    matrix = read_matrix(path)
    return None if matrix is None else matrix.count


def _classes(view, layer) -> tuple[int, object] | None:
    """K, the size of the class axis of the prediction, when its producer states it."""
    if layer.param.infogain_loss_param.axis != 1:
        return None
    edge = view.source(layer, 0)
    if edge is None:
        return None
    p = edge.layer.param
    if p.type == "InnerProduct" and p.inner_product_param.axis == 1:
        return p.inner_product_param.num_output, edge.layer
    if p.type == "Convolution" and p.convolution_param.axis == 1:
        return p.convolution_param.num_output, edge.layer
    return None


def check(net):
    for view in net.views:
        for layer in view.layers:
            if layer.type != "InfogainLoss" or len(layer.param.bottom) >= 3:
                continue
            param = layer.param.infogain_loss_param
            if not param.HasField("source"):
                yield Report(
                    layer.location("infogain_loss_param"),
                    f"InfogainLoss '{layer.name}' has neither a third bottom nor "
                    "infogain_loss_param.source: Caffe aborts with \"Infogain matrix source "
                    "must be specified\"",
                    "set infogain_loss_param { source: \"H.binaryproto\" } to a KxK "
                    "BlobProto, or pass the matrix as a third bottom",
                )
                continue
            found = _classes(view, layer)
            path = net.resolve(param.source)
            if found is None or path is None:
                continue
            k, producer = found
            count = _matrix_count(path)
            if count is None or count == k * k:
                continue
            side = math.isqrt(count)
            shape = f"{side}x{side}" if side * side == count else f"{count} entries"
            yield Report(
                layer.location("infogain_loss_param.source"),
                f"the infogain matrix {param.source} holds {shape}, but '{producer.name}' "
                f"predicts {k} classes: Caffe aborts (its check wants {k}x{k} = {k * k} "
                "entries)",
                f"write a {k}x{k} matrix (H[i][j]: the reward for predicting j when the "
                "label is i)",
                related=((producer.location("inner_product_param.num_output"
                                            if producer.type == "InnerProduct"
                                            else "convolution_param.num_output"),
                          "the layer that sets K"),),
            )
