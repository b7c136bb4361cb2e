"""BatchNorm with moving_average_fraction 0: TEST normalises with one batch's statistics."""

from protolint.findings import Report, Severity

CODE = "PL241"
NAME = "batchnorm-last-batch-statistics"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("BatchNorm moving_average_fraction 0: the stored statistics are the last training "
           "batch's alone, and TEST normalises with them")


def check(net):
    for layer in net.accumulating_batchnorms():
        if layer.param.batch_norm_param.moving_average_fraction != 0:
            continue
        yield Report(
            layer.location("batch_norm_param.moving_average_fraction"),
            f"BatchNorm '{layer.name}': moving_average_fraction is 0, so each training "
            "step multiplies the stored sums by 0 before adding the batch's own: the mean "
            "and variance kept for TEST are those of the last training batch alone, a noisy "
            "estimate (and with a small batch a poor one), so test results depend on which "
            "batch came last",
            "use a value in (0, 1]: the default 0.999, or 0.9 to follow recent batches",
        )
