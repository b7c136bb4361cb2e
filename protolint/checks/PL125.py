"""`test_interval` set although the solver has no test net: testing silently never happens."""

from protolint.findings import Report, Severity

CODE = "PL125"
NAME = "test-interval-without-test-net"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "test_interval is set but the solver builds no test net: no test ever runs"


def check(solver):
    param = solver.param
    if not param.test_interval > 0:
        return
    explicit, generic = solver.test_net_counts()
    if generic is None:
        return  # no training net, or several: Caffe stops in InitTrainNet first (PL129)
    if explicit or param.test_iter:
        return
    if generic:
        source = "net_param" if param.HasField("net_param") else "net"
        reason = (f"there is no test_iter, and Solver::InitTestNets builds a TEST-phase copy "
                  f"of `{source}` once per test_iter value, so none")
        fix = (f"add `test_iter: N` (N x the TEST batch size = the size of your validation "
               f"set) to test `{source}` every {param.test_interval} iterations, or delete "
               "test_interval")
    else:
        reason = ("there is no test_net or test_net_param (and no generic `net`), so "
                  "Solver::InitTestNets builds no test net")
        fix = ("add `test_net: \"...\"` and a `test_iter` for it, or delete test_interval "
               "if the training is validated elsewhere")
    yield Report(
        solver.location("test_interval"),
        f"test_interval {param.test_interval} asks for a test every {param.test_interval} "
        f"iterations, but {reason}: Solver::TestAll loops over zero test nets, and "
        "training runs without a single test score and without any message saying so",
        fix,
    )
