"""A filler Caffe cannot run: an unknown type, gaussian std <= 0, uniform min > max,
sparse on a filler without sparsity, bilinear on a blob that is not a square 4-D filter.
Caffe aborts while setting the layer up."""

from __future__ import annotations

from protolint.fillers import FILLER_TYPES
from protolint.findings import Report, Severity
from protolint.floats import f32
from protolint.shapes import shape_text

CODE = "PL232"
NAME = "filler-aborts"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("a filler Caffe aborts on: unknown type, gaussian std <= 0, uniform min > max, "
           "misplaced sparse, bilinear on a blob that is not a square 4-D filter")


def _canonical(axis: int, rank: int) -> int:
    return axis + rank if axis < 0 else axis


def _sub(shape, axis: int, num_axes: int):
    """bottom.shape[axis : axis + num_axes] (num_axes -1: to the end), as Scale and Bias
    shape their blob; None when the rank is unknown and needed."""
    if shape is None:
        return (None,) * num_axes if num_axes >= 0 else None
    start = _canonical(axis, len(shape))
    end = len(shape) if num_axes == -1 else start + num_axes
    return tuple(shape[start:end])


def _conv(view, layer):
    q = layer.param.convolution_param
    s = view.shapes.bottom(layer, 0)
    weight = None
    if s is not None:
        axis = _canonical(q.axis, len(s))
        if 0 <= axis < len(s):
            channels = s[axis]
            nsp = len(s) - axis - 1
            first = channels if layer.type == "Deconvolution" else q.num_output
            weight = (first,) + (None,) * (1 + nsp)
    out = [("convolution_param.weight_filler", q.weight_filler, weight, True)]
    if q.bias_term:
        out.append(("convolution_param.bias_filler", q.bias_filler, (q.num_output,), False))
    return out


def _inner_product(view, layer):
    q = layer.param.inner_product_param
    weight = (None, q.num_output) if q.transpose else (q.num_output, None)
    out = [("inner_product_param.weight_filler", q.weight_filler, weight, False)]
    if q.bias_term:
        out.append(("inner_product_param.bias_filler", q.bias_filler, (q.num_output,), False))
    return out


def _embed(view, layer):
    q = layer.param.embed_param
    out = [("embed_param.weight_filler", q.weight_filler, (q.input_dim, q.num_output), False)]
    if q.bias_term:
        out.append(("embed_param.bias_filler", q.bias_filler, (q.num_output,), False))
    return out


def _recurrent(view, layer):
    q = layer.param.recurrent_param
    rows = q.num_output * (4 if layer.type == "LSTM" else 1)
    return [("recurrent_param.weight_filler", q.weight_filler, (rows, None), False),
            ("recurrent_param.bias_filler", q.bias_filler, (rows,), False)]


def _scale(view, layer):
    p = layer.param.scale_param
    s = view.shapes.bottom(layer, 0)
    out = []
    if len(layer.bottoms) == 1 and p.HasField("filler"):
        out.append(("scale_param.filler", p.filler, _sub(s, p.axis, p.num_axes), False))
    if p.bias_term:
        # ScaleLayer::LayerSetUp builds a one-bottom Bias layer, which always fills.
        if len(layer.bottoms) > 1:
            other = view.shapes.bottom(layer, 1)
            num_axes = len(other) if other is not None else None
        else:
            num_axes = p.num_axes
        shape = _sub(s, p.axis, num_axes) if num_axes is not None else None
        out.append(("scale_param.bias_filler", p.bias_filler, shape, False))
    return out


def _bias(view, layer):
    if len(layer.bottoms) != 1:
        return []
    p = layer.param.bias_param
    s = view.shapes.bottom(layer, 0)
    return [("bias_param.filler", p.filler, _sub(s, p.axis, p.num_axes), False)]


def _prelu(view, layer):
    p = layer.param.prelu_param
    if not p.HasField("filler"):
        return []  # PReLULayer's default: constant 0.25
    return [("prelu_param.filler", p.filler, () if p.channel_shared else (None,), False)]


def _dummy(view, layer):
    fillers = list(layer.param.dummy_data_param.data_filler)
    tops = len(layer.tops)
    if len(fillers) == 1:
        return [("dummy_data_param.data_filler", fillers[0], view.shapes.top(layer, i), False)
                for i in range(tops)]
    return [("dummy_data_param.data_filler", f, view.shapes.top(layer, i), False)
            for i, f in enumerate(fillers[:tops])]


