"""Upgrade legacy (V0 and V1) nets to the current `layer {}` format, as Caffe does on load.

Caffe never lints an old net as written: `ReadNetParamsFromTextFileOrDie` runs
`UpgradeNetAsNeeded` (src/caffe/util/upgrade_proto.cpp) first, and everything after it,
net construction included, sees only the upgraded message. So rules must look at the
same upgraded message, and the upgrade's own complaints are findings in their own right.

What is mirrored here, step by step (BVLC master 9b89154):

* `net_format`           - NetNeedsV0ToV1Upgrade / NetNeedsV1ToV2Upgrade
* `_upgrade_v0_net`      - UpgradeV0Net, which first runs UpgradeV0PaddingLayers
                           (`_fold_padding_layers`), then UpgradeV0LayerParameter
                           (`_upgrade_v0_layer`) with UpgradeV0LayerType (`V0_LAYER_TYPES`)
* `_upgrade_data_transformation` - NetNeedsDataUpgrade + UpgradeNetDataTransformation
* `_upgrade_v1_net`      - UpgradeV1Net, UpgradeV1LayerParameter (`_upgrade_v1_layer`)
                           and UpgradeV1LayerType (`V1_LAYER_TYPES`)

Deliberately left out: UpgradeNetInput (`input:` fields to an Input layer) and
UpgradeNetBatchNorm; other parts of protolint handle those.

How failures behave in Caffe: a LOG(FATAL) or failed CHECK aborts loading (`fatal=True`):
an unknown V0 layer type, a bottom that is neither a net input nor an earlier top in a
V0 net, a padding layer feeding anything but a single-input conv/pool layer, an unknown
V1 type or blob_share_mode, and a file mixing `layer` with `layers` (UpgradeV1Net).
Everything else makes the step return false; UpgradeNetAsNeeded then logs an ERROR
("continuing anyway") and the caller ignores its result, so the net loads with the
offending setting simply dropped (`fatal=False`). Where Caffe aborts we still go on
(an unknown type becomes "", a bad padding layer is still bypassed) so that the rest of
the file can be linted.

Besides what Caffe logs, a few things its upgrade drops without a word are reported as
non-fatal issues too, because a reader of the file would not expect them to vanish:
net-level fields other than name/input/input_dim/force_backward of a V0 net (including
any `layer {}` entries), V1-style fields of a `layers` entry in a V0 net, and the V0
fields `new_num`/`new_channels`, which no upgrade step reads.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from protolint.schema import caffe_pb2

NetParameter = Any  # caffe_pb2().NetParameter; the class only exists once compiled

# UpgradeV0LayerType: V0 type string -> V1LayerParameter.LayerType name. "padding" is
# absent on purpose: padding layers are folded away before types are looked at.
V0_LAYER_TYPES: dict[str, str] = {
    "accuracy": "ACCURACY",
    "bnll": "BNLL",
    "concat": "CONCAT",
    "conv": "CONVOLUTION",
    "data": "DATA",
    "dropout": "DROPOUT",
    "euclidean_loss": "EUCLIDEAN_LOSS",
    "flatten": "FLATTEN",
    "hdf5_data": "HDF5_DATA",
    "hdf5_output": "HDF5_OUTPUT",
    "im2col": "IM2COL",
    "images": "IMAGE_DATA",
    "infogain_loss": "INFOGAIN_LOSS",
    "innerproduct": "INNER_PRODUCT",
    "lrn": "LRN",
    "multinomial_logistic_loss": "MULTINOMIAL_LOGISTIC_LOSS",
    "pool": "POOLING",
    "relu": "RELU",
    "sigmoid": "SIGMOID",
    "softmax": "SOFTMAX",
    "softmax_loss": "SOFTMAX_LOSS",
    "split": "SPLIT",
    "tanh": "TANH",
    "window_data": "WINDOW_DATA",
}

# UpgradeV1LayerType: V1LayerParameter.LayerType name -> current type string.
V1_LAYER_TYPES: dict[str, str] = {
    "NONE": "",
    "ABSVAL": "AbsVal",
    "ACCURACY": "Accuracy",
    "ARGMAX": "ArgMax",
    "BNLL": "BNLL",
    "CONCAT": "Concat",
    "CONTRASTIVE_LOSS": "ContrastiveLoss",
    "CONVOLUTION": "Convolution",
    "DECONVOLUTION": "Deconvolution",
    "DATA": "Data",
    "DROPOUT": "Dropout",
    "DUMMY_DATA": "DummyData",
    "EUCLIDEAN_LOSS": "EuclideanLoss",
    "ELTWISE": "Eltwise",
    "EXP": "Exp",
    "FLATTEN": "Flatten",
    "HDF5_DATA": "HDF5Data",
    "HDF5_OUTPUT": "HDF5Output",
    "HINGE_LOSS": "HingeLoss",
    "IM2COL": "Im2col",
    "IMAGE_DATA": "ImageData",
    "INFOGAIN_LOSS": "InfogainLoss",
    "INNER_PRODUCT": "InnerProduct",
    "LRN": "LRN",
    "MEMORY_DATA": "MemoryData",
    "MULTINOMIAL_LOGISTIC_LOSS": "MultinomialLogisticLoss",
    "MVN": "MVN",
    "POOLING": "Pooling",
    "POWER": "Power",
    "RELU": "ReLU",
    "SIGMOID": "Sigmoid",
    "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss",
    "SILENCE": "Silence",
    "SOFTMAX": "Softmax",
    "SOFTMAX_LOSS": "SoftmaxWithLoss",
    "SPLIT": "Split",
    "SLICE": "Slice",
    "TANH": "TanH",
    "WINDOW_DATA": "WindowData",
    "THRESHOLD": "Threshold",
}

# UpgradeV0LayerParameter: where each V0 field goes, by V0 layer type. "*" means every
# type (the transformation fields are moved unconditionally). Order follows Caffe's, so
# issues come out in the order Caffe would log them.
_V0_ROUTES: dict[str, dict[str, tuple[str, str]]] = {
    "num_output": {"conv": ("convolution_param", "num_output"),
                   "innerproduct": ("inner_product_param", "num_output")},
    "biasterm": {"conv": ("convolution_param", "bias_term"),
                 "innerproduct": ("inner_product_param", "bias_term")},
    "weight_filler": {"conv": ("convolution_param", "weight_filler"),
                      "innerproduct": ("inner_product_param", "weight_filler")},
    "bias_filler": {"conv": ("convolution_param", "bias_filler"),
                    "innerproduct": ("inner_product_param", "bias_filler")},
    "pad": {"conv": ("convolution_param", "pad"), "pool": ("pooling_param", "pad")},
    "kernelsize": {"conv": ("convolution_param", "kernel_size"),
                   "pool": ("pooling_param", "kernel_size")},
    "group": {"conv": ("convolution_param", "group")},
    "stride": {"conv": ("convolution_param", "stride"), "pool": ("pooling_param", "stride")},
    "pool": {"pool": ("pooling_param", "pool")},
    "dropout_ratio": {"dropout": ("dropout_param", "dropout_ratio")},
    "local_size": {"lrn": ("lrn_param", "local_size")},
    "alpha": {"lrn": ("lrn_param", "alpha")},
    "beta": {"lrn": ("lrn_param", "beta")},
    "k": {"lrn": ("lrn_param", "k")},
    "source": {"data": ("data_param", "source"),
               "hdf5_data": ("hdf5_data_param", "source"),
               "images": ("image_data_param", "source"),
               "window_data": ("window_data_param", "source"),
               "infogain_loss": ("infogain_loss_param", "source")},
    "scale": {"*": ("transform_param", "scale")},
    "meanfile": {"*": ("transform_param", "mean_file")},
    "batchsize": {"data": ("data_param", "batch_size"),
                  "hdf5_data": ("hdf5_data_param", "batch_size"),
                  "images": ("image_data_param", "batch_size"),
                  "window_data": ("window_data_param", "batch_size")},
    "cropsize": {"*": ("transform_param", "crop_size")},
    "mirror": {"*": ("transform_param", "mirror")},
    "rand_skip": {"data": ("data_param", "rand_skip"),
                  "images": ("image_data_param", "rand_skip")},
    "shuffle_images": {"images": ("image_data_param", "shuffle")},
    "new_height": {"images": ("image_data_param", "new_height")},
    "new_width": {"images": ("image_data_param", "new_width")},
    "concat_dim": {"concat": ("concat_param", "concat_dim")},
    "det_fg_threshold": {"window_data": ("window_data_param", "fg_threshold")},
    "det_bg_threshold": {"window_data": ("window_data_param", "bg_threshold")},
    "det_fg_fraction": {"window_data": ("window_data_param", "fg_fraction")},
    "det_context_pad": {"window_data": ("window_data_param", "context_pad")},
    "det_crop_mode": {"window_data": ("window_data_param", "crop_mode")},
    "hdf5_output_param": {"hdf5_output": ("hdf5_output_param", "")},
}

# V0 fields UpgradeV0LayerParameter copies without a type test.
_V0_DIRECT = ("name", "type", "blobs", "blobs_lr", "weight_decay")

# UpgradeV1LayerParameter: the per-type sub-messages it copies, in its order. Every
# other V1 field (bottom, top, name, include, exclude, type, blobs, param,
# blob_share_mode, blobs_lr, weight_decay, loss_weight, layer) is handled explicitly.
_V1_SUBMESSAGES = (
    "accuracy_param", "argmax_param", "concat_param", "contrastive_loss_param",
    "convolution_param", "data_param", "dropout_param", "dummy_data_param",
    "eltwise_param", "exp_param", "hdf5_data_param", "hdf5_output_param",
    "hinge_loss_param", "image_data_param", "infogain_loss_param",
    "inner_product_param", "lrn_param", "memory_data_param", "mvn_param",
    "pooling_param", "power_param", "relu_param", "sigmoid_param", "softmax_param",
    "slice_param", "tanh_param", "threshold_param", "window_data_param",
    "transform_param", "loss_param",
)

# NetNeedsDataUpgrade / UpgradeNetDataTransformation: the V1 data layer types whose
# own parameter message still carries the old transformation fields.
_DATA_TRANSFORM_OWNERS = {
    "DATA": "data_param",
    "IMAGE_DATA": "image_data_param",
    "WINDOW_DATA": "window_data_param",
}
_TRANSFORM_FIELDS = ("scale", "mean_file", "crop_size", "mirror")

# What UpgradeV0Net carries over from a V0 net; every other net-level field is lost.
_V0_NET_KEPT = ("name", "input", "input_dim", "force_backward", "layers")


@dataclass(frozen=True)
class UpgradeIssue:
    """A complaint of Caffe's upgrade code (or a silent loss it causes) about one entry."""

    layer_index: int  # index into the ORIGINAL net.layers (the V0/V1 entry concerned)
    message: str
    fatal: bool  # True when real Caffe aborts loading, False when it logs and goes on


