"""Softmax before SoftmaxWithLoss, Sigmoid before SigmoidCrossEntropyLoss: the loss
applies the activation itself, so it is applied twice."""

from __future__ import annotations

import math

from protolint.findings import Report, Severity
from protolint.shapes import class_count

CODE = "PL223"
NAME = "activation-before-loss"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("Softmax feeding SoftmaxWithLoss or Sigmoid feeding SigmoidCrossEntropyLoss: "
           "the activation is applied twice")

# The loss, the activation it runs itself, and where Caffe does so.
_PAIRS = {
    "SoftmaxWithLoss": ("Softmax", "SoftmaxWithLossLayer::Forward_cpu runs an internal Softmax "
                        "layer on its first input"),
    "SigmoidCrossEntropyLoss": ("Sigmoid", "SigmoidCrossEntropyLossLayer::Forward_cpu treats "
                                "its first input as logits (it runs an internal Sigmoid layer "
                                "and computes the loss from the input itself)"),
}
def _activation(view, layer, kind):
    """The `kind` layer whose output reaches `layer`'s first bottom, or None."""
    found = view.producer(layer)
    if found is None or found.type != kind or found.problems:
        return None
    return found


def _softmax_effect(view, layer) -> str:
    found = class_count(view, layer, layer.param.softmax_param.axis)
    k = found.k if found else None
    if k and k > 1:
        floor = math.log1p((k - 1) / math.e)
        bound = f"{k} classes: no class gets more than e/(e + {k - 1}) = " \
                f"{math.e / (math.e + k - 1):.3g}, so the loss never falls below " \
                f"ln(1 + {k - 1}/e) = {floor:.3g} per example"
    else:
        bound = ("K classes: no class gets more than e/(e + K - 1), so the loss never falls "
                 "below ln(1 + (K - 1)/e) per example (1.46 for 10 classes)")
    return ("a softmax of values in [0, 1] keeps them within a factor e of each other; with "
            f"{bound}, however confident the net is, and the gradient reaching the scores "
            "passes through two softmaxes")


_SIGMOID_EFFECT = ("a sigmoid of values in [0, 1] lies in [0.5, 0.731], so a target 0 is never "
                   "predicted below 0.5 (loss at least ln 2 = 0.693 per element) and a "
                   "target 1 never above 0.731 (loss at least 0.313), and the gradient "
                   "reaching the scores is scaled down by the first sigmoid's slope (at most "
                   "1/4)")


def check(net):
    for view in net.views:
        for layer in view.layers:
            pair = _PAIRS.get(layer.type)
            if pair is None or not layer.bottoms or layer.problems:
                continue
            kind, how = pair
            activation = _activation(view, layer, kind)
            if activation is None:
                continue
            effect = _softmax_effect(view, layer) if kind == "Softmax" else _SIGMOID_EFFECT
            raw = activation.bottom_name(0)
            if raw in activation.tops:
                scores = (f"the raw scores, which the in-place {kind} '{activation.name}' "
                          "overwrites: give it a top of its own")
            else:
                scores = f"the raw scores '{raw}'"
            yield Report(
                layer.location("bottom"),
                f"{layer.type} '{layer.name}' is fed '{layer.bottoms[0]}', the output of "
                f"{kind} '{activation.name}', but {how}: the {kind.lower()} is applied twice; "
                f"{effect}",
                f"feed {layer.type} the {kind}'s input ({scores}) and keep the {kind} only "
                "for a separate output (a probability top in the TEST phase, say)",
                related=((activation.location(), f"the {kind} applied a second time"),),
            )
