"""Value ranges: an interval for every blob, propagated in one pass over a net.

The idea DEBAR applies to TensorFlow graphs: abstract interpretation with intervals,
sound for float32 (what a layer can output in a float build, not in exact maths:
a Sigmoid is exactly 0 once tanh rounds to -1, a Softmax entry underflows to 0).
Rules use it to prove an operation safe (Log of a range above 0) or not.

Sources: image data is bytes, [0, 255], then `transform_param` subtracts the mean and
multiplies by `scale` (DataTransformer); the Data layer is taken to hold bytes too (the
Datum `data` field that convert_imageset writes), unless `--data` read the source and
found `float_data` records: then what was read bounds them (nothing does, for a sample).
WindowData scales by its own window_data_param.scale. DummyData follows its fillers.
Everything learned (convolution, inner product, scale, bias, batch normalisation) is
unbounded: the weights can be anything. Unknown layer types output unbounded values.

Beside each interval the same pass records whether the blob is opaque: its values come
from outside the file (a data layer, Python code, a fork's layer), so that a wide range
says nothing about them. Rules that call an input raw scores, or a matrix constant,
ask that first. Which blobs certainly hold exact zeros (a ReLU's output, Dropout in
TRAIN) is a question about values too, and is answered here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

from protolint.floats import FLT_MAX, cexp, cpow, f32
from protolint.layers import BVLC_LAYER_TYPES, input_scale
from protolint.net import TRAIN, Layer, PhaseNet
from protolint.pooling import may_leave_empty_windows

INF = math.inf


@dataclass(frozen=True)
class Interval:
    """Every value of a blob lies in [low, high] (either end may be infinite)."""

    low: float
    high: float

    def __str__(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"  # %g writes infinities as inf, -inf

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def hull(self, *others: Interval) -> Interval:
        return Interval(min([self.low, *(o.low for o in others)]),
                        max([self.high, *(o.high for o in others)]))

    def affine(self, scale: float, shift: float) -> Interval:
        """{scale * x + shift}: the interval of an affine map (0 * inf taken as 0)."""
        ends = [_mul(scale, self.low) + shift, _mul(scale, self.high) + shift]
        return Interval(min(ends), max(ends))

    def map(self, f: Callable[[float], float]) -> Interval:
        """The image under a non-decreasing function."""
        return Interval(f(self.low), f(self.high))


UNBOUNDED = Interval(-INF, INF)
UNIT = Interval(0.0, 1.0)
PIXELS = Interval(0.0, 255.0)


def _mul(a: float, b: float) -> float:
    if a == 0 or b == 0:
        return 0.0
    return a * b


def product(a: Interval, b: Interval) -> Interval:
    ends = [_mul(x, y) for x in (a.low, a.high) for y in (b.low, b.high)]
    return Interval(min(ends), max(ends))


def _sigmoid(x: float) -> float:
    """Caffe's sigmoid, 0.5 * tanh(0.5 x) + 0.5 evaluated in double and stored as float:
    exactly 0 below about -38 (tanh rounds to -1) and exactly 1 above about 18."""
    return f32(0.5 * math.tanh(0.5 * x) + 0.5)


def _transformed(layer: Layer, source: Interval) -> Interval:
    """DataTransformer: (value - mean) * scale, with the mean from mean_value or a mean
    file (a mean of bytes, so within [0, 255]) and the scale the layer reads."""
    t = layer.param.transform_param
    if t.mean_value:
        mean = Interval(min(t.mean_value), max(t.mean_value))
    elif t.HasField("mean_file"):
        mean = PIXELS
    else:
        mean = Interval(0.0, 0.0)
    centred = Interval(source.low - mean.high, source.high - mean.low)
    return centred.affine(input_scale(layer.param), 0.0)


def _filler(filler) -> Interval:
    kind = filler.type
    if kind == "constant":
        return Interval(filler.value, filler.value)
    if kind == "uniform":
        return Interval(filler.min, filler.max)
    if kind in ("positive_unitball", "bilinear"):
        return UNIT
    return UNBOUNDED  # gaussian, xavier, msra: unbounded or scale-dependent


def _dummy(layer: Layer, count: int) -> list[Interval]:
    fillers = list(layer.param.dummy_data_param.data_filler)
    if not fillers:
        return [Interval(0.0, 0.0)] * count  # the default filler is constant 0
    if len(fillers) == 1:
        return [_filler(fillers[0])] * count
    return [_filler(f) for f in fillers][:count] + [UNBOUNDED] * max(count - len(fillers), 0)


def _relu(layer, ins, view):
    slope = layer.param.relu_param.negative_slope
    x = ins[0]

    def f(v: float) -> float:
        return v if v > 0 else _mul(slope, v)

    values = [f(x.low), f(x.high)] + ([0.0] if x.contains(0.0) else [])
    return [Interval(min(values), max(values))]


def _elu(layer, ins, view):
    alpha = layer.param.elu_param.alpha
    x = ins[0]

    def f(v: float) -> float:
        return max(v, 0.0) + alpha * (cexp(min(v, 0.0)) - 1.0)

    values = [f(x.low), f(x.high)] + ([0.0] if x.contains(0.0) else [])
    return [Interval(min(values), max(values))]


def _bnll(v: float) -> float:
    """log(1 + e^v), computed the stable way Caffe does; 0 at -inf, never negative."""
    if v == INF:
        return INF
    if v > 0:
        return v + math.log1p(math.exp(-v))
    return math.log1p(math.exp(v)) if v != -INF else 0.0


def _abs(layer, ins, view):
    x = ins[0]
    if x.low >= 0:
        return [x]
    if x.high <= 0:
        return [Interval(-x.high, -x.low)]
    return [Interval(0.0, max(-x.low, x.high))]


def _power(layer, ins, view):
    p = layer.param.power_param
    if p.power * p.scale == 0:  # PowerLayer then fills its output with one constant
        value = 1.0 if p.power == 0 else _pow(p.shift, p.power)
        return [UNBOUNDED if math.isnan(value) else Interval(value, value)]
    return [power_range(ins[0].affine(p.scale, p.shift), p.power)]


def power_range(x: Interval, power: float) -> Interval:
    """{v ** power for v in x}, over the part of x where it is defined (a fractional
    power of a negative number is NaN: rules check that separately)."""
    if power == 1:
        return x
    integral = float(power).is_integer()
    if not integral:
        x = Interval(max(x.low, 0.0), max(x.high, 0.0))
    candidates = []
    for v in (x.low, x.high):
        candidates.append(_pow(v, power))
    if x.contains(0.0):
        candidates.append(_pow(0.0, power))
        if power < 0:
            candidates.extend([INF] + ([-INF] if integral and int(power) % 2 and x.low < 0 else []))
    if integral and int(power) % 2 == 0 and power > 0 and x.contains(0.0):
        candidates.append(0.0)
    values = [c for c in candidates if not math.isnan(c)]
    return Interval(min(values), max(values)) if values else UNBOUNDED


def _pow(v: float, power: float) -> float:
    """Float32 pow, with C's infinities (and NaN for a negative base to a fractional power)."""
    return f32(cpow(v, power))


