"""RMSProp with `rms_decay` outside [0, 1): its constructor refuses it."""

import math

from protolint.findings import Report, Severity
from protolint.textformat import NUMBER

CODE = "PL117"
NAME = "rms-decay-out-of-range"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "RMSProp with rms_decay below 0 or at least 1: Caffe aborts when it creates the solver"


def _shown(solver, value: float) -> str:
    """`rms_decay` as written, saying so when float32 rounding is what makes it 1 (and
    NaN, not nan, for a NaN not written as a number)."""
    f = solver.field("rms_decay")
    if math.isnan(value) and (f is None or f.kind != NUMBER):
        return "NaN"
    return solver.shown("rms_decay", value, lambda written: not 0 <= written < 1)


def check(solver):
    if solver.type != "RMSProp":
        return
    decay = solver.param.rms_decay
    if 0 <= decay < 1:
        return
    yield Report(
        solver.location("rms_decay"),
        f"rms_decay {_shown(solver, decay)} with type RMSProp: RMSPropSolver's constructor "
        'checks 0 <= rms_decay < 1 and stops Caffe with "rms_decay should lie between 0 '
        'and 1." once the nets are built, before the first iteration',
        "set rms_decay in [0, 1): 0.99 (its default) or 0.9 are usual; or delete the line",
    )
