"""BatchNorm told to use its stored statistics while the net trains."""

from protolint.findings import Report, Severity

CODE = "PL206"
NAME = "batchnorm-global-stats-in-train"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "BatchNorm use_global_stats: true in TRAIN: statistics frozen at their initial 0"


def _frozen_scale_follows(view, layer) -> bool:
    """A Scale right after the BatchNorm with lr_mult 0 for each of its blobs (the scale,
    and the bias with bias_term): the whole normalisation is frozen on purpose, which only
    makes sense for pretrained weights. A blob without a `param` block learns (lr_mult 1)."""
    for reader in view.readers(layer, 0):
        scale = reader.layer.param
        blobs = 1 + int(scale.scale_param.bias_term)
        specs = scale.param[:blobs]
        if scale.type == "Scale" and len(specs) == blobs and all(s.lr_mult == 0 for s in specs):
            return True
    return False


def check(net):
    """One finding per net, at the first such layer: freezing statistics is a decision
    about the whole net (fine-tuning or not), and the other layers are listed."""
    if net.solver_pretrained:
        return  # fine-tuning from `weights`: frozen statistics are the point
    def judge(view, layer) -> bool:
        bn = layer.param.batch_norm_param
        return (view.trains and layer.type == "BatchNorm" and bn.HasField("use_global_stats")
                and bn.use_global_stats and not _frozen_scale_follows(view, layer))

    frozen = [layer for layer, _ in net.per_layer(judge)]
    if not frozen:
        return
    first, *others = frozen
    more = f" (as do {len(others)} more BatchNorm layers)" if others else ""
    yield Report(
        first.location("batch_norm_param.use_global_stats"),
        f"BatchNorm '{first.name}' uses its stored mean and variance while training{more} "
        "and never updates them: trained from scratch they stay 0, so the layer divides "
        "by sqrt(eps) and scales its input by about 316",
        "remove use_global_stats (Caffe then uses batch statistics in TRAIN and the "
        "stored ones in TEST), unless you fine-tune from weights whose statistics you "
        "mean to freeze (then pass them with the solver's `weights` field)",
        related=tuple((l.location("batch_norm_param.use_global_stats"), "also frozen")
                      for l in others),
    )
