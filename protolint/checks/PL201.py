"""Pooling with a stride larger than its kernel: input between windows is never seen."""

from protolint.findings import Report, Severity
from protolint.layers import pooling_geometry

CODE = "PL201"
NAME = "pooling-stride-exceeds-kernel"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "pooling stride larger than its kernel: some input is skipped, windows may be empty"


# What a window that starts at or past the input's edge produces, by pool method. Only
# CEIL rounding without padding lets the last window start there: PoolingLayer::Reshape
# drops such a window when there is padding, and FLOOR never reaches it.
_EMPTY_WINDOW = {
    0: "; with ceil rounding and no padding the last window can start at or past the "
       "input's edge, where MAX pooling outputs -FLT_MAX",
    1: "; with ceil rounding and no padding the last window can start at or past the "
       "input's edge, where AVE pooling divides by zero (NaN) or outputs 0",
}
_CEIL = 0  # PoolingParameter.RoundMode


def _empty_window(param, g) -> str:
    if param.round_mode != _CEIL or g.pad != (0, 0):
        return ""
    return _EMPTY_WINDOW.get(param.pool, "")


def check(net):
    for layer in net.layers:
        if layer.type != "Pooling":
            continue
        g = pooling_geometry(layer.param.pooling_param)
        if g.kernel is None:
            continue
        axes = [(axis, k, s) for axis, k, s in zip(("height", "width"), g.kernel, g.stride)
                if k > 0 and s > k]
        if not axes:
            continue
        if len(axes) == 2 and len(set(g.kernel)) == 1 and len(set(g.stride)) == 1:
            detail = f"stride {g.stride[0]} > kernel {g.kernel[0]}"
        else:
            detail = ", ".join(f"{axis}: stride {s} > kernel {k}" for axis, k, s in axes)
        yield Report(
            layer.location(f"pooling_param.{g.stride_field}"),
            f"Pooling '{layer.name}' ({detail}) skips {axes[0][2] - axes[0][1]} input "
            f"row(s)/column(s) between windows{_empty_window(layer.param.pooling_param, g)}",
            "make the stride at most the kernel size (or enlarge the kernel)",
        )
