"""A data layer whose transformation settings Caffe refuses while setting it up."""

from protolint.findings import Report, Severity

CODE = "PL235"
NAME = "data-transform-refused"
SEVERITY = Severity.ERROR
TARGET = "net"
SUMMARY = "mean_file with mean_value, or transform_param on HDF5Data: the data layer aborts at set-up"

# The layers that build a DataTransformer (BaseDataLayer::LayerSetUp).
TRANSFORMING = {"Data", "ImageData", "WindowData", "MemoryData"}


def _problems(layer):
    """(field, message, fix) for each set-up CHECK the layer's settings fail."""
    p = layer.param
    t = p.transform_param
    if layer.type in TRANSFORMING and t.HasField("mean_file") and t.mean_value:
        yield ("transform_param.mean_value",
               f"{layer.type} '{layer.name}' gives both mean_file and {len(t.mean_value)} "
               "mean_value: DataTransformer's constructor CHECKs \"Cannot specify mean_file "
               "and mean_value at the same time\", so the layer aborts at set-up",
               "keep one: the mean_file (a per-pixel mean image) or the mean_value list "
               "(one value per channel)")
    if layer.type == "Data" and t.force_color and t.force_gray:
        yield ("transform_param.force_gray",
               f"Data '{layer.name}' sets both force_color and force_gray: "
               "DataTransformer::Transform CHECKs \"cannot set both force_color and "
               "force_gray\" on the first encoded record, and aborts",
               "keep the one you mean: force_color decodes to 3 channels, force_gray to 1")
    if layer.type == "HDF5Data" and p.HasField("transform_param"):
        yield ("transform_param",
               f"HDF5Data '{layer.name}' has a transform_param: HDF5DataLayer::LayerSetUp "
               "CHECKs it has none (\"HDF5Data does not transform data\"), and aborts",
               "delete transform_param: store the HDF5 data already scaled and "
               "mean-subtracted, or transform it with Power/Scale layers after the data layer")


def check(net):
    for layer in net.layers:
        if layer.problems:
            continue
        for field, message, fix in _problems(layer):
            yield Report(layer.location(field), message, fix)
