"""Transformation settings written where the data layer no longer reads them."""

from protolint.findings import Report, Severity

CODE = "PL238"
NAME = "transform-setting-ignored"
SEVERITY = Severity.WARNING
TARGET = "net"
SUMMARY = ("scale, mean_file, crop_size or mirror in data_param/image_data_param/"
           "window_data_param of a `layer {}` net: ignored, only transform_param is read")

# The data layers' own parameter messages, which kept the pre-DataTransformer fields.
_OWN = {"Data": "data_param", "ImageData": "image_data_param",
        "WindowData": "window_data_param"}

# What the net does without each field.
_WITHOUT = {
    "scale": "the values are not scaled",
    "mean_file": "no mean is subtracted",
    "crop_size": "nothing is cropped",
    "mirror": "nothing is mirrored",
}


def _ignored(layer) -> list[str]:
    """The paths of the transformation settings this layer is given but never reads."""
    own = _OWN.get(layer.type)
    if own is None:
        return []
    message = getattr(layer.param, own)
    fields = [f for f in _WITHOUT if message.HasField(f)]
    if layer.type == "WindowData":
        # WindowDataLayer::load_batch reads its own scale and transform_param's other
        # three, so here it is transform_param.scale that goes unread.
        fields = [f for f in fields if f != "scale"]
        out = [f"{own}.{f}" for f in fields]
        if layer.param.transform_param.HasField("scale"):
            out.append("transform_param.scale")
        return out
    return [f"{own}.{f}" for f in fields]


def _read_instead(path: str) -> str:
    message, field = path.split(".")
    if message == "transform_param":
        return "window_data_param.scale"
    return f"transform_param.{field}"


def _effect(layer, path: str) -> tuple[str, str]:
    """Where the ignored setting is written, and what that means."""
    instead = _read_instead(path)
    message, field = instead.split(".")
    node = layer.node
    if (path == "transform_param.scale" and node is not None
            and node.find("transform_param.scale") is None):
        # A V1 WINDOW_DATA layer: the upgrade moved the scale the user wrote.
        return ("window_data_param.scale", "window_data_param.scale is moved to "
                "transform_param on load (UpgradeNetDataTransformation) and ignored there: "
                "the values are not scaled")
    if getattr(layer.param, message).HasField(field):
        return path, f"{path} is ignored ({instead} is used)"
    return path, f"{path} is ignored: {_WITHOUT[field]}"


def check(net):
    for layer in net.layers:
        if layer.problems:
            continue
        paths = _ignored(layer)
        if not paths:
            continue
        written, effects = zip(*(_effect(layer, p) for p in paths))
        if layer.type == "WindowData":
            why = ("WindowDataLayer reads scale from window_data_param, and crop_size, "
                   "mirror and the mean from transform_param")
        else:
            why = (f"{layer.type} takes scale, mean_file, crop_size and mirror from "
                   "transform_param only (DataTransformer); Caffe moves them there from "
                   f"{_OWN[layer.type]} only while loading a V1 net (`layers {{}}`, "
                   "UpgradeNetDataTransformation), never in a `layer {}` net")
        if net.format == "v2":
            fix = ("write each setting where the layer reads it: "
                   + ", ".join(f"`{_read_instead(p)}`" for p in paths))
        else:
            fix = ("convert the net to the `layer {}` format (Caffe's upgrade_net_proto_text "
                   "tool), then move scale from transform_param back into "
                   "window_data_param, where WindowData reads it")
        yield Report(
            layer.location(written[0]),
            f"{layer.type} '{layer.name}': {'; '.join(effects)}. {why}",
            fix,
            related=tuple((layer.location(w), "also ignored") for w in written[1:]),
        )
