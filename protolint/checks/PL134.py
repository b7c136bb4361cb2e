"""`average_loss` below 1: the solver refuses to start."""

from protolint.findings import Report, Severity

CODE = "PL134"
NAME = "average-loss-below-one"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "average_loss below 1: Solver::Init's check fails and Caffe aborts before training"


def check(solver):
    window = solver.param.average_loss
    if window >= 1:
        return
    yield Report(
        solver.location("average_loss"),
        f"average_loss {window}: Solver::Init CHECKs that it is at least 1 (\"average_loss "
        "should be non-negative\") and aborts before the first iteration",
        "delete average_loss (the default 1 displays each iteration's loss), or set it to "
        "the number of iterations the displayed loss is averaged over, e.g. 20",
    )
