"""Both the `type` string and the deprecated `solver_type` enum."""

from protolint.findings import Report, Severity
from protolint.solver import LEGACY_SOLVER_TYPES

CODE = "PL120"
NAME = "solver-type-conflict"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "both type and the deprecated solver_type: Caffe refuses the solver file"


def check(solver):
    param = solver.param
    if not (param.HasField("solver_type") and param.HasField("type")):
        return
    enum = param.DESCRIPTOR.fields_by_name["solver_type"].enum_type
    name = enum.values_by_number[param.solver_type].name
    old = LEGACY_SOLVER_TYPES[param.solver_type]
    new = param.type
    agree = ("they name the same solver, but" if old == new
             else f'they disagree ("{old}" against "{new}"), and in any case')
    yield Report(
        solver.location("solver_type"),
        f'solver_type: {name} next to type: "{new}": {agree} UpgradeSolverType refuses a '
        "file with both, stopping Caffe while it reads the solver (\"old solver_type field "
        '(enum) and new type field (string) cannot be both specified")',
        f'delete the solver_type line and keep type: "{new}"' if old == new else
        f'delete one of them: keep type: "{new}", or replace it with type: "{old}" '
        "and delete solver_type",
        related=((solver.location("type"), f'type: "{new}" is set here'),),
    )
