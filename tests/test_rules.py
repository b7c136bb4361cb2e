"""Rule behaviour beyond the catalogue examples: the edges each rule's doc describes."""

from __future__ import annotations

import pytest

from conftest import codes, lint_text
from protolint.schema import caffe_pb2

pb = caffe_pb2()


def messages_of(findings, code):
    return [f.message for f in findings if f.code == code]


# ------------------------------------------------------------------ solver rules

SOLVER = 'net_param { name: "n" }\n'


@pytest.mark.parametrize("extra, fires, after", [
    ("power: 0.9", True, "+inf"),
    ("power: 1", True, "-inf"),
    ("power: 2", True, "+inf"),
    ("power: -0.5", True, "and 0 from"),
    ("", False, None),  # power 0: pow(x, 0) = 1, a constant rate, never NaN
    ("power: 0.9 max_iter: 1000", False, None),
    ("power: 0.9 max_iter: 0", True, "+inf"),
])
def test_poly_without_max_iter(tmp_path, extra, fires, after):
    found = messages_of(lint_text(tmp_path, f'base_lr: 0.01 lr_policy: "poly" {extra}\n' + SOLVER),
                        "PL101")
    assert bool(found) is fires
    if fires:
        assert "NaN at iteration 0" in found[0] and after in found[0]


@pytest.mark.parametrize("line, words", [
    ("", "not set"), ("base_lr: 0", "is 0"), ("base_lr: -0.01", "negative"),
    ("base_lr: nan", "NaN"),
])
def test_base_lr_not_positive(tmp_path, line, words):
    found = messages_of(lint_text(tmp_path, f'lr_policy: "fixed" {line}\n' + SOLVER), "PL102")
    assert len(found) == 1 and words in found[0]


@pytest.mark.parametrize("setting, fires", [
    ('type: "Adam" base_lr: 0.1', False),  # 0.1 as float32 is 0.10000000149: not above
    ('type: "Adam" base_lr: 0.11', True),
    ("solver_type: ADAM base_lr: 0.5", True),  # the legacy enum counts too
    ('type: "SGD" base_lr: 1', False),
    ('base_lr: 1.5', True),  # SGD by default
    ('type: "AdaDelta" base_lr: 1.0', False),
    ('type: "AdaDelta" base_lr: 11', True),
    ('type: "RMSProp" base_lr: 0.2', True),
    ('type: "MySolver" base_lr: 100', False),  # unknown types are another rule's business
])
def test_base_lr_too_high(tmp_path, setting, fires):
    found = lint_text(tmp_path, f'lr_policy: "fixed" {setting}\n' + SOLVER)
    assert ("PL103" in codes(found)) is fires


# --------------------------------------------------------------------- net rules

INPUT = 'layer { name: "in" type: "Input" top: "data" top: "label" }\n'


def pooling(params: str) -> str:
    return INPUT + ('layer { name: "p" type: "Pooling" bottom: "data" top: "p" '
                    f"pooling_param {{ {params} }} }}\n")


@pytest.mark.parametrize("params, fires", [
    ("kernel_size: 2 stride: 3", True),
    ("kernel_size: 3 stride: 3", False),
    ("kernel_size: 3", False),
    ("kernel_h: 3 kernel_w: 1 stride_h: 1 stride_w: 2", True),
    ("kernel_h: 3 kernel_w: 2 stride_h: 3 stride_w: 2", False),
    ("global_pooling: true", False),
])
def test_pooling_stride_exceeds_kernel(tmp_path, params, fires):
    found = messages_of(lint_text(tmp_path, pooling(params)), "PL201")
    assert bool(found) is fires
    if params.startswith("kernel_h") and fires:
        assert "width: stride 2 > kernel 1" in found[0]


def infogain(extra_layers: str, loss: str) -> str:
    return (INPUT + 'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
            "inner_product_param { num_output: 10 } }\n" + extra_layers + loss)


