"""Weight fillers whose scale, compounded over a stack of layers, makes the activations
explode at initialisation (float32 overflow, or growth by many orders of magnitude)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from protolint.fillers import fine_tuned, weight_filler
from protolint.findings import Report, Severity
from protolint.floats import FLT_MAX, f32
from protolint.net import TRAIN

CODE = "PL233"
NAME = "filler-scale-explodes"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("weight fillers too large for their fan-in: the estimated activations grow by "
           "10^4 or more through the stack at initialisation (or overflow float32)")

GROWTH_LIMIT = 1e4  # estimated RMS growth along one chain of layers that is reported

_FAN_IN, _FAN_OUT, _AVERAGE = 0, 1, 2  # FillerParameter.VarianceNorm
_ACROSS_CHANNELS = 0  # LRNParameter.NormRegion

_PASS = frozenset("""Split Flatten Reshape Slice Crop Tile BatchReindex Filter Pooling SPP
Bias Im2col""".split())
_RESET = {"BatchNorm": 1.0, "MVN": 1.0, "Softmax": 0.5, "Sigmoid": 0.5, "LSTM": 0.5,
          "RNN": 0.5}


@dataclass(frozen=True)
class Step:
    layer: object
    gain: float
    detail: str


@dataclass(frozen=True)
class Est:
    """The estimated RMS of a blob at initialisation and the chain that led to it.

    The chain's weight layers are kept as a linked list, newest first ((step, rest) or
    None), which every layer extends in constant time and blobs share: a tuple copied
    at each weight layer made a long chain quadratic."""

    rms: float
    start: float  # RMS where the chain began (the data, or a normalising layer)
    origin: str  # the blob the chain began at
    chain: tuple | None = None
    length: int = 0  # weight layers in the chain

    @property
    def growth(self) -> float:
        return self.rms / self.start if self.start > 0 else 0.0

    @property
    def steps(self) -> list[Step]:
        """The chain's weight layers, first to last."""
        out, link = [], self.chain
        while link is not None:
            step, link = link
            out.append(step)
        return out[::-1]

    def times(self, factor: float, step: Step | None = None) -> Est:
        if step is None:
            return Est(self.rms * factor, self.start, self.origin, self.chain, self.length)
        return Est(self.rms * factor, self.start, self.origin, (step, self.chain),
                   self.length + 1)

    def scaled_to(self, rms: float) -> Est:
        """The same chain at another RMS."""
        return Est(rms, self.start, self.origin, self.chain, self.length)


def _restart(rms: float, origin: str) -> Est:
    return Est(rms, rms, origin)


def _spatial(q, name: str, nsp: int, default: int) -> list[int] | None:
    if q.HasField(name + "_h") or q.HasField(name + "_w"):
        return [getattr(q, name + "_h"), getattr(q, name + "_w")] if nsp == 2 else None
    values = list(getattr(q, "kernel_size" if name == "kernel" else name))
    if not values:
        return [default] * nsp
    if len(values) == 1:
        return values * nsp
    return values if len(values) == nsp else None


def _fans(view, layer):
    """(real fan-in, Caffe's fan_in, Caffe's fan_out, rows) of the weight blob, or None
    when the shapes are not known. Caffe's fans are what XavierFiller and MSRAFiller
    compute from the blob (count / shape(0), count / shape(1)); rows is shape(0); the
    real fan-in is how many inputs each output sums (for Deconvolution about
    (channels/group) * (kernel/stride)^2)."""
    s = view.shapes.bottom(layer, 0)
    if s is None:
        return None
    if layer.type in ("Convolution", "Deconvolution"):
        q = layer.param.convolution_param
        axis = q.axis + len(s) if q.axis < 0 else q.axis
        if not 0 <= axis < len(s) or s[axis] is None or q.group <= 0:
            return None
        nsp = len(s) - axis - 1
        kernel = _spatial(q, "kernel", nsp, 1)
        stride = _spatial(q, "stride", nsp, 1)
        if kernel is None or stride is None or not all(k > 0 for k in kernel):
            return None
        k = math.prod(kernel)
        channels, out = s[axis], q.num_output
        if layer.type == "Convolution":
            fan_in = channels // q.group * k
            return fan_in, fan_in, out * k, out
        real = channels / q.group * math.prod(
            kk / max(ss, 1) for kk, ss in zip(kernel, stride))
        return real, out // q.group * k, channels * k, channels
    q = layer.param.inner_product_param
    axis = q.axis + len(s) if q.axis < 0 else q.axis
    rest = s[axis:]
    if not 0 <= axis < len(s) or any(d is None for d in rest):
        return None
    k = math.prod(rest)
    n = q.num_output
    return (k, n, k, k) if q.transpose else (k, k, n, n)


