"""In-place layers whose forward pass overwrites their input before reading it: Eltwise
SUM and MAX, LRN across channels (the last two on CPU)."""

from __future__ import annotations

from protolint.findings import Report, Severity

CODE = "PL236"
NAME = "in-place-wrong-output"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("Eltwise SUM, or on CPU Eltwise MAX or LRN across channels, computing in "
           "place: the input is overwritten before it is read, and the output is wrong")

_SUM, _MAX = 1, 2  # EltwiseParameter.EltwiseOp
_ACROSS_CHANNELS = 0  # LRNParameter.NormRegion
_GPU_RIGHT = ("(the GPU kernel reads each element before writing it and is right: the net "
              "computes something else on CPU than on GPU)")


def _rest(layer) -> str:
    """The bottoms after the first, as the message names them."""
    p = layer.param
    coeffs = list(p.eltwise_param.coeff)
    names = []
    for i, blob in enumerate(p.bottom[1:], 1):
        c = coeffs[i] if i < len(coeffs) else 1.0
        names.append(f"'{blob}'" if c == 1 else f"{c:g} x '{blob}'")
    return " + ".join(names)


def _mechanism(layer) -> str | None:
    """Why the output is wrong in place, or None when it is right."""
    p = layer.param
    first = p.bottom[0]
    if layer.type == "LRN":
        if p.lrn_param.norm_region != _ACROSS_CHANNELS:
            return None  # its Eltwise PROD of split copies is right in place
        return ("LRNLayer::CrossChannelForward_cpu writes scale^-beta into its top and then "
                f"multiplies the top by its bottom; in place both are '{first}', so the "
                "input is gone and the output is scale^(-2 beta), whatever the input's "
                f"sign {_GPU_RIGHT}")
    if len(p.bottom) < 2:
        return None
    op = p.eltwise_param.operation
    if op == _SUM:
        return ("EltwiseLayer's forward (CPU and GPU alike) first sets its top to 0 and then "
                f"adds coeff x each bottom into it; in place the top is '{first}' itself, so "
                f"'{first}' is zeroed before it is read and the output is only "
                f"{_rest(layer)} (in a residual block, one of its two paths is lost)")
    if op == _MAX:
        return ("EltwiseLayer::Forward_cpu first fills its top with -FLT_MAX and then "
                f"compares bottom 0 with bottom 1; in place the top is '{first}' itself, so "
                f"'{first}' never wins and the output is the maximum of the other bottoms "
                f"only {_GPU_RIGHT}")
    return None  # PROD multiplies elementwise into the top: right in place (forward)


def check(net):
    def judge(view, layer) -> str | None:
        if layer.type not in ("Eltwise", "LRN") or layer.problems:
            return None
        return _mechanism(layer) if view.in_place(layer) else None

    for layer, hits in net.per_layer(judge):
        phases = ", ".join(dict.fromkeys(view.phase_name for view, _ in hits))
        blob = layer.tops[0]
        yield Report(
            layer.location("top"),
            f"{layer.type} '{layer.name}' computes in place on its bottom '{blob}' "
            f"({phases}): {hits[0][1]}",
            f"give the top of '{layer.name}' its own name (e.g. '{blob}_"
            f"{layer.type.lower()}') and read that name in the layers after it",
        )
