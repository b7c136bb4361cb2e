"""Dropout with dropout_ratio >= 1 or < 0: NaN or an abort in TRAIN."""

from protolint.findings import Report, Severity
from protolint.floats import f32
from protolint.net import TRAIN

CODE = "PL230"
NAME = "dropout-ratio-out-of-range"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "Dropout dropout_ratio >= 1 or < 0: every TRAIN output NaN, or an abort"


def _effect(ratio: float) -> str:
    if ratio == 1:
        return ("the scale 1/(1 - ratio) is 1/0 = inf and every unit is dropped, so each "
                "output is x * 0 * inf = NaN in TRAIN (forward and backward)")
    p = 1 - ratio
    bound = "p >= 0" if ratio > 1 else "p <= 1"
    return (f"the keep probability 1 - ratio = {p:g} is not a probability: on CPU "
            f"caffe_rng_bernoulli's check \"{bound}\" aborts at the first TRAIN forward "
            f"pass; on GPU nothing checks it and the scale 1/(1 - ratio) = {1 / p:g} with "
            "an out-of-range integer threshold gives garbage")


def check(net):
    reported = set()
    for view in net.views:
        for layer in view.layers:
            if layer.type != "Dropout" or layer.problems or layer.index in reported:
                continue
            if view.runs_as(layer) != TRAIN:
                continue  # outside TRAIN Dropout copies its input
            ratio = f32(layer.param.dropout_param.dropout_ratio)
            if 0 <= ratio < 1:
                continue
            reported.add(layer.index)
            yield Report(
                layer.location("dropout_param.dropout_ratio"),
                f"Dropout '{layer.name}' has dropout_ratio {ratio:g}: DropoutLayer checks "
                f"0 < ratio < 1 only with DCHECK (debug builds), and in a release build "
                f"{_effect(ratio)}",
                "give dropout_ratio the fraction of units to drop, in [0, 1): 0.5 is the "
                "usual value (a ratio of 1 drops everything: remove the layer instead)",
            )
