"""Two layers with the same name in one net: Caffe's name lookups see only one of them."""

from __future__ import annotations

from protolint.findings import Report, Severity
from protolint.layers import learnable_blob_count

CODE = "PL215"
NAME = "duplicate-layer-name"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "two layers with the same name in one phase: saved weights reach only the first"

_MATCH = ("Caffe matches saved weights to layers by name and takes the first layer of that "
          "name: Net::CopyTrainedLayersFrom for a .caffemodel (--weights, the solver's "
          "`weights`, snapshot restores) and Net::ShareTrainedLayersWith, which hands the "
          "training net's weights to the test net")
_HDF5 = ("an HDF5 snapshot (snapshot_format: HDF5) aborts on the repeated name "
         "(Net::ToHDF5 creates one group per layer name)")


def _consequence(layers) -> str:
    counts = [learnable_blob_count(l.param) for l in layers]
    if None not in counts and len(set(counts)) > 1:
        return (f"{_MATCH}: every saved entry of that name is copied into the first layer, "
                "and these layers have different numbers of weight blobs, so loading "
                "weights saved from this net aborts (Incompatible number of blobs); "
                f"also {_HDF5}")
    return (f"{_MATCH}: loading weights saved from this net copies every saved entry of "
            "that name into the first layer (the later entry wins) and leaves the later "
            "layer at its initial values (or aborts when their shapes differ), and weights "
            f"from another net reach only the first layer; also {_HDF5}")


def check(net):
    groups: dict[tuple[int, ...], list[str]] = {}
    for view in net.views:
        by_name: dict[str, list] = {}
        for layer in view.layers:
            by_name.setdefault(layer.name, []).append(layer)
        for same in by_name.values():
            if len(same) > 1 and any((learnable_blob_count(l.param) or 0) > 0 for l in same):
                groups.setdefault(tuple(l.index for l in same), []).append(view.phase_name)
    index = {l.index: l for l in net.layers}
    for key, phases in groups.items():
        same = [index[i] for i in key]
        first, later = same[0], same[1:]
        where = ", ".join(dict.fromkeys(phases))
        kinds = ", ".join(l.type for l in same)
        yield Report(
            later[0].location("name"),
            f"{len(same)} layers are named '{first.name}' in {where} ({kinds}): "
            f"{_consequence(same)}",
            "give every layer of a phase its own name (layers of different phases, such as "
            "a TRAIN and a TEST data layer, may share one)",
            related=((first.location("name"), "the first layer of that name"),)
            + tuple((l.location("name"), "another layer of that name") for l in later[1:]),
        )
