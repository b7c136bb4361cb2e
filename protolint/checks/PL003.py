"""An enum field set to a name its enum does not have."""

from protolint.findings import Report, Severity
from protolint.messages import UNKNOWN_ENUM

CODE = "PL003"
NAME = "unknown-enum-value"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "an enum value BVLC Caffe's schema does not have: Caffe refuses the whole file"


def check(doc):
    for problem in doc.problems:
        if problem.kind == UNKNOWN_ENUM:
            if problem.suggestions:
                fix = f"did you mean `{problem.suggestions[0]}`?"
            else:
                fix = "use one of the listed values (enum names are case-sensitive)"
            yield Report(doc.location(problem.start, problem.end), problem.message, fix)
