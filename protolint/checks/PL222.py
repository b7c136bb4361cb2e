"""MultinomialLogisticLoss fed values that are not probabilities (raw scores)."""

from __future__ import annotations

from protolint.findings import Report, Severity
from protolint.layers import BVLC_LAYER_TYPES
from protolint.ranges import UNIT

CODE = "PL222"
NAME = "multinomial-logistic-on-scores"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "MultinomialLogisticLoss fed values outside [0, 1]: negative, unbounded loss"

# Layers whose output values the range analysis cannot bound from the net file: whatever
# they produce (probabilities included) comes from outside (a file, Python code, a
# fork's layer), so an unbounded range from them proves nothing.
_OPAQUE = {"Input", "Python", "Parameter", "HDF5Data", "MemoryData", "Data", "ImageData",
           "WindowData"}
# Layers whose output range is computed from their inputs' (protolint/ranges.py): they
# are only as informative as what they read.
_DERIVED = {"ReLU", "ELU", "PReLU", "Sigmoid", "TanH", "AbsVal", "BNLL", "Power", "Exp",
            "Log", "Dropout", "LRN", "Pooling", "SPP", "Im2col", "Eltwise", "Threshold",
            "Clip", "Swish", "Concat", "Split", "Slice", "Flatten", "Reshape", "Crop",
            "Tile", "BatchReindex", "Filter"}


def opaque(view, edge, seen=None) -> bool:
    """True when the blob `edge` names (a producer's top, or None for a net input) may
    hold anything the file does not show, so its range says nothing about its values."""
    if edge is None:
        return True
    layer = edge.layer
    if layer.type in _OPAQUE or layer.type not in BVLC_LAYER_TYPES or layer.problems:
        return True
    if layer.type not in _DERIVED:
        return False  # learned (InnerProduct, Convolution, Scale, ...) or filled (DummyData)
    seen = set() if seen is None else seen
    if layer.index in seen:
        return False
    seen.add(layer.index)
    return any(opaque(view, view.source(layer, i), seen)
               for i in range(len(layer.param.bottom)))


def not_probabilities(view, layer, bottom: int):
    """(producer layer, range) when `layer`'s bottom `bottom` can hold values outside
    [0, 1] that the net itself computes (raw scores), else None."""
    if bottom >= len(layer.param.bottom):
        return None
    edge = view.source(layer, bottom)
    if opaque(view, edge):
        return None
    interval = view.ranges.bottom(layer, bottom)
    if UNIT.low <= interval.low and interval.high <= UNIT.high:
        return None
    return edge.layer, interval


def check(net):
    for view in net.views:
        for layer in view.layers:
            if layer.type != "MultinomialLogisticLoss" or layer.problems:
                continue
            found = not_probabilities(view, layer, 0)
            if found is None:
                continue
            producer, interval = found
            blob = layer.param.bottom[0]
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
