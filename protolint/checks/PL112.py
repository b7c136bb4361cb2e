"""`momentum` of 1 or more for a solver type that decays its history by it."""

import math

from protolint.findings import Report, Severity

CODE = "PL112"
NAME = "momentum-at-least-one"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "momentum of 1 or more with SGD, Nesterov, Adam or AdaDelta: updates diverge or are NaN"


def _sgd(m: float) -> str:
    if m == 1:
        return ("SGD keeps history = momentum * history + rate * gradient and steps by it: at "
                "1 the history never decays, every step is the sum of all gradient steps "
                "since iteration 0, so the weights swing around a minimum without damping "
                "and minibatch noise makes the swings grow until the loss diverges")
    return (f"SGD keeps history = momentum * history + rate * gradient and steps by it: the "
            f"history grows by a factor {m:g} every iteration, so the steps grow "
            "geometrically until the weights overflow to inf and NaN")


def _nesterov(m: float) -> str:
    return (f"Nesterov keeps history = momentum * history + rate * gradient: the history "
            f"grows by a factor {m:g} every iteration wherever the gradient does not pull "
            "it back, so the steps grow geometrically until the weights overflow to inf and NaN")


def _adam(m: float) -> str:
    if m == 1:
        return ("Adam uses momentum as beta1: the bias correction divides by 1 - beta1^t = 0, "
                "so the correction is inf while the first moment stays 0 (it is updated "
                "as 1 * m + 0 * gradient), and inf * 0 makes every update NaN at the first "
                "iteration")
    return (f"Adam uses momentum as beta1: the first moment m = beta1 * m + (1 - beta1) * "
            f"gradient grows by a factor {m:g} every iteration, the bias correction "
            "weights the oldest gradients most (the steps keep following the first "
            "iterations' gradients), and m finally overflows to inf: the weights become "
            "inf and NaN")


def _adadelta(m: float, delta: float) -> str:
    if m == 1:
        return ("AdaDelta uses momentum as the decay of its two running averages: at 1 they "
                "stay at their initial 0 forever (each is updated as 1 * average + 0 * new "
                "value), so every step is gradient * sqrt(delta / delta) = the raw "
                "gradient: the solver is plain SGD without momentum at rate base_lr, with "
                "no adaptive scaling at all")
    return (f"AdaDelta uses momentum as the decay of its running averages: at {m:g} the "
            f"average of squared gradients is updated with the weight 1 - momentum = "
            f"{1 - m:.3g} and turns negative, so (delta + update average) / (delta + "
            "gradient average) is negative and its square root NaN: from the first "
            f"iteration on, every weight whose gradient exceeds {_limit(m, delta)} "
            "becomes NaN")


def _limit(m: float, delta: float) -> str:
    if delta > 0:
        return f"sqrt(delta / (momentum - 1)) = {math.sqrt(delta / (m - 1)):.2g}"
    return "sqrt(delta / (momentum - 1))"


def _fires(kind: str):
    """Nesterov at exactly 1 still converges (its look-ahead term damps the history);
    the other types break at 1. NaN fires for all of them."""
    if kind == "Nesterov":
        return lambda m: not m <= 1
    return lambda m: not m < 1


def check(solver):
    kind = solver.type
    if kind not in ("SGD", "Nesterov", "Adam", "AdaDelta"):
        return
    m = solver.param.momentum
    fires = _fires(kind)
    if not fires(m):
        return
    shown = solver.shown("momentum", m, fires)
    if not math.isfinite(m):
        message = (f"momentum is {shown}: {kind} multiplies its history (initially 0) by it, "
                   "and 0 times an infinity or NaN is NaN, so every update is NaN")
    else:
        if kind == "AdaDelta":
            mechanism = _adadelta(m, solver.param.delta)
        else:
            mechanism = {"SGD": _sgd, "Nesterov": _nesterov, "Adam": _adam}[kind](m)
        message = f"momentum {shown} with type {kind}: {mechanism}"
    usual = "0.9 (Adam's usual beta1)" if kind == "Adam" else (
        "0.95 (the usual AdaDelta decay)" if kind == "AdaDelta" else "0.9")
    yield Report(solver.location("momentum"), message,
                 f"set momentum below 1: {usual}")
