"""Labels in the data outside the classes of the classifier that reads them."""

from __future__ import annotations

import math

from protolint.data.labels import (Consumer, LabelFeed, cast, ignore_field, label_feeds,
                                   label_first, valid_text, value_text)
from protolint.data.wording import checked_text, count_text, ref_text
from protolint.findings import Report, Severity

CODE = "PL310"
NAME = "label-out-of-range"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("labels in the data outside [0, K) for the classifier reading them (and not its "
           "ignore_label): release builds of Caffe read and write out of bounds")

# The layers that use a label as a class index (bottom 1), and what a release build does
# with one outside [0, K): protolint.data.labels.CLASSIFIERS.
EFFECTS = {
    "SoftmaxWithLoss": (
        "SoftmaxWithLossLayer::Forward_cpu checks the range only with DCHECK (compiled out "
        "of release builds; the GPU kernel has no check) and reads the probability at the "
        "label's position, which lies in another item's or location's row or outside the "
        "blob: the loss is garbage (87.3365 = -ln(FLT_MIN) for an item where what it reads "
        "is 0, the clamp), and Backward_cpu subtracts 1 from the gradient at that position, "
        "corrupting another item's gradient or memory past the blob"),
    "InfogainLoss": (
        "InfogainLossLayer checks the range only with DCHECK (compiled out of release "
        "builds) and reads row `label` of the K x K infogain matrix, which lies outside "
        "it: garbage loss weights, and sum_rows_H[label] read out of bounds in the backward "
        "pass"),
    "Accuracy": (
        "AccuracyLayer checks the range only with DCHECK (compiled out of release builds) "
        "and compares the scores with a value read outside the item's row: the accuracy "
        "is garbage (with a per-class second top it also increments counters out of "
        "bounds)"),
    "MultinomialLogisticLoss": (
        "MultinomialLogisticLossLayer does not check labels at all: it reads "
        "data[i * dim + label] outside the item's row (a garbage loss) and writes the "
        "gradient there in Backward_cpu"),
    "HingeLoss": (
        "HingeLossLayer does not check labels at all: Forward_cpu already flips the sign of "
        "diff[i * dim + label], writing outside the item's row (another item's gradient or "
        "memory past the blob), and the loss is garbage"),
}


def _offending(feed: LabelFeed, consumer: Consumer) -> list[tuple[object, int | None, int | None]]:
    """(value as stored, value as Caffe reads it, records or None when unknown) of the
    labels outside the consumer's classes."""
    out = []
    labels = feed.labels
    if labels is not None:
        for value, n in labels.counts.items():
            if not consumer.valid(cast(value)):
                out.append((value, cast(value), n))
        seen = set(labels.counts)
        extremes = (labels.min, labels.max)
    else:
        v = feed.values
        seen = set()
        extremes = (v.min, v.max)
    for value in extremes:  # values beyond the kept distinct ones (or label maps)
        if value is None or value in seen or any(value == o[0] for o in out):
            continue
        if math.isfinite(value) and not consumer.valid(cast(value)):
            out.append((value, cast(value), None))
    return out


def _first(feed: LabelFeed, bad) -> str:
    """"; the first is in <record>": the earliest record holding one of the offending
    values (LabelStats.first). When some offending value has no record kept (values
    beyond the distinct ones counted), the earliest of those kept is named as "one"."""
    refs = [label_first(feed.labels, value) for value, _, _ in bad]
    known = [r for r in refs if r is not None]
    if not known:
        return ""
    kind = feed.report.kind
    first = min(known, key=lambda r: r.index)
    which = "the first is" if len(known) == len(refs) else "one is"
    return f"; {which} {'on' if kind == 'ImageData' else 'in'} {ref_text(first, kind)}"


def check(net):
    for feed in label_feeds(net):
        hits = [(c, _offending(feed, c)) for c in feed.consumers if c.k is not None and c.k > 0]
        hits = [(c, bad) for c, bad in hits if bad]
        if not hits:
            continue
        consumer, bad = hits[0]
        k = consumer.k
        bad.sort(key=lambda b: (-(b[2] or 0), b[1] if b[1] is not None else 0))
        shown = ", ".join(
            value_text(v, r) + (f" ({count_text(n)} record{'s' if n != 1 else ''})"
                                if n is not None else "")
            for v, r, n in bad[:6]) + (f" and {len(bad) - 6} more values" if len(bad) > 6 else "")
        if feed.labels is not None:
            n_bad = sum(n for _, _, n in bad if n is not None)
            amount = (f"{count_text(n_bad)} of the {count_text(feed.labels.total)} labels "
                      f"checked ({checked_text(feed.report)}) are outside: {shown}")
            amount += _first(feed, bad)
        else:
            amount = (f"its values range from {feed.values.min:g} to {feed.values.max:g} in "
                      f"{checked_text(feed.report)}, so some are outside: {shown}")
        ignore = (f" ({ignore_field(consumer.layer)}.ignore_label {consumer.ignore} is skipped)"
                  if consumer.ignore is not None else "")
        related = [(consumer.layer.location("bottom", 1),
                    f"reads the labels as class indices 0 to {k - 1}")]
        for other, _ in hits[1:]:
            related.append((other.layer.location("bottom", 1),
                            f"{other.name} reads them too (K = {other.k})"))
        related.extend(feed.related())
        fix = f"store class indices 0 to {k - 1}" if k > 1 else "store label 0 only"
        if consumer.layer.type in ("SoftmaxWithLoss", "InfogainLoss", "Accuracy"):
            fix += (f", or set {ignore_field(consumer.layer)} {{ ignore_label: N }} for a "
                    "label that marks items to skip")
        fix += (f"; if the classes are right, make the prediction have as many outputs "
                f"(num_output {max(r for _, r, _ in bad if r is not None) + 1})"
                if any(r is not None and r >= k for _, r, _ in bad) else "")
        yield Report(
            feed.use.location(),
            f"{feed.described} feeds {consumer.name} ({', '.join(consumer.phases)}) as class "
            f"indices, but {consumer.how}, so {valid_text(k)}{ignore}; "
            f"{amount}. {EFFECTS[consumer.layer.type]}",
            fix,
            related=tuple(related),
        )
