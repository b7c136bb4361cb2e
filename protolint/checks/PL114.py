"""Adam without `momentum`: beta1 is 0 and the first moment is not averaged."""

from protolint.findings import Report, Severity

CODE = "PL114"
NAME = "adam-without-momentum"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = "Adam with momentum unset: beta1 is 0, so Adam averages no gradients (0.9 is usual)"


def check(solver):
    if solver.type != "Adam" or solver.param.HasField("momentum"):
        return
    where = "type" if solver.field("type") else "solver_type"
    yield Report(
        solver.location(where),
        "Adam takes beta1 from momentum, which is not set and defaults to 0: the first "
        "moment is then just the current gradient (no averaging of past gradients), so "
        "Adam degenerates to RMSProp with a bias-corrected second moment",
        "add momentum: 0.9 (the usual beta1); if beta1 = 0 is intended, write momentum: 0",
    )
