"""BatchNorm moving_average_fraction above 1 or below 0: the stored statistics are not an
average of the batches'."""

from __future__ import annotations

import math

from protolint.findings import Report, Severity
from protolint.floats import LN_FLT_MAX

CODE = "PL220"
NAME = "batchnorm-moving-average-fraction"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("BatchNorm moving_average_fraction > 1 or < 0: the mean and variance used at "
           "TEST are garbage (dominated by the first batches, negative, or inf/NaN)")


def _overflow_iteration(f: float) -> int:
    """The iteration n at which the scale factor blobs_[2] = (f^n - 1) / (f - 1) passes
    FLT_MAX in magnitude (|f| > 1; the running sums of statistics above 1 overflow
    sooner)."""
    a = abs(f)
    if math.isinf(a):
        return 1  # the first update already overflows
    return max(1, math.ceil((LN_FLT_MAX + math.log(abs(f - 1))) / math.log(a)))


def _effect(f: float) -> str:
    if math.isnan(f):
        return "is NaN: the running sums become NaN at the first iteration"
    if f > 1:
        n = _overflow_iteration(f)
        # The first batch's weight relative to the latest, f^(n-1), reaches 10 at:
        ten = math.ceil(math.log(10) / math.log(f) - 1e-9) + 1
        return (f"is {f:g}, above 1: each iteration multiplies the running sums by {f:g} "
                "before adding the batch's statistics, so batch k of n is weighted "
                f"{f:g}^(n-k) and the oldest batches, from the untrained net, dominate (the "
                f"first outweighs the latest 10 to 1 by iteration {ten}); after about {n} iterations "
                "the sums overflow float32, and TEST then normalises with 0 or NaN "
                "(1/inf times the sums)")
    if f == -1:
        return ("is -1: the scale factor blobs_[2] alternates 1, 0, 1, 0, ...; after an even "
                "number of iterations it is 0 and TEST uses mean 0 and variance 0 (the input "
                "divided by sqrt(eps), about 316 times too large), after an odd number the "
                "alternating sum of all batches' statistics")
    tail = (f"; |f| > 1 also makes the sums grow as {abs(f):g}^n and overflow float32 after "
            f"about {_overflow_iteration(f)} iterations" if f < -1 else "")
    return (f"is {f:g}, negative: batch k of n is weighted {f:g}^(n-k), alternately added "
            "and subtracted, so the stored variance is a difference of batch variances; "
            "it goes negative when consecutive batches differ enough, and TEST then takes "
            "the square root of a negative number (NaN)" + tail)


def check(net):
    for layer in net.accumulating_batchnorms():
        f = layer.param.batch_norm_param.moving_average_fraction
        if 0 <= f <= 1:
            continue
        yield Report(
            layer.location("batch_norm_param.moving_average_fraction"),
            f"BatchNorm '{layer.name}': moving_average_fraction {_effect(f)}",
            "use a value in (0, 1]: the default 0.999, or 0.9 to follow recent batches "
            "more closely (1 gives the plain average over all of training)",
        )
