"""InfogainLoss without an infogain matrix, or with one of the wrong size."""

import math

from protolint.findings import Report, Severity
from protolint.infogain import read_matrix
from protolint.shapes import class_count

CODE = "PL203"
NAME = "infogain-matrix"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "InfogainLoss without its matrix, or with a matrix that is not K x K: Caffe aborts"


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
            # K as the producing InnerProduct or Convolution states it (its num_output).
            found = class_count(view, layer, param.axis, from_shape=False,
                                producers=("InnerProduct", "Convolution"), unwritten=True)
            path = net.resolve(param.source)
            if found is None or path is None:
                continue
            k, producer = found.k, found.producer
            matrix = read_matrix(path)
            if matrix is None or matrix.count == k * k:
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
