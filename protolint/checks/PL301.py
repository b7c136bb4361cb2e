"""A data source, a mean file, an infogain matrix, or every file a list names, not found
where protolint looked."""

from protolint.data.model import NOT_FOUND, OK
from protolint.data.usage import mean_location, mean_uses, used_reports
from protolint.data.wording import also_read_by, layer_text
from protolint.findings import Report, Severity

CODE = "PL301"
NAME = "data-source-not-found"
SEVERITY = Severity.WARNING
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("a data source or mean file not found (Caffe opens it relative to the directory "
           "it runs in, and aborts if it is not there)")

SHOWN_PLACES = 4
WHAT = {
    "Data": "a database directory",
    "ImageData": "an image list",
    "HDF5Data": "a list of HDF5 files",
    "WindowData": "a window file",
}
FIX = ("correct the path, or run protolint where Caffe runs (paths are relative to that "
       "directory) or pass --root DIR for the directory the path is relative to")


def _places(tried) -> str:
    tried = list(dict.fromkeys(str(p) for p in tried))
    if not tried:
        return ""
    shown = ", ".join(tried[:SHOWN_PLACES])
    more = len(tried) - SHOWN_PLACES
    return f"; looked for {shown}" + (f" and {more} more place(s)" if more > 0 else "")


def _source(report):
    first, rest = report.uses[0], report.uses[1:]
    yield Report(
        first.location(),
        f"{layer_text(first)}: source \"{report.name}\" ({WHAT.get(report.kind, 'a file')}) was "
        f"not found{_places(report.source.tried)}. Caffe opens it relative to the directory "
        f"it is run in and aborts when it is not there",
        FIX,
        related=also_read_by(rest),
    )


def _means(reports):
    """Mean files not found, each once (at the first layer naming it)."""
    for name, uses in mean_uses(reports, lambda u: u.mean.problem == "not found").items():
        first = uses[0]
        yield Report(
            mean_location(first),
            f"{layer_text(first)}: mean_file \"{name}\" was not found"
            f"{_places(first.mean.tried)}. Caffe reads it (ReadProtoFromBinaryFileOrDie) "
            f"relative to the directory it is run in when it builds the layer, and aborts "
            f"(\"File not found\") when it is not there",
            FIX,
            related=also_read_by(uses[1:], mean_location),
        )


def _hdf5_files(report):
    files = report.hdf5.files
    if not files or any(f.problem != "not found" for f in files):
        return  # some listed file was found: PL307 reports the missing ones
    first = report.uses[0]
    yield Report(
        first.location(),
        f"{layer_text(first)}: none of the {len(files)} HDF5 file(s) listed in \"{report.name}\" "
        f"was found (first: \"{files[0].listed}\"{_places(files[0].tried)}). Caffe opens "
        f"each relative to the directory it is run in and aborts (\"Failed opening HDF5 "
        f"file\") at one that is not there",
        FIX,
        related=also_read_by(report.uses[1:]),
    )


def _images(report):
    rec = report.records
    missing = rec.missing
    if not rec.checked or missing.count != rec.checked or rec.malformed:
        return  # some image was found (or the list is malformed): PL308
    if any("trailing '/'" in note for note in rec.notes):
        return  # a root_folder without its slash: PL308 says so
    first = report.uses[0]
    count = (f"{rec.checked} image(s) checked (of {rec.total} listed, --data-sample)"
             if rec.sampled else f"{rec.checked} image(s) listed")
    yield Report(
        first.location(),
        f"{layer_text(first)}: none of the {count} in \"{report.name}\" was found (first: "
        f"\"{missing.example.shown_key}\", line {missing.example.index + 1}); looked for "
        f"relative to the working directory, the net's directory and its parents, and "
        f"--root. Caffe reads root_folder + the listed path relative to the directory it is "
        f"run in and aborts (\"Could not load ...\") at an image that is not there",
        FIX,
        related=also_read_by(report.uses[1:]),
    )


def _infogain(net):
    """InfogainLoss matrix files not found (PL203 judges those found)."""
    for layer in net.layers:
        param = layer.param.infogain_loss_param
        if (layer.type != "InfogainLoss" or len(layer.bottoms) >= 3
                or not param.HasField("source") or not any(layer in v.layers for v in net.views)):
            continue
        found, tried = net.locate(param.source)
        if found is not None:
            continue
        yield Report(
            layer.location("infogain_loss_param.source"),
            f"InfogainLoss '{layer.name}': its matrix \"{param.source}\" was not found"
            f"{_places(tried)}. Caffe reads it (ReadProtoFromBinaryFile) relative to the "
            "directory it is run in when it builds the layer, and aborts (\"File not "
            "found\") when it is not there",
            FIX,
        )


def check(net):
    if net.data_reports is not None:  # with --data
        yield from _infogain(net)
    reports = used_reports(net)
    for report in reports:
        if report.status == NOT_FOUND:
            yield from _source(report)
        elif report.status == OK and report.hdf5 is not None:
            yield from _hdf5_files(report)
        elif report.status == OK and report.records is not None and report.kind == "ImageData":
            yield from _images(report)
    yield from _means(reports)
