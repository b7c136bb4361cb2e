"""A set of labels that cannot be what the classifier reading them is meant to learn:
one-based labels, -1 as a class, one output for two classes, a single class."""

from __future__ import annotations

from protolint.data.labels import cast, ignore_field, label_feeds
from protolint.data.wording import checked_text, count_text
from protolint.findings import Report, Severity

CODE = "PL312"
NAME = "unusual-label-set"
SEVERITY = Severity.WARNING
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("labels that are not 0..K-1: one-based 1..K, -1 used as a class, a single "
           "class, or two classes for a one-output softmax")

_SOFTMAX = ("SoftmaxWithLoss", "InfogainLoss")

# The fewest sampled labels (--data-sample) a single-class verdict is drawn from: with
# two equally common classes, 20 samples all alike happen by chance about once in 500,000.
SAMPLED_ENOUGH = 20


def _classes(feed, consumer) -> dict[int, int] | None:
    """Records per label as Caffe reads it (after the cast), without the ignored ones;
    None when not every label value is known (beyond the kept distinct values, non-finite
    labels, label maps)."""
    labels = feed.labels
    if labels is None or labels.other or labels.nonfinite:
        return None
    out: dict[int, int] = {}
    for value, n in labels.counts.items():
        c = cast(value)
        if c is None:
            return None
        if consumer.ignore is not None and c == consumer.ignore:
            continue
        out[c] = out.get(c, 0) + n
    return out


def _judge(feed, consumer, classes: dict[int, int]) -> tuple[str, str] | None:
    """(what is wrong and why, the fix) or None."""
    k = consumer.k
    used = sorted(classes)
    if not used:
        return None
    listing = ", ".join(str(c) for c in used[:8]) + (", ..." if len(used) > 8 else "")
    name = consumer.name
    if k == 1 and consumer.layer.type in _SOFTMAX:
        return (
            f"{name} has a single class ({consumer.how}) and the labels are {{{listing}}}: "
            "the softmax of one score is always 1, so the loss of a label 0 is 0 and its "
            "gradient 0 (the net learns nothing), and any other label is out of range "
            "(PL310)",
            "for two classes give the prediction num_output: 2 and keep labels 0/1 with "
            "SoftmaxWithLoss, or keep one output and use SigmoidCrossEntropyLoss with 0/1 "
            "targets")
    if k is None:
        return None
    if used[0] == 1 and used[-1] == k and k >= 2:
        return (
            f"the labels run from 1 to {k} with no 0, but {name} has {k} classes, 0 to "
            f"{k - 1} ({consumer.how}): they look one-based. Label {k} is out of range "
            "(PL310) and class 0 is never trained",
            f"subtract 1 from every label (0 to {k - 1}) when building the data")
    if -1 in classes and all(c == -1 or 0 <= c < k for c in used):
        rest = [c for c in used if c != -1]
        if rest == [1] and k == 2:
            return (
                f"the labels are {{{listing}}}: -1/+1 labels (as for an SVM), but {name} "
                "reads class indices 0 and 1: -1 is out of range (PL310) and class 0 is "
                "never trained",
                "map -1 to 0 (labels 0 and 1) when building the data")
        return (
            f"the labels are {{{listing}}}: -1 is used as a class or as a 'no label' mark, "
            f"but {name} reads class indices 0 to {k - 1} and skips no label -1: it is out "
            "of range (PL310)",
            f"if -1 marks items to skip, set {ignore_field(consumer.layer)} {{ ignore_label: "
            "-1 } on every layer reading the labels; "
            "if it is a class, renumber the classes from 0")
    total = sum(classes.values())
    content = feed.report.records or feed.report.hdf5
    if content is not None and content.sampled and total < SAMPLED_ENOUGH:
        return None  # a handful of sampled labels may share a class by chance
    if len(used) == 1 and k >= 2 and total >= 2 and 0 <= used[0] < k:
        label = used[0]
        missing = feed.labels.missing
        why = (f"; {count_text(missing)} of them have no label field, which Caffe reads as 0"
               if missing and label == 0 else "")
        return (
            f"every one of the {count_text(total)} labels checked is {label}{why}: {name} "
            f"has {k} classes but sees only one, so it learns to predict class {label} "
            "whatever the input",
            "check that the conversion wrote each record's label (convert_imageset reads "
            "them from the list's second column)")
    return None


def check(net):
    for feed in label_feeds(net):
        for consumer in feed.consumers:
            if consumer.k is None:
                continue
            classes = _classes(feed, consumer)
            if classes is None:
                continue
            found = _judge(feed, consumer, classes)
            if found is None:
                continue
            what, fix = found
            yield Report(
                feed.use.location(),
                f"{feed.described} ({checked_text(feed.report)}): {what}",
                fix,
                related=((consumer.layer.location("bottom", 1),
                          "reads the labels as class indices"),) + feed.related(),
            )
            break  # one finding per source and label top