def net_format(net) -> str:
    """'v0' if any `layers` entry has a `layer` sub-message (V0LayerParameter) set, 'v1' if it
    has `layers` entries (V1LayerParameter) but is not v0, else 'v2'. Mirrors Caffe's
    NetNeedsV0ToV1Upgrade / NetNeedsV1ToV2Upgrade tests."""
    if any(entry.HasField("layer") for entry in net.layers):
        return "v0"
    if len(net.layers) > 0:
        return "v1"
    return "v2"


def upgrade_net(net) -> tuple[NetParameter, list[int], list[UpgradeIssue]]:
    """Return (upgraded, origin, issues). `upgraded` is a NEW NetParameter in current format
    (`layer {}` entries; `layers` cleared), input unchanged. origin[i] is the index in the
    original `net.layers` that upgraded.layer[i] came from (V0 padding layers are folded into
    the following layer, so counts can differ). For a v2 net return a copy,
    list(range(len(net.layer))), [].

    Mirrors the V0, data-transformation and V1 steps of Caffe's UpgradeNetAsNeeded, in
    that order (input fields and BatchNorm params are left alone)."""
    pb = caffe_pb2()
    fmt = net_format(net)
    if fmt == "v2":
        copy = pb.NetParameter()
        copy.CopyFrom(net)
        return copy, list(range(len(net.layer))), []

    issues: list[UpgradeIssue] = []
    if fmt == "v0":
        work, origin = _upgrade_v0_net(net, issues)
    else:
        work = pb.NetParameter()
        work.CopyFrom(net)
        origin = list(range(len(net.layers)))
    if _needs_data_upgrade(work):
        _upgrade_data_transformation(work)
    upgraded = _upgrade_v1_net(work, origin, issues)
    return upgraded, origin, issues


