"""`clip_gradients: 0`: every gradient is scaled to zero, so the data never trains the net."""

from protolint.findings import Report, Severity

CODE = "PL121"
NAME = "clip-gradients-zero"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "clip_gradients 0 scales every gradient to zero: only a negative value disables clipping"


def check(solver):
    param = solver.param
    if not param.HasField("clip_gradients") or param.clip_gradients != 0:
        return
    decay = (" Only weight decay is applied after the clipping, so the weights just shrink "
             "towards 0." if param.weight_decay != 0 else "")
    yield Report(
        solver.location("clip_gradients"),
        "clip_gradients 0 does not disable clipping (only a negative value does): "
        "SGDSolver::ClipGradients rescales the gradients whenever their global L2 norm "
        "exceeds 0, by 0 / norm = 0, so every gradient is zeroed before the update and "
        "the net learns nothing from its data." + decay,
        "delete clip_gradients (the default, -1, disables clipping) or set it to the largest "
        "gradient norm you allow (e.g. 10 or 35)",
    )
