"""Streaming statistics over batches of records, vectorised with numpy.

Memory stays bounded by one batch: the accumulators keep a handful of numbers per
channel and a bounded dictionary of label values.

uint8 values (Datum.data, decoded images): min, max and the sum are exact; the sum of
squares is accurate to about 1e-6 (see uint8_sums). Float values (float_data, HDF5,
as float32 like Caffe's blobs) are summed around a shift near their mean (float32 per
row, float64 across rows) and the blocks merged in float64 with Chan et al.'s
formula; non-finite values are counted, never averaged. A channel whose minimum equals
its maximum reports exactly that value as its mean and a standard deviation of 0.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from protolint.data.model import ChannelStats, LabelStats, RecordRef, Tally, ValueStats

MAX_LABELS = 1000  # distinct label values kept in LabelStats.counts (and .first)

RefOf = Callable[[int], RecordRef]  # row of the batch -> its record

_BLOCK = 256  # rows per exact float32 column sum of squares: 256 * 255**2 < 2**24
_ones: dict[int, np.ndarray] = {}


def _ones_of(m: int) -> np.ndarray:
    found = _ones.get(m)
    if found is None:
        if len(_ones) > 64:
            _ones.clear()
        found = _ones[m] = np.ones(m, dtype=np.float32)
    return found


_scratch: list[np.ndarray] = [np.empty(0, dtype=np.float32)]


def uint8_sums(x: np.ndarray) -> tuple[int, float]:
    """(sum, sum of squares) of a 2-D uint8 array. Rows are converted to float32 a block
    of at most 256 at a time into one reused buffer of about 1 MB, which stays in the
    CPU's cache for the two BLAS calls that follow (several times faster than converting
    the whole batch). The sum is exact: every column sum of a block is an integer below
    2**24 (256 * 255 < 2**24), so no summation order rounds, and the blocks add up in
    float64 (exact below 2**53). The sum of squares of a block is one float32 dot
    product (relative error around 1e-7 to 1e-6), the blocks added up in float64."""
    m, p = x.shape
    step = max(1, min(_BLOCK, (1 << 20) // (4 * max(p, 1))))
    if _scratch[0].size < step * p:
        _scratch[0] = np.empty(step * p, dtype=np.float32)
    flat = _scratch[0][:step * p]
    block = flat.reshape(step, p)
    ones = _ones_of(step)
    sums = np.zeros(p, dtype=np.float64)
    squares = 0.0
    full = m - m % step
    for i in range(0, full, step):
        np.copyto(block, x[i:i + step], casting="unsafe")
        sums += ones @ block
        squares += float(flat @ flat)
    if full < m:
        k = m - full
        rest = flat[:k * p]
        np.copyto(rest.reshape(k, p), x[full:], casting="unsafe")
        sums += ones[:k] @ rest.reshape(k, p)
        squares += float(rest @ rest)
    return int(sums.sum()), squares


class _Channel:
    __slots__ = ("lo", "hi", "n_int", "s1", "s2", "n", "mean", "m2")

    def __init__(self):
        self.lo = math.inf
        self.hi = -math.inf
        self.n_int = 0  # uint8 values: count, exact sum, sum of squares
        self.s1 = 0
        self.s2 = 0.0
        self.n = 0  # float values: count, mean, sum of squared deviations
        self.mean = 0.0
        self.m2 = 0.0

    def add_float(self, n: int, mean: float, m2: float) -> None:
        if n == 0:
            return
        if self.n == 0:
            self.n, self.mean, self.m2 = n, mean, m2
            return
        total = self.n + n
        delta = mean - self.mean
        self.mean += delta * n / total
        self.m2 += m2 + delta * delta * self.n * n / total
        self.n = total

    def merge(self, other: _Channel) -> None:
        self.lo = min(self.lo, other.lo)
        self.hi = max(self.hi, other.hi)
        self.n_int += other.n_int
        self.s1 += other.s1
        self.s2 += other.s2
        self.add_float(other.n, other.mean, other.m2)

    def result(self) -> ChannelStats:
        c = _Channel()
        c.add_float(self.n, self.mean, self.m2)
        if self.n_int:
            n = self.n_int
            mean = self.s1 / n
            c.add_float(n, mean, max(self.s2 - self.s1 * mean, 0.0))
        if c.n == 0:
            return ChannelStats(0, math.nan, math.nan, math.nan, math.nan)
        std = 0.0 if self.lo == self.hi else math.sqrt(max(c.m2 / c.n, 0.0))
        mean = float(self.lo) if self.lo == self.hi else c.mean
        return ChannelStats(c.n, float(self.lo), float(self.hi), mean, std)


class ValueAccumulator:
    """Builds a ValueStats from batches shaped (records, channels, values per channel)."""

    def __init__(self):
        self.channels: list[_Channel] = []
        self.dtypes: dict[str, None] = {}
        self.nan = self.posinf = self.neginf = 0
        self.first_nonfinite: RecordRef | None = None
        self.integral = True
        self.records = 0

    def _channel(self, c: int) -> _Channel:
        while len(self.channels) <= c:
            self.channels.append(_Channel())
        return self.channels[c]

    def add_uint8(self, x: np.ndarray) -> None:
        """x: (m, C, P) uint8, any strides (a view into the records' bytes is fine)."""
        m, channels, _ = x.shape
        if m == 0:
            return
        self.dtypes["uint8"] = None
        self.records += m
        for c in range(channels):
            xc = x[:, c, :]
            if xc.size == 0:
                continue
            ch = self._channel(c)
            if ch.lo > 0:  # once 0 and 255 are seen, no uint8 value can widen the range
                ch.lo = min(ch.lo, int(xc.min()))
            if ch.hi < 255:
                ch.hi = max(ch.hi, int(xc.max()))
            total, squares = uint8_sums(xc)
            ch.n_int += xc.size
            ch.s1 += total
            ch.s2 += squares

    def add_float(self, x: np.ndarray, ref_of: RefOf) -> None:
        """x: (m, C, P) float32 (values as Caffe holds them); `ref_of(row)` names a row's
        record for the first non-finite value."""
        m, channels, p = x.shape
        if m == 0:
            return
        self.dtypes["float32"] = None
        self.records += m
        step = max(1, (1 << 20) // (4 * max(p, 1)))  # rows of about 1 MB: cache-resident
        for c in range(channels):
            ch = self._channel(c)
            xc = x[:, c, :]
            if xc.size == 0:
                continue
            for i in range(0, m, step):
                self._float_block(ch, xc[i:i + step], lambda r, i=i: ref_of(i + r))

    def _float_block(self, ch: _Channel, x: np.ndarray, ref_of: RefOf) -> None:
        """One block of one channel: (k, P) float32. The sums are taken around a shift
        (the channel's running mean, or the block's first row's) so that the sum of
        squares does not cancel: per row in float32 (BLAS and einsum, NaN and inf
        propagate into them), over rows in float64."""
        k, p = x.shape
        if ch.n:
            shift = np.float32(ch.mean)
        else:
            first = x[0][np.isfinite(x[0])]
            shift = np.float32(first.mean(dtype=np.float64)) if first.size else np.float32(0)
        if _scratch[0].size < k * p:
            _scratch[0] = np.empty(k * p, dtype=np.float32)
        d = _scratch[0][:k * p].reshape(k, p)
        with np.errstate(over="ignore", invalid="ignore"):
            np.subtract(x, shift, out=d)
            rows = d @ _ones_of(p)
            squares = np.einsum("ij,ij->i", d, d)
        n = k * p
        if np.isfinite(rows).all() and np.isfinite(squares).all():
            s = float(rows.sum(dtype=np.float64))
            q = float(squares.sum(dtype=np.float64))
            ch.lo = min(ch.lo, float(x.min()))
            ch.hi = max(ch.hi, float(x.max()))
            ch.add_float(n, float(shift) + s / n, max(q - s * s / n, 0.0))
            if self.integral:
                self.integral = bool(np.array_equal(x, np.rint(x)))
            return
        finite = np.isfinite(x)  # non-finite values, or sums beyond float32's range
        if not finite.all():
            self._nonfinite(x, finite, ref_of)
        values = x[finite].astype(np.float64)
        if values.size == 0:
            return
        mean = float(values.mean())
        dev = values - mean
        ch.lo = min(ch.lo, float(values.min()))
        ch.hi = max(ch.hi, float(values.max()))
        ch.add_float(values.size, mean, float(np.dot(dev, dev)))
        if self.integral:
            self.integral = bool(np.array_equal(values, np.rint(values)))

    def _nonfinite(self, xc: np.ndarray, finite: np.ndarray, ref_of: RefOf) -> None:
        nan = int(np.isnan(xc).sum())
        posinf = int(np.isposinf(xc).sum())
        self.nan += nan
        self.posinf += posinf
        self.neginf += int((~finite).sum()) - nan - posinf
        row = int(np.flatnonzero(~finite.all(axis=1))[0])
        ref = ref_of(row)
        if self.first_nonfinite is None or ref.index < self.first_nonfinite.index:
            self.first_nonfinite = ref

    def merge(self, other: ValueAccumulator) -> None:
        for c, ch in enumerate(other.channels):
            self._channel(c).merge(ch)
        self.dtypes.update(other.dtypes)
        self.nan += other.nan
        self.posinf += other.posinf
        self.neginf += other.neginf
        if other.first_nonfinite is not None and (
                self.first_nonfinite is None
                or other.first_nonfinite.index < self.first_nonfinite.index):
            self.first_nonfinite = other.first_nonfinite
        self.integral = self.integral and other.integral
        self.records += other.records

    def result(self) -> ValueStats:
        return ValueStats(
            channels=[ch.result() for ch in self.channels],
            dtype="+".join(self.dtypes),
            nan=self.nan, posinf=self.posinf, neginf=self.neginf,
            first_nonfinite=self.first_nonfinite,
            integral=self.integral,
            records=self.records,
        )


def label_key(value: float):
    """How a label value is counted: an int when whole, else the float itself."""
    return int(value) if float(value).is_integer() else float(value)


class LabelAccumulator:
    """Builds a LabelStats. A reader counts each label value (count) and, for the values
    counted, names the first record holding it (set_first; wants_first says, before the
    record is named, whether it would be kept: records arrive in any order)."""

    def __init__(self):
        self.counts: dict = {}
        self.first: dict = {}  # value -> RecordRef, for values in counts
        self.other = 0
        self.total = 0
        self.non_integer = Tally()
        self.nonfinite = Tally()
        self.missing = 0
        self.lo = math.inf
        self.hi = -math.inf

    def count(self, value, n: int) -> None:
        """`n` records with label `value` (an int, or a finite float: see label_key)."""
        self.total += n
        if value in self.counts:
            self.counts[value] += n
        elif len(self.counts) < MAX_LABELS:
            self.counts[value] = n
        else:
            self.other += n
        if value < self.lo:
            self.lo = value
        if value > self.hi:
            self.hi = value

    def wants_first(self, value, index: int) -> bool:
        """Whether the record at `index` holding `value` (counted already) comes before
        the first one kept for it."""
        if value not in self.counts:
            return False
        known = self.first.get(value)
        return known is None or index < known.index

    def set_first(self, value, ref: RecordRef) -> None:
        """`ref` holds `value` (counted already): keep it when it is the earliest seen."""
        if self.wants_first(value, ref.index):
            self.first[value] = ref

    def add_floats(self, values: np.ndarray, ref_of: RefOf) -> None:
        """Labels as Caffe holds them (float32): one per row."""
        if values.size == 0:
            return
        finite = np.isfinite(values)
        if not finite.all():
            bad = np.flatnonzero(~finite)
            self.total += len(bad)
            self.nonfinite.add(ref_of(int(bad[0])), len(bad), f"label {values[bad[0]]}")
            values = values[finite]
            rows = np.flatnonzero(finite)
        else:
            rows = None
        whole = values == np.rint(values)
        if not whole.all():
            bad = np.flatnonzero(~whole)
            first = int(bad[0] if rows is None else rows[bad[0]])
            self.non_integer.add(ref_of(first), len(bad), f"label {float(values[bad[0]])!r}")
        found, where, counts = np.unique(values, return_index=True, return_counts=True)
        for v, i, n in zip(found.tolist(), where.tolist(), counts.tolist()):
            key = label_key(v)
            self.count(key, int(n))
            if key in self.counts:
                self.set_first(key, ref_of(i if rows is None else int(rows[i])))

    def merge(self, other: LabelAccumulator) -> None:
        for value, n in other.counts.items():
            self.count(value, n)
            self.total -= n  # count() added them again
        for value, ref in other.first.items():
            self.set_first(value, ref)
        self.total += other.total
        self.other += other.other
        self.missing += other.missing
        for mine, theirs in ((self.non_integer, other.non_integer),
                             (self.nonfinite, other.nonfinite)):
            mine.count += theirs.count - len(theirs.first)
            for ref in theirs.first:
                mine.add(ref, 1, theirs.why.get(ref.index, ""))
        self.lo = min(self.lo, other.lo)
        self.hi = max(self.hi, other.hi)

    def result(self) -> LabelStats:
        finite = self.lo <= self.hi
        return LabelStats(
            counts=dict(sorted(self.counts.items())),
            first=dict(sorted(self.first.items())),
            other=self.other, total=self.total,
            non_integer=self.non_integer, nonfinite=self.nonfinite,
            missing=self.missing,
            min=self.lo if finite else None, max=self.hi if finite else None,
        )
