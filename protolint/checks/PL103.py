"""`base_lr` an order of magnitude above what the solver type is used with."""

import math

from protolint.findings import Report, Severity

CODE = "PL103"
NAME = "base-lr-too-high"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "base_lr far above what the solver type tolerates: training is likely to diverge"

# Ten times the largest base_lr each family is conventionally run with (see
# rules/PL103.md for the reasoning): SGD-style updates scale with the gradient,
# adaptive ones move every weight by about base_lr per step, and AdaDelta's
# base_lr is a multiplier whose convention is 1.
LIMITS = {
    "SGD": 1.0, "Nesterov": 1.0,
    "Adam": 0.1, "RMSProp": 0.1, "AdaGrad": 0.1,
    "AdaDelta": 10.0,
}


def check(solver):
    limit = LIMITS.get(solver.type)
    base_lr = solver.param.base_lr
    # base_lr is a float32: 0.1 arrives as 0.10000000149, which must not exceed 0.1.
    if limit is None or not math.isfinite(base_lr) or base_lr <= limit * (1 + 1e-6):
        return
    yield Report(
        solver.location("base_lr"),
        f"base_lr {base_lr:g} is more than ten times what {solver.type} is normally run "
        f"with (the warning threshold is {limit:g}): expect the loss to diverge to NaN",
        f"lower base_lr to at most {limit:g}; if the rate is deliberate (a fork's LARS, "
        "say), suppress it with `# protolint: disable=PL103`",
    )
