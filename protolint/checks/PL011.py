"""A message written without one of its `required` fields."""

from protolint.findings import Severity
from protolint.messages import MISSING

CODE = "PL011"
NAME = "missing-required-field"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = ("a block without a field caffe.proto marks required (clip_param's min and max): "
           "Caffe refuses the whole file")


def check(doc):
    return doc.problem_reports(MISSING, "write the missing field in the block")
