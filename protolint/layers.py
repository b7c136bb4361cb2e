"""Layer settings read the way Caffe's layer set-up code reads them."""

from __future__ import annotations


def learnable_blob_count(layer_param) -> int | None:
    """How many learnable blobs a layer of a BVLC type has (Net::AppendParam pairs them
    with `param` blocks in order); None for a type whose blobs protolint does not know
    (Python layers, fork layers)."""
    p = layer_param
    kind = p.type
    if kind in ("Convolution", "Deconvolution"):
        return 1 + int(p.convolution_param.bias_term)
    if kind == "InnerProduct":
        return 1 + int(p.inner_product_param.bias_term)
    if kind == "Embed":
        return 1 + int(p.embed_param.bias_term)
    if kind == "Scale":
        return int(len(p.bottom) < 2) + int(p.scale_param.bias_term)
    if kind == "Bias":
        return int(len(p.bottom) < 2)
    if kind in ("PReLU", "Parameter"):
        return 1
    if kind == "BatchNorm":
        return 3
    if kind == "LSTM":
        return 3  # input-to-gates weights and bias, hidden-to-gates weights
    if kind == "RNN":
        return 5  # input, recurrent and output weights, hidden and output biases
    if kind == "Python" or kind not in BVLC_LAYER_TYPES:
        return None
    return 0


def blob_multipliers(layer_param) -> list[tuple[float, float]]:
    """(lr_mult, decay_mult) of each learnable blob: the layer's `param` blocks, and
    Caffe's defaults (1, 1) for blobs without one. BatchNorm's statistics never learn.
    For a layer of unknown blobs, only what its `param` blocks say."""
    count = learnable_blob_count(layer_param)
    specs = list(layer_param.param)
    if count is None:
        count = len(specs)
    out = []
    for i in range(count):
        if layer_param.type == "BatchNorm":
            out.append((0.0, 0.0))
        elif i < len(specs):
            out.append((specs[i].lr_mult, specs[i].decay_mult))
        else:
            out.append((1.0, 1.0))
    return out


def learnable_params(layers) -> list[tuple[float, float, object]]:
    """(lr_mult, decay_mult, layer) of each learnable parameter Caffe creates for these
    layers (one phase view's): a parameter shared by name (Net::AppendParam) counts once,
    with the owner's multipliers unless the owner left one unset and a sharer sets it."""
    owners: dict[str, list] = {}
    out: list[list] = []
    for layer in layers:
        specs = list(layer.param.param)
        for i, (lr_mult, decay_mult) in enumerate(layer.multipliers):
            spec = specs[i] if i < len(specs) else None
            name = spec.name if spec is not None else ""
            if name and name in owners:
                owner = owners[name]
                if spec.HasField("lr_mult") and not owner[3]:
                    owner[0], owner[3] = spec.lr_mult, True
                if spec.HasField("decay_mult") and not owner[4]:
                    owner[1], owner[4] = spec.decay_mult, True
                continue
            entry = [lr_mult, decay_mult, layer,
                     bool(spec is not None and spec.HasField("lr_mult")),
                     bool(spec is not None and spec.HasField("decay_mult"))]
            out.append(entry)
            if name:
                owners[name] = entry
    return [(e[0], e[1], e[2]) for e in out]


def loss_weights(layer_param) -> list[float]:
    """The loss weight of each top: as written, or 1 for the first top of a loss layer
    (LossLayer::LayerSetUp adds it when none is given)."""
    if layer_param.loss_weight:
        return list(layer_param.loss_weight)
    return [1.0] if layer_param.type.endswith("Loss") else []


# Every layer type BVLC Caffe master registers (REGISTER_LAYER_CLASS / CREATOR).
def input_scale(layer_param) -> float:
    """The factor a data layer multiplies its mean-subtracted values by: WindowData reads
    its own window_data_param.scale (WindowDataLayer::load_batch), every other data layer
    its transform_param's (DataTransformer)."""
    if layer_param.type == "WindowData":
        return layer_param.window_data_param.scale
    return layer_param.transform_param.scale


BVLC_LAYER_TYPES = frozenset("""
AbsVal Accuracy ArgMax BNLL BatchNorm BatchReindex Bias Clip Concat ContrastiveLoss
Convolution Crop Data Deconvolution Dropout DummyData ELU Eltwise Embed EuclideanLoss Exp
Filter Flatten HDF5Data HDF5Output HingeLoss Im2col ImageData InfogainLoss InnerProduct
Input LRN LSTM LSTMUnit Log MVN MemoryData MultinomialLogisticLoss PReLU Parameter Pooling
Power Python RNN ReLU Reduction Reshape SPP Scale Sigmoid SigmoidCrossEntropyLoss Silence
Slice Softmax SoftmaxWithLoss Split Swish TanH Threshold Tile WindowData
""".split())
