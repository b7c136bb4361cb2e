"""A non-"fixed" learning-rate policy whose rate never changes over the run."""

from protolint.findings import Report, Severity

CODE = "PL109"
NAME = "lr-schedule-constant"
SEVERITY = Severity.INFO
TARGET = "solver"
SUMMARY = 'a learning-rate policy other than "fixed" whose rate never changes before max_iter'


def _reason(solver) -> tuple[str, str]:
    """(why the rate is constant, the field responsible)."""
    param = solver.param
    policy = param.lr_policy
    horizon = solver.horizon
    gamma_set = solver.field("gamma") is not None
    if policy == "step" and param.stepsize >= horizon:
        return (f"stepsize {param.stepsize} is not below max_iter {horizon}: the first step "
                "would come after training ends", "stepsize")
    if policy == "multistep" and not param.stepvalue:
        return "no stepvalue is given, so multistep never steps", "lr_policy"
    if policy == "multistep" and min(param.stepvalue) >= horizon:
        return (f"no stepvalue is below max_iter {horizon}: training ends before the first "
                "step", "stepvalue")
    if policy in ("step", "exp", "multistep") and param.gamma == 1:
        return "gamma is 1, and multiplying the rate by 1 leaves it unchanged", "gamma"
    if policy == "inv" and param.gamma == 0:
        what = "gamma is 0" if gamma_set else "gamma is not set (0)"
        return f"{what}, so (1 + gamma * iter)^(-power) is 1", "gamma"
    if policy == "inv" and param.power == 0:
        what = "power is 0" if solver.field("power") else "power is not set (0)"
        return f"{what}, so (1 + gamma * iter)^(-power) is 1", "power"
    if policy == "poly" and param.power == 0:
        what = "power is 0" if solver.field("power") else "power is not set (0)"
        return f"{what}, so (1 - iter / max_iter)^power is 1", "power"
    return "", "lr_policy"


def check(solver):
    schedule = solver.schedule
    horizon = solver.horizon
    param = solver.param
    policy = param.lr_policy
    if schedule.abort is not None or horizon is None or horizon < 2 or policy == "fixed":
        return
    if policy == "multistep" and schedule.misplaced_steps(horizon):
        return  # stepvalues that fire late or never are PL110's
    rate = schedule.rate(0)
    if not rate > 0 or rate == float("inf"):
        return  # PL102, PL105 (a sigmoid stuck at 0), PL108
    low, high = schedule.extremes(0, horizon)
    if low != high:
        return
    if policy == "sigmoid" and param.gamma == 0:
        gamma = "gamma 0" if solver.field("gamma") else "gamma not set (it has no default: 0)"
        message = (f'lr_policy "sigmoid" with {gamma} computes base_lr / (1 + exp(0)) = '
                   f"base_lr / 2: the rate is {rate:g} at every iteration, half the base_lr "
                   f"{param.base_lr:g} written in the file")
        fix = (f'for a constant rate write lr_policy: "fixed" with base_lr: {rate:g} (the rate '
               f"Caffe actually used) or base_lr: {param.base_lr:g} (the rate written); for a "
               "warm-up set gamma > 0")
        where = "gamma" if solver.field("gamma") else "lr_policy"
        yield Report(solver.location(where), message, fix)
        return
    why, where = _reason(solver)
    message = f'lr_policy "{policy}" keeps the rate at {rate:g} for all {horizon} iterations'
    if why:
        message += f": {why}"
    fix = ('write lr_policy: "fixed" if a constant rate is intended, or set the schedule so '
           "that it changes before max_iter")
    yield Report(solver.location(where if solver.field(where) else "lr_policy"), message, fix)