def _gain(f, real: float, cin: float, cout: float, rows: int) -> tuple[float, str] | None:
    """How much the layer multiplies its input's RMS, and the filler in words."""
    kind = f.type
    if kind in ("gaussian", "uniform", "constant"):
        if kind == "gaussian":
            mean, var = f32(f.mean), f32(f.std) ** 2
            what = f"gaussian std {f32(f.std):g}" + (f" mean {mean:g}" if mean else "")
            if f.sparse >= 0:
                if rows <= 0:
                    return None
                keep = min(f.sparse / rows, 1.0)  # GaussianFiller zeroes the rest
                mean, var = mean * keep, var * keep
                what += f" sparse {f.sparse}"
        elif kind == "uniform":
            lo, hi = f32(f.min), f32(f.max)
            mean, var = (lo + hi) / 2, (hi - lo) ** 2 / 12
            what = f"uniform [{lo:g}, {hi:g}]"
        else:
            mean, var = f32(f.value), 0.0
            what = f"constant {mean:g}"
        return math.sqrt(real * var + (real * mean) ** 2), what
    if kind in ("xavier", "msra"):
        n = {_FAN_OUT: cout, _AVERAGE: (cin + cout) / 2}.get(f.variance_norm, cin)
        if n <= 0:
            return None
        var = (1.0 if kind == "xavier" else 2.0) / n
        return math.sqrt(real * var), kind
    if kind in ("bilinear", "positive_unitball"):
        return 1.0, kind
    return None


def _weight_layer(view, layer, ins: list[Est | None]) -> Est:
    x = ins[0]
    name = layer.tops[0] if layer.tops else layer.name
    fans = _fans(view, layer)
    found = weight_filler(layer)
    gain = _gain(found[1], *fans) if fans is not None and found is not None else None
    if x is None or gain is None or gain[0] == 0:
        return _restart(1.0, name)  # scale unknown from here on: a new chain
    factor, what = gain
    real = fans[0]
    he = math.sqrt(2 / real) if real > 0 else 0.0
    detail = (f"{what} with fan-in {real:g} multiplies the RMS by about {factor:.3g} "
              f"(He's std for this fan-in is {he:.3g})")
    return x.times(factor, Step(layer, factor, detail))


