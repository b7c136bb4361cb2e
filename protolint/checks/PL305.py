"""Records whose shape fails one of the DataTransformer's CHECKs: crop_size larger than the
record, a mean file of another size, a mean_value count that fits no channel count, or a
Datum whose payload does not match its declared shape."""

from protolint.data.model import OK
from protolint.data.usage import shapes_seen, used_reports
from protolint.data.wording import also_read_by, dims_text, layer_text, records_checked, ref_text
from protolint.findings import Report, Severity

CODE = "PL305"
NAME = "datum-shape-mismatch"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("a record smaller than crop_size, of another size than the mean file, with a "
           "channel count mean_value does not fit, or whose data does not fill its shape")


def _offenders(shapes, bad):
    """(count, first RecordRef, its shape) of the shapes `bad` picks, or None."""
    picked = [(shape, n, first) for shape, (n, first) in shapes.items() if bad(shape)]
    if not picked:
        return None
    shape, _, first = min(picked, key=lambda p: p[2].index)
    return sum(p[1] for p in picked), first, shape


def _crop(report, use, shapes):
    crop = use.transform.crop_size
    if crop <= 0:
        return None
    if report.kind == "ImageData":
        o = use.options
        if o.get("new_height", 0) > 0 and o.get("new_width", 0) > 0:
            return None  # every image is resized: a crop larger than that is PL212's
    found = _offenders(shapes, lambda s: s[1] < crop or s[2] < crop)
    if found is None:
        return None
    count, first, (c, h, w) = found
    axis = "height" if h < crop else "width"
    prefix = "img" if report.kind == "ImageData" else "datum"
    what = "image(s)" if report.kind == "ImageData" else "record(s)"
    return ("transform_param.crop_size",
            f"{count} {what} of \"{report.name}\" are smaller than crop_size {crop} "
            f"({records_checked(report.records)}); the first, {ref_text(first, report.kind)}, is "
            f"{dims_text((c, h, w))} (CxHxW): the data transformer's check \"{prefix}_{axis} >= "
            f"crop_size\" fails ({h if axis == 'height' else w} vs. {crop}) and Caffe aborts",
            f"make crop_size at most the smallest record's height and width "
            f"({min(s[1] for s in shapes)}x{min(s[2] for s in shapes)} here), or rebuild the "
            f"data at a larger size")


def _mean_file(report, use, shapes, channels_known):
    mean = use.mean
    if mean is None or mean.problem or mean.shape is None:
        return None  # not found / unreadable: PL301, PL302
    where = "transform_param.mean_file"
    if mean.legacy is None:
        return (where,
                f"mean_file \"{mean.name}\" has {len(mean.shape)} axes "
                f"({dims_text(mean.shape)}): the data transformer compares it through Blob's "
                f"legacy channels()/height()/width(), whose check \"num_axes() <= 4\" fails, "
                f"and Caffe aborts at the first record",
                "write the mean as 1xCxHxW (compute_image_mean does)")
    mc, mh, mw = mean.legacy
    if channels_known:
        found = _offenders(shapes, lambda s: s != (mc, mh, mw))
    else:
        found = _offenders(shapes, lambda s: (s[1], s[2]) != (mh, mw))
    if found is None:
        return None
    count, first, (c, h, w) = found
    p = "img" if report.kind == "ImageData" else "datum"
    if c is not None and c != mc:
        failing = f"\"{p}_channels == data_mean_.channels()\" ({c} vs. {mc})"
    elif h != mh:
        failing = f"\"{p}_height == data_mean_.height()\" ({h} vs. {mh})"
    else:
        failing = f"\"{p}_width == data_mean_.width()\" ({w} vs. {mw})"
    legacy = ""
    if len(mean.shape) != 4:
        legacy = (f" (its shape {dims_text(mean.shape)} read through the legacy 4-axis "
                  f"accessors, which pad missing axes with 1)")
    crop = (f"; with crop_size {use.transform.crop_size} the mean must still have the "
            f"records' full size" if use.transform.crop_size else "")
    return (where,
            f"mean_file \"{mean.name}\" is {mc}x{mh}x{mw} (CxHxW){legacy} but {count} record(s) "
            f"of \"{report.name}\" are not ({records_checked(report.records)}); the first, "
            f"{ref_text(first, report.kind)}, is {dims_text((c, h, w))}: the data transformer's "
            f"check {failing} fails and Caffe aborts{crop}",
            "compute the mean from this data (compute_image_mean on the same database), or "
            "use one mean_value per channel instead")


def _mean_value(report, use, shapes, channels_known):
    values = use.transform.mean_value
    n = len(values)
    if n <= 1 or use.transform.mean_file is not None or not channels_known:
        return None  # one value fits any channel count; both set: Caffe's own check
    found = _offenders(shapes, lambda s: s[0] != n)
    if found is None:
        return None
    count, first, (c, h, w) = found
    p = "img" if report.kind == "ImageData" else "datum"
    return ("transform_param.mean_value",
            f"{n} mean_value entries, but {count} record(s) of \"{report.name}\" have another "
            f"channel count ({records_checked(report.records)}); the first, "
            f"{ref_text(first, report.kind)}, has {c}: the data transformer's check "
            f"\"mean_values_.size() == 1 || mean_values_.size() == {p}_channels\" fails (\"Specify either 1 mean_value or "
            f"as many as channels: {c}\") and Caffe aborts",
            f"give one mean_value per channel ({c} here), or a single one for all channels")


def _payload(report):
    """Datums whose data / float_data does not hold channels x height x width values."""
    rec = report.records
    bad = rec.size_mismatch
    if not bad or report.kind != "Data":
        return None
    reason = bad.reason
    if reason.startswith("channels "):
        how = ("a record with a zero or negative dimension cannot be transformed: the "
               "transformer's check \"datum_channels > 0\" or Blob::Reshape's checks fail, or "
               "the batch comes out empty, and Caffe aborts")
    elif reason.startswith("neither"):
        how = ("the transformer then reads float_data values that do not exist (the index is "
               "checked only in debug builds): garbage, or a crash")
    else:
        how = ("Caffe does not check the payload's length: the transformer indexes it by "
               "channels x height x width, reading past its end (memory beyond the record: "
               "garbage, or a crash) when it is shorter, and misplacing every pixel when the "
               "shape fields do not describe it")
    return (None,
            f"{bad.count} record(s) of \"{report.name}\" hold a payload that does not fit "
            f"their channels x height x width ({records_checked(rec)}); the first, {bad.example}: "
            f"{reason}: {how}",
            "rebuild the database so every Datum's channels, height and width describe its "
            "data (convert_imageset sets them from the image)")


def check(net):
    for report in used_reports(net):
        if report.status != OK or report.records is None:
            continue
        found: dict[tuple, list] = {}  # (field, message, fix) -> uses
        for use in report.uses:
            shapes, channels_known = shapes_seen(report.records, use.transform)
            for judged in (_crop(report, use, shapes),
                           _mean_file(report, use, shapes, channels_known),
                           _mean_value(report, use, shapes, channels_known)):
                if judged is not None:
                    found.setdefault(judged, []).append(use)
        payload = _payload(report)
        if payload is not None:
            found.setdefault(payload, []).extend(report.uses)
        for (field, message, fix), uses in found.items():
            first = uses[0]
            where = (lambda u: u.layer.location(field)) if field else (lambda u: u.location())
            yield Report(
                where(first),
                f"{layer_text(first)}: {message}",
                fix,
                related=also_read_by(uses[1:], where, note="the same for"),
            )
