"""In-place use of a layer whose set-up refuses it: Caffe aborts building the net."""

from __future__ import annotations

from protolint.findings import Report, Severity

CODE = "PL216"
NAME = "in-place-rejected"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "AbsVal, Flatten, Reshape or Split computing in place: its set-up CHECK aborts"

# The layer types whose set-up CHECKs that top and bottom are different blobs, and where.
REJECTS = {
    "AbsVal": "AbsValLayer::LayerSetUp",
    "Flatten": "FlattenLayer::Reshape",
    "Reshape": "ReshapeLayer::LayerSetUp",
    "Split": "SplitLayer::Reshape",
}


def check(net):
    # in_place leaves out what aborts earlier (PL213, PL214)
    found = net.per_layer(lambda view, layer: layer.type in REJECTS and view.in_place(layer))
    for layer, hits in found:
        names = [view.phase_name for view, _ in hits]
        blob = layer.tops[0]
        yield Report(
            layer.location("top"),
            f"{layer.type} '{layer.name}' computes in place ('{blob}' -> '{blob}', "
            f"{', '.join(dict.fromkeys(names))}): {REJECTS[layer.type]} CHECKs that its top "
            f"and bottom are different blobs, so Caffe aborts building the net ({layer.type} "
            "Layer does not allow in-place computation)",
            f"give the top of '{layer.name}' a new name and read that name in the layers "
            "after it",
        )

