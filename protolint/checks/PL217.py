"""In-place use of a layer whose backward pass needs its input: the gradient is wrong."""

from __future__ import annotations

from protolint.findings import Report, Severity
from protolint.layers import loss_weights

CODE = "PL217"
NAME = "in-place-corrupts-gradient"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("in-place Power, Log, BNLL, Clip, LRN, MVN or Eltwise PROD (and more): its "
           "gradient is wrong")

_WITHIN_CHANNEL = 1  # LRNParameter.NormRegion
_PROD = 0  # EltwiseParameter.EltwiseOp


def _fmt(x: float) -> str:
    return f"{x:g}"


def _mechanism(layer) -> str | None:
    """Why Backward computes a wrong gradient when this layer's top is its bottom (the same
    blob: the bottom data is then the output, and the bottom diff is the top diff), or None
    when it does not (Sigmoid, TanH, Exp, Swish use the output; Dropout a mask; BatchNorm,
    Scale, Bias and PReLU keep what they need themselves)."""
    p = layer.param
    kind = layer.type
    if kind == "BNLL":
        return ("BNLLLayer::Backward takes the derivative sigmoid(x) at its bottom data, which "
                "in place is the output softplus(x): every gradient is scaled by "
                "sigmoid(softplus(x)) instead")
    if kind == "Clip":
        return ("ClipLayer::Backward passes the gradient where its bottom data lies within "
                f"[{_fmt(p.clip_param.min)}, {_fmt(p.clip_param.max)}]; in place that data is "
                "the clipped output, which always does, so clipped inputs still get gradient")
    if kind == "Log":
        return ("LogLayer::Backward computes the derivative from its bottom data (in place: "
                "the output) into the bottom diff, which in place is the top diff it then "
                "multiplies by: the gradient from above is lost and the result is the "
                "squared derivative at the wrong point")
    if kind == "Power":
        q = p.power_param
        if q.power * q.scale == 0:
            return None  # a constant output: Backward only writes zeros
        if q.power == 1:
            result = f"the square of its constant derivative {_fmt(q.power * q.scale)}"
        else:
            result = "the square of a derivative computed from the output instead of the input"
        return ("PowerLayer::Backward writes the derivative into the bottom diff before "
                "multiplying it by the top diff, which in place is the same memory: the "
                f"gradient from above is lost and the result is {result}")
    if kind == "MVN":
        if not p.mvn_param.normalize_variance:
            return None
        return ("MVNLayer::Backward (normalize_variance) overwrites the bottom diff, which in "
                "place is the top diff, with y*dy and then reads the top diff again")
    if kind == "LRN":
        if p.lrn_param.norm_region == _WITHIN_CHANNEL:
            return ("LRNLayer's WITHIN_CHANNEL backward multiplies by its bottom data, which "
                    "in place is the output, not the input")
        return ("LRNLayer::Backward (ACROSS_CHANNELS) reads its bottom data (in place: the "
                "output) and overwrites the top diff it still needs (the bottom diff is the "
                "same memory); on CPU its forward output is wrong in place too (PL236)")
    if kind == "Eltwise" and p.eltwise_param.operation == _PROD and len(p.bottom) >= 2:
        if p.eltwise_param.stable_prod_grad:
            how = ("copies bottom 1's data into bottom 0's diff, which in place is the top "
                   "diff, before multiplying by the top diff")
        else:
            how = ("divides the top data by bottom 0's data (in place: the same, so 1, or NaN "
                   "where it is 0) into bottom 0's diff, which in place is the top diff")
        return (f"EltwiseLayer::Backward (PROD) {how}: the gradient from above is lost, and "
                "the other bottoms' gradients are computed from bottom 0's data, which in "
                "place is the product")
    if kind == "ReLU":
        slope = p.relu_param.negative_slope
        if slope >= 0:
            return None  # the output has the input's sign: the same slope is chosen
        return ("ReLULayer::Backward picks slope 1 or negative_slope by the sign of its bottom "
                f"data; with negative_slope {_fmt(slope)} a negative input gives a positive "
                f"output, so in place it gets slope 1 instead of {_fmt(slope)}")
    if kind == "ELU":
        alpha = p.elu_param.alpha
        if alpha >= 0:
            return None  # the output has the input's sign and alpha + y is alpha*exp(x)
        return ("ELULayer::Backward tells positive inputs by the sign of its bottom data; "
                f"with alpha {_fmt(alpha)} a negative input gives a positive output, so in "
                "place it gets gradient 1 instead of alpha*exp(x)")
    return None


def _gradient_flows(view, net) -> set[int]:
    """The layers Backward runs through with a gradient for their first bottom, as
    Net::Init decides: a bottom needs backward when a layer before it learns (lr_mult != 0)
    or passes such a gradient on (propagate_down overrides), and the layer's output
    reaches a loss; force_backward makes every bottom need it."""
    blob_need: dict[tuple[int, int], bool] = {}
    bottom_need: dict[int, bool] = {}
    for layer in view.layers:
        p = layer.param
        need = False
        for b in range(len(p.bottom)):
            edge = view.source(layer, b)
            flag = edge is not None and blob_need.get((edge.layer.index, edge.slot), False)
            need |= flag
            if b == 0:
                if len(p.propagate_down) == len(p.bottom):
                    flag = bool(p.propagate_down[0])
                bottom_need[layer.index] = flag or bool(net.param.force_backward)
        need |= any(lr != 0 for lr, _ in layer.multipliers)
        for t in range(len(p.top)):
            blob_need[(layer.index, t)] = need
    reaches_loss: set[int] = set()
    for layer in reversed(view.layers):
        if any(w != 0 for w in loss_weights(layer.param)) or any(
                r.layer.index in reaches_loss
                for t in range(len(layer.tops)) for r in view.readers(layer, t)):
            reaches_loss.add(layer.index)
    return {i for i in reaches_loss if bottom_need.get(i)}


def check(net):
    flows: dict = {}  # per view: the layers a gradient flows back through

    def judge(view, layer) -> bool:
        if not view.trains or layer.problems or _mechanism(layer) is None:
            return False
        if not view.in_place(layer):
            return False  # in_place leaves out what aborts earlier (PL213, PL214)
        if view not in flows:
            flows[view] = _gradient_flows(view, net)
        return layer.index in flows[view]

    for layer, hits in net.per_layer(judge):
        names = [view.phase_name for view, _ in hits]
        blob = layer.tops[0]
        yield Report(
            layer.location("top"),
            f"{layer.type} '{layer.name}' computes in place on '{blob}' "
            f"({', '.join(dict.fromkeys(names))}) and a gradient flows back through it: "
            f"{_mechanism(layer)}",
            f"give the top of '{layer.name}' its own name (e.g. '{blob}_{layer.type.lower()}')"
            " and read that name in the layers after it",
        )