# ---------------------------------------------------------------------------- V0 -> V1


def _upgrade_v0_net(net, issues: list[UpgradeIssue]):
    """UpgradeV0Net: fold padding layers, then rebuild the net from scratch keeping only
    name, input, input_dim and force_backward besides the upgraded layers."""
    pb = caffe_pb2()
    dropped = [f.name for f, _ in net.ListFields() if f.name not in _V0_NET_KEPT]
    if dropped:
        what = ", ".join(
            f"`{name}` ({len(net.layer)} entries)" if name == "layer" else f"`{name}`"
            for name in dropped)
        issues.append(UpgradeIssue(
            0,
            f"Caffe's V0 upgrade rebuilds the net keeping only name, input, input_dim and "
            f"force_backward: {what} silently disappear",
            False))

    kept, origin = _fold_padding_layers(net, issues)

    out = pb.NetParameter()
    if net.HasField("name"):
        out.name = net.name
    for entry, index in zip(kept, origin):
        _upgrade_v0_layer(entry, index, out.layers.add(), issues)
    out.input.extend(net.input)
    out.input_dim.extend(net.input_dim)
    if net.HasField("force_backward"):
        out.force_backward = net.force_backward
    return out, origin


def _fold_padding_layers(net, issues: list[UpgradeIssue]):
    """UpgradeV0PaddingLayers: drop every V0 "padding" layer and give its `pad` to the
    conv/pool layer reading its output, rewired to read the padding layer's input.

    Returns copies of the kept `layers` entries and their original indices. Along the
    way Caffe requires every bottom to be a net input or an earlier top (for all V0
    nets, padding or not), and a padding layer to have one bottom and one top and to
    feed only single-input conv or pool layers; each violation aborts in Caffe."""
    pb = caffe_pb2()
    kept: list = []
    origin: list[int] = []
    last_producer: dict[str, int] = {name: -1 for name in net.input}
    for i, entry in enumerate(net.layers):
        v0_type = entry.layer.type
        if v0_type != "padding":
            copy = pb.V1LayerParameter()
            copy.CopyFrom(entry)
            kept.append(copy)
            origin.append(i)
        for j, blob in enumerate(entry.bottom):
            if blob not in last_producer:
                issues.append(UpgradeIssue(
                    i,
                    f"bottom '{blob}' is neither a net input nor a top of an earlier layer; "
                    f"Caffe's V0 padding-layer upgrade aborts on it",
                    True))
                continue
            producer = last_producer[blob]
            if producer == -1:
                continue
            source = net.layers[producer]
            if source.layer.type != "padding":
                continue
            problem = None
            if v0_type not in ("conv", "pool"):
                problem = (f"padding layer {producer} feeds a layer of type '{v0_type}'; "
                           f"Caffe only folds padding into conv or pool layers")
            elif len(entry.bottom) != 1:
                problem = (f"a layer fed by padding layer {producer} must have exactly one "
                           f"bottom, not {len(entry.bottom)}")
            elif len(source.bottom) != 1:
                problem = (f"padding layer {producer} must have exactly one bottom, "
                           f"not {len(source.bottom)}")
            elif len(source.top) != 1:
                problem = (f"padding layer {producer} must have exactly one top, "
                           f"not {len(source.top)}")
            if problem is not None:
                issues.append(UpgradeIssue(i, problem + " (Caffe aborts)", True))
            # Go on as far as it makes sense: a padding layer is never kept, so there is
            # nothing to fold into; any other reader is rewired past the padding layer,
            # and only a conv or pool layer takes its pad.
            if v0_type == "padding":
                continue
            target = kept[-1]
            if v0_type in ("conv", "pool"):
                target.layer.pad = source.layer.pad
            if len(source.bottom) >= 1:
                target.bottom[j] = source.bottom[0]
        for blob in entry.top:
            last_producer[blob] = i
    return kept, origin


