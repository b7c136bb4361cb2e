"""`lr_policy: "poly"` without `max_iter`: the learning rate is NaN, then infinite."""

from protolint.findings import Report, Severity

CODE = "PL101"
NAME = "poly-without-max-iter"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = 'lr_policy "poly" without max_iter: the learning rate is NaN at iteration 0'


def _after_zero(power: float) -> str:
    """pow(1 - k/0, power) = pow(-inf, power) for k >= 1, in C's pow."""
    if power < 0:
        return "0"
    if float(power).is_integer() and int(power) % 2 == 1:
        return "-inf"
    return "+inf"


def check(solver):
    if not solver.schedule.poly_divides_by_zero:
        return
    power = solver.param.power
    where = "max_iter" if solver.field("max_iter") else "lr_policy"
    yield Report(
        solver.location(where),
        f'lr_policy "poly" computes base_lr * (1 - iter/max_iter)^power with max_iter = 0: '
        f"the rate is NaN at iteration 0 and {_after_zero(power)} from iteration 1 on",
        "set max_iter to the number of training iterations",
    )
