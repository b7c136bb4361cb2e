"""A learning-rate policy whose rate goes up during training."""

from protolint.findings import Report, Severity

CODE = "PL107"
NAME = "lr-increases"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "the learning rate increases during training (gamma > 1, or a negative power)"


def _mechanism(param, policy) -> tuple[str, str, str]:
    """(how the rate grows, the field responsible, the fix)."""
    gamma, power = param.gamma, param.power
    decay = "use a gamma below 1 for a decay"
    if policy == "step":
        return (f'lr_policy "step" multiplies it by gamma {gamma:g} every {param.stepsize} '
                "iterations", "gamma", f"{decay}, e.g. gamma: 0.1")
    if policy == "multistep":
        return (f'lr_policy "multistep" multiplies it by gamma {gamma:g} at each stepvalue',
                "gamma", f"{decay}, e.g. gamma: 0.1")
    if policy == "exp":
        return (f'lr_policy "exp" multiplies it by gamma {gamma:g} every iteration', "gamma",
                f"{decay}, e.g. gamma: 0.9999")
    if policy == "inv":
        return (f'lr_policy "inv" computes base_lr * (1 + gamma * iter)^(-power), and with '
                f"power {power:g} < 0 that grows with iter", "power",
                "use a positive power for a decay, e.g. power: 0.75")
    # poly
    return (f'lr_policy "poly" computes base_lr * (1 - iter / max_iter)^power, and with '
            f"power {power:g} < 0 that grows as iter nears max_iter", "power",
            "use a positive power for a decay, e.g. power: 0.9")


def check(solver):
    schedule = solver.schedule
    horizon = solver.judged_horizon
    param = solver.param
    policy = param.lr_policy
    if schedule.abort is not None or horizon is None or policy in ("fixed", "sigmoid"):
        return  # sigmoid rises by design: it is a warm-up
    if not schedule.rate(0) > 0 or solver.first_nonfinite_rate() is not None:
        return  # PL102 / PL108 report those
    first = schedule.first_increase(0, horizon)
    if first is None:
        return
    start = schedule.rate(0)
    peak = schedule.extremes(0, horizon)[1]
    at = schedule.first(lambda r: r >= peak, 0, horizon)
    how, where, fix = _mechanism(param, policy)
    message = (f"the learning rate rises: {how}, so it goes from {start:g} at iteration 0 to "
               f"{schedule.rate(first):g} at iteration {first} and peaks at {peak:g} "
               f"({peak / start:.3g} x base_lr) at iteration {at}")
    fix += ("; if the rise is deliberate (a warm-up, a learning-rate range test), suppress "
            "this with `# protolint: disable=PL107`")
    yield Report(solver.location(where if solver.field(where) else "lr_policy"), message, fix)
