"""A negative (or NaN) `gamma` with a policy that reads it: Caffe aborts."""

import math

from protolint.findings import Report, Severity

CODE = "PL106"
NAME = "gamma-negative"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "gamma < 0 or NaN with step, exp, inv, multistep or sigmoid: Caffe aborts at the first update"

# What a negative gamma would have meant, and what to write instead, by policy.
_MEANING = {
    "step": "gamma is the factor the rate is multiplied by at each step",
    "multistep": "gamma is the factor the rate is multiplied by at each stepvalue",
    "exp": "gamma is the factor the rate is multiplied by at every iteration",
    "inv": "the rate is base_lr * (1 + gamma * iter)^(-power)",
    "sigmoid": ("a negative gamma would turn the sigmoid into a decay, which Caffe does not "
                "allow: its sigmoid only rises, from about 0 to base_lr"),
}
_FIX = {
    "step": "use a factor between 0 and 1, e.g. gamma: 0.1",
    "multistep": "use a factor between 0 and 1, e.g. gamma: 0.1",
    "exp": "use a factor just below 1, e.g. gamma: 0.9999",
    "inv": "use a small positive gamma, e.g. gamma: 0.0001 with power: 0.75",
    "sigmoid": ('use a positive gamma for a warm-up; for a decay use lr_policy "step", '
                '"multistep", "inv" or "poly"'),
}


def check(solver):
    param = solver.param
    policy = param.lr_policy
    gamma = param.gamma
    if policy not in _MEANING or gamma >= 0:  # NaN is not >= 0
        return
    value = "gamma is NaN" if math.isnan(gamma) else f"gamma is {gamma:g}"
    message = (f"{value}: SGDSolver::GetLearningRate CHECKs gamma >= 0 for lr_policy "
               f'"{policy}", so Caffe aborts at the first update ({_MEANING[policy]})')
    abort = solver.schedule.abort
    if abort is not None and abort.field != "gamma":
        message += f"; the {abort.field} check before it fails first"
    yield Report(solver.location("gamma"), message, _FIX[policy])
