"""A constant label (DummyData) outside the classes of the prediction it is compared with:
release builds of Caffe read, and write, out of bounds."""

from __future__ import annotations

from protolint.data.labels import axis_and_ignore, cast
from protolint.findings import Report, Severity
from protolint.shapes import class_count, shape_text

CODE = "PL225"
NAME = "dummy-label-out-of-range"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("constant label outside [0, K) for the classifier it feeds: Caffe only checks "
           "it in debug builds, release builds read out of bounds")


# What a release build does with a label outside [0, K), by layer type.
_EFFECT = {
    "SoftmaxWithLoss": (
        "SoftmaxWithLossLayer checks the label range only with DCHECK (debug builds); a "
        "release build reads the probability at the label's position outside the sample's "
        "K entries (another sample's, or past the blob), so the loss is garbage (often "
        "87.3365 = -ln FLT_MIN), and Backward_cpu subtracts 1 at that position, writing "
        "out of bounds"),
    "InfogainLoss": (
        "InfogainLossLayer checks the label range only with DCHECK (debug builds); a release "
        "build reads row `label` of the K x K matrix past its end (garbage weights, a "
        "garbage loss) and the row sum sum_rows_H[label] out of bounds in the backward"),
    "Accuracy": (
        "AccuracyLayer checks the label range only with DCHECK (debug builds); a release "
        "build compares against a value read out of bounds, so the accuracy is garbage (and "
        "with a second, per-class top it increments counters out of bounds)"),
    "MultinomialLogisticLoss": (
        "MultinomialLogisticLossLayer does not check the label at all: it reads the "
        "probability at data[i * dim + label] out of bounds (a garbage loss) and writes the "
        "gradient there in Backward_cpu"),
}


def _classes(view, layer, axis) -> tuple[int, str] | None:
    """(K, how it is known): the size of the prediction's class axis, from its shape or
    the num_output of the InnerProduct that produces it."""
    found = class_count(view, layer, axis, producers=("InnerProduct",))
    if found is None:
        return None
    k = found.k
    if found.shape is None:
        producer = found.producer
        return k, f"{producer.type} '{producer.name}' has num_output {k}"
    if found.axis is None:
        return k, f"its input {shape_text(found.shape)} has {k} values per item"
    return k, f"its input {shape_text(found.shape)} has {k} classes on axis {found.axis}"


def check(net):
    for view in net.views:
        for layer in view.layers:
            effect = _EFFECT.get(layer.type)
            if effect is None or len(layer.bottoms) < 2 or layer.problems:
                continue
            edge = view.source(layer, 1)
            if edge is None:
                continue
            interval = view.ranges.bottom(layer, 1)
            if interval.low != interval.high:
                continue  # not one constant (NaN compares unequal too: not judged)
            value = interval.low
            axis, ignore = axis_and_ignore(layer)
            label = cast(value)
            if label is not None and ignore is not None and label == ignore:
                continue
            found = _classes(view, layer, axis)
            if found is None:
                continue
            k, how = found
            if label is not None and 0 <= label < k:
                continue
            shown = f"{value:g}" + ("" if label is None or label == value
                                    else f" (read as {label})")
            bounds = f"0 to {k - 1}" if k > 0 else "none"
            yield Report(
                layer.location("bottom", 1),
                f"{layer.type} '{layer.name}': every label in '{layer.bottoms[1]}' is "
                f"{shown} ({edge.layer.type} '{edge.layer.name}' fills it with a constant), "
                f"but {how}, so valid labels are {bounds}; {effect}",
                f"make the constant label a class index from 0 to {k - 1}"
                + ("" if layer.type == "MultinomialLogisticLoss" else
                   f", or set {'accuracy_param' if layer.type == 'Accuracy' else 'loss_param'}"
                   f" {{ ignore_label: {label if label is not None else -1} }} if these "
                   "items are meant to be ignored"),
                related=((edge.layer.location(), "the constant labels come from here"),),
            )
