"""A V0/V1 net that Caffe's upgrade code refuses: loading aborts."""

from protolint.findings import Report, Severity

CODE = "PL007"
NAME = "legacy-upgrade-abort"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "a V0/V1 net Caffe cannot upgrade: loading aborts"


def check(net):
    for issue in net.upgrade_issues:
        if issue.fatal:
            yield Report(net.legacy_location(issue.layer_index), issue.message,
                         "fix the layer as described, or convert the file by hand to the "
                         "current `layer { type: \"...\" }` format")
