"""ImageData lists Caffe aborts on (empty, naming images it cannot load), or whose labels
it reads as other numbers than written."""

from protolint.data.model import OK
from protolint.data.usage import used_reports
from protolint.data.wording import also_read_by, layer_text, records_checked
from protolint.findings import Report, Severity

CODE = "PL308"
NAME = "image-list-problems"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("an ImageData list that is empty, names images that are missing or cannot be "
           "decoded (a root_folder without its trailing '/', a line without a space), or has "
           "labels that are not integers")

ABORT = ("cv::imread returns no image, and ImageDataLayer's check \"Could not load ...\" "
         "aborts (at set-up for the first line read, in load_batch for the others)")


def _everything_missing(rec) -> bool:
    """PL301's case: no image found at all, nothing explaining why in the list itself."""
    return (rec.checked > 0 and rec.missing.count == rec.checked and not rec.malformed
            and not any("trailing '/'" in n for n in rec.notes))


def _empty(report):
    if report.records.total != 0:
        return
    yield ("image_data_param.source",
           f"the list \"{report.name}\" is empty: ImageDataLayer reads no line and its check "
           f"\"!lines_.empty()\" (\"File is empty\") fails at set-up, and Caffe aborts",
           "list the images, one \"path label\" per line")


def _missing(report):
    rec = report.records
    missing = rec.missing
    if not missing or _everything_missing(rec):
        return
    ref = missing.example
    note = next((n for n in rec.notes if "trailing '/'" in n), None)
    malformed = {r.index for r in rec.malformed.first}
    detail = ""
    if ref.index in malformed:
        detail = (f" (line {ref.index + 1} has no space: ImageDataLayer splits a line at its "
                  f"last space, so it takes the whole line as the file name)")
    where = "image_data_param.source"
    fix = "fix the listed paths (or root_folder), or remove the lines of images that are gone"
    if note is not None:
        where = "image_data_param.root_folder"
        detail += (f"; {note}: Caffe joins root_folder and the listed path without adding a "
                   f"separator")
        fix = "end root_folder with '/'"
    elif ref.index in malformed:
        fix = "write each line as \"path label\", separated by a single space"
    yield (where,
           f"{missing.count} image(s) listed in \"{report.name}\" were not found "
           f"({records_checked(rec, 'lines')}); the first is \"{ref.shown_key}\" on line "
           f"{ref.index + 1}{detail}. For such a line {ABORT}",
           fix)


def _undecodable(report):
    rec = report.records
    bad = rec.undecodable
    if not bad:
        return
    ref = bad.example
    yield ("image_data_param.source",
           f"{bad.count} image(s) listed in \"{report.name}\" cannot be decoded "
           f"({records_checked(rec, 'lines')}); the first is \"{ref.shown_key}\" on line "
           f"{ref.index + 1}: {bad.reason}. For such a file {ABORT}",
           "replace or re-encode the broken files (JPEG or PNG), or remove their lines")


def _labels(report):
    rec = report.records
    bad = rec.labels.non_integer
    if not bad:
        return
    missing = {r.index for r in rec.missing.first}
    if bad.count <= rec.missing.count and all(r.index in missing for r in bad.first):
        return  # lines whose file is missing too (no space at all): _missing says it
    ref = bad.example
    alone = ""
    if ref.index in {r.index for r in rec.malformed.first}:
        alone = " (the line has no space, so its whole text is both the path and the label)"
    yield ("image_data_param.source",
           f"{bad.count} line(s) of \"{report.name}\" have a label that is not an integer "
           f"({records_checked(rec, 'lines')}); the first is line {ref.index + 1} "
           f"(\"{ref.shown_key}\"): "
           f"{bad.reason}{alone}. ImageDataLayer reads the text after a line's last space with "
           f"atoi, which stops at the first character that is not a digit (a word, or "
           f"nothing, is 0): the layer trains with labels other than the ones written",
           "write an integer class index (0 to K-1) after the last space of every line")


def check(net):
    for report in used_reports(net):
        if report.kind != "ImageData" or report.status != OK or report.records is None:
            continue
        first = report.uses[0]
        for field, message, fix in (*_empty(report), *_missing(report), *_undecodable(report),
                                    *_labels(report)):
            yield Report(
                first.layer.location(field),
                f"{layer_text(first)}: {message}",
                fix,
                related=also_read_by(report.uses[1:], lambda u: u.layer.location(field)),
            )
