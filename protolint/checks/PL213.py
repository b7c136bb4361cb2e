"""A bottom blob nothing produces before it is read: Caffe aborts building the net."""

from __future__ import annotations

import difflib

from protolint.findings import Report, Severity
from protolint.net import TRAIN

CODE = "PL213"
NAME = "unknown-bottom"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a bottom blob no earlier layer produces (and no net input): Caffe aborts"


def _why_not_input(net, blob: str) -> str:
    p = net.param
    if blob not in p.input:
        return ""
    if net.inline:
        return (f"; '{blob}' is declared as a net `input`, but Caffe never upgrades a "
                "solver's inline net_param into an Input layer and Net::Init ignores "
                "`input` fields")
    return (f"; '{blob}' is declared as a net `input` without input_shape or input_dim, and "
            "Caffe's UpgradeNetInput then drops the input fields (it takes the file for an "
            "old .caffemodel)")


def _producers(layers, blob: str):
    return [l for l in layers if blob in l.tops]


def _unknown(net):
    """(layer index, bottom index) -> the phase views in which nothing provides that bottom
    when the layer is set up, in Caffe's order: a blob exists once an earlier layer (or
    the net input) produced it. Also the views checked."""
    inputs = net.inputs
    found: dict[tuple[int, int], list] = {}
    checked = []
    for view in net.views:
        if not net.param.input and not any(not l.bottoms and l.tops
                                           for l in view.layers):
            continue  # no data at all: a state this file is not built in (a train-only
            # file's TEST, a stage a solver selects), where every bottom is unknown
        if view.phase == TRAIN and not view.trains:
            continue  # the TRAIN state of a deploy net (no loss, no solver): not built
        checked.append(view)
        produced = set(inputs)
        for layer in view.layers:
            for b, blob in enumerate(layer.bottoms):
                if blob not in produced:
                    found.setdefault((layer.index, b), []).append(view)
            produced.update(layer.tops)
    return found, checked


def _phases(views) -> str:
    return ", ".join(dict.fromkeys(v.phase_name for v in views))


def check(net):
    if net.format == "v0":
        return  # V0 nets have no phase rules; their upgrade aborts on this (PL00x)
    by_index = {l.index: l for l in net.layers}
    all_tops = sorted({t for l in net.layers for t in l.tops})
    unknown, checked = _unknown(net)
    for (index, b), views in unknown.items():
        layer = by_index[index]
        blob = layer.bottoms[b]
        where = _phases(views)
        reason = ""
        later = [l for l in _producers(views[0].layers, blob) if l.index > index]
        fine = [v for v in checked if v not in views and layer in v.layers]
        if later:
            reason = (f"; '{blob}' is produced only later, by '{later[0].name}': Caffe connects "
                      "layers in file order, so a blob must be produced before it is read")
        elif fine:
            view = fine[0]
            edge = view.source(layer, b)
            source = f"from '{edge.layer.name}'" if edge is not None else "as a net input"
            reason = (f"; in {_phases(fine)} it comes {source}, which the include/exclude "
                      f"rules leave out of {where}")
        elif elsewhere := [l for l in _producers(net.layers, blob)
                           if l is not layer and all(l not in v.layers for v in views)]:
            reason = (f"; only '{elsewhere[0].name}' produces it, and its include/exclude "
                      f"rules leave it out of {where}")
        else:
            reason = _why_not_input(net, blob)
            if not reason:
                names = [t for t in all_tops if t != blob]
                close = difflib.get_close_matches(blob, names, n=1, cutoff=0.75)
                reason = "; no layer of this net produces it" + (
                    f" (did you mean '{close[0]}'?)" if close else "")
        yield Report(
            layer.location("bottom", b),
            f"{layer.type} '{layer.name}' reads '{blob}' (bottom {b}), which no earlier layer "
            f"produces in {where} and which is not a net input: Caffe aborts building that "
            f"net (InsertSplits: Unknown bottom blob){reason}",
            "produce the blob before it is read in every phase that reads it: fix the "
            "include/exclude rules of the reading or the producing layer, move the reader "
            "after its producer, or correct the name",
        )
