"""A field the message type does not have (often a field of a Caffe fork)."""

from protolint.findings import Severity
from protolint.messages import UNKNOWN_FIELD

CODE = "PL002"
NAME = "unknown-field"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "a field BVLC Caffe's schema does not have: Caffe refuses the whole file"


def check(doc):
    return doc.problem_reports(
        UNKNOWN_FIELD,
        "remove it, or run the Caffe fork that defines it: BVLC Caffe stops "
        "reading the file at this field",
    )
