"""A solver `type` BVLC Caffe has not registered."""

from protolint.findings import Report, Severity
from protolint.messages import close_names

CODE = "PL118"
NAME = "unknown-solver-type"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "a solver type BVLC Caffe does not have (names are case-sensitive): Caffe aborts"

# The types BVLC Caffe registers with REGISTER_SOLVER_CLASS, in the order
# SolverRegistry lists them (a std::map: byte order).
KNOWN = ("AdaDelta", "AdaGrad", "Adam", "Nesterov", "RMSProp", "SGD")


def check(solver):
    if not solver.param.HasField("type") or solver.param.type in KNOWN:
        return
    kind = solver.param.type
    guesses = close_names(kind, KNOWN)
    message = (f'type "{kind}" is not a registered solver type: SolverRegistry::CreateSolver '
               f'stops Caffe with "Unknown solver type: {kind}" before training starts '
               f"(known types: {', '.join(KNOWN)}; names are case-sensitive)")
    if guesses:
        message += f"; did you mean {' or '.join(repr(g) for g in guesses)}?"
        fix = f'write type: "{guesses[0]}"'
    else:
        fix = (f"use one of {', '.join(KNOWN)}; a solver from a Caffe fork needs that fork's "
               "build")
    yield Report(solver.location("type"), message, fix)
