"""LRN across channels with k <= 0 on an input with exact zeros: 0^-beta = inf, NaN."""

from protolint.findings import Report, Severity
from protolint.floats import f32

CODE = "PL229"
NAME = "lrn-zero-k"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "LRN (ACROSS_CHANNELS) with k <= 0 on an input with exact zeros: 0^-beta = inf, NaN"

_ACROSS_CHANNELS = 0  # LRNParameter.NormRegion


def _why(view, layer) -> str | None:
    """Why the divisor reaches 0 (or below) in this view, or None."""
    p = layer.param.lrn_param
    if p.alpha == 0:
        return f"alpha is 0, so the divisor's base is k = {f32(p.k):g} at every position"
    zeros = view.ranges.exact_zeros(layer, 0)
    if zeros:
        return (f"its input '{layer.bottom_name(0)}' has exact zeros ({zeros}), so wherever "
                f"{p.local_size} neighbouring channels are all 0 the base is k = "
                f"{f32(p.k):g}")
    return None


def check(net):
    def judge(view, layer):
        if layer.type != "LRN" or layer.problems or not layer.bottoms:
            return None
        p = layer.param.lrn_param
        if p.norm_region != _ACROSS_CHANNELS or p.beta <= 0 or f32(p.k) > 0:
            return None
        return _why(view, layer)

    for layer, hits in net.per_layer(judge):
        why = hits[0][1]
        p = layer.param.lrn_param
        note = layer.phases_note([view for view, _ in hits])
        negative = (" (and where it is negative, a fractional power of it is NaN)"
                    if f32(p.k) < 0 and not float(p.beta).is_integer() else "")
        yield Report(
            layer.location("lrn_param.k"),
            f"LRN '{layer.name}'{note} has k = {f32(p.k):g}: across channels it "
            f"multiplies each input by (k + alpha/{p.local_size} * sum of squares of "
            f"{p.local_size} neighbouring channels)^-{p.beta:g}; {why}, where "
            f"0^-{p.beta:g} = inf and the input 0 times inf is NaN{negative}",
            "use a positive k: k: 1 (the default) or k: 2 (AlexNet's value)",
        )
