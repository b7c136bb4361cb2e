"""Adam with `momentum2` (beta2) of 1 or more: its bias correction is 0 or NaN."""

import math

from protolint.findings import Report, Severity

CODE = "PL115"
NAME = "momentum2-at-least-one"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "Adam with momentum2 of 1 or more: no weight ever changes (1), or every update is NaN"


def _shown(solver, value: float) -> str:
    """`momentum2` as written, saying so when float32 rounding is what makes it 1."""
    return solver.shown("momentum2", value, lambda written: not written < 1)


def check(solver):
    if solver.type != "Adam":
        return
    beta2 = solver.param.momentum2
    if beta2 < 1:
        return
    if math.isnan(beta2):
        message = ("momentum2 is NaN: Adam's bias correction sqrt(1 - beta2^t) and its second "
                   "moment are NaN, so every update is NaN")
    elif beta2 == 1:
        message = (f"momentum2 {_shown(solver, beta2)}: Adam uses it as beta2, and its bias "
                   "correction sqrt(1 - beta2^t) is sqrt(1 - 1) = 0 at every iteration, so "
                   "every update is multiplied by 0 and no weight ever changes (the "
                   "second moment also stays 0, as it is updated as 1 * v + 0 * gradient^2)")
    else:
        message = (f"momentum2 {_shown(solver, beta2)}: Adam uses it as beta2, and its bias "
                   f"correction sqrt(1 - beta2^t) takes the square root of a negative number "
                   "(NaN), so every weight is NaN after the first update")
    yield Report(solver.location("momentum2"), message,
                 "set momentum2 below 1: 0.999 (its default, Adam's usual beta2), or "
                 "delete the line")
