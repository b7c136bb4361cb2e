"""A summary of the class labels a classifier is trained or tested on."""

from __future__ import annotations

from protolint.data.labels import cast, label_feeds
from protolint.data.wording import checked_text, count_text
from protolint.findings import Report, Severity

CODE = "PL316"
NAME = "class-balance"
SEVERITY = Severity.INFO
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("the classes in a source's labels: how many, the most and least frequent, "
           "their ratio (is the data what you think it is?)")

SHOWN_TOP = 3


def _entry(label: int, n: int, total: int) -> str:
    return f"{label}: {count_text(n)} ({n / total * 100:.1f}%)"


def check(net):
    for feed in label_feeds(net):
        labels = feed.labels
        if labels is None or not labels.counts:
            continue
        consumer = next((c for c in feed.consumers if c.k is not None), feed.consumers[0])
        ignore = consumer.ignore
        total = sum(labels.counts.values()) + labels.other  # as LabelStats.share() counts
        per_class: dict[int, int] = {}
        ignored = 0
        for value, n, _ in labels.share():  # the class Caffe reads: static_cast<int>
            c = cast(value)
            if c is None:
                continue
            if ignore is not None and c == ignore:
                ignored += n
            else:
                per_class[c] = per_class.get(c, 0) + n
        if not per_class:
            continue
        classes = sorted(per_class.items(), key=lambda cn: (-cn[1], cn[0]))
        parts = [f"{count_text(labels.total)} labels ({checked_text(feed.report)}) in "
                 f"{len(classes)} class{'es' if len(classes) != 1 else ''}"]
        parts.append("most frequent " + ", ".join(_entry(c, n, total)
                                                  for c, n in classes[:SHOWN_TOP]))
        if len(classes) > SHOWN_TOP:
            parts.append("least frequent " + _entry(*classes[-1], total))
        if len(classes) > 1:
            parts.append(f"most/least {classes[0][1] / classes[-1][1]:.3g}:1")
        if consumer.k is not None and consumer.k > 0:
            absent = [c for c in range(consumer.k) if c not in per_class]
            if absent and len(absent) < consumer.k:
                listed = ", ".join(str(c) for c in absent[:6]) + (", ..." if len(absent) > 6 else "")
                parts.append(f"{len(absent)} of the {consumer.k} classes of {consumer.name} "
                             f"never appear ({listed})")
        if ignored:
            parts.append(f"{count_text(ignored)} labels are ignore_label {ignore}")
        if labels.non_integer and feed.report.kind != "ImageData":
            parts.append(f"{count_text(labels.non_integer.count)} fractional labels are counted "
                         "in the class Caffe truncates them to")
        if labels.other:
            parts.append(f"{count_text(labels.other)} more labels have values beyond the "
                         f"first {len(labels.counts)} distinct ones (not itemised)")
        yield Report(
            feed.use.location(),
            f"{feed.described} feeds {consumer.name}: " + "; ".join(parts),
            "nothing to fix if this is the data you meant; for a strong imbalance, weight "
            "the classes (InfogainLoss with a diagonal matrix) or resample the data",
            related=feed.related(),
        )
