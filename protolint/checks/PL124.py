"""test_iter / test_state counts that do not match the test nets: InitTestNets aborts."""

from protolint.findings import Report, Severity

CODE = "PL124"
NAME = "test-iter-count"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "test_iter or test_state count does not match the test nets: Caffe aborts at start-up"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def check(solver):
    param = solver.param
    explicit, generic = solver.test_net_counts()
    if generic is None:
        return  # no training net, or several: Caffe stops in InitTrainNet first (PL129)
    iters = len(param.test_iter)
    where = "test_iter" if solver.field("test_iter") else (
        "test_net_param" if solver.field("test_net_param") else "test_net")
    nets = _plural(explicit, "test net") + " (test_net, test_net_param)"
    if generic and iters < explicit:
        yield Report(
            solver.location(where),
            f"{_plural(iters, 'test_iter value')} for {nets}: Solver::InitTestNets needs one "
            "test_iter per test net (CHECK_GE, \"test_iter must be specified for each test "
            "network.\") and aborts",
            f"give {explicit} test_iter values, one per test_net/test_net_param in order "
            "(further ones each test the `net` itself)",
        )
        return
    if not generic and iters != explicit:
        if iters > explicit:
            detail = ("without `net`/`net_param` there is no generic net for the extra "
                      "test_iter values to test (a `train_net` is never tested)")
            fix = (f"keep {explicit} test_iter value(s), or name the net with `net:` "
                   "instead of `train_net:` so that each extra test_iter tests it in the "
                   "TEST phase")
        else:
            detail = "every test net needs its own test_iter"
            fix = f"give {explicit} test_iter values, one per test net in order"
        yield Report(
            solver.location(where),
            f"{_plural(iters, 'test_iter value')} for {nets}: {detail}; Solver::InitTestNets "
            "requires the counts to be equal (CHECK_EQ, \"test_iter must be specified for "
            "each test network.\") and aborts",
            fix,
        )
        return
    states = len(param.test_state)
    if states and states != iters:
        yield Report(
            solver.location("test_state"),
            f"{_plural(states, 'test_state')} for {_plural(iters, 'test net instance')} "
            "(one per test_iter): Solver::InitTestNets requires test_state to be absent or "
            "given once per test net (CHECK_EQ, \"test_state must be unspecified or "
            "specified once per test net.\") and aborts",
            f"give exactly {iters} test_state blocks, in the order of the test nets, or none",
        )
