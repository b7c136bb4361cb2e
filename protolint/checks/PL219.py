"""BatchNorm with eps at or below 0: nothing keeps its division away from 0/0."""

from __future__ import annotations

import math

from protolint.findings import Report, Severity
from protolint.net import PHASE_NAMES

CODE = "PL219"
NAME = "batchnorm-eps-not-positive"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "BatchNorm eps <= 0: sqrt(variance + eps) is 0 or NaN for a constant channel"


def _written(layer) -> str:
    """The eps value as written in the file (it may round to 0 as a float)."""
    loc = layer.location("batch_norm_param.eps")
    text = loc.doc.text[loc.start:loc.end]
    return text.split(":", 1)[1].strip() if ":" in text else ""


def _single_values(net, layer) -> list[str]:
    """The phases in which this layer normalises with batch statistics over one value
    per channel (a 2-D input of batch 1, say): its variance is then exactly 0."""
    phases = []
    for view in net.views:
        if layer not in view.layers:
            continue
        shape = view.shapes.bottom(layer, 0)
        if view.global_stats(layer) or not shape or any(d is None for d in shape):
            continue
        channels = shape[1] if len(shape) > 1 else 1
        if channels and math.prod(shape) // channels == 1:
            phases.append(PHASE_NAMES.get(view.phase, str(view.phase)))
    return phases


def check(net):
    seen = set()
    for view in net.views:
        for layer in view.layers:
            if layer.type != "BatchNorm" or layer.index in seen or layer.problems:
                continue
            seen.add(layer.index)
            eps = layer.param.batch_norm_param.eps
            if eps > 0:
                continue
            written = _written(layer)
            if math.isnan(eps):
                what = ("eps is NaN: variance + eps is NaN for every channel, so every "
                        "output (and every gradient through it) is NaN")
            elif eps == 0:
                shown = "eps 0" if written in ("", "0", "0.0") else \
                    f"eps {written} (0 as a 32-bit float)"
                what = (f"{shown}: a channel whose values are all equal across the batch "
                        "(a channel a ReLU zeroes for the whole batch, a constant input) has "
                        "variance 0, and Forward_cpu then computes (x - mean) / sqrt(0 + 0) "
                        "= 0/0 = NaN; Backward_cpu divides by the same 0")
            else:
                what = (f"eps {eps:g} is negative: for every channel whose variance is below "
                        f"{-eps:g} (a constant or nearly constant channel, and every channel "
                        "while the stored statistics are still 0) variance + eps is "
                        "negative and its square root is NaN")
            single = _single_values(net, layer)
            if single and not math.isnan(eps):
                what += (f"; here, in {', '.join(single)}, each channel has a single value "
                         "per batch, so its variance is always 0 and every output is NaN")
            yield Report(
                layer.location("batch_norm_param.eps"),
                f"BatchNorm '{layer.name}': {what}",
                "delete eps (the default 1e-5) or set it to a small positive value such as "
                "1e-5",
            )
