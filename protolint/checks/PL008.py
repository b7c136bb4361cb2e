"""A file whose top-level fields are those of neither a net nor a solver."""

from protolint.document import UNKNOWN
from protolint.findings import Report, Severity

CODE = "PL008"
NAME = "unknown-file-kind"
SEVERITY = Severity.WARNING
TARGET = "document"
SUMMARY = "neither a Caffe net nor a solver: the file was not linted"


def check(doc):
    if doc.syntax_error is not None or doc.kind != UNKNOWN:
        return
    names = list(dict.fromkeys(f.name for f in doc.tree.root.fields))
    if names:
        shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
        message = f"not a Caffe net or solver: its top-level fields ({shown}) belong to neither"
        first = doc.tree.root.fields[0]
        location = doc.location(first.start, first.name_end)
    else:
        message = "the file has no fields: it is neither a Caffe net nor a solver"
        location = doc.location(0, 0)
    yield Report(location, message,
                 "lint only nets and solvers; leave this file out with `per-file-ignores` "
                 "(e.g. a label map) or fix its field names")
