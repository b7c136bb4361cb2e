"""BatchNorm feeding a ReLU with no learnable shift in between."""

from protolint.findings import Report, Severity

CODE = "PL207"
NAME = "batchnorm-without-shift"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "BatchNorm output reaches a ReLU with no Scale(bias_term: true) or Bias in between"

RECTIFIERS = {"ReLU", "PReLU", "ELU"}


def _rectifier_without_shift(view, layer):
    """The rectifier reached from `layer`'s output through Scale layers without a bias
    term, or None when a shift (Scale with bias_term, Bias) or anything else comes first."""
    pending = [layer]
    while pending:
        current = pending.pop()
        for reader in view.readers(current, 0):
            kind = reader.layer.type
            if kind in RECTIFIERS:
                return reader.layer
            if kind == "Scale" and not reader.layer.param.scale_param.bias_term:
                pending.append(reader.layer)
    return None


def check(net):
    for view in net.views:
        for layer in view.layers:
            if layer.type != "BatchNorm" or layer.problems:
                continue  # a fork's BatchNorm (e.g. scale_bias) may learn its own shift
            rectifier = _rectifier_without_shift(view, layer)
            if rectifier is None:
                continue
            yield Report(
                layer.location(),
                f"BatchNorm '{layer.name}' feeds {rectifier.type} '{rectifier.name}' with no "
                "learnable shift in between: Caffe's BatchNorm only normalises (no gamma, "
                "no beta), so the rectifier's bend sits at each channel's batch mean and "
                "cannot move"
                + (" (about half of every channel is always zero)" if rectifier.type == "ReLU" else ""),
                f"add a Scale layer with `scale_param {{ bias_term: true }}` after "
                f"'{layer.name}' (in place is fine)",
                related=((rectifier.location(), f"the {rectifier.type} it feeds"),),
            )
