"""A non-repeated field written twice in one message."""

from protolint.findings import Report, Severity
from protolint.messages import DUPLICATE

CODE = "PL005"
NAME = "duplicate-field"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "a non-repeated field given twice: Caffe refuses the whole file"


def check(doc):
    for problem in doc.problems:
        if problem.kind == DUPLICATE:
            yield Report(doc.location(problem.start, problem.end), problem.message,
                         "keep one of the two values and delete the other")
