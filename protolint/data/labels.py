"""Labels as the classifiers of a net read them: which layers read which source's labels
as class indices (through Split, Reshape and Flatten), with their class count K and
ignore label, and a label's value as Caffe casts it.

Shared by the label rules (PL310, PL311, PL312, PL316); nothing here reads a file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from protolint.data.model import OK
from protolint.data.usage import other_uses, views_of
from protolint.data.wording import what
from protolint.shapes import class_count, shape_text

INT_MIN, INT_MAX = -2**31, 2**31 - 1

# The layers that use their bottom 1 as class indices.
CLASSIFIERS = ("SoftmaxWithLoss", "InfogainLoss", "Accuracy", "MultinomialLogisticLoss",
               "HingeLoss")
# Layers that hand their input on unchanged: labels reach a classifier through them.
LABEL_PASSING = {"Split", "Reshape", "Flatten"}


def cast(value) -> int | None:
    """static_cast<int> of a label as Caffe holds it (float): truncation toward zero;
    None where C++ leaves it undefined (NaN, inf, beyond int)."""
    if not math.isfinite(value) or not INT_MIN <= math.trunc(value) <= INT_MAX:
        return None
    return math.trunc(value)


def axis_and_ignore(layer) -> tuple[int | None, int | None]:
    """(class axis, None for 'every axis after the first'; ignore label or None)."""
    p = layer.param
    if layer.type in ("SoftmaxWithLoss", "InfogainLoss"):
        lp = p.loss_param
        axis = p.softmax_param.axis if layer.type == "SoftmaxWithLoss" else \
            p.infogain_loss_param.axis
        return axis, lp.ignore_label if lp.HasField("ignore_label") else None
    if layer.type == "Accuracy":
        ap = p.accuracy_param
        return ap.axis, ap.ignore_label if ap.HasField("ignore_label") else None
    return None, None  # MultinomialLogisticLoss, HingeLoss: dim = count / num, no ignore label


def ignore_field(layer) -> str:
    """The message of `layer` holding its ignore_label."""
    return "accuracy_param" if layer.type == "Accuracy" else "loss_param"


@dataclass
class Consumer:
    """A classifier layer reading the labels (bottom 1), with its class count K (None when
    unknown) and ignore label, in the phases listed."""

    layer: object
    k: int | None
    how: str
    ignore: int | None
    phases: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.layer.type} '{self.layer.name}'"

    def valid(self, label: int | None) -> bool:
        """Whether Caffe uses label (after the cast) safely: in [0, K) or ignored."""
        if label is not None and self.ignore is not None and label == self.ignore:
            return True
        return label is not None and self.k is not None and 0 <= label < self.k


@dataclass
class LabelFeed:
    """One top of a source's data layer(s) that classifiers read as labels."""

    report: object  # SourceReport
    use: object  # the first LayerUse producing it
    top: str
    labels: object | None  # LabelStats (one value per record), or None
    values: object | None  # ValueStats when there is no LabelStats (label maps)
    consumers: list[Consumer]
    uses: list = field(default_factory=list)  # every LayerUse producing it

    @property
    def described(self) -> str:
        """"LMDB 'x' (label top 'label' of Data 'd')"."""
        layer = self.use.layer
        if layer.type == "HDF5Data":
            return f"{what(self.report)}, dataset '{self.top}'"
        part = "label" if self.labels is not None else "data"
        return f"{what(self.report)} ({part} top '{self.top}' of {layer.type} '{layer.name}')"

    def related(self):
        """The other data layers reading the same source."""
        return other_uses(self.report, self.uses)


def _classes(view, layer, axis) -> tuple[int, str] | None:
    """(K, how it is known) for the classifier `layer`: class_count from the prediction's
    shape, else from the num_output of the InnerProduct producing it, or of a Convolution
    when the classes lie on one axis (with `axis` None, K is every value of an item, which
    a Convolution's num_output does not state)."""
    producers = ("InnerProduct", "Convolution") if axis is not None else ("InnerProduct",)
    found = class_count(view, layer, axis, producers=producers)
    if found is None:
        return None
    k = found.k
    if found.shape is None:
        return k, f"{found.producer.type} '{found.producer.name}' has num_output {k}"
    if found.axis is None:
        return k, (f"its input {shape_text(found.shape)} has {k} value{'s' if k != 1 else ''} "
                   "per item")
    return k, (f"its input {shape_text(found.shape)} has {k} class{'es' if k != 1 else ''} "
               f"on axis {found.axis}")


def _readers(view, layer, top: int, limit: int = 16):
    """Edges reading `layer`'s top `top`, through layers that pass labels on unchanged."""
    out, todo, seen = [], [(layer, top)], set()
    while todo and len(seen) < limit:
        producer, t = todo.pop(0)
        for edge in view.readers(producer, t):
            if edge.layer.type in LABEL_PASSING and not edge.layer.problems:
                if edge.layer.index not in seen:
                    seen.add(edge.layer.index)
                    todo.extend((edge.layer, j) for j in range(len(edge.layer.tops)))
            else:
                out.append(edge)
    return out


def _stats(report, use, top: str):
    """(LabelStats, ValueStats) for a top read as labels: LabelStats when there is one
    label per record; else the values, when they reach the top unchanged."""
    layer = use.layer
    if layer.type == "HDF5Data":
        labels = report.labels(top)
        return (labels, None) if labels is not None else (None, report.values(top))
    tops = list(layer.tops)
    if len(tops) > 1 and tops[1] == top:
        return report.labels(top), None
    if tops and tops[0] == top:  # a label map stored as a source's data (FCN style)
        t = use.transform
        if t.normalises or t.crop_size:
            return None, None  # the values are transformed or cropped: not what was read
        return None, report.values(top)
    return None, None


def label_feeds(net) -> list[LabelFeed]:
    """Every (source, top) read as labels by a classifier layer, with its consumers."""
    if not net.data_reports:
        return []
    feeds: dict[tuple, LabelFeed] = {}
    for report in net.data_reports:
        if report.status != OK:
            continue
        for use in report.uses:
            layer = use.layer
            if layer.problems:
                continue
            for i, top in enumerate(layer.tops):
                labels, values = _stats(report, use, top)
                if labels is None and values is None:
                    continue
                for view in views_of(net, layer):
                    for edge in _readers(view, layer, i):
                        c = edge.layer
                        if c.type not in CLASSIFIERS or edge.slot != 1 or c.problems:
                            continue
                        axis, ignore = axis_and_ignore(c)
                        found = _classes(view, c, axis)
                        k, how = found if found is not None else (None, "")
                        key = (id(report), top)
                        feed = feeds.get(key)
                        if feed is None:
                            feed = feeds[key] = LabelFeed(report, use, top, labels, values, [])
                        if use not in feed.uses:
                            feed.uses.append(use)
                        for known in feed.consumers:
                            if known.layer is c and known.k == k:
                                if view.phase_name not in known.phases:
                                    known.phases.append(view.phase_name)
                                break
                        else:
                            feed.consumers.append(Consumer(c, k, how, ignore, [view.phase_name]))
    return list(feeds.values())


def valid_text(k: int) -> str:
    return "the only valid label is 0" if k == 1 else f"valid labels are 0 to {k - 1}"


def label_first(labels, value):
    """The first record holding label `value` (LabelStats.first), None when not kept."""
    return labels.first.get(value)


def value_text(value, read) -> str:
    """A label value as stored, and as Caffe reads it when that differs: "1.5 (read as 1)"."""
    text = f"{value:g}" if isinstance(value, float) else str(value)
    return text if read is None or read == value else f"{text} (read as {read})"
