"""BatchNorm written with the deprecated three `param` blocks."""

from protolint.findings import Report, Severity

CODE = "PL205"
NAME = "batchnorm-deprecated-params"
SEVERITY = Severity.INFO
TARGET = "net"
SUMMARY = "BatchNorm with exactly three `param` blocks: a deprecated form Caffe rewrites"


def check(net):
    """One finding per net, at the first such layer, listing the others."""
    if net.inline:
        return  # Caffe only upgrades net files; inline nets are PL204's business
    found = [l for l in net.layers if l.type == "BatchNorm" and len(l.param.param) == 3]
    if not found:
        return
    first, *others = found
    more = f" ({len(others)} more BatchNorm layers do the same)" if others else ""
    yield Report(
        first.location("param"),
        f"BatchNorm '{first.name}' has three `param` blocks, the deprecated form{more}: "
        "Caffe's net upgrade sets their lr_mult and decay_mult to 0 whatever they say",
        "delete the three `param { ... }` blocks of each BatchNorm layer",
        related=tuple((l.location("param"), "same deprecated form") for l in others),
    )
