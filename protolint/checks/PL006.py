"""A net file in the V0 or V1 format, which Caffe upgrades every time it loads it."""

from protolint.findings import Report, Severity

CODE = "PL006"
NAME = "legacy-net-format"
SEVERITY = Severity.INFO
TARGET = "net"
SUMMARY = "a V0/V1 net (`layers { ... }`) that Caffe upgrades on every load"

_WHAT = {
    "v1": "V1 net format (`layers { type: CONVOLUTION ... }`)",
    "v0": "V0 net format (`layers { layer { ... } }`)",
}


def check(net):
    if net.inline or net.format not in _WHAT:
        return
    first = net.root.first("layers")
    location = net.doc.location(first.start, first.name_end) if first else net.location()
    yield Report(
        location,
        f"{_WHAT[net.format]}: Caffe upgrades it to `layer {{ type: \"...\" }}` on load; "
        "protolint lints the upgraded net",
        "convert the file once with Caffe's `upgrade_net_proto_text IN OUT` tool",
    )
