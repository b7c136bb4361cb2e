"""An enum field set to a name its enum does not have."""

from protolint.findings import Severity
from protolint.messages import UNKNOWN_ENUM

CODE = "PL003"
NAME = "unknown-enum-value"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "an enum value BVLC Caffe's schema does not have: Caffe refuses the whole file"


def check(doc):
    return doc.problem_reports(
        UNKNOWN_ENUM,
        "use one of the listed values (enum names are case-sensitive)",
    )
