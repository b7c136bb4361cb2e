"""A top blob produced twice in one phase, not in place: Caffe aborts building the net."""

from __future__ import annotations

from dataclasses import dataclass

from protolint.checks.PL213 import net_inputs
from protolint.findings import Report, Severity

CODE = "PL214"
NAME = "top-produced-twice"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a top name already produced earlier in the phase, not in place: Caffe aborts"

_INPUT = -1  # the Input layer UpgradeNetInput puts first for a file's `input` fields


@dataclass(frozen=True)
class Clash:
    layer: object
    top: int
    kind: str  # "twice", "self", "index" or "split"
    other: object  # the first producer of the name (a Layer, or None for a net input)
    shared: str = ""  # "split": who else consumes the blob
    copy: str = ""  # "split": the name of the Split copy the layer reads instead


def _split_counts(view, inputs):
    """InsertSplits' bookkeeping for one phase view: the producer of each bottom
    ((layer index, top index), or (_INPUT, i) for a net input) and how many consumers each
    produced top has (bottoms reading it before it is rewritten, plus one for an explicit
    nonzero loss_weight). A top with more than one consumer is fed through a Split layer:
    each consumer's bottom is renamed to its own copy."""
    last = {name: (_INPUT, i) for i, name in enumerate(inputs)}
    source: dict[tuple[int, int], tuple[int, int]] = {}
    count: dict[tuple[int, int], int] = {}
    order: dict[tuple[int, int], list[tuple[int, int]]] = {}
    weighted: set[tuple[int, int]] = set()
    for layer in view.layers:
        p = layer.param
        for b, blob in enumerate(p.bottom):
            key = last.get(blob)
            if key is None:
                continue  # an unknown bottom: PL213
            source[(layer.index, b)] = key
            count[key] = count.get(key, 0) + 1
            order.setdefault(key, []).append((layer.index, b))
        for t, blob in enumerate(p.top):
            last[blob] = (layer.index, t)
        for t in range(min(len(p.loss_weight), len(p.top))):
            key = last[p.top[t]]
            if p.loss_weight[t]:
                count[key] = count.get(key, 0) + 1
                weighted.add(key)
    return source, count, order, weighted


def clashes(view, net=None) -> list[Clash]:
    """Every top Net::AppendTop rejects in this view (after InsertSplits renamed shared
    bottoms), in order."""
    net = net or view.net
    inputs = net_inputs(net)
    source, count, order, weighted = _split_counts(view, inputs)
    by_index = {l.index: l for l in view.layers}
    produced: dict[str, object] = {name: None for name in inputs}
    out = []
    for layer in view.layers:
        p = layer.param
        for t, blob in enumerate(p.top):
            if not layer.type:
                pass  # an unknown V0 type: Caffe's upgrade aborts before (PL00x)
            elif t < len(p.bottom) and p.bottom[t] == blob:
                key = source.get((layer.index, t))
                if key is not None and count.get(key, 0) > 1:
                    readers = [by_index[i] for i, _ in order[key] if i != layer.index]
                    k = order[key].index((layer.index, t)) + (key in weighted)
                    owner = "input" if key[0] == _INPUT else by_index[key[0]].name
                    split = f"{blob}_{owner}_{key[1]}_split_{k}"  # SplitBlobName
                    others = ", ".join(f"'{r.name}'" for r in dict.fromkeys(readers))
                    also = []
                    if others:
                        also.append(f"also read by {others}")
                    if key in weighted:
                        also.append("also a loss output (loss_weight)")
                    out.append(Clash(layer, t, "split", by_index.get(key[0]),
                                     " and ".join(also), split))
            elif blob in produced:
                earlier = produced[blob]
                if blob in p.bottom:
                    kind = "index"
                elif earlier is layer:
                    kind = "self"
                else:
                    kind = "twice"
                out.append(Clash(layer, t, kind, earlier))
            produced.setdefault(blob, layer)
    return out


def broken_in_place(view) -> set[tuple[int, int]]:
    """(layer index, top index) of tops written like in-place ones that Caffe rejects."""
    return {(c.layer.index, c.top) for c in clashes(view) if c.kind == "split"}


def _message(c: Clash) -> tuple[str, str]:
    layer, p = c.layer, c.layer.param
    blob = p.top[c.top]
    head = f"{layer.type} '{layer.name}' names top {c.top} '{blob}'"
    abort = "Net::AppendTop aborts (Top blob produced by multiple sources)"
    if c.kind == "split":
        return (f"{layer.type} '{layer.name}' works in place on '{blob}', but that blob is "
                f"{c.shared}: InsertSplits then feeds '{layer.name}' a Split copy ('{c.copy}'), "
                f"so its top '{blob}' is no longer in place and {abort}",
                f"give '{layer.name}''s top a new name (and read that downstream), or let "
                f"'{layer.name}' be the only reader of '{blob}' before it is rewritten")
    if c.kind == "index":
        where = list(p.bottom).index(blob)
        return (f"{head}, like its bottom {where}: in place only counts at the same position "
                f"(top i over bottom i), so this is a second producer of '{blob}' and {abort}",
                f"give the top a new name, or list '{blob}' as bottom {c.top} to work in place")
    if c.kind == "self":
        return (f"{head}, a name it already gave an earlier top: {abort}",
                "give each top its own name")
    if c.other is None:
        who = "a net input"
    else:
        who = f"{c.other.type} '{c.other.name}'"
    return (f"{head}, which {who} already produces: not in place (the same name as the "
            f"bottom at the same position), so {abort}",
            f"give the top a new name (and update its readers), or work in place by "
            f"reading '{blob}' as bottom {c.top}")


def check(net):
    """One finding per clashing top, naming the phases it happens in."""
    phases: dict[tuple, list[str]] = {}
    first: dict[tuple, Clash] = {}
    for view in net.views:
        for c in clashes(view, net):
            key = (c.layer.index, c.top, c.kind, getattr(c.other, "index", None), c.shared,
                   c.copy)
            phases.setdefault(key, []).append(view.phase_name)
            first.setdefault(key, c)
    for key, c in first.items():
        message, fix = _message(c)
        where = ", ".join(dict.fromkeys(phases[key]))
        related = ()
        if c.kind in ("twice", "index") and c.other is not None and c.other is not c.layer:
            first_top = list(c.other.param.top).index(c.layer.param.top[c.top])
            related = ((c.other.location("top", first_top), "produced here first"),)
        yield Report(
            c.layer.location("top", c.top),
            f"{message} ({where})",
            fix,
            related=related,
        )
