"""A shape CHECK Caffe fails while building the net: it aborts at Net::Init."""

from protolint.findings import Report, Severity
from protolint.net import PHASE_NAMES

CODE = "PL212"
NAME = "shape-check-fails"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a layer's shapes fail one of Caffe's CHECKs: the net aborts while it is built"


def check(net):
    """One finding per layer and failure, naming every phase it happens in."""
    phases: dict[tuple[int, str], list[str]] = {}
    failures = {}
    for view in net.views:
        for failure in view.shapes.failures:
            key = (failure.layer.index, failure.message)
            phases.setdefault(key, []).append(PHASE_NAMES.get(view.phase, str(view.phase)))
            failures.setdefault(key, failure)
    for key, failure in failures.items():
        layer = failure.layer
        where = ", ".join(dict.fromkeys(phases[key]))
        yield Report(
            layer.location(failure.field),
            f"{layer.type} '{layer.name}' ({where}): {failure.message}",
            "fix the layer's settings or its inputs so the shapes agree (`protolint shapes "
            "FILE` prints every blob's shape; `--input-shape BLOB=N,C,H,W` gives the "
            "shapes of inputs the files do not state)",
        )
