"""A data layer whose batch_size is 0, the value of a batch_size not written."""

from protolint.findings import Report, Severity

CODE = "PL239"
NAME = "batch-size-zero"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = ("Data, HDF5Data or WindowData without batch_size (no default: 0): every batch is "
           "empty and the net never sees a record")

# The data layers whose set-up shapes the tops with batch_size unchecked, and the message
# holding it. (ImageData and MemoryData CHECK it: PL212 reports theirs.)
_BATCHED = {"Data": "data_param", "HDF5Data": "hdf5_data_param",
            "WindowData": "window_data_param"}


def check(net):
    for layer in net.layers:
        own = _BATCHED.get(layer.type)
        if own is None or layer.problems or getattr(layer.param, own).batch_size:
            continue
        written = getattr(layer.param, own).HasField("batch_size")
        said = "batch_size: 0" if written else f"no batch_size (in {own} it has no default: 0)"
        yield Report(
            layer.location(f"{own}.batch_size"),
            f"{layer.type} '{layer.name}' has {said}: its set-up gives every top a first "
            "axis of 0 without checking it, so each batch is empty and no record ever "
            "reaches the net: the losses are computed over nothing (0, or 0/0 = NaN where a "
            "loss divides by the batch, as EuclideanLoss does) and no gradient from the "
            "data reaches the weights",
            f"write `batch_size: N` in {own} (how many records one forward pass reads)",
        )
