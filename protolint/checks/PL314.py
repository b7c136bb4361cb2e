"""Input values far from unit scale after the transform: scaled twice (tiny), or huge."""

from __future__ import annotations

from protolint.data.usage import data_inputs, other_uses, reached
from protolint.data.wording import checked_text, what_top
from protolint.findings import Report, Severity

CODE = "PL314"
NAME = "input-scale-mismatch"
SEVERITY = Severity.WARNING
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("input values far from unit scale after the transform: already-scaled data "
           "scaled again (all within +-0.02), or magnitudes above 1000")

TINY = 0.02  # every input within +-TINY: 50 times or more below unit scale
HUGE = 1e3  # some input beyond +-HUGE


def after_transform(values, transform, mean) -> tuple[float, float, float, bool] | None:
    """What DataTransformer::Transform makes of the values, (x - mean) * scale, per
    channel: (low, high) bounding every output, the largest magnitude certainly reached,
    and whether low/high are reached (exact: no mean file). None where Caffe aborts or the
    mean file is unusable (other rules report those)."""
    s = transform.scale
    channels = [c for c in values.channels if c.count]
    if not channels:
        return None
    if transform.mean_file is not None:
        if transform.mean_value or mean is None or mean.problem or mean.min is None:
            return None
        means = [(mean.min, mean.max)] * len(values.channels)
    elif transform.mean_value:
        mv = transform.mean_value
        if len(mv) == 1:
            means = [(mv[0], mv[0])] * len(values.channels)
        elif len(mv) == len(values.channels):
            means = [(m, m) for m in mv]
        else:
            return None  # "Specify either 1 mean_value or as many as channels"
    else:
        means = [(0.0, 0.0)] * len(values.channels)
    low, high, peak = float("inf"), float("-inf"), 0.0
    exact = True
    for c, (m_lo, m_hi) in zip(values.channels, means):
        if not c.count:
            continue
        ends = sorted(((c.min - m_hi) * s, (c.max - m_lo) * s))
        low, high = min(low, ends[0]), max(high, ends[1])
        if m_lo == m_hi:
            peak = max(peak, abs(ends[0]), abs(ends[1]))
        else:
            exact = False
            peak = max(peak, abs(s) * max(0.0, c.max - m_hi, m_lo - c.min))
    return low, high, peak, exact


def transform_text(t) -> str:
    parts = []
    if t.scale != 1.0:
        parts.append(f"scale {t.scale:g}")
    if t.mean_file is not None:
        parts.append(f"mean_file '{t.mean_file}'")
    if t.mean_value:
        parts.append("mean_value " + ", ".join(f"{v:g}" for v in t.mean_value))
    return "transform_param " + " and ".join(parts) if parts else "no transform"


def _judge(report, top, values, use, hdf5):
    transform = use.transform if not hdf5 else type(use.transform)()
    found = after_transform(values, transform, use.mean)
    if found is None:
        return None
    low, high, peak, exact = found
    raw = max(abs(values.min), abs(values.max))
    bound = max(abs(low), abs(high))
    if not hdf5 and abs(transform.scale) < 1 and raw > 0 and 0 < bound < TINY:
        return "tiny", low, high, bound, exact, transform
    if peak > HUGE:
        return "huge", low, high, peak, exact, transform
    return None


def check(net):
    for report, top, values, uses in data_inputs(net):
        hdf5 = report.hdf5 is not None
        if not values.count:
            continue
        for use in uses:
            judged = _judge(report, top, values, use, hdf5)
            if judged is None:
                continue
            learned = reached(net, use, top)
            if learned:
                break
        else:
            continue
        kind, low, high, magnitude, exact, transform = judged
        names = ", ".join(f"{l.type} '{l.name}'" for l in learned[:3])
        first = learned[0]
        source = f"{what_top(report, top)}," if hdf5 else what_top(report, top)
        raw = (f"{source} holds values from {values.min:g} to {values.max:g} "
               f"({checked_text(report)})")
        within = "lies within" if exact else "lies within (at most)"
        if hdf5:
            applied = "HDF5Data applies no transform_param"
        else:
            applied = f"{use.layer.type} '{use.layer.name}' applies {transform_text(transform)}"
        if kind == "tiny":
            message = (
                f"{raw}; {applied}, so its top '{top}' {within} [{low:.3g}, {high:.3g}] "
                f"on its way to {names}: no value exceeds {magnitude:.3g} in magnitude, "
                f"about {1 / magnitude:.0f} times below unit scale. The data looks scaled "
                "twice (already in a unit range before a 1/255-like scale): the "
                "first layer's output is mostly its bias, and its weight gradients (input "
                "x top diff) are as many times smaller, so it learns that much slower")
            fix = ("drop transform_param scale (the data is already scaled), or store "
                   "the raw 0-255 values and keep the scale")
        else:
            reach = "reach" if exact else "certainly reach"
            message = (
                f"{raw}; {applied}, so its top '{top}' {reach}es magnitude "
                f"{magnitude:.4g} (range [{low:.4g}, {high:.4g}]{'' if exact else ' at most'}) "
                f"on its way to {names}: "
                "more than 1000 times the unit scale that weight fillers (xavier, msra) "
                "and usual learning rates assume. The first layer's outputs and weight "
                "gradients (input x top diff) are as many times larger, and training "
                "diverges (NaN) unless the learning rate is cut as much")
            if hdf5:
                fix = (f"rescale the values to about [-1, 1] when writing the HDF5 files "
                       f"(HDF5Data applies no transform_param), or put a BatchNorm layer "
                       f"before {first.type} '{first.name}'")
            elif transform.scale > 1:
                fix = (f"transform_param scale multiplies: for 1/{transform.scale:g} write "
                       f"scale: {1 / transform.scale:.8g}")
            else:
                raw_peak = max(abs(values.min), abs(values.max))
                fix = (f"scale the values to about unit range, e.g. transform_param "
                       f"{{ scale: {1 / raw_peak:.6g} }} (1 / the largest magnitude seen), "
                       "or put a BatchNorm layer before "
                       f"{first.type} '{first.name}'")
        where = (use.layer.location("transform_param") if not hdf5 and transform.written
                 else use.location())
        yield Report(
            where, message, fix,
            related=tuple((l.location(), "receives these inputs") for l in learned[:1])
            + other_uses(report, uses),
        )
