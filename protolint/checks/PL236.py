"""Eltwise SUM or MAX in place: bottom 0 is overwritten before it is read."""

from __future__ import annotations

from protolint.findings import Report, Severity

CODE = "PL236"
NAME = "eltwise-in-place"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("Eltwise SUM (or MAX, on CPU) computing in place: its first bottom is "
           "overwritten before it is read and drops out of the result")

_SUM, _MAX = 1, 2  # EltwiseParameter.EltwiseOp


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
    p = layer.param
    first = p.bottom[0]
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
                "only (the GPU kernel reads each element before writing it and is right: "
                "the net computes something else on CPU than on GPU)")
    return None  # PROD multiplies elementwise into the top: right in place (forward)


def check(net):
    def judge(view, layer) -> bool:
        if layer.type != "Eltwise" or layer.problems or len(layer.param.bottom) < 2:
            return False
        return view.in_place(layer) and _mechanism(layer) is not None

    for layer, hits in net.per_layer(judge):
        phases = ", ".join(dict.fromkeys(view.phase_name for view, _ in hits))
        blob = layer.param.top[0]
        yield Report(
            layer.location("top"),
            f"Eltwise '{layer.name}' computes in place on its first bottom '{blob}' "
            f"({phases}): {_mechanism(layer)}",
            f"give the top of '{layer.name}' its own name (e.g. '{blob}_"
            f"{'sum' if layer.param.eltwise_param.operation == _SUM else 'max'}') and read "
            "that name in the layers after it",
        )
