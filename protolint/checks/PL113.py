"""`momentum` set for AdaGrad or RMSProp, whose constructors refuse it."""

import math

from protolint.findings import Report, Severity

CODE = "PL113"
NAME = "momentum-not-allowed"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "momentum other than 0 with AdaGrad or RMSProp: Caffe aborts when it creates the solver"


def check(solver):
    kind = solver.type
    if kind not in ("AdaGrad", "RMSProp"):
        return
    m = solver.param.momentum
    if m == 0:
        return
    shown = "NaN" if math.isnan(m) else f"{m:g}"
    yield Report(
        solver.location("momentum"),
        f"momentum {shown} with type {kind}: {kind}Solver's constructor checks that momentum "
        f'is 0 and stops Caffe with "Momentum cannot be used with {kind}." once the nets '
        "are built, before the first iteration",
        f"delete the momentum line ({kind} has no momentum term); for momentum with "
        'per-weight scaling use type: "Adam" (momentum: 0.9)',
    )