def _exp(layer, ins, view):
    """ExpLayer: exp(ln(base) * scale * x) in float, then times base^shift; the first
    factor overflows above 88.72 whatever the shift."""
    p = layer.param.exp_param
    log_base = 1.0 if p.base == -1 else math.log(p.base) if p.base > 0 else math.nan
    if math.isnan(log_base):
        return [UNBOUNDED]
    powered = ins[0].affine(f32(log_base * p.scale), 0.0).map(lambda v: f32(cexp(v)))
    outer = 1.0 if p.shift == 0 else f32(cexp(log_base * p.shift))
    return [powered.affine(outer, 0.0)]


def _log(layer, ins, view):
    p = layer.param.log_param
    inner = ins[0].affine(p.scale, p.shift)
    if p.base == -1:
        divisor = 1.0
    elif p.base > 0 and p.base != 1:
        divisor = math.log(p.base)
    else:
        return [UNBOUNDED]

    def log(v: float) -> float:
        if v <= 0:
            return -INF
        return math.log(v) / divisor if v != INF else INF

    ends = [log(max(inner.low, 0.0)), log(max(inner.high, 0.0))]
    return [Interval(min(ends), max(ends))]


def _dropout(layer, ins, view):
    x = ins[0]
    if view.runs_as(layer) != TRAIN:
        return [x]  # Caffe copies the input through outside TRAIN
    ratio = layer.param.dropout_param.dropout_ratio
    scale = 1.0 / (1.0 - ratio) if ratio < 1 else INF
    kept = x.affine(scale, 0.0) if scale != INF else UNBOUNDED
    return [kept.hull(Interval(0.0, 0.0))]


