"""Net-level `input` fields with fewer shapes than inputs: the upgrade reads past the list."""

from protolint.findings import Report, Severity

CODE = "PL242"
NAME = "input-shapes-missing"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("legacy `input` blobs with fewer input_shape (or fewer than 4 input_dim each) "
           "than inputs: Caffe's upgrade reads past the end of the list")


def check(net):
    p = net.param
    if net.inline or not p.input:
        return  # a solver's inline net is not upgraded, and Net::Init ignores `input`
    count = len(p.input)
    if p.input_shape:
        given, needed, field = len(p.input_shape), count, "input_shape"
        what = f"{given} input_shape for {count} inputs"
    elif p.input_dim:
        given, needed, field = len(p.input_dim), 4 * count, "input_dim"
        what = f"{given} input_dim values for {count} inputs (4 each: {needed})"
    else:
        return  # no shapes at all: the upgrade drops the inputs (a weights file's form)
    if given >= needed:
        return
    node = net.root.first(field)
    location = net.doc.location(node.start, node.name_end) if node else net.location()
    yield Report(
        location,
        f"{what}: UpgradeNetInput turns the inputs into an Input layer and takes input "
        f"{field} {given} and beyond from past the end of the list, unchecked in a "
        "release build: garbage dimensions, or a crash",
        f"give every input its shape: one input_shape {{ dim: ... }} per input, or four "
        "input_dim values (N, C, H, W) per input, in the order of the inputs",
    )
