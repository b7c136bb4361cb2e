"""Log, Power or Exp whose input certainly gives inf or NaN (PL228: can give).

Also the helpers the numeric rules PL227-PL234 share: which blobs certainly hold exact
zeros, which need a gradient, and the per-layer domain analysis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from protolint.findings import Report, Severity
from protolint.floats import FLT_MAX, cpow, f32
from protolint.layers import blob_multipliers
from protolint.net import PHASE_NAMES, TRAIN

CODE = "PL227"
NAME = "nonfinite-math"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "Log, Power or Exp on an input that certainly produces inf or NaN"

LN_FLT_MAX = math.log(FLT_MAX)  # 88.7228: float32 exp overflows above it

# Layers that hand values on unchanged (some of them, or a window's maximum or mean):
# an exact zero in their input is an exact zero in their output.
ZERO_KEEPING = frozenset(
    "Split Flatten Reshape Slice Concat Crop Tile BatchReindex Filter Pooling".split())


# ---------------------------------------------------------------- shared helpers


def blob_name(layer, bottom: int) -> str:
    names = layer.param.bottom
    return names[bottom] if bottom < len(names) else "?"


def exact_zeros(view, layer, bottom: int, _seen=None) -> str | None:
    """Why the blob `layer` reads at `bottom` holds exact zeros in practice, or None.

    Certain in practice: a ReLU's output is exactly 0 wherever its input is <= 0 (every
    dead unit, and about half of all values after a convolution); a Threshold outputs 0;
    Dropout zeroes a fraction of its input in TRAIN; a blob whose range is [0, 0]. Layers
    that only move values around (Split, Concat, Reshape, Pooling, ...) keep the zeros.
    """
    seen = set() if _seen is None else _seen
    r = view.ranges.bottom(layer, bottom)
    if r.low == 0 and r.high == 0:
        return f"'{blob_name(layer, bottom)}' is always 0"
    edge = view.source(layer, bottom)
    if edge is None or edge.layer.index in seen:
        return None
    seen.add(edge.layer.index)
    src = edge.layer
    if src.problems:
        return None
    if src.type == "ReLU" and src.param.relu_param.negative_slope == 0 and src.param.bottom:
        below = view.ranges.bottom(src, 0)
        if below.low < 0:
            return (f"ReLU '{src.name}' outputs exactly 0 wherever its input is <= 0 "
                    "(every inactive unit)")
        if below.low == 0:
            inner = exact_zeros(view, src, 0, seen)
            return f"{inner}, and ReLU '{src.name}' keeps them" if inner else None
        return None
    if src.type == "Threshold" and view.ranges.top(src, edge.slot).contains(0.0):
        return f"Threshold '{src.name}' outputs exactly 0 wherever its input is <= threshold"
    if src.type == "Dropout" and view.phase == TRAIN:
        ratio = src.param.dropout_param.dropout_ratio
        if 0 < ratio < 1:
            return (f"Dropout '{src.name}' sets a fraction {ratio:g} of its outputs to "
                    "exactly 0 in TRAIN")
    if src.type in ZERO_KEEPING:
        for i in range(len(src.param.bottom)):
            inner = exact_zeros(view, src, i, seen)
            if inner:
                return f"{inner} (through {src.type} '{src.name}')"
    return None


def needs_gradient(view, layer, bottom: int, _memo=None) -> bool:
    """Whether Caffe back-propagates into this bottom while training: some layer it
    comes from (transitively) has a learnable blob with lr_mult != 0 (Net::Init's
    blob_need_backward, ignoring force_backward and propagate_down)."""
    memo = {} if _memo is None else _memo
    edge = view.source(layer, bottom)
    if edge is None:
        return False
    src = edge.layer
    if src.index in memo:
        return memo[src.index]
    memo[src.index] = False
    learns = any(lr != 0 for lr, _ in blob_multipliers(src.param))
    result = learns or any(needs_gradient(view, src, i, memo)
                           for i in range(len(src.param.bottom)))
    memo[src.index] = result
    return result


def phases_note(layer, views_with, net) -> str:
    """' (TRAIN)' when a finding holds in only some of the views that include the layer."""
    including = [v for v in net.views if layer in v.layers]
    if len(views_with) >= len(including):
        return ""
    names = dict.fromkeys(PHASE_NAMES.get(v.phase, str(v.phase)) for v in views_with)
    return f" ({', '.join(names)})"


def num(x: float) -> str:
    if x == math.inf:
        return "inf"
    if x == -math.inf:
        return "-inf"
    return f"{x:g}"


def _affine_text(scale: float, shift: float) -> str:
    """How the layer maps x before the function: 'x', '2*x', 'x + 1', '1 + 0.5*x'."""
    body = "x" if scale == 1 else f"{num(scale)}*x"
    if shift == 0:
        return body
    return f"{num(shift)} + {body}"


# ---------------------------------------------------------------- the domain analysis


@dataclass(frozen=True)
class Domain:
    severity: Severity
    field: str  # where to point: "bottom" or a parameter
    message: str  # after "<Type> '<name>'"
    fix: str


def _source_text(view, layer) -> str:
    edge = view.source(layer, 0)
    blob = blob_name(layer, 0)
    if edge is None:
        return f"'{blob}'"
    return f"'{blob}' (from {edge.layer.type} '{edge.layer.name}')"


def _log(view, layer) -> Domain | None:
    p = layer.param.log_param
    if p.base != -1 and (p.base <= 0 or p.base == 1):
        return None  # LogLayer::LayerSetUp's CHECKs abort first
    x = view.ranges.bottom(layer, 0)
    inner = x.affine(p.scale, p.shift)
    what = f"log({_affine_text(p.scale, p.shift)})"
    fix = ("keep the argument above 0: for an input >= 0 (ReLU output, probabilities) add "
           "a small positive shift, `log_param { shift: 1e-6 }`; otherwise take the log of "
           "a positive blob")
    src = _source_text(view, layer)
    if inner.high <= 0:
        kind = "-inf" if inner.low == 0 else "NaN (or -inf where it is 0)"
        return Domain(Severity.ERROR, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the argument is "
                      f"always <= 0 ({inner}), so every output is {kind}", fix)
    zeros = exact_zeros(view, layer, 0)
    if zeros and p.shift <= 0 and p.scale != 0:
        value = "-inf" if p.shift == 0 else "NaN"
        return Domain(Severity.ERROR, "bottom",
                      f"computes {what} of {src}: {zeros}, and at x = 0 the argument is "
                      f"{num(p.shift)}, so log gives {value} there (and the backward pass "
                      "divides by it too)", fix)
    if inner.low <= 0:
        kind = ("be 0 or negative (log gives -inf at 0, NaN below)" if inner.low < 0
                else "be 0 (log gives -inf)")
        return Domain(Severity.WARNING, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the argument can "
                      f"{kind}", fix)
    return None


def _power(view, layer) -> Domain | None:
    p = layer.param.power_param
    power, scale, shift = p.power, p.scale, p.shift
    integral = float(power).is_integer()
    body = _affine_text(scale, shift)
    what = f"{body}^{num(power)}" if body == "x" else f"({body})^{num(power)}"
    if power * scale == 0:
        # PowerLayer::Forward_cpu fills the output with one constant, ignoring the input.
        if power == 0:
            return None
        value = f32(cpow(shift, power))
        if math.isfinite(value):
            return None
        return Domain(Severity.ERROR, "power_param.shift",
                      f"has scale {num(scale)}, so Caffe fills every output with "
                      f"shift^power = {num(shift)}^{num(power)} = {num(value)}",
                      "set power_param so that shift^power is finite (a positive shift), "
                      "or remove the layer")
    if power == 1:
        return None
    x = view.ranges.bottom(layer, 0)
    inner = x.affine(scale, shift)
    src = _source_text(view, layer)
    fix = ("keep the base (shift + scale*x) positive: add a small positive power_param "
           "shift (e.g. 1e-6) for inputs >= 0, or apply the power to a positive blob")
    if not integral and inner.high < 0:
        return Domain(Severity.ERROR, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the base is always "
                      f"negative ({inner}) and a fractional power of a negative number is "
                      "NaN, so every output is NaN", fix)
    if power < 0 and inner.low == 0 and inner.high == 0:
        return Domain(Severity.ERROR, "bottom",
                      f"computes {what} of {src}: the base is always 0 and 0^{num(power)} "
                      "= inf", fix)
    zeros = exact_zeros(view, layer, 0)
    if zeros:
        if not integral and shift < 0:
            return Domain(Severity.ERROR, "bottom",
                          f"computes {what} of {src}: {zeros}, and at x = 0 the base is "
                          f"{num(shift)}: a fractional power of it is NaN", fix)
        if power < 0 and shift == 0:
            return Domain(Severity.ERROR, "bottom",
                          f"computes {what} of {src}: {zeros}, and 0^{num(power)} = inf "
                          "there", fix)
        if (shift == 0 and power not in (1, 2) and view.trains
                and needs_gradient(view, layer, 0)):
            return Domain(Severity.ERROR, "bottom",
                          f"computes {what} of {src}: {zeros}. The forward pass gives 0 "
                          "there, but PowerLayer::Backward computes the derivative as "
                          "power * y / x (for shift 0 and a power other than 1 and 2), "
                          "0/0 = NaN, and the NaN flows into every gradient below", fix)
    if not integral and inner.low < 0:
        return Domain(Severity.WARNING, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the base can be "
                      f"negative (down to {num(inner.low)}), where a fractional power is "
                      "NaN", fix)
    if power < 0 and inner.contains(0.0):
        return Domain(Severity.WARNING, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the base can be 0, "
                      f"where 0^{num(power)} = inf", fix)
    return None


def _exp(view, layer) -> Domain | None:
    p = layer.param.exp_param
    if p.base == -1:
        log_base = 1.0
    elif p.base > 0:
        log_base = math.log(p.base)
    else:
        return None  # ExpLayer::LayerSetUp's CHECK aborts first
    inner_scale = f32(log_base * p.scale)
    outer_log = log_base * p.shift  # outer_scale_ = base^shift = e^outer_log
    x = view.ranges.bottom(layer, 0)
    z = x.affine(inner_scale, 0.0)
    src = _source_text(view, layer)
    base = "e" if p.base == -1 else num(p.base)
    body = _affine_text(p.scale, p.shift)
    what = f"{base}^{body}" if body == "x" else f"{base}^({body})"
    fix = ("bound the input first (e.g. a Clip or TanH layer, or a smaller exp_param "
           "scale) so that the exponent stays below 88.7")
    if outer_log > LN_FLT_MAX:
        return Domain(Severity.ERROR, "exp_param.shift",
                      f"computes {what}: Caffe multiplies exp(...) by base^shift = "
                      f"{base}^{num(p.shift)}, which overflows float32 (> 3.4e38), so every "
                      "output is inf (NaN where exp underflows to 0)",
                      "use a smaller exp_param shift")
    # ExpLayer::Forward: exp(inner_scale * x) first, then times base^shift: the exp can
    # overflow even when the product would not.
    low = max(z.low, z.low + outer_log)
    high = max(z.high, z.high + outer_log)
    if low > LN_FLT_MAX:
        return Domain(Severity.ERROR, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the exponent is at "
                      f"least {num(z.low)} and float32 exp overflows above {LN_FLT_MAX:.2f}, "
                      "so every output is inf", fix)
    if high > LN_FLT_MAX:
        reach = "is unbounded" if z.high == math.inf else f"reaches {num(z.high)}"
        return Domain(Severity.WARNING, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the exponent {reach} "
                      f"and float32 exp overflows to inf above {LN_FLT_MAX:.2f} (the "
                      "backward pass multiplies by the same inf)", fix)
    return None


_ANALYSES = {"Log": _log, "Power": _power, "Exp": _exp}


def domain_findings(net, severity: Severity):
    """Reports of the given severity for Log/Power/Exp layers. Per layer the worst
    finding over all views counts: a layer with an error in one view gets no warning."""
    results: dict[int, list] = {}
    for view in net.views:
        for layer in view.layers:
            analyse = _ANALYSES.get(layer.type)
            if analyse is None or layer.problems or not layer.param.bottom:
                continue
            found = analyse(view, layer)
            if found is not None:
                results.setdefault(layer.index, []).append((view, layer, found))
    for entries in results.values():
        worst = max(f.severity for _, _, f in entries)
        if worst != severity:
            continue
        chosen = [(v, l, f) for v, l, f in entries if f.severity == worst]
        _, layer, found = chosen[0]
        note = phases_note(layer, [v for v, _, _ in chosen], net)
        yield Report(layer.location(found.field, 0),
                     f"{layer.type} '{layer.name}'{note} {found.message}", found.fix)


def check(net):
    yield from domain_findings(net, Severity.ERROR)