def test_infogain_after_softmax_is_phase_aware(tmp_path):
    softmax_in_test = ('layer { name: "prob" type: "Softmax" bottom: "fc" top: "fc" '
                       "include { phase: TEST } }\n")
    loss = ('layer { name: "loss" type: "InfogainLoss" bottom: "fc" bottom: "label" '
            'infogain_loss_param { source: "H.binaryproto" } }\n')
    found = lint_text(tmp_path, infogain(softmax_in_test, loss))
    assert codes(found).count("PL202") == 1  # only the TEST net normalises twice
    found = lint_text(tmp_path, infogain("", loss))
    assert "PL202" not in codes(found)


def write_blob(path, shape=None, legacy=None):
    blob = pb.BlobProto()
    if shape:
        blob.shape.dim.extend(shape)
    if legacy:
        blob.num, blob.channels, blob.height, blob.width = legacy
    n = 1
    for d in shape or legacy:
        n *= d
    blob.data.extend([0.0] * n)
    path.write_bytes(blob.SerializeToString())


@pytest.mark.parametrize("shape, legacy, fires", [
    ([10, 10], None, False),
    ([9, 9], None, True),
    (None, (1, 1, 10, 10), False),
    (None, (1, 1, 10, 9), True),
])
def test_infogain_matrix_size(tmp_path, shape, legacy, fires):
    matrix = tmp_path / "H.binaryproto"
    write_blob(matrix, shape, legacy)
    before = matrix.read_bytes()
    loss = ('layer { name: "loss" type: "InfogainLoss" bottom: "fc" bottom: "label" '
            'infogain_loss_param { source: "H.binaryproto" } }\n')
    found = messages_of(lint_text(tmp_path, infogain("", loss)), "PL203")
    assert bool(found) is fires
    if fires:
        assert "predicts 10 classes" in found[0]
    assert matrix.read_bytes() == before


def test_infogain_matrix_required_without_third_bottom(tmp_path):
    loss = 'layer { name: "loss" type: "InfogainLoss" bottom: "fc" bottom: "label" }\n'
    assert "PL203" in codes(lint_text(tmp_path, infogain("", loss)))
    loss = ('layer { name: "loss" type: "InfogainLoss" bottom: "fc" bottom: "label" '
            'bottom: "label" }\n')
    assert "PL203" not in codes(lint_text(tmp_path, infogain("", loss)))


def batchnorm(params: str = "", after: str = "", bn_extra: str = "") -> str:
    return (INPUT + 'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" }\n'
            f'layer {{ name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" {params} {bn_extra} }}\n'
            + after +
            'layer { name: "loss" type: "EuclideanLoss" bottom: "conv" bottom: "label" }\n')


THREE = "param { lr_mult: 1 } param { lr_mult: 1 } param { lr_mult: 1 }"


@pytest.mark.parametrize("params, expected", [
    ("param { lr_mult: 0 }", []),
    ("param { lr_mult: 0 } param { lr_mult: 2 }", ["param #2"]),
    ("param { decay_mult: 0 }", ["defaults to 1"]),
    (THREE, []),  # file nets: the deprecated form is zeroed by Caffe's upgrade (PL205)
    (THREE + " param { lr_mult: 5 }", ["param #1", "param #2", "param #3"]),
])
def test_batchnorm_statistics_lr_mult(tmp_path, params, expected):
    found = messages_of(lint_text(tmp_path, batchnorm(params)), "PL204")
    assert len(found) == len(expected)
    for message, words in zip(found, expected):
        assert words in message


def test_inline_nets_get_no_deprecated_form_exemption(tmp_path):
    solver = ('base_lr: 0.01 lr_policy: "fixed"\nnet_param {\n'
              + batchnorm(THREE) + "}\n")
    found = lint_text(tmp_path, solver)
    assert codes(found).count("PL204") == 3 and "PL205" not in codes(found)


def test_deprecated_form_is_one_finding_per_net(tmp_path):
    net = batchnorm(THREE) + ('layer { name: "bn2" type: "BatchNorm" bottom: "conv" top: "c2" '
                              + THREE + " }\n")
    found = [f for f in lint_text(tmp_path, net) if f.code == "PL205"]
    assert len(found) == 1 and "1 more" in found[0].message and len(found[0].related) == 1


