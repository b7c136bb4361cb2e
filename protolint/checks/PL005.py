"""A non-repeated field written twice in one message."""

from protolint.findings import Severity
from protolint.messages import DUPLICATE

CODE = "PL005"
NAME = "duplicate-field"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "a non-repeated field given twice: Caffe refuses the whole file"


def check(doc):
    return doc.problem_reports(
        DUPLICATE,
        "keep one of the two values and delete the other",
    )