def _lrn(layer, ins, view):
    """Division by (k + alpha/n * sum of squares)^beta keeps the sign and, with k > 0
    and beta >= 0, only shrinks magnitudes by at most k^-beta."""
    p = layer.param.lrn_param
    x = ins[0]
    floor = p.k if p.norm_region == p.ACROSS_CHANNELS else 1.0
    if floor <= 0 or p.beta < 0 or p.alpha < 0:
        return [UNBOUNDED]
    bound = floor ** -p.beta
    return [Interval(min(x.low, 0.0) * bound, max(x.high, 0.0) * bound)]


def _pooling(layer, ins, view):
    x = ins[0]
    p = layer.param.pooling_param
    # A window that starts past the input's edge holds nothing: MAX outputs -FLT_MAX
    # there, AVE 0 or NaN (NaN is not a value an interval can hold: PL208 reports it).
    if p.pool == p.MAX:
        out = x.hull(Interval(-FLT_MAX, -FLT_MAX)) if may_leave_empty_windows(p) else x
        return [out] + [UNBOUNDED] * (len(layer.tops) - 1)
    if p.pool == p.STOCHASTIC:
        # Sampling in proportion to the values, and at TEST sum(x^2) / sum(x), assume
        # x >= 0 (pooling_layer.cu): then every output lies in [0, max x]; a negative
        # input makes the TEST quotient unbounded (and TRAIN may pick no value at all).
        return [Interval(0.0, x.high)] if x.low >= 0 else [UNBOUNDED]
    return [x.hull(Interval(0.0, 0.0))]  # padding counts as zeros in the average


def _eltwise(layer, ins, view):
    p = layer.param.eltwise_param
    if p.operation == p.PROD:
        out = ins[0]
        for other in ins[1:]:
            out = product(out, other)
        return [out]
    if p.operation == p.MAX:
        return [Interval(max(i.low for i in ins), max(i.high for i in ins))]
    coeffs = list(p.coeff) or [1.0] * len(ins)
    low = high = 0.0
    for c, x in zip(coeffs, ins):
        part = x.affine(c, 0.0)
        low, high = low + part.low, high + part.high
    return [Interval(low, high)]


def _same(layer, ins, view):
    """Layers that move values around without changing them."""
    return [ins[0]] * max(len(layer.tops), 1)


def _hull_of_inputs(layer, ins, view):
    return [ins[0].hull(*ins[1:])] * max(len(layer.tops), 1)


def _with_zero(layer, ins, view):
    return [ins[0].hull(Interval(0.0, 0.0))]


def _threshold(layer, ins, view):
    t, x = layer.param.threshold_param.threshold, ins[0]
    if x.high <= t:
        return [Interval(0.0, 0.0)]
    if x.low > t:
        return [Interval(1.0, 1.0)]
    return [UNIT]


def _clip(layer, ins, view):
    p, x = layer.param.clip_param, ins[0]
    return [Interval(max(p.min, min(x.low, p.max)), max(p.min, min(x.high, p.max)))]


def _prelu(layer, ins, view):
    x = ins[0]
    return [x] if x.low >= 0 else [UNBOUNDED]  # the learned slope can be anything


_SWISH_EXTREME = 0.27846455  # the largest |x * sigmoid(-x)|, at x of about 1.2785


def _swish(layer, ins, view):
    """x * sigmoid(beta x). With beta > 0 it dips to about -0.2785 / beta below zero and
    grows like x above; beta = 0 halves x; with beta < 0 it is mirrored: it follows x
    below zero and peaks at about 0.2785 / |beta| above."""
    beta, x = f32(layer.param.swish_param.beta), ins[0]
    if beta == 0:
        return [x.affine(0.5, 0.0)]
    bump = _SWISH_EXTREME / abs(beta)
    if beta > 0:
        return [Interval(-bump if x.low < 0 else 0.0, max(x.high, 0.0))]
    return [Interval(min(x.low, 0.0), bump if x.high > 0 else 0.0)]


def _data(layer, ins, view):
    """Pixels, [0, 255], as a Datum's bytes or a decoded image hold them; a Data source
    --data found to hold float_data gives its own bounds (or none)."""
    tops = len(layer.tops)
    source = PIXELS
    if layer.index in view.net.data_ranges:
        found = view.net.data_ranges[layer.index]
        source = UNBOUNDED if found is None else Interval(*found)
    return [_transformed(layer, source)] + [UNBOUNDED] * (tops - 1)