GLOBAL = "batch_norm_param { use_global_stats: true }"


def test_global_stats_in_train(tmp_path):
    assert "PL206" in codes(lint_text(tmp_path, batchnorm(bn_extra=GLOBAL)))
    # Only in TEST: that is Caffe's default anyway.
    test_only = batchnorm(bn_extra=GLOBAL + " include { phase: TEST }")
    assert "PL206" not in codes(lint_text(tmp_path, test_only))
    # A deploy net (nothing to train) is never linted for it.
    deploy = batchnorm(bn_extra=GLOBAL).replace("EuclideanLoss", "Accuracy")
    assert "PL206" not in codes(lint_text(tmp_path, deploy))
    # A frozen Scale after it: the block is frozen on purpose (fine-tuning).
    frozen = batchnorm(bn_extra=GLOBAL, after=(
        'layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" '
        "param { lr_mult: 0 } param { lr_mult: 0 } scale_param { bias_term: true } }\n"))
    assert "PL206" not in codes(lint_text(tmp_path, frozen))


def test_global_stats_with_solver_weights_is_fine_tuning(tmp_path):
    (tmp_path / "net.prototxt").write_text(batchnorm(bn_extra=GLOBAL))
    solver = 'net: "net.prototxt" base_lr: 0.01 lr_policy: "fixed"\n'
    assert "PL206" in codes(lint_text(tmp_path, solver, "solver.prototxt"))
    tuned = solver + 'weights: "pretrained.caffemodel"\n'
    assert "PL206" not in codes(lint_text(tmp_path, tuned, "solver.prototxt"))


RELU = 'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n'


@pytest.mark.parametrize("between, fires", [
    ("", True),
    ('layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" scale_param { bias_term: true } }\n',
     False),
    ('layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" }\n', True),
    ('layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" }\n'
     'layer { name: "b" type: "Bias" bottom: "conv" top: "conv" }\n', False),
    ('layer { name: "c2" type: "Convolution" bottom: "conv" top: "conv" }\n', False),
])
def test_batchnorm_without_shift(tmp_path, between, fires):
    found = lint_text(tmp_path, batchnorm(after=between + RELU))
    assert ("PL207" in codes(found)) is fires


def test_batchnorm_without_shift_skips_fork_batchnorm(tmp_path):
    found = lint_text(tmp_path, batchnorm(bn_extra="batch_norm_param { scale_bias: true }",
                                          after=RELU))
    assert "PL207" not in codes(found) and "PL002" in codes(found)


@pytest.mark.parametrize("params, empty_window", [
    ("pool: AVE kernel_size: 2 stride: 3", "divides by zero"),
    ("pool: MAX kernel_size: 2 stride: 3", "-FLT_MAX"),
    ("pool: AVE kernel_size: 2 stride: 3 round_mode: FLOOR", None),  # never reaches the edge
    ("pool: AVE kernel_size: 2 stride: 3 pad: 1", None),  # Reshape drops such a window
])
def test_pooling_empty_window_only_with_ceil_and_no_padding(tmp_path, params, empty_window):
    (message,) = messages_of(lint_text(tmp_path, pooling(params)), "PL201")
    if empty_window:
        assert empty_window in message
    else:
        assert "edge" not in message


def test_partly_frozen_scale_still_learns(tmp_path):
    # bias_term adds a second blob; without its own param block it learns at lr_mult 1.
    partly = batchnorm(bn_extra=GLOBAL, after=(
        'layer { name: "sc" type: "Scale" bottom: "conv" top: "conv" '
        "param { lr_mult: 0 } scale_param { bias_term: true } }\n"))
    assert "PL206" in codes(lint_text(tmp_path, partly))


def _solver_with_net(lr_mult: float, loss_weight: float, settings: str) -> str:
    return (f'lr_policy: "fixed" {settings}\nnet_param {{\n' + INPUT +
            'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
            f"param {{ lr_mult: {lr_mult} }} inner_product_param {{ num_output: 2 }} }}\n"
            'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" '
            f"loss_weight: {loss_weight} }}\n}}\n")


