"""Raw 0-255 pixel values reaching the first learned layer unscaled and uncentred."""

from __future__ import annotations

from protolint.data.usage import data_inputs, other_uses, reached
from protolint.data.wording import checked_text, what_top
from protolint.findings import Report, Severity

CODE = "PL313"
NAME = "input-unscaled"
SEVERITY = Severity.WARNING
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("raw 0-255 pixel values reach the first Convolution/InnerProduct with no "
           "transform scale, no mean and no normalising layer in between")

MIN_PEAK = 16  # the largest value seen must reach this: an order of magnitude above unit scale


def _looks_like_pixels(values) -> bool:
    if not values.count:
        return False
    lo, hi = values.min, values.max
    return values.integral and lo >= 0 and MIN_PEAK <= hi <= 255


def check(net):
    for report, top, values, uses in data_inputs(net):
        hdf5 = report.hdf5 is not None
        if not _looks_like_pixels(values):
            continue
        for use in uses:
            if not hdf5 and use.transform.normalises:
                continue
            learned = reached(net, use, top)
            if learned:
                break
        else:
            continue
        first = learned[0]
        names = ", ".join(f"{l.type} '{l.name}'" for l in learned[:3])
        stored = ("uint8 pixels" if "uint8" in values.dtype and "float" not in values.dtype
                  else "whole numbers")
        lo, hi = values.min, values.max
        if hdf5:
            source = f"{what_top(report, top)},"
            passing = "HDF5Data applies no transform_param, so"
            where = use.location()
            fix = (f"divide the values by 255 when writing the HDF5 files (HDF5Data "
                   f"applies no transform_param), or put a BatchNorm (or Power {{ scale: "
                   f"0.00390625 }}) layer before {first.type} '{first.name}'")
        else:
            source = what_top(report, top)
            passing = (f"{use.layer.type} '{use.layer.name}' passes them on as they are "
                       "(transform_param sets no scale and no mean), so")
            where = (use.layer.location("transform_param") if use.transform.written
                     else use.location())
            fix = ("add transform_param { scale: 0.00390625 } (1/256: values 0 to 0.996), "
                   "or subtract a mean (mean_file or mean_value, as the ImageNet models "
                   f"do), or put a BatchNorm layer before {first.type} '{first.name}'")
        yield Report(
            where,
            f"{source} holds {stored} from {lo:g} to {hi:g} ({checked_text(report)}); "
            f"{passing} {names} receive{'s' if len(learned) == 1 else ''} inputs up to "
            f"{hi:g}, all of one sign: about {hi:g} times the unit-scale input that weight "
            "fillers (xavier, msra) and usual learning rates assume. The first layer's "
            "outputs and weight gradients (input x top diff) are as many times larger, "
            "the scores can saturate a softmax, and training typically diverges (the loss "
            "jumps to 87.3365 or NaN) or stalls",
            fix,
            related=tuple((l.location(), "receives the unscaled values")
                          for l in learned[:1]) + other_uses(report, uses),
        )
