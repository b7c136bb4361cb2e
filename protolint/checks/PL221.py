"""An infogain matrix whose values make InfogainLoss NaN, unbounded, or train the wrong
thing: non-finite or negative entries, all zeros, a constant matrix, or a row whose
largest entry is off the diagonal."""

from __future__ import annotations

import math

from protolint.findings import Report, Severity
from protolint.infogain import Analysis, infogain_matrices
from protolint.shapes import class_count

CODE = "PL221"
NAME = "infogain-matrix-values"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("infogain matrix with NaN/inf or negative entries, all zeros, all equal, or a "
           "row whose largest entry is off the diagonal")

def _positions(items, count) -> str:
    shown = ", ".join(f"H[{i}][{j}] = {v:g}" for i, j, v in items)
    more = count - len(items)
    return shown + (f" and {more} more" if more > 0 else "")


def _gradient_note(dialect: str) -> str:
    if dialect == "probabilities":
        return ("the gradient -H[y][j]/p_j = |H[y][j]|/p_j grows as p_j shrinks, up to "
                "|H[y][j]| x 1e20 at the clamp")
    return ("the gradient on score j, p_j x (row sum) - H[y][j], stays at least |H[y][j]| "
            "however small p_j gets (for a row whose sum is not negative), so that score is "
            "pushed down on every iteration and the weights feeding it grow without bound")


def _file_reports(layer, where, name, a: Analysis, dialect: str):
    if a.nonfinite_count:
        yield (where,
               f"{name} holds {a.nonfinite_count} non-finite entr"
               f"{'y' if a.nonfinite_count == 1 else 'ies'} "
               f"({_positions(a.nonfinite, a.nonfinite_count)}): the loss of an example "
               "labelled with such a row, -sum_j H[y][j] log p_j, is NaN or infinite, and so "
               "is its gradient (Caffe's backward multiplies p by the row's sum): the first "
               "such example makes the weights NaN",
               "rebuild the matrix with finite values")
    if a.negative_count:
        yield (where,
               f"{name} holds {a.negative_count} negative entr"
               f"{'y' if a.negative_count == 1 else 'ies'} "
               f"({_positions(a.negative, a.negative_count)}): the loss "
               "-sum_j H[y][j] log p_j then rewards driving p_j to 0 for such an entry; it "
               "falls as p_j shrinks, down to 46.05 x |H[y][j]| below zero at Caffe's 1e-20 "
               f"clamp (so the loss can be negative), and {_gradient_note(dialect)}",
               "use entries >= 0 (H[i][j] is the reward for predicting j when the label is "
               "i; to penalise a confusion, give it a smaller reward, not a negative one)")
    if a.zero:
        yield (where,
               f"every entry of {name} is 0: the loss is 0 and its gradient 0 whatever the "
               "net predicts, so this loss trains nothing",
               "fill the matrix (the identity gives the plain softmax loss; a diagonal of "
               "class weights weighs the classes)")
    if a.constant is not None and a.constant > 0 and (a.k is None or a.k > 1):
        yield (where,
               f"every entry of {name} is {a.constant:g}: the loss for any label, "
               f"-{a.constant:g} x sum_j log p_j, is lowest when every class gets probability "
               f"1/{a.k or 'K'}, so the labels play no part and the net learns to predict nothing",
               "put the weight on the diagonal (the identity gives the plain softmax loss)")
    if a.off_diagonal_count:
        i, j, high, diag = a.off_diagonal[0]
        others = ""
        if a.off_diagonal_count > 1:
            rows = ", ".join(str(r[0]) for r in a.off_diagonal[1:])
            more = a.off_diagonal_count - len(a.off_diagonal)
            others = (f" (so do rows {rows}" + (f" and {more} more" if more > 0 else "") + ")")
        yield (where,
               f"row {i} of {name} has its largest entry off the diagonal{others}: "
               f"H[{i}][{j}] = {high:g} > H[{i}][{i}] = {diag:g}; the loss of an example "
               f"labelled {i}, -sum_j H[{i}][j] log p_j, is lowest when p is that row divided "
               f"by its sum, which ranks class {j} above class {i}: the net is trained to "
               f"predict {j} for examples of class {i} (a cost matrix, 0 on the diagonal, is "
               "the usual cause)",
               "make each row's diagonal entry its largest: H[i][j] is the reward for "
               "predicting j when the label is i, not a cost (from a cost matrix C, "
               "H = max(C) - C is one way)")


def _constant_reports(view, layer, value, producer, dialect: str):
    where = layer.location("bottom", 2)
    name = f"the infogain matrix '{layer.bottoms[2]}' ({producer.type} '{producer.name}')"
    found = class_count(view, layer, layer.param.infogain_loss_param.axis)
    k = found.k if found else None
    if math.isnan(value) or math.isinf(value):
        shown = "NaN" if math.isnan(value) else f"{value:g}"
        yield (where,
               f"every entry of {name} is {shown}: every example's loss and gradient are NaN "
               "or infinite, and the first batch makes the weights NaN",
               "fill the matrix with finite values")
        return
    if value < 0:
        yield (where,
               f"every entry of {name} is {value:g}, negative: the loss -sum_j H[y][j] log "
               "p_j is lowest when the net puts all probability on one class, whichever it "
               f"is (the labels play no part), and it is negative, down to 46.05 x {-value:g} "
               "x (K - 1) at Caffe's 1e-20 clamp",
               "use entries >= 0 with the largest on the diagonal (the identity gives the "
               "plain softmax loss)")
        return
    a = Analysis(k, zero=value == 0, constant=value if value > 0 else None)
    yield from _file_reports(layer, where, name, a, dialect)


def check(net):
    dialect = net.doc.config.infogain_input
    for view, layer, found, constant in infogain_matrices(net):
        if found is not None:
            reports = _file_reports(layer, *found, dialect)
        else:
            reports = _constant_reports(view, layer, *constant, dialect)
        for where, message, fix in reports:
            yield Report(where, f"InfogainLoss '{layer.name}': {message}", fix)
