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
    if q.global_pooling or q.pool not in (MAX, AVE):
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
    # A window holds input only when both its row and its column do; AVE's factor is 0
    # only for a row or column that starts beyond the padded input, which holds none.
    full_rows = sum(holds for _, holds, _ in rows)
    full_cols = sum(holds for _, holds, _ in cols)
    zero_rows = sum(fh == 0 for _, _, fh in rows)
    zero_cols = sum(fw == 0 for _, _, fw in cols)
    empty = oh * ow - full_rows * full_cols
    nan = zero_rows * ow + zero_cols * oh - zero_rows * zero_cols
    return Windows(h, w, oh, ow,
                   tuple(start for start, holds, _ in rows if not holds),
                   tuple(start for start, holds, _ in cols if not holds), empty, nan)
