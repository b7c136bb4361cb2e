"""MultinomialLogisticLoss fed values that are not probabilities (raw scores)."""

from __future__ import annotations

from protolint.findings import Report, Severity

CODE = "PL222"
NAME = "multinomial-logistic-on-scores"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "MultinomialLogisticLoss fed values outside [0, 1]: negative, unbounded loss"


def check(net):
    for view in net.views:
        for layer in view.layers:
            if layer.type != "MultinomialLogisticLoss" or layer.problems:
                continue
            found = view.ranges.not_probabilities(layer, 0)
            if found is None:
                continue
            producer, interval = found
            blob = layer.bottoms[0]
            above = interval.high > 1
            below = interval.low < 0
            effects = []
            if above:
                effects.append("an input above 1 gives log(p) > 0, so the loss goes negative "
                               "and has no lower bound: training pushes the label's input up "
                               "without limit")
            if below or interval.low < 1e-20:
                effects.append("an input below 1e-20 (every score at or below 0) is clamped "
                               "to 1e-20, where the loss is 46.05 and the gradient -1/p "
                               "is -1e20 (divided by the batch size)")
            yield Report(
                layer.location("bottom"),
                f"MultinomialLogisticLoss '{layer.name}' takes the log of its first input "
                f"directly, but '{blob}' (from {producer.type} '{producer.name}') ranges over "
                f"{interval}, not [0, 1]: " + "; ".join(effects),
                f"put a Softmax between '{producer.name}' and the loss, or replace both by "
                "one SoftmaxWithLoss fed the raw scores (numerically safer)",
                related=((producer.location(), "where the input comes from"),),
            )
