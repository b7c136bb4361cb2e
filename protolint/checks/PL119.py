"""The deprecated `solver_type` enum instead of the `type` string."""

from protolint.findings import Report, Severity
from protolint.solver import LEGACY_SOLVER_TYPES

CODE = "PL119"
NAME = "deprecated-solver-type"
SEVERITY = Severity.INFO
TARGET = "solver"
SUMMARY = "the deprecated solver_type enum: Caffe rewrites it to the type string on every load"


def check(solver):
    param = solver.param
    if not param.HasField("solver_type") or param.HasField("type"):
        return  # with both set, PL120 reports the abort
    enum = param.DESCRIPTOR.fields_by_name["solver_type"].enum_type
    name = enum.values_by_number[param.solver_type].name
    kind = LEGACY_SOLVER_TYPES[param.solver_type]
    yield Report(
        solver.location("solver_type"),
        f"solver_type: {name} is the deprecated enum form of the solver type: Caffe's "
        f'UpgradeSolverType rewrites it to type: "{kind}" on every load and warns that '
        "future releases only support the type field",
        f'replace it with type: "{kind}"',
    )
