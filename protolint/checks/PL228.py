"""Log, Power or Exp whose input range reaches values that give inf or NaN."""

from protolint.domains import domain_findings
from protolint.findings import Severity

CODE = "PL228"
NAME = "nonfinite-math-risk"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "Log, Power or Exp whose input range reaches values where it gives inf or NaN"


def check(net):
    yield from domain_findings(net, Severity.WARNING)