def _constant(value: Interval) -> Callable:
    return lambda layer, ins, view: [value] * max(len(layer.tops), 1)


_TRANSFER: dict[str, Callable] = {
    "ReLU": _relu,
    "ELU": _elu,
    "PReLU": _prelu,
    "Sigmoid": lambda layer, ins, view: [ins[0].map(_sigmoid)],
    "TanH": lambda layer, ins, view: [ins[0].map(lambda v: f32(math.tanh(v)))],
    "AbsVal": _abs,
    "BNLL": lambda layer, ins, view: [ins[0].map(_bnll)],
    "Power": _power,
    "Exp": _exp,
    "Log": _log,
    "Dropout": _dropout,
    "LRN": _lrn,
    "Pooling": _pooling,
    "SPP": _with_zero,
    "Im2col": _with_zero,
    "Eltwise": _eltwise,
    "Threshold": _threshold,
    "Clip": _clip,
    "Swish": _swish,
    "Softmax": _constant(UNIT),
    "Accuracy": _constant(UNIT),
    "Concat": _hull_of_inputs,
    "Split": _same,
    "Slice": _same,
    "Flatten": _same,
    "Reshape": _same,
    "Crop": lambda layer, ins, view: [ins[0]],
    "Tile": _same,
    "BatchReindex": lambda layer, ins, view: [ins[0]],
    "Filter": _same,
    "Data": _data,
    "ImageData": _data,
    "WindowData": _data,
    "DummyData": lambda layer, ins, view: _dummy(layer, len(layer.tops)),
    "LSTM": _constant(Interval(-1.0, 1.0)),  # h = o * tanh(c)
    "RNN": _constant(Interval(-1.0, 1.0)),  # o = tanh(W_ho h + b_o)
}


_SOURCES = {"Data", "ImageData", "WindowData", "DummyData"}

# Layers whose output values the analysis cannot bound from the net file: whatever they
# produce (probabilities included) comes from outside (a file, Python code), so an
# unbounded range from them proves nothing. Unknown (fork) types are opaque too.
_OPAQUE = {"Input", "Python", "Parameter", "HDF5Data", "MemoryData", "Data", "ImageData",
           "WindowData"}
# Layers whose output range is computed from their inputs': they are only as
# informative as what they read.
_DERIVED = {"ReLU", "ELU", "PReLU", "Sigmoid", "TanH", "AbsVal", "BNLL", "Power", "Exp",
            "Log", "Dropout", "LRN", "Pooling", "SPP", "Im2col", "Eltwise", "Threshold",
            "Clip", "Swish", "Concat", "Split", "Slice", "Flatten", "Reshape", "Crop",
            "Tile", "BatchReindex", "Filter"}

# Layers that hand values on unchanged (some of them, or a window's maximum or mean):
# an exact zero in their input is an exact zero in their output.
ZERO_KEEPING = frozenset(
    "Split Flatten Reshape Slice Concat Crop Tile BatchReindex Filter Pooling".split())


