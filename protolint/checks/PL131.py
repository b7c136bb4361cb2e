"""test_interval longer than the whole run: the only test is at iteration 0."""

from protolint.findings import Report, Severity

CODE = "PL131"
NAME = "test-interval-beyond-max-iter"
SEVERITY = Severity.INFO
TARGET = "solver"
SUMMARY = "test_interval > max_iter: the only test runs at iteration 0, on untrained weights"


def check(solver):
    param = solver.param
    horizon = solver.horizon
    if horizon is None or not param.test_interval > horizon:
        return
    explicit, generic = solver.test_net_counts()
    if generic is None or not (explicit or (generic and param.test_iter)):
        return  # no test net: PL125's business (or Caffe stops earlier)
    if not param.test_initialization:
        return  # a huge test_interval with test_initialization off: testing disabled on purpose
    yield Report(
        solver.location("test_interval"),
        f"test_interval {param.test_interval} is longer than max_iter {horizon}: "
        "Solver::Step tests when iter % test_interval == 0, so the only test runs at "
        "iteration 0 (test_initialization), on the untrained weights, and none follows",
        f"to validate during training set test_interval below max_iter (e.g. "
        f"{max(horizon // 10, 1)}); to switch Caffe's testing off, add "
        "`test_initialization: false`",
    )
