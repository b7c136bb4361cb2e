"""Input values that never vary: a whole source, or some channel, is one constant."""

from __future__ import annotations

from protolint.data.usage import data_inputs, label_slot_only, other_uses
from protolint.data.wording import checked_text, count_text, what_top
from protolint.findings import Report, Severity

CODE = "PL315"
NAME = "constant-input"
SEVERITY = Severity.WARNING
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("the input values of a source, or of one of its channels, never vary among the "
           "records checked: all-black images, a broken conversion")


def _value(x: float) -> str:
    return f"{x:g}"


def check(net):
    for report, top, values, uses in data_inputs(net):
        if values.records < 2 or not values.count:
            continue
        use = uses[0]
        if label_slot_only(net, use, top):
            continue  # labels and targets: PL312 (one class), not an input
        source = what_top(report, top)
        checked = checked_text(report)
        channels = [(c, ch) for c, ch in enumerate(values.channels) if ch.count]
        if values.constant:
            n = len(channels)
            which = "every value" if n == 1 else f"every value of all {n} channels"
            message = (
                f"{source}: {which} is {_value(values.min)} in the "
                f"{count_text(values.records)} records checked ({checked}): the net sees "
                "the same input whatever the record (all-black or blank images, a "
                "conversion that wrote no pixels, a wrong dataset), so it can only learn "
                "the label frequencies")
            fix = ("look at a few records and rebuild the source from the real inputs "
                   "(check the paths and the decoding of the conversion that wrote it)")
        else:
            flat = [(c, ch) for c, ch in channels if ch.min == ch.max]
            if not flat:
                continue
            listed = ", ".join(f"{c} (always {_value(ch.min)})" for c, ch in flat[:4])
            if len(flat) > 4:
                listed += f" and {len(flat) - 4} more"
            message = (
                f"{source}: channel{'s' if len(flat) > 1 else ''} {listed} of "
                f"{len(channels)} never var{'y' if len(flat) > 1 else 'ies'} in the "
                f"{count_text(values.records)} records checked ({checked}): "
                f"{'they carry' if len(flat) > 1 else 'it carries'} no information "
                "(an empty alpha or depth plane, a channel the conversion did not fill), "
                "and the weights reading it learn only a bias")
            fix = ("fill the channel with the real values, or leave it out of the data "
                   "(fewer channels)")
        yield Report(use.location(), message, fix, related=other_uses(report, uses))
