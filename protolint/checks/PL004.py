"""A value of the wrong type for its field, or out of its range."""

from protolint.findings import Severity
from protolint.messages import BAD_VALUE

CODE = "PL004"
NAME = "invalid-value"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "a value that does not fit its field's type: Caffe refuses the whole file"


def check(doc):
    return doc.problem_reports(
        BAD_VALUE,
        "write a value of the field's type (see `protolint explain PL004`)",
    )
