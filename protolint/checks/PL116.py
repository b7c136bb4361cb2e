"""`delta` of 0, negative or NaN for a solver type that divides by a root plus delta."""

import math
import re

from protolint.findings import Report, Severity

CODE = "PL116"
NAME = "delta-not-positive"
SEVERITY = Severity.ERROR
TARGET = "solver"
SUMMARY = "delta of 0 or less with Adam, AdaGrad, RMSProp or AdaDelta: NaN or wrong-way updates"

# What each type divides the gradient (or first moment) by, in words.
_DIVISOR = {
    "Adam": "sqrt(v) + delta, v the running average of squared gradients",
    "AdaGrad": "sqrt(h) + delta, h the sum of all squared gradients so far",
    "RMSProp": "sqrt(h) + delta, h the running average of squared gradients",
}


def _shown(solver, value: float) -> str:
    """`delta` as written, saying so when float32 rounding is what makes it 0."""
    return solver.shown("delta", value, lambda written: not written > 0)


def _num(x: float) -> str:
    """%g without the exponent's padding: 1e-8, not 1e-08."""
    return re.sub(r"e([+-])0*(\d)", lambda m: "e" + m.group(1).replace("+", "") + m.group(2),
                  f"{x:g}")


def _zero(kind: str) -> str:
    if kind == "AdaDelta":
        return ("AdaDelta scales each gradient by sqrt((delta + u) / (delta + h)), u the "
                "running average of squared updates and h that of squared gradients; u "
                "starts at 0 and only delta lets it grow, so every step is gradient * 0 = 0 "
                "and no weight ever changes, while a weight whose gradient is exactly 0 "
                "gets 0/0 = NaN")
    return (f"{kind} divides by {_DIVISOR[kind]}: a weight whose gradient has been exactly "
            "0 so far (a unit that never activates, such as a dead ReLU, or an input that "
            "is always 0) gets 0/0 = NaN at the first update, and the NaN spreads through "
            "the net")


def _negative(kind: str, delta: float) -> str:
    if kind == "AdaDelta":
        return ("AdaDelta scales each gradient by sqrt((delta + u) / (delta + h)), u the "
                "running average of squared updates (0 at the first update) and h that of "
                f"squared gradients: the numerator is {_num(delta)}, so every weight whose h "
                "exceeds -delta gets the square root of a negative number, NaN, at the "
                "first update")
    return (f"{kind} divides by {_DIVISOR[kind]}: the divisor is negative for every weight "
            f"whose root mean square gradient is below {_num(-delta)}, turning its step uphill, "
            "and near that value it approaches 0 and the step blows up")


def check(solver):
    kind = solver.type
    if kind not in ("Adam", "AdaGrad", "RMSProp", "AdaDelta"):
        return
    delta = solver.param.delta
    if delta > 0:
        return
    if math.isnan(delta):
        message = f"delta is NaN: {kind} adds it to its divisor, so every update is NaN"
    elif delta == 0:
        message = f"delta {_shown(solver, delta)} with type {kind}: {_zero(kind)}"
    else:
        message = f"delta {_shown(solver, delta)} with type {kind}: {_negative(kind, delta)}"
    yield Report(solver.location("delta"), message,
                 "delete the delta line to use its default 1e-8, or set a small positive "
                 "value (1e-6 to 1e-8 is usual; AdaDelta's examples use 1e-6)")
