"""The learning rate becomes exactly 0 before max_iter: the rest of the run learns nothing."""

from protolint.findings import Report, Severity

CODE = "PL105"
NAME = "lr-reaches-zero"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "the learning rate becomes exactly 0 before max_iter: nothing is learned after that"

# Where each policy multiplies by gamma, for the gamma-is-0 message.
_GAMMA_STEP = {
    "step": 'lr_policy "step" multiplies the rate by gamma^floor(iter / stepsize)',
    "multistep": 'lr_policy "multistep" multiplies the rate by gamma at each stepvalue',
    "exp": 'lr_policy "exp" multiplies the rate by gamma^iter',
}
_FORMULA = {
    "step": "base_lr * gamma^floor(iter / stepsize)",
    "exp": "base_lr * gamma^iter",
    "inv": "base_lr * (1 + gamma * iter)^(-power)",
    "multistep": "base_lr * gamma^(steps taken)",
    "poly": "base_lr * (1 - iter / max_iter)^power",
}


def _rest(solver, first: int) -> str:
    """The iterations from `first` to the end of the judged run, in words."""
    if solver.horizon is None:
        return f"all iterations from {first} on, in {solver.run_text},"
    return f"the last {solver.horizon - first} of {solver.run_text}"


def _gamma_zero(solver, first):
    param = solver.param
    policy = param.lr_policy
    if solver.field("gamma") is None:
        what = "gamma is not set: it has no default, so it is 0"
    else:
        what = "gamma is 0"
    message = (f"{what}, and {_GAMMA_STEP[policy]}: the rate is 0 from iteration {first} "
               f"on, so {_rest(solver, first)} learn nothing")
    example = "gamma: 0.9999" if policy == "exp" else "gamma: 0.1"
    fix = f"set gamma to the factor the rate is multiplied by at each step, e.g. {example}"
    return Report(solver.location("gamma" if solver.field("gamma") else "lr_policy"),
                  message, fix)


def _sigmoid_all_zero(solver):
    """A sigmoid warm-up still at exactly 0 when training stops: it learns nothing."""
    param = solver.param
    schedule = solver.schedule
    horizon = solver.horizon
    if schedule.rate(0) != 0 or schedule.rate(horizon - 1) != 0:
        return None
    message = (f'lr_policy "sigmoid" with gamma {param.gamma:g} and stepsize {param.stepsize} '
               "computes base_lr / (1 + exp(gamma * (stepsize - iter))): exp overflows float "
               f"or the quotient underflows, so the rate is exactly 0 at every iteration up "
               f"to max_iter {horizon}: the run learns nothing")
    fix = ("move stepsize (the middle of the warm-up) well below max_iter, or lower gamma "
           "so the warm-up is gradual")
    return Report(solver.location("stepsize"), message, fix)


def check(solver):
    schedule = solver.schedule
    horizon = solver.judged_horizon
    policy = solver.param.lr_policy
    if schedule.abort is not None or horizon is None or policy == "fixed":
        return
    if not solver.param.base_lr > 0:
        return  # PL102
    if policy == "sigmoid":
        if solver.horizon is None:
            return  # a warm-up still at 0 matters only for a run of known length
        report = _sigmoid_all_zero(solver)
        if report is not None:
            yield report
        return
    if not schedule.rate(0) > 0:
        return
    first = schedule.first(lambda r: r == 0, 0, horizon)
    if first is None:
        return
    if policy in _GAMMA_STEP and solver.param.gamma == 0:
        yield _gamma_zero(solver, first)
        return
    if solver.horizon is None:
        return  # a decay that underflows after millions of iterations a script may not run
    if policy == "poly" and horizon - first <= horizon // 100:
        return  # poly ends at 0 by design: exactly 0 a little early changes nothing
    before = schedule.rate(first - 1)
    where = "power" if policy == "poly" else "gamma"
    message = (f'lr_policy "{policy}" computes {_FORMULA[policy]}, which falls below the '
               f"smallest float: it is {before:g} at iteration {first - 1} and exactly 0 from "
               f"iteration {first} on, so {_rest(solver, first)} learn nothing")
    fix = ("decay more slowly (a gamma closer to 1, a smaller power) so the rate at "
           "max_iter is still a useful value, or lower max_iter")
    yield Report(solver.location(where if solver.field(where) else "lr_policy"), message, fix)