def _transfer(view, layer, ins: list[Est | None]) -> list[Est | None]:
    kind = layer.type
    ntop = max(len(layer.tops), 1)
    name = layer.tops[0] if layer.tops else layer.name
    if not layer.bottoms:
        out = []
        for i in range(ntop):
            r = view.ranges.top(layer, i)
            m = max(abs(r.low), abs(r.high)) / 2 if r.bounded else 1.0
            out.append(_restart(m if m > 0 else 1.0, layer.tops[i]
                                if i < len(layer.tops) else name))
        return out
    x = ins[0] if ins else None
    if kind in ("Convolution", "Deconvolution", "InnerProduct"):
        return [_weight_layer(view, layer, ins)] * ntop
    if kind in _RESET:
        return [_restart(_RESET[kind], name)] * ntop
    if x is None:
        return [None] * ntop
    if kind == "ReLU":
        slope = layer.param.relu_param.negative_slope
        return [x.times(math.sqrt((1 + slope * slope) / 2))]
    if kind in ("PReLU", "ELU"):
        return [x.times(math.sqrt(0.5))]
    if kind == "TanH":
        return [_restart(min(x.rms, 1.0), name)] if x.rms >= 1 else [x]
    if kind == "Dropout":
        ratio = layer.param.dropout_param.dropout_ratio
        if view.runs_as(layer) == TRAIN and 0 <= ratio < 1:
            return [x.times(1 / math.sqrt(1 - ratio))]
        return [x]
    if kind == "LRN":
        p = layer.param.lrn_param
        k = p.k if p.norm_region == _ACROSS_CHANNELS else 1.0
        base = k + p.alpha * x.rms * x.rms
        if base <= 0:
            return [None]
        return [x.scaled_to(x.rms * base ** -p.beta)]
    if kind == "Scale":
        if len(layer.bottoms) > 1:
            return [None]
        f = layer.param.scale_param.filler
        factor = abs(f32(f.value)) if layer.param.scale_param.HasField("filler") and \
            f.type == "constant" else 1.0
        return [x.times(factor)]
    if kind in _PASS:
        return [x] * ntop
    if kind == "Concat":
        known = [i for i in ins if i is not None]
        return [max(known, key=lambda e: e.growth)] if known else [None]
    if kind == "Eltwise":
        if any(i is None for i in ins):
            return [None]
        p = layer.param.eltwise_param
        if p.operation == p.SUM:
            coeffs = list(p.coeff) or [1.0] * len(ins)
            rms = math.sqrt(sum((c * i.rms) ** 2 for c, i in zip(coeffs, ins)))
            lead = max(ins, key=lambda e: e.growth)
            return [lead.scaled_to(rms)]
        if p.operation == p.MAX:
            return [max(ins, key=lambda e: e.rms)]
        return [None]
    return [None] * ntop


def _view_peak(view) -> tuple[Est, object] | None:
    ests: list[list[Est | None] | None] = [None] * len(view.net.layers)  # by layer index
    peak = None
    for layer in view.layers:
        if layer.problems:
            outs = [None] * len(layer.tops)
        else:
            ins = []
            for b in range(len(layer.bottoms)):
                edge = view.source(layer, b)
                made = None if edge is None else ests[edge.layer.index]
                ins.append(made[edge.slot] if made is not None and edge.slot < len(made)
                           else None)
            outs = _transfer(view, layer, ins)
        tops = ests[layer.index] = [outs[t] if t < len(outs) else None
                                    for t in range(len(layer.tops))]
        for t, e in enumerate(tops):
            if e is not None and e.length and (peak is None or e.growth > peak[0].growth):
                peak = (e, layer, t)
    return peak


def check(net):
    """One finding per net, at the filler that multiplies the most."""
    views = [v for v in net.views if v.trains]
    if not views or fine_tuned(net, views):
        return
    best = None
    for view in views:
        peak = _view_peak(view)
        if peak is not None and (best is None or peak[0].growth > best[0].growth):
            best = peak
    if best is None:
        return
    est, layer, top = best
    overflow = est.rms >= FLT_MAX or math.isinf(est.rms)
    if est.growth < GROWTH_LIMIT and not overflow:
        return
    steps = est.steps
    growing = [s for s in steps if s.gain > 1]
    if not growing:
        return
    worst = max(growing, key=lambda s: s.gain)
    blob = layer.tops[top] if top < len(layer.tops) else layer.name
    what = ("reaches about {:.1e}, beyond float32's 3.4e38: inf, then NaN".format(est.rms)
            if overflow else f"grows by a factor of about {est.growth:.1e}")
    path, _ = weight_filler(worst.layer)
    yield Report(
        worst.layer.location(path),
        f"{worst.layer.type} '{worst.layer.name}': {worst.detail}; with the fillers of "
        f"this net the activations' RMS at initialisation {what} from '{est.origin}' to "
        f"'{blob}' over {len(steps)} weight layers (estimate: each layer multiplies by "
        "std * sqrt(fan-in), each ReLU by sqrt(1/2)). Outputs that large saturate the "
        "loss and give huge gradients in the first iterations",
        "scale each filler to its fan-in: `weight_filler { type: \"msra\" }` (He, for "
        "ReLU nets) or `type: \"xavier\"`, or a gaussian std near sqrt(2 / fan-in); or "
        "normalise between layers (BatchNorm)",
        related=tuple((s.layer.location(weight_filler(s.layer)[0]),
                       f"{s.layer.type} '{s.layer.name}': {s.detail}")
                      for s in growing if s is not worst),
    )
