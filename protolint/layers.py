"""Layer settings read the way Caffe's layer set-up code reads them."""

from __future__ import annotations

from dataclasses import dataclass


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
