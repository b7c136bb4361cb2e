"""Infogain matrix rows that do not sum to 1: they weigh the loss of their class."""

from __future__ import annotations

import math

from protolint.findings import Report, Severity
from protolint.infogain import infogain_matrices
from protolint.shapes import class_count

CODE = "PL226"
NAME = "infogain-matrix-rows"
SEVERITY = Severity.INFO
TARGET = "net"
SUMMARY = "infogain matrix rows that do not sum to 1: each scales its class's loss and gradient"

TOLERANCE = 1e-3  # float32 rounding of a normalised row stays far below this
SHOWN = 3

MECHANISM = ("Caffe uses H as given, so an example labelled y contributes its row's sum S_y "
             "times the loss and the gradient (p x S_y - H[y] in BVLC master) it would "
             "contribute with the row divided by S_y: the row sums act as class weights")


def _describe(sums: list[float], k: int) -> str | None:
    off = [(i, s) for i, s in enumerate(sums) if abs(s - 1) > TOLERANCE]
    if not off:
        return None
    if len(off) == k and max(s for _, s in off) - min(s for _, s in off) <= TOLERANCE:
        s = off[0][1]
        if abs(s) <= TOLERANCE:
            return None  # an all-zero matrix: PL221's
        return (f"every row sums to {s:g}: {MECHANISM}; with one sum for all rows the "
                f"whole loss and every gradient are {s:g} times those of the normalised "
                f"matrix, which under SGD is the learning rate multiplied by {s:g}")
    shown = ", ".join(f"row {i}: {s:g}" for i, s in off[:SHOWN])
    more = f" and {len(off) - SHOWN} more" if len(off) > SHOWN else ""
    low, high = min(s for _, s in off), max(s for _, s in off)
    spread = f"; the sums range from {low:g} to {high:g}" if len(off) > SHOWN else ""
    verb = "does" if len(off) == 1 else "do"
    text = (f"{len(off)} of {k} rows {verb} not sum to 1 ({shown}{more}{spread}): "
            f"{MECHANISM}")
    zero = [i for i, s in off if abs(s) <= TOLERANCE]
    if zero:
        rows = ", ".join(map(str, zero[:SHOWN])) + (" ..." if len(zero) > SHOWN else "")
        text += (f"; rows summing to 0 ({rows}) make their class's examples count for "
                 "nothing, though they still count in the normaliser")
    return text


def check(net):
    for view, layer, found, constant in infogain_matrices(net):
        if found is not None:
            where, name, analysis = found
            if (analysis.nonfinite_count or analysis.negative_count
                    or len(analysis.sums) != analysis.k):
                continue  # PL221's: such rows are no weighted distributions
            text = _describe(analysis.sums, analysis.k)
        else:
            value, producer = constant
            classes = class_count(view, layer, layer.param.infogain_loss_param.axis)
            if classes is None or not classes.k or not math.isfinite(value) or value < 0:
                continue
            k = classes.k
            where = layer.location("bottom", 2)
            name = (f"the infogain matrix '{layer.bottoms[2]}' ({producer.type} "
                    f"'{producer.name}', every entry {value:g})")
            text = _describe([k * value] * k, k)
        if text is None:
            continue
        yield Report(
            where,
            f"InfogainLoss '{layer.name}': in {name}, {text}",
            "if the sums are meant as class weights, keep them (and disable PL226 for "
            "this file); otherwise divide each row by its sum",
        )
