"""Test nets without a positive `test_interval`: Solver::InitTestNets aborts."""

from protolint.findings import Report, Severity

CODE = "PL126"
NAME = "test-net-without-test-interval"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "test nets are configured but test_interval is unset or not positive: Caffe aborts"


def check(solver):
    param = solver.param
    interval = param.test_interval
    if interval > 0:
        return
    explicit, generic = solver.test_net_counts()
    if generic is None:
        return  # no training net, or several: Caffe stops in InitTrainNet first (PL129)
    instances = max(len(param.test_iter), explicit) if generic else explicit
    if not instances:
        return
    if not solver.field("test_interval"):
        what = "test_interval is not set (its default is 0)"
        where = "test_iter" if solver.field("test_iter") else (
            "test_net_param" if solver.field("test_net_param") else "test_net")
    else:
        what = f"test_interval is {interval}"
        where = "test_interval"
    nets = f"{instances} test net" + ("s" if instances > 1 else "")
    yield Report(
        solver.location(where),
        f"the solver builds {nets} but {what}: Solver::InitTestNets requires a positive "
        "interval whenever there is a test net (CHECK_GT(test_interval, 0)) and aborts "
        "before training starts",
        "set test_interval to how often to test (e.g. `test_interval: 1000`), or delete "
        "test_iter/test_net if the solver should not test",
    )
