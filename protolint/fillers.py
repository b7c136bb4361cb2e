"""Weight fillers: the filler types Caffe knows, which filler initialises a layer's
weights, and whether a net's weights come from its fillers at all.

The filler rules share these facts: PL231, PL233 and PL234 judge the values fillers
compute at initialisation, which a net fine-tuned from a pretrained model never uses,
so they ask `fine_tuned` first; PL231 and PL233 find a layer's weight filler the same
way; PL232 checks filler types against GetFiller's list.
"""

from __future__ import annotations


# Layer types whose first learnable blob is a weight matrix filled by `weight_filler`,
# and the parameter message that holds it.
WEIGHT_PARAM = {
    "Convolution": "convolution_param",
    "Deconvolution": "convolution_param",
    "InnerProduct": "inner_product_param",
    "Embed": "embed_param",
    "LSTM": "recurrent_param",
    "RNN": "recurrent_param",
}
FILLER_TYPES = ("constant", "gaussian", "positive_unitball", "uniform", "xavier", "msra",
                "bilinear")  # GetFiller (include/caffe/filler.hpp)


def weight_filler(layer):
    """(field path, FillerParameter) of the layer's weight filler, or None."""
    owner = WEIGHT_PARAM.get(layer.type)
    if owner is None:
        return None
    return f"{owner}.weight_filler", getattr(layer.param, owner).weight_filler


def weight_lr(layer) -> float:
    """The lr_mult of the layer's first learnable blob (its weights), 0 without one."""
    mults = layer.multipliers
    return mults[0][0] if mults else 0.0


def fine_tuned(net, views) -> bool:
    """Evidence that the net starts from pretrained weights: the solver names `weights`,
    or a weight layer is frozen (lr_mult 0) without a fixed bilinear filler, which only
    makes sense when its values come from a model."""
    if net.solver_pretrained:
        return True
    for view in views:
        for layer in view.layers:
            found = weight_filler(layer)
            if found is None or found[1].type == "bilinear":
                continue
            if weight_lr(layer) == 0:
                return True
    return False
