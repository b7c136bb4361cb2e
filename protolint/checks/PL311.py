"""Labels that are not whole numbers fed to a classifier: Caffe truncates them to a class."""

from __future__ import annotations

from protolint.data.labels import cast, label_feeds, value_text
from protolint.data.wording import checked_text, count_text
from protolint.findings import Report, Severity

CODE = "PL311"
NAME = "label-not-integer"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("labels that are not whole numbers read by a classifier: Caffe truncates each "
           "toward zero (0.5 and 0.99 become class 0)")


def check(net):
    for feed in label_feeds(net):
        if feed.report.kind == "ImageData":
            continue  # list labels are read with atoi: whole numbers (the image-list rules)
        consumer = feed.consumers[0]
        labels = feed.labels
        if labels is not None:
            tally = labels.non_integer
            if not tally:
                continue
            fractional = sorted(((v, n) for v, n in labels.counts.items()
                                 if isinstance(v, float)), key=lambda vn: -vn[1])
            shown = ", ".join(f"{value_text(v, cast(v))} ({count_text(n)})"
                              for v, n in fractional[:5])
            if len(fractional) > 5:
                shown += f" and {len(fractional) - 5} more values"
            amount = (f"{count_text(tally.count)} of the {count_text(labels.total)} labels "
                      f"checked ({checked_text(feed.report)}) are not whole numbers"
                      + (f": {shown}" if shown else "")
                      + (f"; the first is in {tally.example}" if tally.example else ""))
        else:
            values = feed.values
            if values is None or values.integral or not values.count:
                continue
            amount = (f"its values are not all whole numbers (they range from "
                      f"{values.min:g} to {values.max:g} in {checked_text(feed.report)})")
        also = ", ".join(c.name for c in feed.consumers[1:])
        yield Report(
            feed.use.location(),
            f"{feed.described} feeds {consumer.name} ({', '.join(consumer.phases)}) as class "
            f"indices{' (and ' + also + ')' if also else ''}, but {amount}. The layer reads "
            "each label with static_cast<int>, which truncates toward zero: 0.5 and 0.99 "
            "become class 0, 2.9999998 becomes class 2, -0.5 becomes 0; so the net is "
            "trained towards classes other than the ones the data says",
            "store whole class indices (round float noise such as 2.9999998 before writing; "
            "do not rely on truncation); if the values are probabilities or regression "
            "targets, use a loss that reads them as values (SigmoidCrossEntropyLoss with one "
            "target per output, EuclideanLoss)",
            related=((consumer.layer.location("bottom", 1),
                      "reads the labels as class indices"),) + feed.related(),
        )
