"""InfogainLoss without an infogain matrix, or with one of the wrong size."""

import math

from protolint.findings import Report, Severity
from protolint.schema import caffe_pb2

CODE = "PL203"
NAME = "infogain-matrix"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "InfogainLoss without its matrix, or with a matrix that is not K x K: Caffe aborts"


def _matrix_count(path) -> int | None:
    """The entry count of a BlobProto file as Blob::FromProto shapes it, or None when
    the file cannot be read as one."""
    blob = caffe_pb2().BlobProto()
    try:
        with open(path, "rb") as f:
            blob.ParseFromString(f.read())
    except (OSError, ValueError, RuntimeError):
        return None
    legacy = ("num", "channels", "height", "width")
    if any(blob.HasField(name) for name in legacy):
        return math.prod(getattr(blob, name) for name in legacy)
    return math.prod(blob.shape.dim)


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