def _upgrade_v0_layer(entry, index: int, out, issues: list[UpgradeIssue]) -> None:
    """UpgradeV0LayerParameter (with UpgradeV0LayerType): bottoms and tops are kept, and
    each field of the `layer` block is moved to where the V1 format keeps it for that
    layer type. A field that does not apply to the type is dropped with an error; an
    unknown type aborts."""
    pb = caffe_pb2()
    out.bottom.extend(entry.bottom)
    out.top.extend(entry.top)

    v1_only = [f.name for f, _ in entry.ListFields() if f.name not in ("layer", "bottom", "top")]
    if v1_only:
        issues.append(UpgradeIssue(
            index,
            "Caffe's V0 upgrade keeps only bottom, top and the `layer` block of a `layers` "
            f"entry: {', '.join(v1_only)} silently disappear",
            False))
    if not entry.HasField("layer"):
        return

    v0 = entry.layer
    v0_type = v0.type
    known_type = True
    if v0.HasField("name"):
        out.name = v0.name
    if v0.HasField("type"):
        enum_name = V0_LAYER_TYPES.get(v0_type)
        if enum_name is None:
            known_type = False
            close = difflib.get_close_matches(v0_type, list(V0_LAYER_TYPES), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            issues.append(UpgradeIssue(
                index, f"unknown V0 layer type '{v0_type}'{hint}; Caffe aborts the upgrade",
                True))
            enum_name = "NONE"
        out.type = pb.V1LayerParameter.LayerType.Value(enum_name)
    for blob in v0.blobs:
        out.blobs.add().CopyFrom(blob)
    out.blobs_lr.extend(v0.blobs_lr)
    out.weight_decay.extend(v0.weight_decay)

    for field, routes in _V0_ROUTES.items():
        if not v0.HasField(field):
            continue
        route = routes.get("*") or routes.get(v0_type)
        if route is None:
            # After an unknown type Caffe has already aborted; say nothing more.
            if known_type:
                issues.append(UpgradeIssue(
                    index,
                    f"V0 parameter '{field}' does not apply to layer type '{v0_type}'; "
                    f"Caffe drops it (error, loading continues)",
                    False))
            continue
        _put(getattr(v0, field), getattr(out, route[0]), route[1], field)

    for f, _ in v0.ListFields():
        if f.name not in _V0_ROUTES and f.name not in _V0_DIRECT:
            issues.append(UpgradeIssue(
                index, f"V0 parameter '{f.name}' is ignored by Caffe's upgrade and silently "
                f"disappears", False))


def _put(value, target, field: str, v0_field: str) -> None:
    """Store one V0 value in its V1 home: whole messages are copied, repeated fields
    (convolution pad/kernel_size/stride) get one entry, the pool method is re-mapped by
    name between the two enums, and scalars are assigned."""
    if not field:
        target.CopyFrom(value)
        return
    fd = target.DESCRIPTOR.fields_by_name[field]
    if fd.message_type is not None:
        getattr(target, field).CopyFrom(value)
    elif fd.is_repeated:
        getattr(target, field).append(value)
    elif v0_field == "pool":
        name = caffe_pb2().V0LayerParameter.PoolMethod.Name(value)
        setattr(target, field, fd.enum_type.values_by_name[name].number)
    else:
        setattr(target, field, value)


# ------------------------------------------------------------- data transformation


def _v1_type_enum():
    return caffe_pb2().V1LayerParameter.LayerType.DESCRIPTOR


def _transform_owner(entry) -> str | None:
    """The parameter message holding old transformation fields for this V1 layer type."""
    value = _v1_type_enum().values_by_number.get(entry.type)
    return _DATA_TRANSFORM_OWNERS.get(value.name) if value is not None else None


def _needs_data_upgrade(net) -> bool:
    """NetNeedsDataUpgrade: a V1 data layer still has a transformation field in its own
    parameter message."""
    for entry in net.layers:
        owner = _transform_owner(entry)
        if owner is not None:
            params = getattr(entry, owner)
            if any(params.HasField(f) for f in _TRANSFORM_FIELDS):
                return True
    return False


def _upgrade_data_transformation(net) -> None:
    """UpgradeNetDataTransformation: move scale/mean_file/crop_size/mirror of every
    Data, ImageData and WindowData layer into its transform_param.

    Like Caffe, which reaches both messages through their mutable accessors, this leaves
    an (empty) data-parameter message and transform_param present on every such layer."""
    for entry in net.layers:
        owner = _transform_owner(entry)
        if owner is None:
            continue
        params = getattr(entry, owner)
        params.SetInParent()
        entry.transform_param.SetInParent()
        for f in _TRANSFORM_FIELDS:
            if params.HasField(f):
                setattr(entry.transform_param, f, getattr(params, f))
                params.ClearField(f)


# ---------------------------------------------------------------------------- V1 -> V2


def _upgrade_v1_net(net, origin: list[int], issues: list[UpgradeIssue]):
    """UpgradeV1Net: keep every net-level field, replace `layers` by upgraded `layer`
    entries. A net that already has `layer` entries too is refused (LOG(FATAL)); here
    the `layers` are upgraded anyway and the `layer` entries dropped, as UpgradeV1Net's
    clearing of both lists would."""
    pb = caffe_pb2()
    if len(net.layer) > 0 and len(net.layers) > 0:
        issues.append(UpgradeIssue(
            0,
            f"the net mixes {len(net.layer)} `layer` entries with {len(net.layers)} legacy "
            f"`layers` entries; Caffe refuses to upgrade it and aborts (write every layer "
            f"as `layer {{ type: \"...\" }}`)",
            True))
    out = pb.NetParameter()
    out.CopyFrom(net)
    out.ClearField("layers")
    out.ClearField("layer")
    for i, entry in enumerate(net.layers):
        _upgrade_v1_layer(entry, origin[i], out.layer.add(), issues)
    return out


def _upgrade_v1_layer(v1, index: int, out, issues: list[UpgradeIssue]) -> None:
    """UpgradeV1LayerParameter with UpgradeV1LayerType: the type enum becomes its type
    string; `param` names, blob_share_mode, blobs_lr and weight_decay become the name,
    share_mode, lr_mult and decay_mult of the i-th `param {}`; every per-type parameter
    message is copied as is."""
    pb = caffe_pb2()
    out.bottom.extend(v1.bottom)
    out.top.extend(v1.top)
    if v1.HasField("name"):
        out.name = v1.name
    for rule in v1.include:
        out.include.add().CopyFrom(rule)
    for rule in v1.exclude:
        out.exclude.add().CopyFrom(rule)
    if v1.HasField("type"):
        enum_value = _v1_type_enum().values_by_number.get(v1.type)
        type_string = V1_LAYER_TYPES.get(enum_value.name) if enum_value else None
        if type_string is None:
            issues.append(UpgradeIssue(
                index, f"unknown V1 layer type {v1.type}; Caffe aborts the upgrade", True))
            type_string = ""
        out.type = type_string
    for blob in v1.blobs:
        out.blobs.add().CopyFrom(blob)

    def param_spec(i: int):
        while len(out.param) <= i:
            out.param.add()
        return out.param[i]

    for i, name in enumerate(v1.param):
        param_spec(i).name = name
    share_modes = pb.ParamSpec.DimCheckMode
    for i, mode in enumerate(v1.blob_share_mode):
        spec = param_spec(i)
        mode_name = pb.V1LayerParameter.DimCheckMode.DESCRIPTOR.values_by_number.get(mode)
        if mode_name is None:
            issues.append(UpgradeIssue(
                index, f"unknown blob_share_mode {mode}; Caffe aborts the upgrade", True))
            continue
        spec.share_mode = share_modes.Value(mode_name.name)
    for i, lr in enumerate(v1.blobs_lr):
        param_spec(i).lr_mult = lr
    for i, decay in enumerate(v1.weight_decay):
        param_spec(i).decay_mult = decay
    out.loss_weight.extend(v1.loss_weight)
    for name in _V1_SUBMESSAGES:
        if v1.HasField(name):
            getattr(out, name).CopyFrom(getattr(v1, name))
    if v1.HasField("layer"):
        issues.append(UpgradeIssue(
            index, "a V0 `layer` block is left in a V1 layer; Caffe ignores it "
            "(error, loading continues)", False))
