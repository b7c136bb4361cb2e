"""InfogainLoss without an infogain matrix, or with one of the wrong size."""

import math

from protolint.data.blob import read_blob
from protolint.findings import Report, Severity
from protolint.shapes import class_count

CODE = "PL203"
NAME = "infogain-matrix"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("InfogainLoss without its matrix, with a matrix file Caffe cannot load, or with "
           "one that is not K x K: Caffe aborts")

FIX_FILE = ("write the matrix as a BlobProto (e.g. numpy's H through caffe.io.array_to_blobproto"
            " and SerializeToString), K x K values for K classes")


def _unloadable(layer, source: str, matrix) -> Report | None:
    """The matrix file exists but InfogainLossLayer::LayerSetUp cannot load it."""
    problem = matrix if isinstance(matrix, str) else matrix.miscounted
    if problem is None:
        return None
    if not isinstance(matrix, str):
        outcome = ("Blob::FromProto's check \"count_ == proto.data_size()\" fails when "
                   "InfogainLossLayer::LayerSetUp loads it, and Caffe aborts")
    elif problem.startswith("cannot be read"):
        outcome = ("ReadProtoFromBinaryFile's check that the file opened (\"File not found\") "
                   "aborts")
    else:
        outcome = ("InfogainLossLayer::LayerSetUp ignores that failure and loads what was "
                   "parsed: unless the bytes happen to parse as a consistent blob, "
                   "Blob::FromProto's check that the values fill the shape aborts")
    return Report(layer.location("infogain_loss_param.source"),
                  f"the infogain matrix {source} {problem}: {outcome}", FIX_FILE)


def check(net):
    for view in net.views:
        for layer in view.layers:
            if layer.type != "InfogainLoss" or len(layer.bottoms) >= 3:
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
            path = net.resolve(param.source)
            if path is None:
                continue  # not found: PL301 says so with --data
            matrix = read_blob(path)
            broken = _unloadable(layer, param.source, matrix)
            if broken is not None:
                yield broken
                continue
            # K as the producing InnerProduct or Convolution states it (its num_output).
            found = class_count(view, layer, param.axis, from_shape=False,
                                producers=("InnerProduct", "Convolution"), unwritten=True)
            if found is None:
                continue
            k, producer = found.k, found.producer
            if matrix.count == k * k:
                continue
            count = matrix.count
            side = math.isqrt(count)
            shape = f"{side}x{side}" if side * side == count else f"{count} entries"
            yield Report(
                layer.location("infogain_loss_param.source"),
                f"the infogain matrix {param.source} holds {shape}, but '{producer.name}' "
                f"predicts {k} classes: Caffe aborts (its check wants {k}x{k} = {k * k} "
                "entries)",
                f"write a {k}x{k} matrix (H[i][j]: the reward for predicting j when the "
                "label is i)",
                related=((producer.location(found.field), "the layer that sets K"),),
            )
