"""`max_iter` unset or not positive: `caffe train` trains for zero iterations."""

from protolint.findings import Report, Severity

CODE = "PL127"
NAME = "max-iter-zero"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "max_iter is unset or not positive: `caffe train` runs no training iteration"


def check(solver):
    param = solver.param
    if param.max_iter > 0 or solver.unreadable("max_iter"):
        return
    if solver.schedule.poly_divides_by_zero:
        return  # poly without max_iter: PL101 reports the NaN rate, an error
    explicit, generic = solver.test_net_counts()
    tests = max(len(param.test_iter), explicit) if generic else explicit
    if tests and param.test_interval > 0:
        return  # evaluation only: Solve still ends with one TestAll at iteration 0
    if solver.field("max_iter"):
        what = f"max_iter is {param.max_iter}"
        where = "max_iter"
    else:
        what = "max_iter is not set (it has no default: 0)"
        where = None
    snapshot = (" and, with snapshot unset, saves the untouched initial weights as the "
                "_iter_0 snapshot" if param.snapshot == 0 and param.snapshot_after_train
                else "")
    yield Report(
        solver.location(where),
        f"{what}: `caffe train` calls Solver::Solve, which runs Step(max_iter - iter), i.e. "
        f"no iteration at all{snapshot}; nothing is trained. (A Python script that drives "
        "the solver with solver.step(n) is not affected.)",
        "set max_iter to the number of training iterations; if a script calls "
        "solver.step(n) itself, set max_iter to that total anyway (or suppress with "
        "`# protolint: disable=PL127`)",
    )
