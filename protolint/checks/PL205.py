"""BatchNorm written with the deprecated three `param` blocks, asking for a learning
rate the upgrade takes away."""

from protolint.findings import Report, Severity

CODE = "PL205"
NAME = "batchnorm-deprecated-params"
SEVERITY = Severity.INFO
TARGET = "net"
SUMMARY = ("BatchNorm with exactly three `param` blocks, one with lr_mult != 0: a deprecated "
           "form Caffe rewrites to lr_mult 0")


def check(net):
    """One finding per net, at the first such layer, listing the others."""
    if net.inline:
        return  # Caffe only upgrades net files; inline nets are PL204's business
    # With every lr_mult 0 (BVLC's own examples) the rewrite changes nothing that acts:
    # decay is multiplied by a rate of 0 either way.
    found = [l for l in net.layers if l.type == "BatchNorm" and len(l.param.param) == 3
             and any(p.lr_mult != 0 for p in l.param.param)]
    if not found:
        return
    first, *others = found
    more = f" ({len(others)} more BatchNorm layers do the same)" if others else ""
    yield Report(
        first.location("param"),
        f"BatchNorm '{first.name}' has three `param` blocks, the deprecated form, and asks "
        f"for a non-zero lr_mult{more}: Caffe's net upgrade sets every lr_mult and "
        "decay_mult of the form to 0, so the statistics are not learned whatever the "
        "blocks say",
        "delete the three `param { ... }` blocks of each BatchNorm layer",
        related=tuple((l.location("param"), "same deprecated form") for l in others),
    )