@pytest.mark.parametrize("lr_mult, loss_weight, settings, fires", [
    (10, 1, 'base_lr: 0.2', True),  # 0.2 x lr_mult 10 = 2 for SGD
    (1, 1, 'base_lr: 0.2', False),
    (1, 10, 'base_lr: 0.2', True),  # SGD steps scale with the loss weight
    (1, 10, 'type: "Adam" base_lr: 0.02', False),  # Adam normalises it away
    (10, 1, 'type: "Adam" base_lr: 0.02', True),  # but not the lr_mult
])
def test_base_lr_too_high_uses_the_effective_rate(tmp_path, lr_mult, loss_weight, settings, fires):
    found = messages_of(lint_text(tmp_path, _solver_with_net(lr_mult, loss_weight, settings)), "PL103")
    assert bool(found) is fires
    if fires:
        assert "effective learning rate" in found[0]


def test_base_lr_too_high_at_the_schedule_peak(tmp_path):
    grows = 'lr_policy: "exp" gamma: 1.01 base_lr: 0.1 max_iter: 1000\n' + SOLVER
    (message,) = messages_of(lint_text(tmp_path, grows), "PL103")
    assert "the schedule peaks at" in message
    assert "PL103" not in codes(lint_text(tmp_path, grows.replace("max_iter: 1000", "max_iter: 100")))


def test_fork_batchnorm_params_are_not_judged(tmp_path):
    fork = batchnorm("param { lr_mult: 1 }", bn_extra="batch_norm_param { scale_filler { value: 1 } }")
    found = codes(lint_text(tmp_path, fork))
    assert "PL002" in found and "PL204" not in found


@pytest.mark.parametrize("layer, field", [
    ('type: "Data" transform_param { mean_file: "m.binaryproto" mean_value: 1 }', "mean_value"),
    ('type: "ImageData" transform_param { mean_file: "m.binaryproto" mean_value: 1 }', "mean_value"),
    ('type: "Data" transform_param { force_color: true force_gray: true }', "force_gray"),
    ('type: "HDF5Data" transform_param { }', "transform_param"),
    ('type: "HDF5Data" transform_param { scale: 0.5 }', "transform_param"),
])
def test_data_transform_refused(tmp_path, layer, field):
    text = f'layer {{ name: "d" {layer} top: "data" top: "label" }}\n'
    found = [f for f in lint_text(tmp_path, text) if f.code == "PL235"]
    assert len(found) == 1
    assert found[0].location.doc.text[found[0].location.start:].startswith(field.split(".")[-1])


@pytest.mark.parametrize("layer", [
    'type: "Data" transform_param { mean_value: 1 mean_value: 2 }',
    'type: "Data" transform_param { mean_file: "m.binaryproto" }',
    'type: "Input" transform_param { mean_file: "m.binaryproto" mean_value: 1 }',  # no transformer
    'type: "HDF5Data" hdf5_data_param { source: "list.txt" batch_size: 2 }',
])
def test_data_transform_accepted(tmp_path, layer):
    text = f'layer {{ name: "d" {layer} top: "data" top: "label" }}\n'
    assert "PL235" not in codes(lint_text(tmp_path, text))


def test_deprecated_form_that_asks_for_nothing_is_silent(tmp_path):
    """Three `lr_mult: 0` blocks (BVLC's cifar10 BN example) ask for what Caffe does."""
    zeros = "param { lr_mult: 0 } param { lr_mult: 0 } param { lr_mult: 0 }"
    assert "PL205" not in codes(lint_text(tmp_path, batchnorm(zeros)))
    one = zeros.replace("lr_mult: 0 } param { lr_mult: 0 } param", "lr_mult: 0 } param "
                        "{ lr_mult: 2 } param")
    [found] = [f for f in lint_text(tmp_path, batchnorm(one)) if f.code == "PL205"]
    assert "asks for a non-zero lr_mult" in found.message
