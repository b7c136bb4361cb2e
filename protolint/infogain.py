"""Infogain matrices: the K x K matrix an InfogainLoss weighs its log-probabilities with,
read from its BlobProto file or seen as a constant third bottom.

Three rules judge the same matrix (PL203 its size, PL221 its values, PL226 its row
sums); they share one reading of the file, cached per file version, and one pass over
its values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from protolint.data.blob import Blob, read_blob

SHOWN = 3  # positions an Analysis keeps of each kind (the rest are only counted)


def side(matrix: Blob) -> int | None:
    """K when the matrix holds K x K values (as many as its shape asks for), else None."""
    if matrix.values is None:
        return None
    k = math.isqrt(matrix.count)
    return k if k * k == matrix.count else None


def read_matrix(path) -> Blob | None:
    """The BlobProto file at `path` as Blob::FromProto reads it (cached per file version),
    or None when it cannot be read as one."""
    blob = read_blob(path)
    return None if isinstance(blob, str) else blob


@dataclass
class Analysis:
    """What one pass over a K x K matrix finds (positions are (row, column, value))."""

    k: int | None  # None: not known (a third-bottom matrix whose prediction shape is unknown)
    nonfinite: list = field(default_factory=list)
    nonfinite_count: int = 0
    negative: list = field(default_factory=list)
    negative_count: int = 0
    off_diagonal: list = field(default_factory=list)  # (row, column, value, diagonal)
    off_diagonal_count: int = 0
    sums: list = field(default_factory=list)  # row sums (double), when every entry is finite
    zero: bool = False
    constant: float | None = None  # the value of a matrix whose entries are all equal


@lru_cache(maxsize=8)  # blobs hash by identity, and read_blob returns one per file version
def _analyse(matrix: Blob) -> Analysis:
    k = side(matrix)
    values = matrix.values
    out = Analysis(k)
    first = values[0] if len(values) else 0.0
    constant = len(values) > 0
    for i in range(k):
        row = values[i * k:(i + 1) * k]
        total = sum(row)  # in double: finite exactly when every float32 entry is
        if not math.isfinite(total):
            bad = [(i, j, v) for j, v in enumerate(row) if not math.isfinite(v)]
            out.nonfinite_count += len(bad)
            if len(out.nonfinite) < SHOWN:
                out.nonfinite.extend(bad[:SHOWN - len(out.nonfinite)])
            constant = False
            continue
        out.sums.append(total)
        low, high = min(row), max(row)
        if constant and not (low == high == first):
            constant = False
        if low < 0:
            negative = [(i, j, v) for j, v in enumerate(row) if v < 0]
            out.negative_count += len(negative)
            if len(out.negative) < SHOWN:
                out.negative.extend(negative[:SHOWN - len(out.negative)])
            continue
        if high > row[i]:
            out.off_diagonal_count += 1
            if len(out.off_diagonal) < SHOWN:
                out.off_diagonal.append((i, row.index(high), high, row[i]))
    if out.nonfinite_count:
        out.sums = []
    out.zero = constant and first == 0
    out.constant = first if constant and first != 0 and math.isfinite(first) else None
    if out.constant is not None:
        out.off_diagonal, out.off_diagonal_count = [], 0  # reported as a constant matrix
    return out


def analyse(matrix: Blob | None) -> Analysis | None:
    """The analysis of a readable K x K matrix file, else None (PL203 owns the rest)."""
    if matrix is None or not side(matrix):
        return None
    return _analyse(matrix)


def matrix_of(net, layer):
    """(where the matrix is named, what to call it, Analysis) for an InfogainLoss layer
    whose matrix is a readable K x K file (infogain_loss_param.source), else None."""
    param = layer.param.infogain_loss_param
    if len(layer.bottoms) >= 3 or not param.HasField("source"):
        return None
    path = net.resolve(param.source)
    found = analyse(read_matrix(path)) if path is not None else None
    if found is None:
        return None
    return layer.location("infogain_loss_param.source"), f"the infogain matrix {param.source}", found


def constant_matrix(view, layer) -> tuple[float, object] | None:
    """(value, producer) when the matrix is a third bottom holding one value throughout
    (a DummyData constant, say), as the range analysis sees it; None when the bottom is
    opaque (its values come from outside the file) or not one constant."""
    if len(layer.bottoms) < 3:
        return None
    if view.ranges.opaque(layer, 2):
        return None
    edge = view.source(layer, 2)
    interval = view.ranges.bottom(layer, 2)
    if math.isnan(interval.low) or math.isnan(interval.high):
        # Only a filler value is taken at its word: elsewhere NaN is the analysis's own.
        return (math.nan, edge.layer) if edge.layer.type == "DummyData" else None
    if interval.low != interval.high:
        return None
    return interval.low, edge.layer


def infogain_matrices(net):
    """(view, layer, file, constant) for each InfogainLoss layer of each view (without
    parse problems) whose matrix can be judged: `file` is matrix_of's answer for a
    readable matrix file, else None and `constant` is constant_matrix's for a constant
    third bottom."""
    for view in net.views:
        for layer in view.layers:
            if layer.type != "InfogainLoss" or layer.problems:
                continue
            found = matrix_of(net, layer)
            constant = constant_matrix(view, layer) if found is None else None
            if found is not None or constant is not None:
                yield view, layer, found, constant
