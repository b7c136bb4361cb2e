"""A loss_weight so large it is a learning-rate change in disguise, or a negative weight
on a loss layer (the solver maximises that loss)."""

from __future__ import annotations

import math

from protolint.findings import Report, Severity
from protolint.layers import loss_weights

CODE = "PL224"
NAME = "huge-loss-weight"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "loss_weight above 1000 (every gradient beneath scaled by it) or negative on a loss"

# Above this a weight takes every base_lr BVLC's own examples start from (0.001 to 0.01)
# past an effective SGD rate of 1, where PL103 expects divergence (rules/PL224.md).
THRESHOLD = 1000.0


def _others(view, layer, index, weight) -> str:
    """The other weighted tops of the view, when any: how much less say they get."""
    others = [(l, i, w) for l in view.layers for i, w in enumerate(loss_weights(l.param))
              if w != 0 and not (l is layer and i == index)]
    if not others:
        return ""
    smallest = min(abs(w) for _, _, w in others)
    names = ", ".join(f"'{l.name}' {w:g}" for l, _, w in others[:3])
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    ratio = abs(weight) / smallest
    return (f"; next to the other losses ({names}{more}) it weighs up to {ratio:g} times "
            "as much, so they hardly shape the gradient")


def _huge(view, layer, index, weight):
    if math.isnan(weight):
        what = ("is NaN: Caffe seeds the backward pass with it (Layer::SetLossWeights writes "
                "it into the top's diff), so every gradient beneath this loss is NaN")
    else:
        example = f"{0.01 * weight:g}" if math.isfinite(weight) else "inf"
        what = (f"is {weight:g}: Caffe seeds the backward pass with it "
                "(Layer::SetLossWeights writes it into the top's diff), so every gradient "
                f"beneath this loss is {abs(weight):g} times larger; under SGD that is the "
                f"learning rate multiplied by {abs(weight):g} for every layer feeding it "
                f"(base_lr 0.01 acts like {example}), and weight decay is as many times "
                "weaker next to the loss" + _others(view, layer, index, weight))
    return Report(
        layer.location("loss_weight", index),
        f"{layer.type} '{layer.name}': loss_weight {what}",
        "use a loss_weight of the order of 1 (within a factor of 10 to 100 of the net's "
        "other losses) and set the step size with the solver's base_lr",
    )


def _negative(layer, index, weight):
    return Report(
        layer.location("loss_weight", index),
        f"{layer.type} '{layer.name}': loss_weight {weight:g} is negative, so the solver "
        "maximises this loss instead of minimising it: the predictions are pushed away "
        "from the targets (a classifier toward wrong classes until its loss saturates, "
        "SoftmaxWithLoss at -ln(FLT_MIN) = 87.34 per example; Euclidean, Hinge, "
        "Contrastive and SigmoidCrossEntropy losses grow without bound)",
        "make the loss_weight positive; if the gradient is reversed on purpose "
        "(adversarial training), disable PL224 for this layer",
    )


def check(net):
    for view in net.views:
        if not view.trains:
            continue  # weights only matter where the net learns
        for layer in view.layers:
            if layer.problems:
                continue
            for index, weight in enumerate(loss_weights(layer.param)):
                if weight < 0 and layer.type.endswith("Loss"):
                    yield _negative(layer, index, weight)
                elif math.isnan(weight) or abs(weight) > THRESHOLD:
                    yield _huge(view, layer, index, weight)
