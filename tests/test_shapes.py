"""Shape inference: real Caffe's answers (../shared/oracle/shapes.jsonl) and hand-worked
cases for the layer types the oracle's nets do not use. Expected values below are
worked out from BVLC Caffe's LayerSetUp/Reshape arithmetic, not from protolint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import CORPUS, ORACLE, oracle_records, shared_or_skip
from protolint.net import TEST, TRAIN
from protolint.project import Project
from protolint.shapes import DATA_SOURCES, ShapeCheck, Shapes, infer

# ---------------------------------------------------------------------------
# helpers


def _view(tmp_path: Path, text: str, phase: int = TRAIN):
    path = tmp_path / "net.prototxt"
    path.write_text(text, encoding="utf-8")
    project = Project(cwd=tmp_path)
    project.lint_file(path, "net.prototxt")
    (view,) = [v for v in project.nets[0].views if v.phase == phase]
    return view


def run(tmp_path: Path, text: str, inputs=None, phase: int = TRAIN) -> Shapes:
    return infer(_view(tmp_path, text, phase), inputs)


def inp(name: str, *dims: int) -> str:
    shape = " ".join(f"dim: {d}" for d in dims)
    return f'layer {{ name: "{name}" type: "Input" top: "{name}" input_param {{ shape {{ {shape} }} }} }}\n'


def layer(name: str, kind: str, bottoms, tops=None, body: str = "") -> str:
    bottoms = [bottoms] if isinstance(bottoms, str) else list(bottoms)
    tops = [name] if tops is None else ([tops] if isinstance(tops, str) else list(tops))
    b = " ".join(f'bottom: "{x}"' for x in bottoms)
    t = " ".join(f'top: "{x}"' for x in tops)
    return f'layer {{ name: "{name}" type: "{kind}" {b} {t} {body} }}\n'


def blob(tmp_path, text, name, inputs=None):
    return run(tmp_path, text, inputs).blobs()[name]


def failed(shapes: Shapes) -> list[tuple[str, str | None]]:
    return [(f.layer.name, f.field) for f in shapes.failures]


# ---------------------------------------------------------------------------
# the oracle: BVLC Caffe master's own shapes for real nets

SHAPES = oracle_records("shapes.jsonl")
OK = [r for r in SHAPES if r["status"] == "ok"]


def _shape_abort(record: dict) -> bool:
    """An abort on a CHECK while setting up a layer (not a parse/registry/Python/graph
    failure)."""
    m = record.get("message", "")
    return (record["status"] == "abort" and "Check failed" in m
            and "registry.count" not in m and "Unknown bottom" not in m)


ABORTS = [r for r in SHAPES if _shape_abort(r)]


def _record_id(r: dict) -> str:
    return f"{r['file']}:{r['phase']}"


def _oracle_shapes(record: dict) -> Shapes:
    """Our shapes for a record: the net in its phase, with the record's inputs. Caffe ran it
    with every data-source layer replaced by an Input layer; where two such layers (one per
    phase) share a top name, `inputs` holds one of their shapes, so the shape Caffe listed
    for the blob (the one of this phase's layer) is given instead."""
    shared_or_skip(CORPUS / record["file"])
    project = Project(cwd=CORPUS)
    project.lint_file(CORPUS / record["file"], record["file"])
    phase = TRAIN if record["phase"] == "TRAIN" else TEST
    (view,) = [v for v in project.nets[0].views if v.phase == phase]
    inputs = {k: tuple(v) for k, v in record["inputs"].items()}
    for l in view.layers:
        if l.type in DATA_SOURCES or not l.param.bottom:
            for top in l.param.top:
                if top in record.get("blobs", {}):
                    inputs[top] = tuple(record["blobs"][top])
    return infer(view, inputs)


def test_oracle_is_there_or_skip():
    shared_or_skip(ORACLE / "shapes.jsonl")
    assert len(OK) > 200 and ABORTS


@pytest.mark.parametrize("record", OK or [None], ids=_record_id if OK else None)
def test_oracle_blob_shapes(record):
    if record is None:
        shared_or_skip(ORACLE / "shapes.jsonl")
    shapes = _oracle_shapes(record)
    ours = shapes.blobs()
    compared = 0
    for name, dims in record["blobs"].items():
        if "_split_" in name:  # InsertSplits' copies: not blobs of the prototxt
            continue
        assert name in ours, f"{name} missing"
        assert ours[name] == tuple(dims), f"{name}: Caffe {dims}, protolint {ours[name]}"
        compared += 1
    assert compared
    # Caffe built this net: no set-up CHECK may fail
    assert shapes.failures == [], [f.message for f in shapes.failures]


def _check_text(message: str) -> str:
    return re.search(r"Check failed: (.*?) \(", message).group(1)


@pytest.mark.parametrize("record", ABORTS or [None], ids=_record_id if ABORTS else None)
def test_oracle_shape_aborts(record):
    if record is None:
        shared_or_skip(ORACLE / "shapes.jsonl")
    shapes = _oracle_shapes(record)
    assert shapes.failures, "Caffe aborted setting up a layer; protolint found nothing"
    first = shapes.failures[0]
    # the same CHECK, quoted, and the layer type of Caffe's source file when it names one
    assert f'"{_check_text(record["message"])}"' in first.message
    src = re.search(r"(\w+)\.(?:cpp|hpp):\d+\]", record["message"]).group(1)
    if src.endswith("_layer") and src != "base_conv_layer":
        assert first.layer.type.lower() == src[:-len("_layer")].replace("_", "")


# ---------------------------------------------------------------------------
# convolution family


def test_convolution_truncates_toward_zero_like_cpp(tmp_path):
    # (4 + 0 - 5) / 2 + 1: C++ gives 0 + 1 = 1 (Python's floor would give 0)
    net = inp("data", 1, 3, 4, 4) + layer(
        "conv", "Convolution", "data",
        body="convolution_param { num_output: 8 kernel_size: 5 stride: 2 }")
    shapes = run(tmp_path, net)
    assert shapes.blobs()["conv"] == (1, 8, 1, 1)
    assert shapes.failures == []


def test_convolution_nd_with_per_axis_fields(tmp_path):
    net = inp("data", 2, 3, 8, 9, 10) + layer(
        "conv", "Convolution", "data",
        body="convolution_param { num_output: 5 kernel_size: 3 kernel_size: 3 kernel_size: 3 "
             "stride: 1 stride: 2 stride: 3 pad: 1 pad: 0 pad: 0 }")
    # (8+2-3)/1+1 = 8, (9-3)/2+1 = 4, (10-3)/3+1 = 3
    assert blob(tmp_path, net, "conv") == (2, 5, 8, 4, 3)


def test_convolution_dilation_group_and_axis(tmp_path):
    net = inp("data", 2, 4, 11, 12) + layer(
        "conv", "Convolution", "data",
        body="convolution_param { num_output: 6 group: 2 kernel_h: 3 kernel_w: 2 "
             "dilation: 2 pad_h: 1 stride_w: 2 stride_h: 1 }")
    # extent 5 and 3: (11+2-5)/1+1 = 9, (12-3)/2+1 = 5
    assert blob(tmp_path, net, "conv") == (2, 6, 9, 5)
    net2 = inp("data", 2, 3, 4, 10) + layer(
        "conv", "Convolution", "data",
        body="convolution_param { num_output: 7 kernel_size: 3 axis: 2 }")
    assert blob(tmp_path, net2, "conv") == (2, 3, 7, 8)  # channels on axis 2, one spatial axis


def test_deconvolution_with_dilation(tmp_path):
    net = inp("data", 1, 4, 5, 7) + layer(
        "up", "Deconvolution", "data",
        body="convolution_param { num_output: 6 group: 2 kernel_size: 3 stride: 2 pad: 1 "
             "dilation: 2 }")
    # extent 2*(3-1)+1 = 5: 2*(5-1)+5-2 = 11, 2*(7-1)+5-2 = 15
    assert blob(tmp_path, net, "up") == (1, 6, 11, 15)


def test_negative_and_zero_conv_output_fail(tmp_path):
    net = (inp("data", 1, 3, 4, 4)
           + layer("neg", "Convolution", "data", body="convolution_param { num_output: 2 kernel_size: 7 }")
           + layer("zero", "Convolution", "data", body="convolution_param { num_output: 2 kernel_size: 5 }")
           + layer("after", "ReLU", "neg"))
    shapes = run(tmp_path, net)
    assert failed(shapes) == [("neg", "convolution_param.kernel_size"),
                              ("zero", "convolution_param.kernel_size")]
    assert "-2" in shapes.failures[0].message
    assert shapes.blobs()["neg"] is None and shapes.blobs()["after"] is None


@pytest.mark.parametrize("body, field", [
    ("convolution_param { num_output: 4 kernel_size: 3 group: 2 }", "convolution_param.group"),
    ("convolution_param { kernel_size: 3 }", "convolution_param.num_output"),
    ("convolution_param { num_output: 4 kernel_size: 3 kernel_size: 3 kernel_size: 3 }",
     "convolution_param.kernel_size"),
    ("convolution_param { num_output: 4 kernel_size: 0 }", "convolution_param.kernel_size"),
    ("convolution_param { num_output: 4 kernel_size: 3 stride: 0 }", "convolution_param.stride"),
    ("convolution_param { num_output: 4 kernel_size: 3 axis: 4 }", "convolution_param.axis"),
])
def test_convolution_checks(tmp_path, body, field):
    net = inp("data", 1, 3, 8, 8) + layer("conv", "Convolution", "data", body=body)
    assert failed(run(tmp_path, net)) == [("conv", field)]


def test_kernel_h_w_only_for_2d(tmp_path):
    net = inp("data", 1, 3, 8, 8, 8) + layer(
        "conv", "Convolution", "data", body="convolution_param { num_output: 4 kernel_h: 3 kernel_w: 3 }")
    shapes = run(tmp_path, net)
    assert failed(shapes) == [("conv", "convolution_param.kernel_h")]
    assert '"num_spatial_axes_ == 2"' in shapes.failures[0].message


def test_bilinear_deconvolution_needs_square_2d_kernel(tmp_path):
    def net(kernel, dims=(1, 4, 5, 5)):
        return inp("data", *dims) + layer(
            "up", "Deconvolution", "data",
            body=f"convolution_param {{ num_output: 4 group: 4 {kernel} stride: 2 "
                 f"weight_filler {{ type: 'bilinear' }} }}")
    assert blob(tmp_path, net("kernel_size: 4"), "up") == (1, 4, 12, 12)  # 2*4 + 4
    assert failed(run(tmp_path, net("kernel_h: 4 kernel_w: 2"))) == [
        ("up", "convolution_param.weight_filler.type")]
    assert failed(run(tmp_path, net("kernel_size: 4", (1, 4, 5, 5, 5)))) == [
        ("up", "convolution_param.weight_filler.type")]


def test_im2col(tmp_path):
    net = (inp("data", 2, 3, 10, 10)
           + layer("cols", "Im2col", "data", body="convolution_param { kernel_size: 3 }")
           + layer("cols2", "Im2col", "data", body="convolution_param { kernel_size: 3 stride: 2 pad: 1 }"))
    b = run(tmp_path, net).blobs()
    assert b["cols"] == (2, 27, 8, 8)
    assert b["cols2"] == (2, 27, 5, 5)


# ---------------------------------------------------------------------------
# pooling and SPP


def pool(body: str, dims=(1, 2, 10, 10), tops=None) -> str:
    return inp("data", *dims) + layer("pool", "Pooling", "data", tops, f"pooling_param {{ {body} }}")


def test_pooling_ceil_and_floor(tmp_path):
    # ceil((10-3)/5)+1 = 3: the 10x10 kernel 3 stride 5 case
    assert blob(tmp_path, pool("pool: AVE kernel_size: 3 stride: 5"), "pool") == (1, 2, 3, 3)
    assert blob(tmp_path, pool("kernel_size: 3 stride: 5 round_mode: FLOOR"), "pool") == (1, 2, 2, 2)


def test_pooling_padding_correction(tmp_path):
    # ceil((7+2-2)/2)+1 = 5, but the 5th window would start at 8 >= 7+1: clipped to 4
    assert blob(tmp_path, pool("kernel_size: 2 stride: 2 pad: 1", (1, 1, 7, 7)), "pool") == (1, 1, 4, 4)
    # pad_h only: both axes get the correction test; w (9-2)/2 -> 4.5 -> 5; (5-1)*2=8 < 9+0
    assert blob(tmp_path, pool("kernel_size: 2 stride: 2 pad_h: 1 pad_w: 0", (1, 1, 7, 9)),
                "pool") == (1, 1, 4, 5)


def test_pooling_float_division(tmp_path):
    # 16777217 is not a float: Caffe computes ceil(16777216.0f / 1) + 1
    net = pool("kernel_size: 1 stride: 1", (1, 1, 16777218, 1))
    assert blob(tmp_path, net, "pool") == (1, 1, 16777217, 1)


def test_global_pooling_and_mask_top(tmp_path):
    assert blob(tmp_path, pool("pool: AVE global_pooling: true", (2, 8, 6, 5)), "pool") == (2, 8, 1, 1)
    shapes = run(tmp_path, pool("kernel_size: 2 stride: 2", tops=["pool", "mask"]))
    assert shapes.blobs()["mask"] == (1, 2, 5, 5)


@pytest.mark.parametrize("body, dims, tops, field", [
    ("kernel_size: 2", (1, 2, 3), None, "bottom"),
    ("global_pooling: true", (1, 2, 3, 4, 5), None, "bottom"),
    ("kernel_size: 2 pad: 2", (1, 2, 8, 8), None, "pooling_param.pad"),
    ("pool: STOCHASTIC kernel_size: 3 pad: 1", (1, 2, 8, 8), None, "pooling_param.pad"),
    ("kernel_size: 2 kernel_h: 2 kernel_w: 2", (1, 2, 8, 8), None, "pooling_param.kernel_size"),
    ("global_pooling: true stride: 2", (1, 2, 8, 8), None, "pooling_param.global_pooling"),
    ("pool: AVE kernel_size: 2", (1, 2, 8, 8), ["pool", "mask"], "top"),
    ("kernel_size: 9", (1, 2, 8, 8), None, "pooling_param.kernel_size"),
])
def test_pooling_checks(tmp_path, body, dims, tops, field):
    assert failed(run(tmp_path, pool(body, dims, tops))) == [("pool", field)]


def test_spp(tmp_path):
    net = inp("data", 2, 8, 13, 13) + layer("spp", "SPP", "data", body="spp_param { pyramid_height: 3 }")
    # levels: 1x1 (8), 2x2 (32: kernel 7 pad 1 -> 3 clipped to 2), 4x4 (128: kernel 4 pad 2)
    assert blob(tmp_path, net, "spp") == (2, 168)
    one = inp("data", 2, 8, 13, 13) + layer("spp", "SPP", "data", body="spp_param { pyramid_height: 1 }")
    assert blob(tmp_path, one, "spp") == (2, 8, 1, 1)
    small = inp("data", 1, 1, 1, 1) + layer("spp", "SPP", "data", body="spp_param { pyramid_height: 3 }")
    shapes = run(tmp_path, small)  # level 1: kernel 1 and pad 1
    assert failed(shapes) == [("spp", "spp_param.pyramid_height")]
    for height in (0, 4294967295):  # the largest uint32 is -1 in SPPLayer's int
        bad = net.replace("pyramid_height: 3", f"pyramid_height: {height}")
        assert failed(run(tmp_path, bad)) == [("spp", "spp_param.pyramid_height")]


# ---------------------------------------------------------------------------
# plumbing


def test_reshape_copy_and_infer(tmp_path):
    def net(body):
        return inp("data", 2, 3, 4, 5) + layer("r", "Reshape", "data", body=f"reshape_param {{ {body} }}")
    assert blob(tmp_path, net("shape { dim: 0 dim: -1 dim: 10 }"), "r") == (2, 6, 10)
    assert blob(tmp_path, net("shape { dim: -1 } axis: 1 num_axes: 2"), "r") == (2, 12, 5)
    assert blob(tmp_path, net("shape { dim: 1 } axis: -1 num_axes: 0"), "r") == (2, 3, 4, 5, 1)
    assert blob(tmp_path, net("shape { dim: 0 dim: 0 dim: 0 dim: 0 }"), "r") == (2, 3, 4, 5)
    for bad in ("shape { dim: -1 dim: -1 }", "shape { dim: 7 dim: -1 }", "shape { dim: 5 dim: 5 }",
                "shape { dim: 0 dim: 0 dim: 0 dim: 0 dim: 0 }", "shape { dim: 2 } axis: 5"):
        assert failed(run(tmp_path, net(bad))) == [("r", "reshape_param." +
                                                    ("axis" if "axis" in bad else "shape"))], bad


def test_slice(tmp_path):
    def net(body, tops):
        return inp("data", 2, 10, 3) + layer("s", "Slice", "data", tops, f"slice_param {{ {body} }}")
    b = run(tmp_path, net("slice_point: 3 slice_point: 7", ["a", "b", "c"])).blobs()
    assert (b["a"], b["b"], b["c"]) == ((2, 3, 3), (2, 4, 3), (2, 3, 3))
    b = run(tmp_path, net("", ["a", "b"])).blobs()
    assert (b["a"], b["b"]) == ((2, 5, 3), (2, 5, 3))
    b = run(tmp_path, net("slice_dim: 2", ["a", "b", "c"])).blobs()
    assert b["a"] == (2, 10, 1)
    assert failed(run(tmp_path, net("", ["a", "b", "c"]))) == [("s", "slice_param.axis")]
    assert failed(run(tmp_path, net("slice_point: 5 slice_point: 5", ["a", "b", "c"]))) == [
        ("s", "slice_param.slice_point")]
    assert failed(run(tmp_path, net("slice_point: 12", ["a", "b"]))) == [("s", "slice_param.slice_point")]
    many = run(tmp_path, net("axis: 2 slice_point: 1 slice_point: 2 slice_point: 3", ["a", "b", "c", "d"]))
    assert '"top.size() <= bottom_slice_axis"' in many.failures[0].message


def test_crop_offsets(tmp_path):
    def net(body):
        return (inp("a", 1, 3, 20, 22) + inp("b", 1, 5, 10, 12)
                + layer("crop", "Crop", ["a", "b"], body=f"crop_param {{ {body} }}"))
    assert blob(tmp_path, net("axis: 2 offset: 3 offset: 4"), "crop") == (1, 3, 10, 12)
    assert blob(tmp_path, net(""), "crop") == (1, 3, 10, 12)
    assert failed(run(tmp_path, net("offset: 11"))) == [("crop", "crop_param.offset")]
    assert failed(run(tmp_path, net("axis: 1"))) == [("crop", "bottom")]  # 3 channels < 5
    assert failed(run(tmp_path, net("axis: 1 offset: 0 offset: 0"))) == [("crop", "crop_param.offset")]


def test_tile_reduction_flatten(tmp_path):
    net = (inp("x", 2, 3, 4, 5)
           + layer("t", "Tile", "x", body="tile_param { axis: 1 tiles: 3 }")
           + layer("t2", "Tile", "x", body="tile_param { axis: -1 tiles: 2 }")
           + layer("r0", "Reduction", "x")
           + layer("r2", "Reduction", "x", body="reduction_param { axis: 2 }")
           + layer("rl", "Reduction", "x", body="reduction_param { axis: -1 }")
           + layer("f", "Flatten", "x")
           + layer("f12", "Flatten", "x", body="flatten_param { axis: 1 end_axis: 2 }")
           + layer("f21", "Flatten", "x", body="flatten_param { axis: 2 end_axis: 1 }"))
    b = run(tmp_path, net).blobs()
    assert b["t"] == (2, 9, 4, 5) and b["t2"] == (2, 3, 4, 10)
    assert b["r0"] == () and b["r2"] == (2, 3) and b["rl"] == (2, 3, 4)
    assert b["f"] == (2, 60) and b["f12"] == (2, 12, 5)
    assert b["f21"] == (2, 3, 1, 4, 5)  # an empty range flattens to a new axis of 1
    bad = (inp("x", 2, 3, 4, 5) + layer("t", "Tile", "x")
           + layer("f", "Flatten", "x", body="flatten_param { axis: 3 end_axis: 1 }"))
    assert failed(run(tmp_path, bad)) == [("t", "tile_param"), ("f", "flatten_param.end_axis")]


def test_argmax(tmp_path):
    net = (inp("p", 10, 1000) + inp("q", 10, 3, 4, 5)
           + layer("a", "ArgMax", "p", body="argmax_param { top_k: 5 }")
           + layer("v", "ArgMax", "p", body="argmax_param { top_k: 5 out_max_val: true }")
           + layer("ax", "ArgMax", "q", body="argmax_param { top_k: 2 axis: 1 }")
           + layer("q1", "ArgMax", "q"))
    b = run(tmp_path, net).blobs()
    assert b["a"] == (10, 1, 5) and b["v"] == (10, 2, 5)
    assert b["ax"] == (10, 2, 4, 5) and b["q1"] == (10, 1, 1, 1)
    bad = inp("q", 10, 3, 4, 5) + layer("ax", "ArgMax", "q", body="argmax_param { top_k: 4 axis: 1 }")
    assert failed(run(tmp_path, bad)) == [("ax", "argmax_param.top_k")]


def test_embed_filter_batch_reindex_parameter(tmp_path):
    net = (inp("ids", 4, 7) + inp("x", 10, 3) + inp("y", 10) + inp("sel", 10, 1) + inp("idx", 6)
           + layer("e", "Embed", "ids", body="embed_param { num_output: 16 input_dim: 100 }")
           + layer("f", "Filter", ["x", "y", "sel"], ["fx", "fy"])
           + layer("br", "BatchReindex", ["x", "idx"])
           + f'layer {{ name: "p" type: "Parameter" top: "p" parameter_param {{ shape {{ dim: 3 dim: 4 }} }} }}')
    b = run(tmp_path, net).blobs()
    assert b["e"] == (4, 7, 16)
    assert (b["fx"], b["fy"]) == ((10, 3), (10,))
    assert b["br"] == (6, 3) and b["p"] == (3, 4)
    bad = (inp("ids", 4, 7) + inp("x", 10, 3) + inp("sel", 10, 2)
           + layer("e", "Embed", "ids", body="embed_param { num_output: 16 }")
           + layer("f", "Filter", ["x", "sel"], "fx"))
    assert failed(run(tmp_path, bad)) == [("e", "embed_param.input_dim"), ("f", "bottom")]


def test_concat_and_eltwise(tmp_path):
    net = (inp("a", 2, 3, 4) + inp("b", 2, 5, 4) + inp("c", 2, 3, 6)
           + layer("cat", "Concat", ["a", "b"])
           + layer("cat_last", "Concat", ["a", "c"], body="concat_param { axis: -1 }")
           + layer("cat_dim", "Concat", ["a", "a"], body="concat_param { concat_dim: 0 }")
           + layer("sum", "Eltwise", ["a", "a"]))
    b = run(tmp_path, net).blobs()
    assert b["cat"] == (2, 8, 4) and b["cat_last"] == (2, 3, 10) and b["cat_dim"] == (4, 3, 4)
    assert b["sum"] == (2, 3, 4)
    bad = (inp("a", 2, 3, 4) + inp("b", 2, 5, 4)
           + layer("cat", "Concat", ["a", "b"], body="concat_param { axis: 2 }")
           + layer("sum", "Eltwise", ["a", "b"])
           + layer("one", "Eltwise", "a"))
    assert failed(run(tmp_path, bad)) == [("cat", "bottom"), ("sum", "bottom"), ("one", "bottom")]


def test_scale_and_bias(tmp_path):
    net = (inp("x", 2, 3, 4, 5) + inp("s", 3) + inp("t", 4)
           + layer("sc", "Scale", ["x", "s"])
           + layer("bi", "Bias", "x", body="bias_param { axis: 2 num_axes: -1 }")
           + layer("own", "Scale", "x", body="scale_param { bias_term: true }"))
    shapes = run(tmp_path, net)
    assert shapes.blobs()["sc"] == (2, 3, 4, 5) and shapes.failures == []
    bad = inp("x", 2, 3, 4, 5) + inp("t", 4) + layer("sc", "Scale", ["x", "t"])
    assert failed(run(tmp_path, bad)) == [("sc", "bottom")]
    far = inp("x", 2, 3) + layer("bi", "Bias", "x", body="bias_param { axis: 1 num_axes: 2 }")
    assert failed(run(tmp_path, far)) == [("bi", "bias_param.num_axes")]


def test_inner_product_axis_and_transpose(tmp_path):
    net = (inp("x", 2, 3, 4, 5)
           + layer("ip", "InnerProduct", "x", body="inner_product_param { num_output: 7 }")
           + layer("ip2", "InnerProduct", "x", body="inner_product_param { num_output: 7 axis: 2 transpose: true }")
           + layer("none", "InnerProduct", "x"))
    shapes = run(tmp_path, net)
    assert shapes.blobs()["ip"] == (2, 7) and shapes.blobs()["ip2"] == (2, 3, 7)
    assert failed(shapes) == [("none", "inner_product_param.num_output")]
    # Caffe's message blames the filler; the finding names the setting, known shape or not.
    assert "num_output is 0 (not written: it has no default)" in shapes.failures[0].message
    unknown = layer("none", "InnerProduct", "x").replace('"x"', '"unknown"')
    assert "num_output is 0" in run(tmp_path, unknown).failures[0].message


def test_mvn_lrn_batchnorm_prelu_ranks(tmp_path):
    net = (inp("v", 5, 10) + inp("five", 1, 2, 3, 4, 5)
           + layer("mvn", "MVN", "v")                  # legacy accessors pad to 4-D
           + layer("lrn", "LRN", "v")
           + layer("bn1", "BatchNorm", "v", "bn1")
           + layer("bn", "BatchNorm", "five")
           + layer("pr", "PReLU", "five")
           + layer("lrn_even", "LRN", "v", body="lrn_param { local_size: 4 }"))
    shapes = run(tmp_path, net)
    assert shapes.blobs()["mvn"] == (5, 10, 1, 1)
    assert shapes.blobs()["bn"] == (1, 2, 3, 4, 5) and shapes.blobs()["bn1"] == (5, 10)
    assert failed(shapes) == [("lrn", "bottom"), ("pr", "bottom"), ("lrn_even", "lrn_param.local_size")]
    assert '"num_axes() <= 4"' in shapes.failures[1].message
    one = inp("v", 5) + layer("bn", "BatchNorm", "v")
    assert failed(run(tmp_path, one)) == [("bn", "bottom")]


# ---------------------------------------------------------------------------
# losses, accuracy, recurrent


def test_losses(tmp_path):
    net = (inp("p", 10, 5) + inp("l", 10) + inp("m", 10, 5, 3, 3) + inp("ml", 10, 3, 3)
           + layer("loss", "SoftmaxWithLoss", ["p", "l"], "loss")
           + layer("both", "SoftmaxWithLoss", ["p", "l"], ["l2", "prob"], "loss_weight: 1 loss_weight: 0")
           + layer("spatial", "SoftmaxWithLoss", ["m", "ml"], "sl")
           + layer("anon", "EuclideanLoss", ["p", "p"], [])
           + layer("acc", "Accuracy", ["p", "l"], ["acc", "per_class"]))
    shapes = run(tmp_path, net)
    b = shapes.blobs()
    assert b["loss"] == () and b["l2"] == () and b["prob"] == (10, 5) and b["sl"] == ()
    assert b["(automatic)"] == ()
    assert b["acc"] == () and b["per_class"] == (5,)
    assert shapes.failures == []


def test_loss_checks(tmp_path):
    net = (inp("p", 10, 5) + inp("l", 12) + inp("l10", 10, 2) + inp("m", 10, 5, 3, 3)
           + layer("first_axis", "SoftmaxWithLoss", ["p", "l"], "a")
           + layer("count", "SoftmaxWithLoss", ["m", "l10"], "b")
           + layer("two_tops", "SoftmaxWithLoss", ["p", "l10"], ["c", "d"])
           + layer("euclid", "EuclideanLoss", ["p", "m"], "e")
           + layer("topk", "Accuracy", ["p", "l10"], "f", "accuracy_param { top_k: 3 }"))
    shapes = run(tmp_path, net)
    assert failed(shapes) == [("first_axis", "bottom"), ("count", "bottom"),
                              ("two_tops", "bottom"), ("euclid", "bottom"),
                              ("topk", "accuracy_param.top_k")]
    ok2 = inp("p", 10, 5) + inp("l", 10) + layer("two", "SoftmaxWithLoss", ["p", "l"], ["c", "d"])
    shapes = run(tmp_path, ok2)  # 2 tops need 2 loss_weight values (Caffe adds only one)
    assert failed(shapes) == [("two", "loss_weight")]


def test_lstm_rnn_and_unit(tmp_path):
    net = (inp("x", 5, 3, 7) + inp("cont", 5, 3) + inp("h0", 1, 3, 4) + inp("c0", 1, 3, 4)
           + inp("xs", 3, 2)
           + layer("lstm", "LSTM", ["x", "cont"], body="recurrent_param { num_output: 4 }")
           + layer("rnn", "RNN", ["x", "cont", "xs"], body="recurrent_param { num_output: 6 }")
           + layer("exposed", "LSTM", ["x", "cont", "h0", "c0"], ["h", "hT", "cT"],
                   "recurrent_param { num_output: 4 expose_hidden: true }"))
    shapes = run(tmp_path, net)
    b = shapes.blobs()
    assert b["lstm"] == (5, 3, 4) and b["rnn"] == (5, 3, 6)
    assert (b["h"], b["hT"], b["cT"]) == ((5, 3, 4), (1, 3, 4), (1, 3, 4))
    assert shapes.failures == []
    unit = (inp("c", 1, 3, 4) + inp("g", 1, 3, 16) + inp("k", 1, 3) + inp("g12", 1, 3, 12)
            + layer("u", "LSTMUnit", ["c", "g", "k"], ["c1", "h1"])
            + layer("bad", "LSTMUnit", ["c", "g12", "k"], ["c2", "h2"]))
    shapes = run(tmp_path, unit)
    assert shapes.blobs()["h1"] == (1, 3, 4)
    assert failed(shapes) == [("bad", "bottom")]
    flat = inp("x", 5, 3) + inp("cont", 5, 3) + layer(
        "lstm", "LSTM", ["x", "cont"], body="recurrent_param { num_output: 4 }")
    assert failed(run(tmp_path, flat)) == [("lstm", "bottom")]  # its InnerProduct reads axis 2


# ---------------------------------------------------------------------------
# sources, counts, unknowns


def test_legacy_net_inputs(tmp_path):
    net = ('input: "data" input_dim: 10 input_dim: 3 input_dim: 32 input_dim: 32\n'
           'input: "aux" input_dim: 10 input_dim: 1 input_dim: 1 input_dim: 1\n'
           + layer("conv", "Convolution", "data", body="convolution_param { num_output: 4 kernel_size: 5 }"))
    shapes = run(tmp_path, net)
    assert shapes.blobs()["data"] == (10, 3, 32, 32) and shapes.blobs()["aux"] == (10, 1, 1, 1)
    assert shapes.blobs()["conv"] == (10, 4, 28, 28)
    view = shapes.view
    assert shapes.bottom(view.layers[0], 0) == (10, 3, 32, 32)
    shaped = ('input: "data" input_shape { dim: 2 dim: 6 }\n'
              + layer("ip", "InnerProduct", "data", body="inner_product_param { num_output: 3 }"))
    assert blob(tmp_path, shaped, "ip") == (2, 3)
    assert blob(tmp_path, shaped, "ip", {"data": (5, 6)}) == (5, 3)


def test_data_layers(tmp_path):
    net = ('layer { name: "d" type: "Data" top: "data" top: "label" data_param { batch_size: 64 } }\n'
           'layer { name: "c" type: "Data" top: "cdata" data_param { batch_size: 8 } transform_param { crop_size: 227 } }\n'
           'layer { name: "i" type: "ImageData" top: "img" top: "ilabel" image_data_param { batch_size: 4 new_height: 32 new_width: 48 is_color: false } }\n'
           'layer { name: "m" type: "MemoryData" top: "mem" top: "mlabel" memory_data_param { batch_size: 2 channels: 3 height: 5 width: 6 } }\n'
           'layer { name: "w" type: "WindowData" top: "win" top: "wlabel" window_data_param { batch_size: 128 } transform_param { crop_size: 227 } }\n'
           'layer { name: "dd" type: "DummyData" top: "d1" top: "d2" dummy_data_param { num: 5 channels: 2 channels: 3 height: 1 width: 1 } }\n'
           'layer { name: "h" type: "HDF5Data" top: "hd" hdf5_data_param { batch_size: 10 } }\n'
           'layer { name: "py" type: "Python" top: "pyd" python_param { module: "m" layer: "L" } }\n'
           + layer("conv", "Convolution", "data", body="convolution_param { num_output: 4 kernel_size: 3 }")
           + layer("ip", "InnerProduct", "hd", body="inner_product_param { num_output: 3 }")
           + layer("relu", "ReLU", "pyd"))
    shapes = run(tmp_path, net)
    b = shapes.blobs()
    assert b["data"] == (64, None, None, None) and b["label"] == (64,)
    assert b["conv"] == (64, 4, None, None)
    assert b["cdata"] == (8, None, 227, 227)
    assert b["img"] == (4, 1, 32, 48) and b["ilabel"] == (4,)
    assert b["mem"] == (2, 3, 5, 6) and b["mlabel"] == (2,)
    assert b["win"] == (128, None, 227, 227)
    assert b["d1"] == (5, 2, 1, 1) and b["d2"] == (5, 3, 1, 1)
    assert b["hd"] is None and b["ip"] == (None, 3)
    assert b["pyd"] is None and b["relu"] is None
    assert shapes.failures == []
    given = run(tmp_path, net, {"data": (2, 3, 9, 9), "hd": (10, 7)}).blobs()
    assert given["conv"] == (2, 4, 7, 7) and given["ip"] == (10, 3)
    bad = 'layer { name: "i" type: "ImageData" top: "img" top: "l" image_data_param { new_height: 32 } }\n'
    assert failed(run(tmp_path, bad)) == [("i", "image_data_param.new_width")]


def test_blob_count_checks(tmp_path):
    net = (inp("x", 2, 3)
           + layer("relu", "ReLU", "x", ["a", "b"])
           + layer("drop", "Dropout", ["x", "x"], "d")
           + layer("ok", "ReLU", "x", "y"))
    shapes = run(tmp_path, net)
    assert failed(shapes) == [("relu", "top"), ("drop", "bottom")]
    assert shapes.top(shapes.view.layers[1], 0) is None
    assert shapes.blobs()["y"] == (2, 3)


def test_blob_reshape_checks(tmp_path):
    net = inp("neg", 2, -1) + inp("huge", 65536, 65536) + inp("zero", 0, 65536, 65536)
    shapes = run(tmp_path, net)
    assert failed(shapes) == [("neg", "input_param.shape"), ("huge", "input_param.shape")]
    assert "INT_MAX" in shapes.failures[1].message
    assert shapes.blobs()["zero"] == (0, 65536, 65536)  # a 0 stops the count check


def test_unknowns_propagate_and_forks_are_unknown(tmp_path):
    net = (inp("x", 1, 3, 8, 8)
           + layer("fork", "ROIPooling", "x")
           + layer("relu", "ReLU", "fork")
           + layer("pool", "Pooling", "x", body="pooling_param { kernel_size: 2 stride: 2 ceil_mode: false }")
           + layer("cat", "Concat", ["x", "x"]))
    shapes = run(tmp_path, net)
    b = shapes.blobs()
    assert b["fork"] is None and b["relu"] is None
    assert b["pool"] is None  # a fork's field: what the layer does is not BVLC's to say
    assert b["cat"] == (1, 6, 8, 8)
    assert shapes.failures == []


def test_in_place_bottom_and_top_api(tmp_path):
    net = (inp("x", 1, 3, 8, 8)
           + layer("conv", "Convolution", "x", body="convolution_param { num_output: 2 kernel_size: 3 }")
           + layer("relu", "ReLU", "conv", "conv")
           + layer("pool", "Pooling", "conv", body="pooling_param { kernel_size: 2 stride: 2 }"))
    shapes = run(tmp_path, net)
    relu, pool_layer = shapes.view.layers[2], shapes.view.layers[3]
    assert shapes.bottom(relu, 0) == (1, 2, 6, 6)
    assert shapes.bottom(pool_layer, 0) == (1, 2, 6, 6)
    assert shapes.top(pool_layer) == (1, 2, 3, 3)
    assert shapes.top(pool_layer, 5) is None and shapes.bottom(pool_layer, 3) is None
    assert isinstance(ShapeCheck, type)


def test_phase_views_differ(tmp_path):
    net = ('layer { name: "tr" type: "Input" top: "data" input_param { shape { dim: 64 dim: 3 } } include { phase: TRAIN } }\n'
           'layer { name: "te" type: "Input" top: "data" input_param { shape { dim: 10 dim: 3 } } include { phase: TEST } }\n'
           + layer("ip", "InnerProduct", "data", body="inner_product_param { num_output: 2 }"))
    assert run(tmp_path, net).blobs()["ip"] == (64, 2)
    assert run(tmp_path, net, phase=TEST).blobs()["ip"] == (10, 2)


@pytest.mark.parametrize("body, field", [
    ('type: "Exp" exp_param { base: -2 }', "exp_param.base"),
    ('type: "Exp" exp_param { base: 0 }', "exp_param.base"),
    ('type: "Log" log_param { base: 1 }', "log_param.base"),
    ('type: "Log" log_param { base: inf }', "log_param.base"),
])
def test_exp_and_log_bases_caffe_refuses(tmp_path, body, field):
    net = inp("x", 1, 2) + f'layer {{ name: "f" {body} bottom: "x" top: "f" }}\n'
    assert failed(run(tmp_path, net)) == [("f", field)]
    good = net.replace("base: -2", "base: 2").replace("base: 0", "base: -1")
    if good != net:
        assert failed(run(tmp_path, good)) == []


def test_set_up_checks_beyond_shapes(tmp_path):
    # Net::AppendParam: one `param` block per learnable blob at most.
    net = (inp("x", 1, 2, 3, 3) + layer("bn", "BatchNorm", "x", body="param { lr_mult: 0 } " * 4)
           + layer("ok", "BatchNorm", "x", body="param { lr_mult: 0 } " * 3))
    assert failed(run(tmp_path, net)) == [("bn", "param")]
    # InfogainLoss refuses the deprecated normalize.
    loss = (inp("s", 2, 3) + inp("l", 2) + 'layer { name: "ig" type: "InfogainLoss" '
            'bottom: "s" bottom: "l" bottom: "s" loss_param { normalize: false } }\n')
    assert ("ig", "loss_param.normalize") in failed(run(tmp_path, loss))
    # The im2col buffer of one image is a blob too: 64 x 7 x 7 x 1024 x 1024 > INT_MAX.
    conv = inp("x", 1, 64, 1024, 1024) + layer(
        "c", "Convolution", "x", body="convolution_param { num_output: 1 kernel_size: 7 pad: 3 }")
    assert failed(run(tmp_path, conv)) == [("c", "convolution_param.kernel_size")]
    small = conv.replace("1024 dim: 1024", "512 dim: 512")
    assert failed(run(tmp_path, small)) == []


def test_shared_params_must_agree(tmp_path):
    """Net::AppendParam: a named param blob shared by a later layer keeps its shape (its
    count with PERMISSIVE), and lr_mult/decay_mult written in both must be equal."""
    def ip(name, bottom, spec, n=4):
        return layer(name, "InnerProduct", bottom,
                     body=f"param {{ name: \"w\" {spec} }} inner_product_param {{ num_output: {n} }}")
    base = inp("a", 2, 10) + inp("b", 2, 12) + inp("c", 2, 5, 2)
    assert failed(run(tmp_path, base + ip("ip1", "a", "") + ip("ip2", "b", ""))) == [
        ("ip2", "param.name")]
    assert failed(run(tmp_path, base + ip("ip1", "a", "") + ip("ip2", "a", ""))) == []
    # PERMISSIVE compares counts only: a transposed (10, 4) against (4, 10)
    transposed = ip("ip1", "a", "") + ip("ip3", "a", "MODE").replace(
        "num_output: 4 }", "num_output: 4 transpose: true }")
    assert failed(run(tmp_path, base + transposed.replace("MODE", ""))) == [("ip3", "param.name")]
    permissive = transposed.replace("MODE", "share_mode: PERMISSIVE")
    assert failed(run(tmp_path, base + permissive)) == []
    lr = ip("ip1", "a", "lr_mult: 1") + ip("ip2", "a", "lr_mult: 2")
    assert failed(run(tmp_path, base + lr)) == [("ip2", "param.lr_mult")]


def test_an_input_layer_without_shape_leaves_blobs_with_no_axes(tmp_path):
    net = ('layer { name: "in" type: "Input" top: "x" }\n'
           + layer("relu", "ReLU", "x") + layer("conv", "Convolution", "x",
                                                body="convolution_param { num_output: 2 kernel_size: 3 }"))
    shapes = run(tmp_path, net)
    assert shapes.blobs()["x"] == () and shapes.blobs()["relu"] == ()
    assert failed(shapes) == [("conv", "convolution_param.axis")]
    assert "Input layer without `shape`" in shapes.failures[0].message
    assert failed(run(tmp_path, net, inputs={"x": (1, 3, 8, 8)})) == []
