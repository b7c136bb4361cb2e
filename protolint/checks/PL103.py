"""The effective learning rate an order of magnitude above what the solver type is used with."""

import math

from protolint.findings import Report, Severity

CODE = "PL103"
NAME = "base-lr-too-high"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "effective learning rate far above what the solver type tolerates: likely divergence"

# Ten times the largest rate each family is conventionally run with (rules/PL103.md has
# the reasoning): SGD-style updates scale with the gradient, adaptive ones move every
# weight by about the rate per step, and AdaDelta's rate is a multiplier whose
# convention is 1.
LIMITS = {
    "SGD": 1.0, "Nesterov": 1.0,
    "Adam": 0.1, "RMSProp": 0.1, "AdaGrad": 0.1,
    "AdaDelta": 10.0,
}
# Types whose step grows with the gradient, and so with a loss weight; the adaptive
# ones divide the gradient by its own running magnitude, which cancels a loss weight.
GRADIENT_SCALED = {"SGD", "Nesterov"}


def check(solver):
    limit = LIMITS.get(solver.type)
    peak = solver.peak_rate()
    if limit is None or peak is None or not math.isfinite(peak):
        return
    lr_mult, loss_weight = solver.largest_multipliers()
    if solver.type not in GRADIENT_SCALED:
        loss_weight = 1.0
    effective = peak * max(lr_mult, 0.0) * max(loss_weight, 0.0)
    # Rates are float32: 0.1 arrives as 0.10000000149, which must not exceed 0.1.
    if effective <= limit * (1 + 1e-6):
        return
    parts = [f"the schedule peaks at {peak:g}" if peak != solver.param.base_lr
             else f"base_lr {peak:g}"]
    if lr_mult != 1:
        parts.append(f"lr_mult {lr_mult:g}")
    if loss_weight != 1:
        parts.append(f"loss_weight {loss_weight:g}")
    how = " x ".join(parts)
    what = f"effective learning rate {effective:g} ({how})" if len(parts) > 1 else how
    yield Report(
        solver.location("base_lr"),
        f"{what} is more than ten times what {solver.type} is normally run with (the "
        f"warning threshold is {limit:g}): expect the loss to diverge to NaN",
        f"lower the rate so that it stays at most {limit:g}; if it is deliberate (a fork's "
        "LARS, say), suppress it with `# protolint: disable=PL103`",
    )
