"""`lr_policy` "step" or "sigmoid" without a positive `stepsize`: Caffe aborts."""

from protolint.findings import Report, Severity

CODE = "PL104"
NAME = "stepsize-not-positive"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = 'lr_policy "step" or "sigmoid" with stepsize unset or <= 0: Caffe aborts at the first update'

# What each policy uses stepsize for.
_ROLE = {
    "step": 'lr_policy "step" divides the iteration by stepsize to count its steps',
    "sigmoid": 'lr_policy "sigmoid" centres its rise on iteration stepsize',
}


def check(solver):
    param = solver.param
    policy = param.lr_policy
    if policy not in _ROLE or param.stepsize > 0:
        return
    written = solver.field("stepsize") is not None
    value = f"stepsize is {param.stepsize}" if written else \
        "stepsize is not set (it has no default: 0)"
    message = (f"{_ROLE[policy]}; {value}, so the CHECK stepsize > 0 in "
               "SGDSolver::GetLearningRate aborts Caffe at the first update")
    abort = solver.schedule.abort
    if abort is not None and abort.field != "stepsize":
        message += f" (once the {abort.field} check before it passes)"
    horizon = solver.horizon
    if policy == "step":
        example = f"e.g. stepsize: {max(horizon // 3, 1)}, a third of max_iter" if horizon \
            else "e.g. a third of max_iter"
        fix = f"set stepsize to the number of iterations between rate drops ({example})"
    else:
        fix = ("set stepsize to the iteration at which the warm-up reaches half of base_lr "
               "(a positive number)")
    yield Report(solver.location("stepsize" if written else "lr_policy"), message, fix)
