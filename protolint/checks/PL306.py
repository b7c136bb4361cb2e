"""Records of one source with shapes that cannot share a batch."""

from protolint.data.model import OK
from protolint.data.usage import shapes_seen, used_reports
from protolint.data.wording import also_read_by, dims_text, layer_text, records_checked, ref_text
from protolint.findings import Report, Severity

CODE = "PL306"
NAME = "inconsistent-record-shapes"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("records of one source differ in shape where Caffe needs them equal (without "
           "crop_size: channels, height and width; with it: channels): a mixed batch aborts")

SHOWN = 4


def _judge(report, use):
    """(message, fix) when this layer cannot batch the source's records."""
    rec = report.records
    batch = use.batch_size
    if batch <= 1:
        return None  # each batch is shaped from its only record: Caffe allows that
    if report.kind == "ImageData":
        o = use.options
        if o.get("new_height", 0) > 0 and o.get("new_width", 0) > 0:
            return None  # every image is resized to new_height x new_width
    crop = use.transform.crop_size
    shapes, channels_known = shapes_seen(rec, use.transform)
    if crop:
        if not channels_known:
            return None
        groups: dict = {}
        for (c, h, w), (n, first) in shapes.items():
            g = groups.setdefault(c, [0, first, (c, h, w)])
            g[0] += n
            if first.index < g[1].index:
                g[1], g[2] = first, (c, h, w)
        if len(groups) < 2:
            return None
        listed = sorted(groups.items(), key=lambda kv: kv[1][1].index)
        seen = "; ".join(f"{c} channel(s): {n} record(s), first {ref_text(first, report.kind)}"
                         for c, (n, first, _) in listed[:SHOWN])
        checks = "the channel count must equal the batch's"
        why = (f"with crop_size {crop} height and width may vary, but the channel counts "
               f"differ: {seen}")
        fix = ("make every record have the same channel count (for encoded images, "
               "force_color: true or force_gray: true in transform_param decodes them alike)"
               if report.kind == "Data" else "give every record the same channel count")
    else:
        if len(shapes) < 2:
            return None
        listed = sorted(shapes.items(), key=lambda kv: kv[1][1].index)
        seen = "; ".join(f"{dims_text(s)}: {n} record(s), first {ref_text(first, report.kind)}"
                         for s, (n, first) in listed[:SHOWN])
        if len(listed) > SHOWN:
            seen += f"; and {len(listed) - SHOWN} more shape(s)"
        checks = "channels, height and width must equal the batch's"
        why = f"the records have {len(shapes)} shapes (CxHxW): {seen}"
        fixes = []
        if len({(h, w) for _, h, w in shapes}) > 1:
            fixes.append("give every record the same height and width (convert_imageset "
                         "--resize_height/--resize_width), or set a crop_size no larger than "
                         "the smallest record" if report.kind == "Data" else
                         "set new_height and new_width in image_data_param (every image is "
                         "then resized), or a crop_size no larger than the smallest image")
        if len({c for c, _, _ in shapes}) > 1:
            fixes.append("give every record the same channel count (for encoded images, "
                         "force_color: true or force_gray: true in transform_param decodes "
                         "them alike)")
        fix = "; ".join(fixes)
    return (f"\"{report.name}\" ({records_checked(rec)}): {why}. Caffe shapes each batch from its "
            f"first record and checks every other record of the batch against it "
            f"(DataTransformer::Transform: {checks}): the first batch of {batch} that mixes "
            f"them fails a check and Caffe aborts",
            fix)


def check(net):
    for report in used_reports(net):
        if (report.status != OK or report.records is None
                or report.kind not in ("Data", "ImageData")):
            continue
        found: dict[tuple, list] = {}
        for use in report.uses:
            judged = _judge(report, use)
            if judged is not None:
                found.setdefault(judged, []).append(use)
        for (message, fix), uses in found.items():
            first = uses[0]
            yield Report(
                first.location(),
                f"{layer_text(first)}: {message}",
                fix,
                related=also_read_by(uses[1:], note="the same for"),
            )
