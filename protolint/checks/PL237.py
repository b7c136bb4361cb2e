"""A layer's own `phase` field, written as if it chose the phases the layer is in."""

from protolint.findings import Report, Severity
from protolint.floats import f32
from protolint.net import PHASE_NAMES, TRAIN

CODE = "PL237"
NAME = "layer-phase-not-a-filter"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("`phase:` written in a layer keeps it in every phase and makes it compute as that "
           "phase there (Dropout, BatchNorm, random crops); only include/exclude select phases")

# The layers whose DataTransformer crops at random as TRAIN and at the centre otherwise.
_CROPPING = {"Data", "ImageData", "MemoryData"}


def _consequence(view, layer) -> str:
    """What the layer does differently in `view`, computing as the other phase ('' when
    nothing it computes depends on the phase)."""
    kind = layer.type
    as_train = view.runs_as(layer) == TRAIN
    if kind == "Dropout":
        if not as_train:
            return "copies its input: nothing is dropped while training"
        ratio = f32(layer.param.dropout_param.dropout_ratio)
        return (f"drops a random fraction {ratio:g} of its inputs and scales the rest, as "
                "in training: every TEST result is noisy")
    if kind == "BatchNorm" and not layer.param.batch_norm_param.HasField("use_global_stats"):
        if not as_train:
            scale = f32(layer.param.batch_norm_param.eps) ** -0.5
            return ("normalises with its stored mean and variance and never updates them "
                    "(use_global_stats follows the layer's phase): trained from scratch they "
                    f"stay 0 and the layer scales its input by 1/sqrt(eps), about {scale:.3g}")
        return ("normalises each TEST batch with that batch's own statistics (a result "
                "depends on the other inputs in its batch) and folds them into the stored "
                "averages")
    if kind in _CROPPING and layer.param.transform_param.crop_size:
        if not as_train:
            return "crops every training image at its centre: no random crops"
        return "crops its images at random places instead of at their centre"
    return ""


def _judge(view, layer):
    if not layer.param.HasField("phase") or layer.problems:
        return None
    if view.runs_as(layer) == view.phase:
        return None
    if view.phase == TRAIN and not view.trains:
        return None  # nobody trains this net: its TRAIN view runs nothing
    return (_consequence(view, layer),)


def check(net):
    for layer, found in net.per_layer(_judge):
        view, (consequence,) = found[0]
        written = PHASE_NAMES.get(layer.param.phase, str(layer.param.phase))
        other = view.phase_name
        behaviour = (f", and as {written} there (Net::Init gives the net's phase only to "
                     f"layers without one): in {other} it {consequence}" if consequence else "")
        fix = (f"to keep the layer only in {written}, write `include {{ phase: {written} }}` "
               "instead of `phase:`")
        if layer.type == "BatchNorm":
            fix += "; to choose how it normalises in every phase, set use_global_stats"
        yield Report(
            layer.location("phase"),
            f"{layer.type} '{layer.name}' has its own `phase: {written}`, which does not "
            f"leave it out of {other}: Net::FilterNet selects layers by their include and "
            f"exclude rules only, so the layer runs in {other} too{behaviour}",
            fix,
        )
