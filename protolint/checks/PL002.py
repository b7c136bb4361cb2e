"""A field the message type does not have (often a field of a Caffe fork)."""

from protolint.findings import Report, Severity
from protolint.messages import UNKNOWN_FIELD

CODE = "PL002"
NAME = "unknown-field"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "a field BVLC Caffe's schema does not have: Caffe refuses the whole file"


def check(doc):
    for problem in doc.problems:
        if problem.kind == UNKNOWN_FIELD:
            if problem.suggestions:
                fix = f"did you mean `{problem.suggestions[0]}`?"
            else:
                fix = ("remove it, or run the Caffe fork that defines it: BVLC Caffe stops "
                       "reading the file at this field")
            yield Report(doc.location(problem.start, problem.end), problem.message, fix)
