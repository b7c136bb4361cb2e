"""The file is not protobuf text format: Caffe cannot read any of it."""

from protolint.findings import Report, Severity

CODE = "PL001"
NAME = "syntax-error"
SEVERITY = Severity.ERROR
TARGET = "document"
SUMMARY = "the file does not parse as protobuf text format"


def check(doc):
    error = doc.syntax_error
    if error is not None:
        yield Report(
            doc.location(error.start, error.end),
            f"syntax error: {error.message}",
            "write fields as `name: value` or `name { ... }`; Caffe's parser stops at the "
            "first error, so nothing after this point is read",
        )
