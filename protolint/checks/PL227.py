"""Log, Power or Exp whose input certainly gives inf or NaN (PL228: can give)."""

from protolint.domains import domain_findings
from protolint.findings import Severity

CODE = "PL227"
NAME = "nonfinite-math"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "Log, Power or Exp on an input that certainly produces inf or NaN"


def check(net):
    yield from domain_findings(net, Severity.ERROR)
