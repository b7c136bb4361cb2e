"""Pooling arithmetic as Caffe's PoolingLayer does it: the kernel, stride and pad its
set-up reads, and where its windows fall on an input.

The pooling rules (PL201, PL208) and the range analysis all ask the same question,
whether a window can lie wholly past the input's edge; they share the answer here.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX, AVE = 0, 1  # PoolingParameter.PoolMethod (STOCHASTIC has no CPU forward at all)
CEIL = 0  # PoolingParameter.RoundMode


@dataclass(frozen=True)
class PoolingGeometry:
    kernel: tuple[int, int] | None  # (h, w); None for global pooling (the input's size)
    stride: tuple[int, int]
    pad: tuple[int, int]
    stride_field: str  # which field sets the stride: "stride" or "stride_h"


def pooling_geometry(pooling_param) -> PoolingGeometry:
    """Kernel, stride and pad as PoolingLayer::LayerSetUp derives them: kernel_size (or
    kernel_h/kernel_w), stride (default 1, or stride_h/stride_w), pad (or pad_h/pad_w)."""
    p = pooling_param
    if p.global_pooling:
        kernel = None
    elif p.HasField("kernel_size"):
        kernel = (p.kernel_size, p.kernel_size)
    else:
        kernel = (p.kernel_h, p.kernel_w)
    if p.HasField("stride_h"):
        stride, stride_field = (p.stride_h, p.stride_w), "stride_h"
    else:
        stride, stride_field = (p.stride, p.stride), "stride"
    pad = (p.pad_h, p.pad_w) if p.HasField("pad_h") else (p.pad, p.pad)
    return PoolingGeometry(kernel, stride, pad, stride_field)


def may_leave_empty_windows(pooling_param) -> bool:
    """Whether some input size makes a window hold no input at all: only when a stride
    exceeds its kernel, rounding is CEIL and there is no padding can the last window
    start at or past the input's edge (PoolingLayer::Reshape drops such a window when
    there is padding, and FLOOR never reaches it)."""
    g = pooling_geometry(pooling_param)
    return (g.kernel is not None and g.pad == (0, 0) and pooling_param.round_mode == CEIL
            and any(s > k for s, k in zip(g.stride, g.kernel)))


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


@dataclass(frozen=True)
class Axis:
    """Where the windows fall along one axis."""

    empty_starts: tuple[int, ...]  # the start of each window that holds no input
    full: int  # windows holding some input
    zero: int  # windows whose AVE size factor is exactly 0


def axis_windows(size: int, out: int, k: int, s: int, p: int) -> Axis:
    """The windows along one axis, counted in closed form (an input can be millions of
    pixels wide). Forward_cpu starts window i at i*s - p; MAX clips it to
    [max(start, 0), min(start + k, size)), which holds input when size > 0,
    start < size and start + k > 0; AVE takes its divisor factor
    min(start + k, size + p) - start before clipping, which is 0 only when
    start = size + p (k > 0, s > 0)."""
    lo = 0 if k > p else (p - k) // s + 1  # first i with i*s - p + k > 0
    hi = min((size + p - 1) // s, out - 1)  # last i with i*s - p < size
    if lo > hi or size <= 0:
        lo, hi = 0, -1
        empty = range(out)
    else:
        empty = [*range(lo), *range(hi + 1, out)]
    zero = int((size + 2 * p) % s == 0 and 0 <= (size + 2 * p) // s < out)
    return Axis(tuple(i * s - p for i in empty), hi - lo + 1, zero)


def windows(view, layer) -> Windows | None:
    """The windows of a (non-global) MAX or AVE Pooling layer in this view, or None when
    the input's or output's height and width are not known (or the layer is not one)."""
    if layer.type != "Pooling" or layer.problems or not layer.bottoms:
        return None
    q = layer.param.pooling_param
    if q.global_pooling or q.pool not in (MAX, AVE):
        return None
    g = pooling_geometry(q)
    bottom, top = view.shapes.bottom(layer, 0), view.shapes.top(layer, 0)
    if bottom is None or top is None or len(bottom) != 4 or len(top) != 4:
        return None
    h, w, oh, ow = bottom[2], bottom[3], top[2], top[3]
    if None in (h, w, oh, ow) or min(oh, ow, *g.kernel, *g.stride) <= 0:
        return None
    rows = axis_windows(h, oh, g.kernel[0], g.stride[0], g.pad[0])
    cols = axis_windows(w, ow, g.kernel[1], g.stride[1], g.pad[1])
    # A window holds input only when its row and its column both do; AVE's factor is 0
    # when the row's or the column's is (such a row or column holds no input).
    empty = oh * ow - rows.full * cols.full
    nan = rows.zero * ow + cols.zero * oh - rows.zero * cols.zero
    return Windows(h, w, oh, ow, rows.empty_starts, cols.empty_starts, empty, nan)
