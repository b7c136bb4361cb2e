"""Pooling with a stride larger than its kernel: input between windows is never seen."""

from protolint.findings import Report, Severity
from protolint.pooling import AVE, MAX, may_leave_empty_windows, pooling_geometry, windows

CODE = "PL201"
NAME = "pooling-stride-exceeds-kernel"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "pooling stride larger than its kernel: some input is skipped, windows may be empty"


# What a window that starts at or past the input's edge produces, by pool method.
_EMPTY_WINDOW = {
    MAX: "with ceil rounding and no padding the last window can start at or past the "
       "input's edge, where MAX pooling outputs -FLT_MAX",
    AVE: "with ceil rounding and no padding the last window can start at or past the "
       "input's edge, where AVE pooling divides by zero (NaN) or outputs 0",
}


def _empty_window(param) -> str:
    if not may_leave_empty_windows(param):
        return ""
    return _EMPTY_WINDOW.get(param.pool, "")


def _sizes(net, layer):
    """The input sizes (with their phases) at which no window is empty, or None when some
    view empties a window (PL208 reports the layer then)."""
    sizes: dict[tuple[int, int], list[str]] = {}
    for view in net.views:
        if layer not in view.layers:
            continue
        win = windows(view, layer)
        if win is None:
            continue
        if win.empty:
            return None
        sizes.setdefault((win.height, win.width), []).append(view.phase_name)
    return sizes


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
        sizes = _sizes(net, layer)
        if sizes is None:
            continue  # some window is empty: PL208's error says it all
        if len(axes) == 2 and len(set(g.kernel)) == 1 and len(set(g.stride)) == 1:
            detail = f"stride {g.stride[0]} > kernel {g.kernel[0]}"
        else:
            detail = ", ".join(f"{axis}: stride {s} > kernel {k}" for axis, k, s in axes)
        empty = _empty_window(layer.param.pooling_param)
        if sizes:
            known = ", ".join(f"{h}x{w} ({', '.join(dict.fromkeys(phases))})"
                              for (h, w), phases in sizes.items())
            if empty:
                empty = f"no window is empty at input {known}, but at other input sizes {empty}"
            else:
                empty = f"no window is empty at input {known}"
        yield Report(
            layer.location(f"pooling_param.{g.stride_field}"),
            f"Pooling '{layer.name}' ({detail}) skips {axes[0][2] - axes[0][1]} input "
            f"row(s)/column(s) between windows" + (f"; {empty}" if empty else ""),
            "make the stride at most the kernel size (or enlarge the kernel)",
        )
