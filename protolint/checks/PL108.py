"""The learning rate becomes NaN or infinite during training."""

from __future__ import annotations

import math

from protolint.findings import Report, Severity
from protolint.floats import FLT_MAX

CODE = "PL108"
NAME = "lr-not-finite"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "the learning rate is NaN or infinite at some iteration before max_iter"


_FORMULA = {
    "fixed": "base_lr",
    "step": "base_lr * gamma^floor(iter / stepsize)",
    "exp": "base_lr * gamma^iter",
    "inv": "base_lr * (1 + gamma * iter)^(-power)",
    "multistep": "base_lr * gamma^(steps taken)",
    "poly": "base_lr * (1 - iter / max_iter)^power",
    "sigmoid": "base_lr / (1 + exp(-gamma * (iter - stepsize)))",
}


def _cause(param, policy) -> tuple[str, str, str]:
    """(why, the field to point at, the fix) for a non-finite rate."""
    base_lr, gamma, power = param.base_lr, param.gamma, param.power
    if math.isinf(base_lr):
        return "base_lr is infinite", "base_lr", "set base_lr to a finite positive rate"
    if policy in ("step", "exp", "multistep"):
        if math.isinf(gamma):
            return "gamma is infinite", "gamma", "use a gamma between 0 and 1, e.g. 0.1"
        return (f"gamma {gamma:g} > 1 makes the rate grow until it overflows float "
                f"({FLT_MAX:.3g})", "gamma",
                "use a gamma between 0 and 1 for a decay (e.g. 0.1 for step, 0.9999 for exp)")
    if policy == "inv":
        if math.isnan(power):
            return "power is NaN", "power", "set power to a positive number, e.g. 0.75"
        if math.isinf(gamma):
            return "gamma is infinite", "gamma", "use a small positive gamma, e.g. 0.0001"
        return (f"power {power:g} < 0 makes (1 + gamma * iter)^(-power) grow until it "
                f"overflows float ({FLT_MAX:.3g})", "power",
                "use a positive power, e.g. power: 0.75, for a decay")
    if policy == "poly":
        if math.isnan(power):
            return "power is NaN", "power", "set power to a positive number, e.g. 0.9"
        return (f"power {power:g} < 0 makes (1 - iter / max_iter)^power grow as iter nears "
                f"max_iter until it overflows float ({FLT_MAX:.3g})", "power",
                "use a positive power, e.g. power: 0.9")
    if policy == "sigmoid":
        return ("gamma is infinite, and inf * 0 is NaN at iter = stepsize", "gamma",
                "use a finite positive gamma, e.g. 0.001")
    return "", "lr_policy", "make every schedule setting finite"


def check(solver):
    first = solver.first_nonfinite_rate()
    if first is None:
        return
    param = solver.param
    policy = param.lr_policy
    rate = solver.schedule.rate(first)
    value = "NaN" if math.isnan(rate) else f"{rate:+}"
    why, where, fix = _cause(param, policy)
    message = (f'lr_policy "{policy}" computes {_FORMULA[policy]}: the rate is {value} at '
               f"iteration {first} (max_iter is {solver.horizon})")
    if why:
        message += f": {why}"
    message += "; that update makes every weight it touches inf or NaN"
    if where not in ("lr_policy", "base_lr") and solver.field(where) is None:
        where = "lr_policy"
    yield Report(solver.location(where), message, fix)
