"""What --data could not look at: a source it cannot read here, records it cannot decode."""

from protolint.data.model import UNSUPPORTED
from protolint.data.usage import used_reports
from protolint.data.wording import also_read_by, layer_text
from protolint.findings import Report, Severity

CODE = "PL304"
NAME = "data-not-inspected"
SEVERITY = Severity.INFO
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("a data source (or some of its records) could not be inspected here: a Python "
           "package is missing, or the format is not read")

PILLOW = "Pillow is not installed (pip install pillow)"


def _unsupported(report):
    first = report.uses[0]
    if report.kind == "WindowData":
        fix = "nothing to do: WindowData sources are not read by protolint"
    elif "pip install" in report.problem:
        package = report.problem.split("pip install", 1)[1].strip(" )")
        fix = f"pip install {package} (or pip install 'protolint[data]') and lint again"
    else:
        fix = "install what the message names and lint again"
    yield Report(
        first.location(),
        f"{layer_text(first)}: source \"{report.name}\" was not inspected: {report.problem}; "
        f"no data rule judged it",
        fix,
        related=also_read_by(report.uses[1:]),
    )


def _unchecked(report):
    rec = report.records
    if not rec.unchecked:
        return
    first = report.uses[0]
    what = "images" if report.kind == "ImageData" else "encoded (JPEG/PNG) records"
    yield Report(
        first.location(),
        f"{layer_text(first)}: {rec.unchecked} of the {rec.checked} records checked in "
        f"\"{report.name}\" are {what} that were not decoded: {PILLOW}; their shapes and "
        f"values were not judged",
        "pip install pillow (or pip install 'protolint[data]') and lint again",
        related=also_read_by(report.uses[1:]),
    )


def check(net):
    for report in used_reports(net):
        if report.status == UNSUPPORTED:
            yield from _unsupported(report)
        elif report.records is not None:
            yield from _unchecked(report)
