"""Negative weight decay: the decay term pushes weights away from zero on every update."""

from protolint.findings import Report, Severity
from protolint.layers import learnable_params

CODE = "PL132"
NAME = "weight-decay-negative"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = ("weight_decay x decay_mult below 0: every update pushes the weights away from "
           "zero, the opposite of regularisation")


def _negative_blobs(solver) -> list | None:
    """(decay_mult, layer) of each learning blob of the training net whose local decay
    (weight_decay x decay_mult) is negative, or None when the training net was not read."""
    views = solver.train_views()
    if not views:
        return None
    decay = solver.param.weight_decay
    found = {}
    for view in views:
        for lr_mult, decay_mult, layer in learnable_params(view.layers):
            if lr_mult != 0 and decay * decay_mult < 0:
                found.setdefault((layer.index, decay_mult), (decay_mult, layer))
    return list(found.values())


def _decay_mult_location(layer):
    for i, spec in enumerate(layer.param.param):
        if spec.decay_mult < 0:
            return layer.location("param.decay_mult", index=i)
    return layer.location("param")


def check(solver):
    param = solver.param
    decay = param.weight_decay
    if not decay or param.regularization_type not in ("L1", "L2"):
        return  # no decay at all, or Caffe aborts at the first update (PL123)
    blobs = _negative_blobs(solver)
    if blobs == [] or (blobs is None and decay > 0):
        return
    if decay < 0:
        what = f"weight_decay {decay:g} is negative"
        related = ()
    else:  # positive decay turned negative by a layer's decay_mult
        decay_mult, layer = blobs[0]
        what = (f"weight_decay {decay:g} x decay_mult {decay_mult:g} of layer "
                f"'{layer.name}' is negative")
        related = tuple((_decay_mult_location(l), f"decay_mult {dm:g} here")
                        for dm, l in blobs[:5])
    term = ("local_decay x w (L2)" if param.regularization_type == "L2"
            else "local_decay x sign(w) (L1)")
    growth = ("so a weight the data does not hold in place grows geometrically"
              if param.regularization_type == "L2"
              else "so a weight the data does not hold in place drifts away by a "
                   "constant step per update")
    yield Report(
        solver.location("weight_decay"),
        f"{what}: SGDSolver::Regularize adds {term} to each gradient, and with a negative "
        f"local_decay that gradient step pushes every weight away from zero instead of "
        f"towards it ({growth}: the opposite of regularisation, with no Caffe check "
        "against it)",
        "use a positive weight_decay (5e-4 is usual), or 0 for no decay; to exempt a layer "
        "from decay give it decay_mult: 0, not a negative value",
        related=related,
    )