_FILLERS = {
    "Convolution": _conv, "Deconvolution": _conv, "InnerProduct": _inner_product,
    "Embed": _embed, "LSTM": _recurrent, "RNN": _recurrent, "Scale": _scale,
    "Bias": _bias, "PReLU": _prelu, "DummyData": _dummy,
}


def filler_abort(f, shape, conv_weight: bool):
    """(sub-field, reason) when running this filler on a blob of `shape` (None: rank
    unknown; None entries: unknown sizes) fails a CHECK, else None."""
    kind = f.type
    if kind not in FILLER_TYPES:
        hint = ""
        lowered = kind.lower()
        if lowered in FILLER_TYPES:
            hint = f" (filler names are lower case: \"{lowered}\")"
        elif lowered in ("he", "kaiming"):
            hint = " (He initialisation is \"msra\")"
        elif lowered == "normal":
            hint = " (the normal distribution is \"gaussian\")"
        return "type", (f"its type \"{kind}\" is not one GetFiller knows, so it fails "
                        f"\"Unknown filler name: {kind}\"{hint}")
    if kind == "gaussian":
        std = f32(f.std)
        if std <= 0:
            return "std", (f"gaussian std is {std:g}: caffe_rng_gaussian's check "
                           f"\"sigma > 0\" fails")
        if f.sparse < -1:
            return "sparse", f"sparse is {f.sparse}: GaussianFiller's check \"sparse >= -1\" fails"
        if f.sparse >= 0 and shape is not None:
            if len(shape) == 0:
                return "sparse", ("sparse needs a blob with at least one axis, and this "
                                  "one is a scalar")
            rows = shape[0]
            if rows and f.sparse > rows:
                return "sparse", (f"sparse {f.sparse} over the blob's {rows} rows is a "
                                  f"probability of {f.sparse / rows:g}: caffe_rng_bernoulli's "
                                  "check \"p <= 1\" fails")
        return None
    if kind == "uniform" and f32(f.min) > f32(f.max):
        return "min", (f"uniform min {f32(f.min):g} > max {f32(f.max):g}: "
                       "caffe_rng_uniform's check \"a <= b\" fails")
    if kind in ("xavier", "msra", "positive_unitball") and shape is not None and len(shape) == 0:
        return "type", (f"the {kind} filler reads the blob's first axis, and this blob is a "
                        "scalar (channel_shared): Blob::CanonicalAxisIndex's check fails")
    if kind == "bilinear" and not conv_weight and shape is not None:
        if len(shape) != 4:
            return "type", (f"the bilinear filler needs a 4-D filter blob and this blob is "
                            f"{len(shape)}-D {shape_text(shape)}: its check "
                            "\"blob->num_axes() == 4\" fails (Blob must be 4 dim.)")
        if None not in shape[2:] and shape[2] != shape[3]:
            return "type", (f"the bilinear filler needs a square filter, and this blob is "
                            f"{shape[2]}x{shape[3]}: its check fails (Filter must be square)")
    if f.sparse != -1:
        return "sparse", (f"sparse is {f.sparse}, but only the gaussian filler supports "
                          f"sparsity: the {kind} filler's check \"sparse == -1\" fails")
    return None


def check(net):
    reported = set()
    judged = set()  # (layer, shapes): views sharing their shapes give the same answers
    for view in net.views:
        for layer in view.layers:
            fillers = _FILLERS.get(layer.type)
            if fillers is None or layer.problems or (layer.index, id(view.shapes)) in judged:
                continue
            judged.add((layer.index, id(view.shapes)))
            for path, f, shape, conv_weight in fillers(view, layer):
                found = filler_abort(f, shape, conv_weight)
                if found is None:
                    continue
                field, reason = found
                key = (layer.index, path, reason)
                if key in reported:
                    continue
                reported.add(key)
                yield Report(
                    layer.location(f"{path}.{field}"),
                    f"{layer.type} '{layer.name}' {path.split('.')[-1]}: {reason}. Fillers "
                    "run while Caffe sets the layer up (Net::Init), before any weights are "
                    "loaded, so the net aborts in training and in deployment alike",
                    "use one of the filler types constant, gaussian (std > 0), uniform "
                    "(min <= max), xavier, msra, positive_unitball, bilinear (square 4-D "
                    "filters only); `sparse` only with gaussian",
                )
