"""Pooling windows that hold no input at all: AVE gives NaN or 0, MAX gives -FLT_MAX."""

from __future__ import annotations

from dataclasses import dataclass

from protolint.findings import Report, Severity
from protolint.layers import pooling_geometry

CODE = "PL208"
NAME = "pooling-empty-window"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a pooling window lies wholly outside its input: AVE outputs NaN or 0, MAX -3.4e38"

_MAX, _AVE = 0, 1  # PoolingParameter.PoolMethod (STOCHASTIC has no CPU forward at all)


@dataclass(frozen=True)
class Windows:
    """How PoolingLayer::Forward_cpu's windows fall on one input size."""

    height: int
    width: int
    out_h: int
    out_w: int
    empty_rows: tuple[int, ...]  # the start row of each window row that holds no input
    empty_cols: tuple[int, ...]
    empty: int  # outputs per channel whose window holds no input
    nan: int  # of those, AVE outputs 0/0 (a window size factor of exactly 0)

    @property
    def total(self) -> int:
        return self.out_h * self.out_w


def _axis(size: int, out: int, k: int, s: int, p: int):
    """Per window along one axis: (start, holds input?, AVE's size factor). Forward_cpu
    starts window i at i*stride - pad; MAX clips it to [max(start, 0), min(start+k, size));
    AVE takes its divisor factor min(start+k, size+pad) - start before clipping."""
    out_axis = []
    for i in range(out):
        start = i * s - p
        holds = max(start, 0) < min(start + k, size)
        out_axis.append((start, holds, min(start + k, size + p) - start))
    return out_axis


def windows(view, layer) -> Windows | None:
    """The windows of a (non-global) MAX or AVE Pooling layer in this view, or None when
    the input's or output's height and width are not known (or the layer is not one)."""
    if layer.type != "Pooling" or layer.problems or not layer.param.bottom:
        return None
    q = layer.param.pooling_param
    if q.global_pooling or q.pool not in (_MAX, _AVE):
        return None
    g = pooling_geometry(q)
    bottom, top = view.shapes.bottom(layer, 0), view.shapes.top(layer, 0)
    if bottom is None or top is None or len(bottom) != 4 or len(top) != 4:
        return None
    h, w, oh, ow = bottom[2], bottom[3], top[2], top[3]
    if None in (h, w, oh, ow) or oh <= 0 or ow <= 0 or min(g.kernel) <= 0:
        return None
    rows = _axis(h, oh, g.kernel[0], g.stride[0], g.pad[0])
    cols = _axis(w, ow, g.kernel[1], g.stride[1], g.pad[1])
    empty = nan = 0
    for _, row_holds, fh in rows:
        for _, col_holds, fw in cols:
            if row_holds and col_holds:
                continue
            empty += 1
            nan += fh * fw == 0
    return Windows(h, w, oh, ow,
                   tuple(start for start, holds, _ in rows if not holds),
                   tuple(start for start, holds, _ in cols if not holds), empty, nan)


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
    if pool == _MAX:
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
    found: dict[int, dict[Windows, list[str]]] = {}
    layers = {}
    for view in net.views:
        for layer in view.layers:
            win = windows(view, layer)
            if win is None or not win.empty:
                continue
            layers[layer.index] = layer
            found.setdefault(layer.index, {}).setdefault(win, []).append(view.phase_name)
    for index, by_size in found.items():
        layer = layers[index]
        q = layer.param.pooling_param
        g = pooling_geometry(q)
        kind = "MAX" if q.pool == _MAX else "AVE"
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
