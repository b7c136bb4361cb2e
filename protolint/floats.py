"""Single-precision arithmetic as Caffe's float builds do it, in Python doubles.

A float32 sum, product or quotient equals the double result rounded once to float32,
so `f32` after each double operation reproduces Caffe's float arithmetic exactly; C's
pow and exp give infinities and NaN where Python's math functions raise.
"""

from __future__ import annotations

import math
import struct

FLT_MAX = 3.4028234663852886e38  # the largest finite float32
LN_FLT_MAX = math.log(FLT_MAX)  # 88.7228: float32 exp overflows above it


def f32(x: float) -> float:
    """Round a double to the nearest float32, overflowing to infinity like a C cast."""
    if math.isnan(x) or math.isinf(x):
        return x
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def cpow(x: float, y: float) -> float:
    """C's pow(x, y) in double: infinities and NaN where Python's math.pow raises."""
    try:
        return math.pow(x, y)
    except OverflowError:
        odd = float(y).is_integer() and int(y) % 2 == 1
        return -math.inf if (x < 0 and odd) else math.inf
    except ValueError:
        if x == 0:  # 0 to a negative power
            odd = float(y).is_integer() and int(y) % 2 == 1
            return math.copysign(math.inf, x) if odd else math.inf
        return math.nan  # a negative number to a fractional power


def cexp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def ieee_div(a: float, b: float) -> float:
    """IEEE division of floats (0/0 is NaN, x/0 is +-inf)."""
    if b == 0:
        if a == 0 or math.isnan(a):
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b