class Ranges:
    """The interval of every top of every layer of one phase view, and which layers'
    outputs are opaque."""

    def __init__(self, view: PhaseNet):
        self.view = view
        self._tops: list[list[Interval] | None] = [None] * len(view.net.layers)  # by index
        self._opaque: set[int] = set()  # layer indices
        for layer in view.layers:
            nbottom = len(layer.bottoms)
            ins = [self.bottom(layer, i) for i in range(nbottom)]
            transfer = _TRANSFER.get(layer.type)
            # A layer missing its bottoms is a graph error reported elsewhere.
            usable = transfer is not None and (ins or layer.type in _SOURCES)
            outs = transfer(layer, ins, view) if usable else []
            self._tops[layer.index] = [outs[t] if t < len(outs) else UNBOUNDED
                                       for t in range(len(layer.tops))]
            if (layer.type in _OPAQUE or layer.type not in BVLC_LAYER_TYPES or layer.problems
                    or layer.type in _DERIVED
                    and any(self.opaque(layer, i) for i in range(nbottom))):
                self._opaque.add(layer.index)

    def top(self, layer: Layer, index: int = 0) -> Interval:
        tops = self._tops[layer.index]
        return tops[index] if tops is not None and 0 <= index < len(tops) else UNBOUNDED

    def bottom(self, layer: Layer, index: int) -> Interval:
        """The range of what `layer` reads at bottom `index` (unbounded for net inputs)."""
        edge = self.view.source(layer, index)
        if edge is None:
            return UNBOUNDED
        return self.top(edge.layer, edge.slot)

    def opaque(self, layer: Layer, index: int) -> bool:
        """True when the blob `layer` reads at bottom `index` may hold anything the file
        does not show, so its range says nothing about its values: a net input, the
        output of a data, Input, Python or Parameter layer, of an unknown type or of a
        layer with parse problems, or computed from such a blob. Learned (InnerProduct,
        Convolution, Scale, ...) and filled (DummyData) outputs are not opaque."""
        edge = self.view.source(layer, index)
        return edge is None or edge.layer.index in self._opaque

    def not_probabilities(self, layer: Layer, index: int) -> tuple[Layer, Interval] | None:
        """(producer, range) when `layer`'s bottom `index` can hold values outside [0, 1]
        that the net itself computes (raw scores, not probabilities), else None."""
        if index >= len(layer.bottoms) or self.opaque(layer, index):
            return None
        interval = self.bottom(layer, index)
        if UNIT.low <= interval.low and interval.high <= UNIT.high:
            return None
        return self.view.source(layer, index).layer, interval

    def exact_zeros(self, layer: Layer, index: int) -> str | None:
        """Why the blob `layer` reads at bottom `index` holds exact zeros in practice, or
        None.

        Certain in practice: a ReLU's output is exactly 0 wherever its input is <= 0
        (every dead unit, and about half of all values after a convolution); a Threshold
        outputs 0; Dropout zeroes a fraction of its input in TRAIN; a blob whose range is
        [0, 0]. Layers that only move values around (Split, Concat, Reshape, Pooling, ...),
        and a ReLU of values >= 0, keep the zeros. The search walks back depth first, in
        bottom order, with its own stack: a chain of keepers can be thousands long.
        """
        seen: set[int] = set()
        stack: list[tuple[Layer, int, tuple[Layer, ...]]] = [(layer, index, ())]
        while stack:
            reader, slot, keepers = stack.pop()
            r = self.bottom(reader, slot)
            if r.low == 0 and r.high == 0:
                return _through(f"'{reader.bottom_name(slot)}' is always 0", keepers)
            edge = self.view.source(reader, slot)
            if edge is None or edge.layer.index in seen:
                continue
            seen.add(edge.layer.index)
            src = edge.layer
            if src.problems:
                continue
            cause, kept = self._zeros_made(src, edge.slot)
            if cause:
                return _through(cause, keepers)
            for i in reversed(kept):
                stack.append((src, i, (src, *keepers)))
        return None

    def _zeros_made(self, src: Layer, slot: int) -> tuple[str | None, range]:
        """Whether `src` itself puts exact zeros in its top `slot` (why), else which of
        its bottoms' zeros it passes on."""
        if src.type == "ReLU" and src.param.relu_param.negative_slope == 0 and src.bottoms:
            below = self.bottom(src, 0)
            if below.low < 0:
                return (f"ReLU '{src.name}' outputs exactly 0 wherever its input is <= 0 "
                        "(every inactive unit)"), range(0)
            return None, range(1 if below.low == 0 else 0)
        if src.type == "Threshold" and self.top(src, slot).contains(0.0):
            return (f"Threshold '{src.name}' outputs exactly 0 wherever its input is <= "
                    "threshold"), range(0)
        if src.type == "Dropout" and self.view.runs_as(src) == TRAIN:
            ratio = src.param.dropout_param.dropout_ratio
            if 0 < ratio < 1:
                return (f"Dropout '{src.name}' sets a fraction {ratio:g} of its outputs to "
                        "exactly 0 in TRAIN"), range(0)
        if src.type in ZERO_KEEPING:
            return None, range(len(src.bottoms))
        return None, range(0)


def _through(cause: str, keepers: tuple[Layer, ...]) -> str:
    """`cause`, and the layers that carried its zeros on (nearest the cause first)."""
    if not keepers:
        return cause
    first, last = keepers[0], keepers[-1]
    if len(keepers) == 1:
        return f"{cause} (through {first.type} '{first.name}')"
    return (f"{cause} (through {len(keepers)} layers that keep them, from {first.type} "
            f"'{first.name}' to {last.type} '{last.name}')")


def analyse(view: PhaseNet) -> Ranges:
    return Ranges(view)
