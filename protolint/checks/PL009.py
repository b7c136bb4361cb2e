"""A V0/V1 net whose upgrade drops a setting: Caffe loads it without that setting."""

from protolint.findings import Report, Severity

CODE = "PL009"
NAME = "legacy-upgrade-drops-setting"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = "a setting of a V0/V1 net that Caffe's upgrade drops: the net runs without it"


def check(net):
    for issue in net.upgrade_issues:
        if not issue.fatal:
            yield Report(net.legacy_location(issue.layer_index), issue.message,
                         "move the setting to where the layer type reads it, or delete it")
