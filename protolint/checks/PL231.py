"""Weights that start at 0 (no weight_filler: the default filler is constant 0) in a net
trained from scratch, where that keeps the layer from learning."""

from __future__ import annotations

from protolint.fillers import WEIGHT_PARAM, fine_tuned, weight_filler, weight_lr
from protolint.findings import Report, Severity

CODE = "PL231"
NAME = "zero-initialised-weights"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("weights left at the default constant-0 filler where that stops learning: a "
           "ReLU passes no gradient at 0, or the next layer starts at 0 too")

def has_bias(layer) -> bool:
    owner = WEIGHT_PARAM[layer.type]
    if owner == "recurrent_param":
        return True  # the unrolled net's input-to-gate InnerProduct always has a bias
    return getattr(layer.param, owner).bias_term


def bias_filler(layer):
    owner = WEIGHT_PARAM[layer.type]
    return getattr(layer.param, owner).bias_filler


def starts_at_zero(layer) -> bool:
    """The layer's weights are filled with 0: no weight_filler (GetFiller's default is
    type "constant", value 0), or an explicit constant 0."""
    found = weight_filler(layer)
    if found is None:
        return False
    _, f = found
    return f.type == "constant" and f.value == 0 and f.sparse == -1


# ---------------------------------------------------------------- the walk forward

_ZERO_KEEPING = frozenset("""BatchNorm Pooling Dropout LRN Split Reshape Flatten Crop Tile
Concat Slice BatchReindex Filter PReLU ELU TanH MVN""".split())
_UNEVEN = frozenset("Concat Slice Dropout LRN".split())
_ELEMENTWISE = frozenset("Sigmoid BNLL AbsVal Power Exp Log Clip Swish Threshold".split())


def _scale_keeps_zero(layer) -> bool:
    """Scale maps 0 to 0 unless its bias (bias_term) starts at a non-zero value."""
    p = layer.param.scale_param
    return not p.bias_term or (p.bias_filler.type == "constant" and p.bias_filler.value == 0)


def _consequence(view, layer):
    """What starting at 0 does to `layer` in this view: ("dead", relu) when its output is
    exactly 0 and reaches a ReLU (which passes no gradient at 0), ("symmetric", other)
    when the next weight layer also starts at 0 (every unit stays identical), or None."""
    bias_zero = not has_bias(layer) or (bias_filler(layer).type == "constant"
                                        and bias_filler(layer).value == 0)
    bias_same = not has_bias(layer) or bias_filler(layer).type == "constant"
    if layer.type in ("LSTM", "RNN"):
        bias_same = bias_zero  # gates mix several biases: only all-zero keeps units equal
    if not bias_same:
        return None
    pending = [(layer, bias_zero, True)]
    seen = {layer.index}
    symmetric_hit = None
    while pending:
        current, zero, same = pending.pop(0)
        for edge in view.readers(current, 0):
            reader = edge.layer
            if reader.index in seen or reader.problems:
                continue
            seen.add(reader.index)
            kind = reader.type
            if kind in WEIGHT_PARAM:
                if same and starts_at_zero(reader) and symmetric_hit is None:
                    symmetric_hit = ("symmetric", reader)
                continue
            if kind == "ReLU":
                if zero and reader.param.relu_param.negative_slope == 0:
                    return ("dead", reader)
                pending.append((reader, False, same))
            elif kind in _ZERO_KEEPING:
                # Dropout's random masks and LRN's edge channels make units differ.
                pending.append((reader, zero, same and kind not in _UNEVEN))
            elif kind == "Scale":
                pending.append((reader, zero and _scale_keeps_zero(reader),
                                same and len(reader.bottoms) == 1))
            elif kind == "Bias" and len(reader.bottoms) == 1:
                f = reader.param.bias_param.filler
                pending.append((reader, zero and f.type == "constant" and f.value == 0,
                                same and f.type == "constant"))
            elif kind in _ELEMENTWISE:
                pending.append((reader, False, same))
    return symmetric_hit


def _describe(layer, consequence) -> str:
    kind, other = consequence
    if kind == "dead":
        return (f"its output is exactly 0 (zero weights, zero bias) and reaches ReLU "
                f"'{other.name}', which passes no gradient where its input is 0, so "
                f"'{layer.name}' never learns (and passes no gradient to the layers below it)")
    return (f"the next weight layer, {other.type} '{other.name}', starts at 0 too, so all "
            f"of '{layer.name}''s units compute the same value and get the same gradient: "
            "they stay identical forever")


def _how(layer) -> str:
    path, f = weight_filler(layer)
    field = path.split(".")[0]
    if not getattr(layer.param, field).HasField("weight_filler"):
        return "has no weight_filler, so Caffe fills its weights with the default constant 0"
    return "has weight_filler constant 0"


def check(net):
    """One finding per net, at the first layer: whether the weights are loaded from a
    pretrained model is a decision about the whole net."""
    views = [v for v in net.views if v.trains]
    if not views or fine_tuned(net, views):
        return
    weight_layers = {l.index: l for v in views for l in v.layers
                     if l.type in WEIGHT_PARAM and not l.problems and weight_lr(l) != 0}
    zero = [l for l in weight_layers.values() if starts_at_zero(l)]
    if len(zero) * 2 >= len(weight_layers):
        return  # most weights come without a filler: the net expects them from a model
    found = {}
    for view in views:
        for layer in view.layers:
            if (layer.index in found or layer.problems or not starts_at_zero(layer)
                    or weight_lr(layer) == 0):
                continue
            consequence = _consequence(view, layer)
            if consequence is not None:
                found[layer.index] = (layer, consequence)
    if not found:
        return
    (first, consequence), *others = found.values()
    more = f" (as do {len(others)} more layers)" if others else ""
    path, _ = weight_filler(first)
    yield Report(
        first.location(path),
        f"{first.type} '{first.name}' {_how(first)}{more}: {_describe(first, consequence)}"
        " (unless these weights are loaded from a pretrained model)",
        "give the layer a random weight_filler, e.g. `weight_filler { type: \"msra\" }` "
        "before a ReLU or `weight_filler { type: \"xavier\" }`; if the weights come from a "
        "pretrained model, name it in the solver's `weights` field",
        related=tuple((l.location(weight_filler(l)[0]), f"{l.type} '{l.name}': "
                       f"{_describe(l, c)}") for l, c in others),
    )
