"""`base_lr` missing, zero or negative."""

from protolint.findings import Report, Severity

CODE = "PL102"
NAME = "base-lr-not-positive"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "base_lr is unset, zero or negative: the net never learns, or diverges"


# A usual first value by solver type, for the fix text.
_START = {
    "SGD": "0.01 is a common start for SGD",
    "Nesterov": "0.01 is a common start for Nesterov",
    "Adam": "0.001 is the usual Adam rate",
    "RMSProp": "0.001 is a common start for RMSProp",
    "AdaGrad": "0.01 is a common start for AdaGrad",
    "AdaDelta": "AdaDelta is run with base_lr 1.0",
}


def check(solver):
    base_lr = solver.param.base_lr
    if base_lr > 0 or solver.unreadable("base_lr"):
        return
    if not solver.field("base_lr"):
        message = ("base_lr is not set: it has no default, so every learning rate is "
                   "0 and no weight ever changes")
    elif base_lr == 0:
        message = "base_lr is 0: every learning rate is 0 and no weight ever changes"
    elif base_lr < 0:
        message = (f"base_lr is {base_lr:g}: a negative rate steps up the gradient, so the "
                   "loss grows until it overflows")
    else:
        message = "base_lr is NaN: every update is NaN"
    yield Report(solver.location("base_lr"), message,
                 f"set base_lr to a positive rate ({_START.get(solver.type, _START['SGD'])})")
