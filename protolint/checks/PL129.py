"""Not exactly one training net among net, net_param, train_net, train_net_param."""

from protolint.findings import Report, Severity
from protolint.solver import TRAIN_SOURCES
from protolint.textformat import MESSAGE

CODE = "PL129"
NAME = "train-net-count"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "the solver names no training net, or more than one: Caffe aborts at start-up"

FIELDS = ", ".join(TRAIN_SOURCES)


def _where(solver, f):
    """A field's `name: value`, or just the name of a `name { ... }` block."""
    return solver.doc.location(f.start, f.name_end if f.kind == MESSAGE else f.vend)


def check(solver):
    given = [f for f in map(solver.field, TRAIN_SOURCES) if f is not None]
    if len(given) == 1:
        return
    if not given:
        yield Report(
            solver.location(),
            f"the solver names no training net: Solver::InitTrainNet requires exactly one of "
            f"{FIELDS} and aborts (\"SolverParameter must specify a train net using one of "
            f'these fields: {FIELDS}")',
            'add `net: "train_val.prototxt"` (one net file whose layers select TRAIN and '
            "TEST with include { phase: ... }), or train_net/test_net for separate files",
        )
        return
    names = [f.name for f in given]
    first, *others = given
    both_generic = {"net", "net_param"} <= set(names)
    extra = (" (with both `net` and `net_param`, InitTestNets' \"Both net_param and "
             "net_file may not be specified.\" is never reached: InitTrainNet aborts first)"
             if both_generic else "")
    yield Report(
        _where(solver, others[0]),
        f"the solver names {len(given)} training nets ({', '.join(names)}): "
        "Solver::InitTrainNet requires exactly one and aborts (\"SolverParameter must not "
        "contain more than one of these fields specifying a train_net: "
        f'{FIELDS}"){extra}',
        "keep one: `net` (or `net_param`) for a single file serving both phases, or "
        "`train_net` (or `train_net_param`) with `test_net` entries for separate files",
        related=((_where(solver, first), f"{first.name} is given here"),)
        + tuple((_where(solver, f), f"{f.name} is given here")
                for f in others[1:]),
    )
