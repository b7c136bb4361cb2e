"""NaN or infinite values in the data a net reads: float_data records of an LMDB/LevelDB,
HDF5 datasets (labels included)."""

from __future__ import annotations

from protolint.data.model import OK
from protolint.data.usage import label_slot_only, mean_location, mean_uses, other_uses, reads
from protolint.data.wording import checked_text, count_text, what
from protolint.findings import Report, Severity

CODE = "PL309"
NAME = "data-not-finite"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("NaN or +-inf in the data or labels a net reads (float_data records, HDF5 "
           "datasets, the mean file): the first batch holding one turns the weights NaN")

_SPREAD = (
    "every value computed from them is NaN or inf, and the weight gradient of the first "
    "learned layer they reach is NaN even where later layers pass back a zero gradient "
    "(NaN x 0 and inf x 0 are NaN): the first update of a batch holding one writes NaN "
    "into those weights, and from then on every output is NaN")
_DATA_EFFECT = ("Caffe loads such values unchanged (neither the data layer nor the "
                "DataTransformer checks them): " + _SPREAD)

_LABEL_EFFECT = (
    "a classifier casts each label with static_cast<int>, which is undefined for NaN and "
    "inf (on x86 it gives -2147483648, an index far outside the prediction), and a "
    "regression loss (EuclideanLoss...) computes a NaN loss and NaN gradients from it, "
    "which the first update writes into every weight")


def check(net):
    if net.data_reports is None:
        return
    for report in net.data_reports:
        if report.status != OK:
            continue
        if report.records is not None:
            yield from _records(net, report)
        elif report.hdf5 is not None:
            yield from _hdf5(net, report)
    yield from _means(net)


def _means(net):
    """Mean files holding NaN or inf: DataTransformer subtracts them from every record."""
    subtracted = mean_uses(net.data_reports, lambda u: not u.mean.problem and u.mean.nonfinite
                           and not u.transform.mean_value)
    for uses in subtracted.values():
        use = uses[0]
        mean = use.mean
        yield Report(
            mean_location(use),
            f"mean_file '{mean.name}' holds {count_text(mean.nonfinite)} NaN or infinite "
            f"value(s) among {count_text(mean.values)}: DataTransformer::Transform "
            "subtracts the mean element by element from every record, so the inputs at "
            f"those positions are NaN or inf in every batch of {use.layer.type} "
            f"'{use.layer.name}': " + _SPREAD,
            "recompute the mean file (compute_image_mean) from finite data",
        )


def _records(net, report):
    rec = report.records
    values = rec.values
    use = report.uses[0]
    if values.nonfinite:
        yield Report(
            use.location(),
            f"{what(report)} holds {_kinds(values)} in its float_data, {_among(values, report)}"
            f"; {use.layer.type} '{use.layer.name}' feeds them to '{use.data_top}': "
            + _DATA_EFFECT,
            "rebuild the database without the non-finite values (replace or drop the "
            "records; check the conversion that wrote them)",
            related=other_uses(report),
        )
    labels = rec.labels
    if labels.nonfinite:
        yield Report(
            use.location(),
            f"{what(report)} has {labels.nonfinite.count} NaN or infinite label(s) among "
            f"{count_text(labels.total)} label(s) of {checked_text(report)}; the first is in "
            f"{labels.nonfinite.example}: {_LABEL_EFFECT}",
            "rebuild the source with finite labels",
            related=other_uses(report),
        )


def _hdf5(net, report):
    for top, summary in report.hdf5.datasets.items():
        values = summary.values
        if not values.nonfinite:
            continue
        uses = [u for u in report.uses if top in u.tops]
        if not uses or not any(reads(net, u, top) for u in uses):
            continue  # a top no layer reads: the values go nowhere
        use = uses[0]
        is_label = summary.labels is not None and label_slot_only(net, use, top)
        yield Report(
            use.location(),
            f"{what(report)}: dataset '{top}' holds {_kinds(values)} {_among(values, report)}"
            f" ({_files(summary, report, top)}); "
            + (_LABEL_EFFECT if is_label else _DATA_EFFECT),
            f"rewrite the HDF5 file(s) with finite values in '{top}' (replace or drop the "
            "rows; numpy.isfinite finds them)",
            related=other_uses(report, uses),
        )


def _files(summary, report, top) -> str:
    bad = [f.listed for f in report.hdf5.files
           if top in f.datasets and f.datasets[top].values.nonfinite]
    if not bad:
        return f"dataset '{top}'"
    shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
    return f"in {len(bad)} of {len(report.hdf5.files)} listed file(s): {shown}"


def _among(values, report) -> str:
    """"among 320 value(s) of all 20 records; the first is in 'key' (record 13)"."""
    first = values.first_nonfinite
    return (f"among {count_text(values.count + values.nonfinite)} value(s) of "
            f"{checked_text(report)}" + (f"; the first is in {first}" if first is not None else ""))


def _kinds(values) -> str:
    parts = []
    for n, kind in ((values.nan, "NaN"), (values.posinf, "+inf"), (values.neginf, "-inf")):
        if n:
            parts.append(f"{count_text(n)} {kind}")
    return " and ".join(parts) + (" value" if values.nonfinite == 1 else " values")

