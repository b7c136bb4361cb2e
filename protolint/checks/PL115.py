"""Adam with `momentum2` (beta2) of 1 or more: its bias correction is 0 or NaN."""

import math

from protolint.findings import Report, Severity
from protolint.textformat import NUMBER

CODE = "PL115"
NAME = "momentum2-at-least-one"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "Adam with momentum2 of 1 or more: no weight ever changes (1), or every update is NaN"


def _shown(solver, value: float) -> str:
    """`momentum2` as written, saying so when float32 rounding is what makes it 1."""
    f = solver.field("momentum2")
    if f is None or f.kind != NUMBER:
        return f"{value:g}"
    try:
        written = float(f.value)
    except ValueError:
        return f"{value:g}"
    if not written < 1:
        return f.value
    return f"{f.value} (stored as the float32 {value:g})"


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
