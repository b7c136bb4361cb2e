"""A Deconvolution with the bilinear filler set up so that it does not upsample: its
groups mix channels, or its kernel does not fit its stride."""

from __future__ import annotations

import math

from protolint.fillers import fine_tuned
from protolint.findings import Report, Severity

CODE = "PL234"
NAME = "bilinear-upsampling-mismatch"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("bilinear Deconvolution that does not interpolate: group != channels mixes "
           "channels, or a kernel that does not fit the stride (kernel = 2*factor - factor%2)")


def bilinear_weights(kernel: int) -> list[float]:
    """One axis of BilinearFiller's kernel: 1 - |x/f - c| with f = ceil(K/2),
    c = (K - 1) / (2f)."""
    f = math.ceil(kernel / 2)
    c = (kernel - 1) / (2 * f)
    return [1 - abs(x / f - c) for x in range(kernel)]


def phase_sums(kernel: int, stride: int) -> list[float]:
    """What the overlapping kernels add up to at each output position modulo the stride:
    all 1 when they interpolate (stride = ceil(kernel / 2))."""
    w = bilinear_weights(kernel)
    return [sum(w[x] for x in range(p, kernel, stride)) for p in range(stride)]


def _axes(q, nsp: int = 2):
    if q.HasField("kernel_h") or q.HasField("kernel_w"):
        kernel = [q.kernel_h, q.kernel_w]
    else:
        ks = list(q.kernel_size)
        kernel = ks * nsp if len(ks) == 1 else ks
    if q.HasField("stride_h") or q.HasField("stride_w"):
        stride = [q.stride_h, q.stride_w]
    else:
        ss = list(q.stride) or [1]
        stride = ss * nsp if len(ss) == 1 else ss
    return kernel, stride


def _stride_problem(q) -> str | None:
    kernel, stride = _axes(q)
    if len(kernel) != 2 or len(stride) != 2 or kernel[0] != kernel[1]:
        return None  # not a square 2-D filter: the filler aborts (PL212)
    k = kernel[0]
    problems = []
    for s in sorted(set(stride)):
        if s <= 0 or k <= 0:
            return None
        sums = phase_sums(k, s)
        if all(abs(v - 1) < 1e-6 for v in sums):
            continue
        lo, hi = min(sums), max(sums)
        effect = (f"every output is scaled by {lo:g}" if abs(hi - lo) < 1e-6 else
                  f"the outputs are weighted between {lo:g} and {hi:g} in a pattern that "
                  f"repeats every {s} pixels")
        problems.append(
            f"a {k}x{k} bilinear kernel interpolates for an upsampling factor of "
            f"{math.ceil(k / 2)}, but the stride is {s}: the overlapping kernels do not add "
            f"up to 1 and {effect} (for factor {s} the kernel is {2 * s - s % 2})")
    return "; ".join(problems) or None


def _group_problem(view, layer) -> str | None:
    q = layer.param.convolution_param
    s = view.shapes.bottom(layer, 0)
    channels = None
    if s is not None and 0 <= q.axis < len(s):
        channels = s[q.axis]
    group = q.group
    if channels is not None and group > 0:
        per_group = channels // group
        if per_group <= 1:
            return None
        return (f"with {channels} input channels in {group} group(s), every output channel "
                f"is the sum of {per_group} upsampled input channels (BilinearFiller puts "
                "the same kernel in every (input, output) pair of a group), so the channels "
                "mix" + (" and all outputs are identical" if group == 1 else ""))
    if channels is None and group != q.num_output:
        return (f"group is {group} but num_output is {q.num_output}: unless the input has "
                f"exactly {group} channel(s), every output channel sums several upsampled "
                "input channels (BilinearFiller puts the same kernel in every pair of a "
                "group), so the channels mix")
    return None


def check(net):
    views = [v for v in net.views if v.trains]
    if not views or fine_tuned(net, views):
        return  # weights loaded from a model replace what the filler computed
    reported = set()
    for view in views:
        for layer in view.layers:
            q = layer.param.convolution_param
            if (layer.type != "Deconvolution" or layer.problems
                    or q.weight_filler.type != "bilinear" or layer.index in reported):
                continue
            problems = [p for p in (_group_problem(view, layer), _stride_problem(q)) if p]
            if not problems:
                continue
            reported.add(layer.index)
            field = ("convolution_param.group" if _group_problem(view, layer)
                     else "convolution_param.stride")
            yield Report(
                layer.location(field),
                f"Deconvolution '{layer.name}' with the bilinear filler does not upsample "
                f"by interpolation: {'; '.join(problems)}",
                "use Caffe's upsampling recipe: for factor f and C channels, `num_output: C "
                "group: C kernel_size: 2*f - f%2 stride: f pad: ceil((f-1)/2)` with "
                "`weight_filler { type: \"bilinear\" }`, `bias_term: false` and "
                "`param { lr_mult: 0 decay_mult: 0 }`",
            )
