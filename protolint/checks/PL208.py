"""Pooling windows that hold no input at all: AVE gives NaN or 0, MAX gives -FLT_MAX."""

from __future__ import annotations

from protolint.findings import Report, Severity
from protolint.pooling import MAX, Windows, pooling_geometry, windows

CODE = "PL208"
NAME = "pooling-empty-window"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a pooling window lies wholly outside its input: AVE outputs NaN or 0, MAX -3.4e38"

def _where(win: Windows) -> str:
    def starts(values, what):
        plural = "s" if len(values) > 1 else ""
        return f"{what}{plural} {', '.join(map(str, values))}"

    parts = []
    if win.empty_rows:
        parts.append(f"last window row starts at {starts(win.empty_rows, 'row')}")
    if win.empty_cols:
        parts.append(f"last window column starts at {starts(win.empty_cols, 'column')}")
    return " and ".join(parts)


def _effect(pool: int, win: Windows) -> str:
    share = f"of {win.total} outputs per channel"
    if pool == MAX:
        return (f"{win.empty} {share} see no input and keep MAX's initial -FLT_MAX "
                "(-3.4e38), with argmax -1 (Backward_cpu adds their gradient to the element "
                "just before the channel's data)")
    said = []
    if win.nan:
        said.append(f"{win.nan} {share} divide an empty sum by a window size of 0: "
                    "0/0 = NaN, which spreads to the loss")
    if win.empty - win.nan:
        said.append(f"{win.empty - win.nan} {share} divide an empty sum by a nonzero window "
                    "size (negative past the edge): a silent 0 that sees no input")
    return "; ".join(said)


def check(net):
    """One finding per layer, naming each input size (and its phases) that empties a window."""

    def judge(view, layer):
        win = windows(view, layer)
        return win if win is not None and win.empty else None

    for layer, hits in net.per_layer(judge):
        by_size: dict[Windows, list[str]] = {}
        for view, win in hits:
            by_size.setdefault(win, []).append(view.phase_name)
        q = layer.param.pooling_param
        g = pooling_geometry(q)
        kind = "MAX" if q.pool == MAX else "AVE"
        k, s = g.kernel, g.stride
        geometry = (f"kernel {k[0]}, stride {s[0]}" if k[0] == k[1] and s[0] == s[1]
                    else f"kernel {k[0]}x{k[1]}, stride {s[0]}x{s[1]}")
        rounding = "ceil" if q.round_mode == 0 else "floor"
        details = []
        for win, phases in by_size.items():
            where = ", ".join(dict.fromkeys(phases))
            details.append(
                f"on a {win.height}x{win.width} input ({where}) the {win.out_h}x{win.out_w} "
                f"output's {_where(win)}, at or past the input's edge, so "
                f"{_effect(q.pool, win)}")
        yield Report(
            layer.location(f"pooling_param.{g.stride_field}"),
            f"Pooling '{layer.name}' ({kind}, {geometry}, {rounding} rounding): "
            "PoolingLayer::Reshape rounds the number of windows up and Forward_cpu starts "
            "window i at i*stride - pad; " + "; ".join(details),
            "make the stride at most the kernel size, or use `round_mode: FLOOR` (every window "
            "then starts inside the input), or change the input size so that "
            "(size - kernel) is a multiple of the stride",
        )
