"""`iter_size` below 1: no forward/backward pass, and 0 gives NaN weights."""

from protolint.findings import Report, Severity

CODE = "PL128"
NAME = "iter-size-below-one"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "iter_size below 1: no gradient is ever computed (0: every weight becomes NaN)"


def check(solver):
    size = solver.param.iter_size
    if size >= 1:
        return
    if size == 0:
        effect = ("the loss is 0/0 = NaN, and SGDSolver::Normalize scales the zeroed "
                  "gradients by 1/0 = inf, so 0 x inf makes every gradient NaN and the "
                  "first update turns every learnable weight into NaN")
    else:
        effect = ("SGDSolver::Normalize scales the zeroed gradients by 1/" f"{size}, "
                  "which leaves them 0, so only weight decay ever changes the weights: "
                  "the net learns nothing from its data")
    yield Report(
        solver.location("iter_size"),
        f"iter_size {size}: Solver::Step accumulates gradients over iter_size "
        f"forward/backward passes per iteration, so it runs none; {effect}",
        "delete iter_size (the default is 1), or set it to the number of batches to "
        "accumulate per update (effective batch = batch_size x iter_size)",
    )
