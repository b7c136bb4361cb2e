"""A top blob produced twice in one phase, not in place: Caffe aborts building the net."""

from __future__ import annotations

from protolint.findings import Report, Severity
from protolint.net import Clash

CODE = "PL214"
NAME = "top-produced-twice"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a top name already produced earlier in the phase, not in place: Caffe aborts"

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
        for c in view.clashes:
            key = (c.layer.index, c.top, c.kind, getattr(c.other, "index", None), c.shared,
                   c.copy)
            phases.setdefault(key, []).append(view.phase_name)
            first.setdefault(key, c)
    for key, c in first.items():
        message, fix = _message(c)
        where = ", ".join(dict.fromkeys(phases[key]))
        related = ()
        if c.kind in ("twice", "index") and c.other is not None and c.other is not c.layer:
            first_top = list(c.other.tops).index(c.layer.tops[c.top])
            related = ((c.other.location("top", first_top), "produced here first"),)
        yield Report(
            c.layer.location("top", c.top),
            f"{message} ({where})",
            fix,
            related=related,
        )
