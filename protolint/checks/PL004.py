"""A value of the wrong type for its field, or out of its range."""

from protolint.findings import Report, Severity
from protolint.messages import BAD_VALUE

CODE = "PL004"
NAME = "invalid-value"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "a value that does not fit its field's type: Caffe refuses the whole file"


def check(doc):
    for problem in doc.problems:
        if problem.kind == BAD_VALUE:
            yield Report(doc.location(problem.start, problem.end), problem.message,
                         "write a value of the field's type (see `protolint explain PL004`)")
