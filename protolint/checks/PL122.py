"""L2 weight decay so strong that the decay term alone makes the weights diverge."""

from __future__ import annotations

import cmath
import math

from protolint.findings import Report, Severity
from protolint.layers import learnable_params
from protolint.solver import OPEN_HORIZON

CODE = "PL122"
NAME = "weight-decay-diverges"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = ("L2 weight_decay x learning rate beyond the momentum update's stability bound: "
           "the decay alone blows the weights up")

# The decay alone must multiply a weight by at least this much while the rate is above
# the bound (a net whose weights grew a millionfold overflows its activations).
AMPLIFICATION = 1e6
# Iterations above the bound simulated at most (the amplification is reached within a
# few hundred iterations whenever the bound is clearly exceeded).
MAX_SIMULATED = 100_000


def bound(solver_type: str, momentum: float) -> float | None:
    """The largest per-step decay a = rate * lr_mult * weight_decay * decay_mult for which
    the decay-only recurrence of Caffe's update still converges (0 < a < bound).

    SGD (sgd_solver.cpp): h' = m h + a w, w' = w - h'. The matrix [[1-a, -m], [a, m]] has
    characteristic polynomial x^2 - (1 + m - a) x + m; for 0 <= m < 1 its roots lie inside
    the unit circle exactly when 0 < a < 2 (1 + m).
    Nesterov (nesterov_solver.cpp): h' = m h + a w, w' = w - ((1 + m) h' - m h). The matrix
    [[1 - (1+m) a, -m^2], [a, m]] has x^2 - (1 + m - (1+m) a) x + m (1 - a); the Jury
    conditions give 0 < a < 2 (1 + m) / (1 + 2 m)."""
    if not 0 <= momentum < 1:
        return None
    if solver_type == "SGD":
        return 2 * (1 + momentum)
    if solver_type == "Nesterov":
        return 2 * (1 + momentum) / (1 + 2 * momentum)
    return None


def step(solver_type: str, momentum: float, a: float, w: float, h: float) -> tuple[float, float]:
    """One iteration of the decay-only update, exactly as Caffe orders it."""
    new_h = momentum * h + a * w
    if solver_type == "Nesterov":
        return w - ((1 + momentum) * new_h - momentum * h), new_h
    return w - new_h, new_h


def growth(solver_type: str, momentum: float, a: float) -> float:
    """The spectral radius of the decay-only update: |w| grows by this factor per step."""
    if solver_type == "Nesterov":
        trace, det = 1 + momentum - (1 + momentum) * a, momentum * (1 - a)
    else:
        trace, det = 1 + momentum - a, momentum
    root = cmath.sqrt(trace * trace - 4 * det)
    return max(abs((trace + root) / 2), abs((trace - root) / 2))


def amplification(solver_type, momentum, rates, scale) -> tuple[float, int]:
    """How much the decay alone multiplies a weight (starting with no history) over the
    iterations whose rates are given, and the iteration count it took to get there."""
    w, h, peak, n = 1.0, 0.0, 1.0, 0
    for n, rate in enumerate(rates, 1):
        w, h = step(solver_type, momentum, rate * scale, w, h)
        if not math.isfinite(w):
            return math.inf, n
        peak = max(peak, abs(w))
        if peak >= AMPLIFICATION:
            break
    return peak, n


def _span(schedule, threshold: float, stop: int) -> tuple[int, int]:
    """The iterations [start, end) of [0, stop) whose rate is at least `threshold` (an
    interval at one end, the rate being monotone)."""
    at_least = lambda r: r >= threshold  # noqa: E731
    if at_least(schedule.rate(0)):
        end = schedule.first(lambda r: not r >= threshold, 0, stop)
        return 0, stop if end is None else end
    start = schedule.first(at_least, 0, stop)
    return (stop, stop) if start is None else (start, stop)


def check(solver):
    param = solver.param
    kind = solver.type
    momentum = param.momentum
    limit = bound(kind, momentum)
    decay = param.weight_decay
    if limit is None or param.regularization_type != "L2" or not decay > 0:
        return
    if solver.schedule.abort is not None:
        return  # Caffe stops at the schedule's CHECK first (PL104, PL106, PL111)
    peak = solver.peak_rate()
    if peak is None or not 0 < peak < math.inf:
        return  # an infinite rate is a schedule problem of its own
    views = solver.train_views()
    if views:
        blobs = [(lr * dm, lr, dm, layer) for view in views
                 for lr, dm, layer in learnable_params(view.layers) if lr * dm > 0]
        if not blobs:
            return
        product, lr_mult, decay_mult, layer = max(blobs, key=lambda b: b[0])
        multipliers = f"lr_mult {lr_mult:g} x decay_mult {decay_mult:g} (layer {layer.name!r})"
    else:
        product, lr_mult, decay_mult, layer = 1.0, 1.0, 1.0, None
        multipliers = "lr_mult 1 x decay_mult 1 (the training net was not read)"
    scale = decay * product
    a = peak * scale
    if not a >= limit * (1 - 1e-6):
        return
    schedule = solver.schedule
    stop = solver.horizon or OPEN_HORIZON
    start, end = _span(schedule, limit / scale, stop)
    count = min(end - start, MAX_SIMULATED)
    rates = (schedule.rate(k) for k in range(start, start + count))
    reached, n = amplification(kind, momentum, rates, scale)
    if reached < AMPLIFICATION:
        return
    rule = ("h = momentum*h + a*w; w -= (1+momentum)*h_new - momentum*h_old" if kind == "Nesterov"
            else "h = momentum*h + a*w; w -= h")
    formula = ("2(1+momentum)/(1+2*momentum)" if kind == "Nesterov" else "2(1+momentum)")
    when = "from iteration 0" if start == 0 else f"from iteration {start}"
    yield Report(
        solver.location("weight_decay"),
        f"weight_decay {decay:g} x peak rate {peak:g} x {multipliers} gives a per-step decay "
        f"a = {a:.4g}: {kind}'s update applies it as {rule} with momentum {momentum:g}, "
        f"which only shrinks weights while a < {formula} = {limit:.4g}. Here every weight "
        f"flips sign and grows x{growth(kind, momentum, a):.3g} per iteration from the decay "
        f"alone ({when}, over {n} iterations it is multiplied by more than "
        f"{AMPLIFICATION:.0e}), so the loss diverges to NaN",
        ("lower weight_decay (usual values are 1e-4 to 5e-4)"
         + (" or that layer's decay_mult" if layer is not None and product != 1 else "")
         + f" so that weight_decay x peak rate x lr_mult x decay_mult stays well below "
         f"{limit:.3g}"),
        related=(((layer.location("param"), f"lr_mult x decay_mult = {product:g} here"),)
                 if layer is not None and product != 1 else ()),
    )
