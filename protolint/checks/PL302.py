"""A data source or mean file that exists but cannot be read as what the layer needs."""

from protolint.data.model import ERROR, NO_SOURCE, OK
from protolint.data.usage import mean_location, mean_uses, used_reports
from protolint.data.wording import also_read_by, layer_text, records_checked
from protolint.findings import Report, Severity

CODE = "PL302"
NAME = "data-source-unreadable"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("a data source, a record of it, or a mean file that cannot be read as the layer "
           "needs: Caffe aborts")

# What Caffe does when it cannot open a source of each kind (the layer's set-up).
OPEN_FAILS = {
    "Data": ("the database open in DataLayer's constructor fails (db_lmdb.cpp: MDB_CHECK "
             "on mdb_env_open; db_leveldb.cpp: \"Failed to open leveldb\") and Caffe aborts"),
    "ImageData": ("ImageDataLayer reads no line from it and its check \"!lines_.empty()\" "
                  "(\"File is empty\") aborts"),
    "HDF5Data": "HDF5DataLayer aborts with \"Failed to open source file\"",
    "WindowData": ("WindowDataLayer's check \"infile.good()\" (\"Failed to open window file\") "
                   "aborts"),
}


# A Data source that opened but could not be read through.
READ_FAILS = ("Caffe fails to open or read it: LMDB::Open and every LMDB cursor step "
              "MDB_CHECK their result (abort), LevelDB::Open checks its status (\"Failed to "
              "open leveldb\"), and a LevelDB iterator that meets damage stops there, so "
              "DataLayer silently starts over from the first record and never reads the rest")


def _source(report):
    first = report.uses[0]
    if report.status == NO_SOURCE:
        what = f"names no source (Caffe opens \"\"): {OPEN_FAILS.get(report.kind, 'Caffe aborts')}"
        fix = "set the source to the data the layer should read"
    else:
        problem = report.problem.removeprefix(report.name + " ")
        outcome = OPEN_FAILS.get(report.kind, "Caffe aborts")
        if report.kind == "Data" and problem.startswith("cannot be read"):
            outcome = READ_FAILS
        if report.kind == "Data" and problem == "holds no records":
            outcome = ("DataLayer::DataLayerSetUp parses the cursor's first record without "
                       "checking there is one: an LMDB cursor then hands over a value it never "
                       "set (a LevelDB iterator one it must not read), so Caffe reads garbage "
                       "and aborts on the transformer's shape checks or crashes")
        truncated = report.kind == "Data" and problem.startswith("is a truncated LMDB")
        if truncated:
            outcome = ("LMDB reads pages through a memory map, and Caffe (like any reader) "
                       "dies of SIGBUS (bus error) when it touches a missing page: at set-up "
                       "when the tree's root is among them, else when training reaches the "
                       "records stored there")
        what = f"source \"{report.name}\" exists but {problem}: {outcome}"
        fix = {
            "Data": ("point the source at the LMDB or LevelDB directory itself (the one holding "
                     "data.mdb or CURRENT), or rebuild the database (convert_imageset)"),
        }.get(report.kind, "point the source at a readable file of the right kind")
        if truncated:
            fix = ("copy or download the database again, completely (data.mdb as large as "
                   "the original), or rebuild it (convert_imageset)")
    yield Report(first.location(), f"{layer_text(first)}: {what}", fix,
                 related=also_read_by(report.uses[1:]))


def _records(report):
    rec = report.records
    bad = rec.undecodable
    if not bad or report.kind != "Data":
        return  # ImageData's undecodable images: PL308
    first = report.uses[0]
    reason = bad.reason or "cannot be decoded"
    if reason.startswith("encoded image"):
        how = ("cv::imdecode fails (\"Could not decode datum\") and the data transformer's "
               "checks on the empty image abort")
    else:
        how = ("Caffe ignores ParseFromString's failure and transforms what was parsed: the "
               "shape checks of the data transformer (channels > 0, the batch's shape) fail "
               "and Caffe aborts, or the bytes are read as pixels of a shape they do not have")
    yield Report(
        first.location(),
        f"{layer_text(first)}: {bad.count} record(s) of \"{report.name}\" cannot be read as a "
        f"Datum ({records_checked(rec)}); the first, {bad.example}: {reason}. When the layer "
        f"reaches it, {how}",
        "rebuild the database from the source images (convert_imageset), or remove the "
        "broken records",
        related=also_read_by(report.uses[1:]),
    )


def _means(reports):
    """Mean files found but unusable, each once (at the first layer naming it)."""
    unusable = mean_uses(reports, lambda u: u.mean.problem and u.mean.problem != "not found")
    for name, uses in unusable.items():
        first = uses[0]
        problem = first.mean.problem
        if "values but its shape" in problem:
            how = ("Blob::FromProto's check that the value count equals the shape's fails "
                   "when the layer's DataTransformer loads it")
        else:
            how = ("ReadProtoFromBinaryFileOrDie fails when the layer's DataTransformer "
                   "loads it")
        yield Report(
            mean_location(first),
            f"{layer_text(first)}: mean_file \"{name}\" {problem}: {how}, and Caffe aborts",
            "point mean_file at a BlobProto mean (compute_image_mean writes one), or use "
            "mean_value instead",
            related=also_read_by(uses[1:], mean_location),
        )


def check(net):
    reports = used_reports(net)
    for report in reports:
        if report.status in (ERROR, NO_SOURCE):
            yield from _source(report)
        elif report.status == OK and report.records is not None:
            yield from _records(report)
    yield from _means(reports)
