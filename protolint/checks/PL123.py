"""`regularization_type` other than "L1" or "L2" while weight decay is on: a fatal error."""

from protolint.layers import learnable_params
from protolint.findings import Report, Severity
from protolint.messages import close_names

CODE = "PL123"
NAME = "unknown-regularization-type"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = 'regularization_type is not exactly "L1" or "L2": Caffe aborts at the first update'

TYPES = ("L1", "L2")


def _decayed(solver) -> bool | None:
    """Whether some learnable blob of the training net gets a non-zero local decay
    (weight_decay x decay_mult), or None when the training net was not read."""
    views = solver.train_views()
    if not views:
        return None
    decay = solver.param.weight_decay
    return any(decay * dm != 0 for view in views for _, dm, _ in learnable_params(view.layers))


def check(solver):
    param = solver.param
    kind = param.regularization_type
    if kind in TYPES or param.weight_decay == 0:
        return
    if _decayed(solver) is False:
        return  # every decay_mult is 0: Regularize never looks at the type
    guesses = close_names(kind, TYPES)
    hint = f' (did you mean "{guesses[0]}"?)' if guesses else ""
    yield Report(
        solver.location("regularization_type"),
        f'regularization_type "{kind}" is neither "L1" nor "L2"{hint}: the comparison is '
        f"exact and case-sensitive, and with weight_decay {param.weight_decay:g} "
        "SGDSolver::Regularize stops Caffe at the first update with "
        f'"Unknown regularization type: {kind}"',
        f'write regularization_type: "{guesses[0] if guesses else "L2"}" '
        '(or delete the line: the default is "L2")',
    )
