"""The domains of Log, Power and Exp: where the range analysis shows that their input
gives inf or NaN certainly (an error, PL227) or possibly (a warning, PL228).

One analysis serves both rules, so that a layer gets one finding, at the worse
severity: a layer with an error in one phase view gets no warning from another.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from protolint.findings import Report, Severity
from protolint.floats import LN_FLT_MAX, cpow, f32


@dataclass(frozen=True)
class Domain:
    """What one view's analysis finds about one layer."""

    severity: Severity
    field: str  # where to point: "bottom" or a parameter
    message: str  # after "<Type> '<name>'"
    fix: str


def _affine_text(scale: float, shift: float) -> str:
    """How the layer maps x before the function: 'x', '2*x', 'x + 1', '1 + 0.5*x'."""
    body = "x" if scale == 1 else f"{scale:g}*x"
    if shift == 0:
        return body
    return f"{shift:g} + {body}"


def _source_text(view, layer) -> str:
    edge = view.source(layer, 0)
    blob = layer.bottom_name(0)
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
    zeros = view.ranges.exact_zeros(layer, 0)
    if zeros and p.shift <= 0 and p.scale != 0:
        value = "-inf" if p.shift == 0 else "NaN"
        return Domain(Severity.ERROR, "bottom",
                      f"computes {what} of {src}: {zeros}, and at x = 0 the argument is "
                      f"{p.shift:g}, so log gives {value} there (and the backward pass "
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
    what = f"{body}^{power:g}" if body == "x" else f"({body})^{power:g}"
    if power * scale == 0:
        # PowerLayer::Forward_cpu fills the output with one constant, ignoring the input.
        if power == 0:
            return None
        value = f32(cpow(shift, power))
        if math.isfinite(value):
            return None
        return Domain(Severity.ERROR, "power_param.shift",
                      f"has scale {scale:g}, so Caffe fills every output with "
                      f"shift^power = {shift:g}^{power:g} = {value:g}",
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
                      f"computes {what} of {src}: the base is always 0 and 0^{power:g} "
                      "= inf", fix)
    zeros = view.ranges.exact_zeros(layer, 0)
    if zeros:
        if not integral and shift < 0:
            return Domain(Severity.ERROR, "bottom",
                          f"computes {what} of {src}: {zeros}, and at x = 0 the base is "
                          f"{shift:g}: a fractional power of it is NaN", fix)
        if power < 0 and shift == 0:
            return Domain(Severity.ERROR, "bottom",
                          f"computes {what} of {src}: {zeros}, and 0^{power:g} = inf "
                          "there", fix)
        if (shift == 0 and power not in (1, 2) and view.trains
                and view.needs_gradient(layer, 0)):
            return Domain(Severity.ERROR, "bottom",
                          f"computes {what} of {src}: {zeros}. The forward pass gives 0 "
                          "there, but PowerLayer::Backward computes the derivative as "
                          "power * y / x (for shift 0 and a power other than 1 and 2), "
                          "0/0 = NaN, and the NaN flows into every gradient below", fix)
    if not integral and inner.low < 0:
        return Domain(Severity.WARNING, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the base can be "
                      f"negative (down to {inner.low:g}), where a fractional power is "
                      "NaN", fix)
    if power < 0 and inner.contains(0.0):
        return Domain(Severity.WARNING, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the base can be 0, "
                      f"where 0^{power:g} = inf", fix)
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
    base = "e" if p.base == -1 else f"{p.base:g}"
    body = _affine_text(p.scale, p.shift)
    what = f"{base}^{body}" if body == "x" else f"{base}^({body})"
    fix = ("bound the input first (e.g. a Clip or TanH layer, or a smaller exp_param "
           "scale) so that the exponent stays below 88.7")
    if outer_log > LN_FLT_MAX:
        return Domain(Severity.ERROR, "exp_param.shift",
                      f"computes {what}: Caffe multiplies exp(...) by base^shift = "
                      f"{base}^{p.shift:g}, which overflows float32 (> 3.4e38), so every "
                      "output is inf (NaN where exp underflows to 0)",
                      "use a smaller exp_param shift")
    # ExpLayer::Forward: exp(inner_scale * x) first, then times base^shift: the exp can
    # overflow even when the product would not.
    low = max(z.low, z.low + outer_log)
    high = max(z.high, z.high + outer_log)
    if low > LN_FLT_MAX:
        return Domain(Severity.ERROR, "bottom",
                      f"computes {what} of {src}, whose range is {x}: the exponent is at "
                      f"least {z.low:g} and float32 exp overflows above {LN_FLT_MAX:.2f}, "
                      "so every output is inf", fix)
    if high > LN_FLT_MAX:
        reach = "is unbounded" if z.high == math.inf else f"reaches {z.high:g}"
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
            if analyse is None or layer.problems or not layer.bottoms:
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
        note = layer.phases_note([v for v, _, _ in chosen])
        yield Report(layer.location(found.field, 0),
                     f"{layer.type} '{layer.name}'{note} {found.message}", found.fix)
