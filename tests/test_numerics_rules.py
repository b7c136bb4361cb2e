"""Numeric rules PL227-PL234: Log/Power/Exp domains (certain and possible), LRN k = 0,
Dropout ratios, and weight fillers (zero, aborting, exploding, bilinear)."""

from __future__ import annotations

import math

import pytest

from conftest import codes, lint_text
from protolint.checks.PL234 import phase_sums

INPUT = """name: "n"
layer {{ name: "data" type: "Input" top: "data" top: "label"
  input_param {{ shape {{ dim: 8 dim: {c} dim: 16 dim: 16 }} shape {{ dim: 8 }} }} }}
"""
CONV = """layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" top: "{name}"
  convolution_param {{ num_output: {n} kernel_size: 3 pad: 1 {filler} }} }}
"""
RELU = """layer {{ name: "relu_{b}" type: "ReLU" bottom: "{b}" top: "{b}" }}
"""
LOSS = """layer {{ name: "fc" type: "InnerProduct" bottom: "{b}" top: "fc"
  inner_product_param {{ num_output: 10 weight_filler {{ type: "xavier" }} }} }}
layer {{ name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }}
"""
MSRA = 'weight_filler { type: "msra" }'


def only(findings, code):
    return [f for f in findings if f.code == code]


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def relu_net(tail: str, train: bool = False, c: int = 3) -> str:
    """data -> conv1 (msra) -> relu, then `tail` reading 'conv1'; with a loss if train."""
    text = INPUT.format(c=c) + CONV.format(name="conv1", bottom="data", n=16, filler=MSRA)
    text += RELU.format(b="conv1") + tail
    if train:
        text += LOSS.format(b="conv1")
    return text


def conv_net(tail: str) -> str:
    """data -> conv1 (no ReLU: unbounded), then `tail` reading 'conv1'."""
    return INPUT.format(c=3) + CONV.format(name="conv1", bottom="data", n=16, filler=MSRA) + tail


# ---------------------------------------------------------------- PL227 / PL228: Log


def test_log_of_relu_output_is_an_error_at_its_bottom(tmp_path):
    text = relu_net('layer { name: "log" type: "Log" bottom: "conv1" top: "log" }\n')
    found = lint_text(tmp_path, text)
    errors = only(found, "PL227")
    assert len(errors) == 1 and "PL228" not in codes(found)
    assert errors[0].line == line_of(text, 'name: "log"')
    assert "-inf" in errors[0].message and "ReLU 'relu_conv1'" in errors[0].message


def test_log_of_relu_output_with_a_negative_shift_is_nan(tmp_path):
    text = relu_net('layer { name: "log" type: "Log" bottom: "conv1" top: "log" '
                    'log_param { shift: -1 } }\n')
    errors = only(lint_text(tmp_path, text), "PL227")
    assert errors and "NaN" in errors[0].message


def test_log_with_a_positive_shift_of_relu_output_is_silent(tmp_path):
    text = relu_net('layer { name: "log" type: "Log" bottom: "conv1" top: "log" '
                    'log_param { shift: 1e-6 } }\n')
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_log_of_a_constant_zero_blob_is_always_bad(tmp_path):
    text = """name: "n"
layer { name: "zeros" type: "DummyData" top: "z" dummy_data_param { shape { dim: 2 dim: 3 } } }
layer { name: "log" type: "Log" bottom: "z" top: "log" }
"""
    errors = only(lint_text(tmp_path, text), "PL227")
    assert errors and "always <= 0" in errors[0].message and "-inf" in errors[0].message


def test_log_of_softmax_is_only_a_warning(tmp_path):
    text = conv_net('layer { name: "prob" type: "Softmax" bottom: "conv1" top: "prob" }\n'
                    'layer { name: "log" type: "Log" bottom: "prob" top: "log" }\n')
    found = lint_text(tmp_path, text)
    assert "PL227" not in codes(found)
    warnings = only(found, "PL228")
    assert len(warnings) == 1 and "[0, 1]" in warnings[0].message
    assert "can be 0" in warnings[0].message


def test_log_of_an_unbounded_blob_is_a_warning_naming_nan(tmp_path):
    text = conv_net('layer { name: "log" type: "Log" bottom: "conv1" top: "log" }\n')
    warnings = only(lint_text(tmp_path, text), "PL228")
    assert warnings and "NaN below" in warnings[0].message


def test_log_after_dropout_is_an_error_in_train_only_and_not_also_a_warning(tmp_path):
    text = conv_net(
        'layer { name: "sig" type: "Sigmoid" bottom: "conv1" top: "sig" }\n'
        'layer { name: "drop" type: "Dropout" bottom: "sig" top: "sig" }\n'
        'layer { name: "log" type: "Log" bottom: "sig" top: "log" log_param { shift: 0 } }\n')
    found = lint_text(tmp_path, text)
    errors = only(found, "PL227")
    assert len(errors) == 1 and "(TRAIN)" in errors[0].message
    assert "Dropout 'drop'" in errors[0].message
    assert "PL228" not in codes(found)  # the TEST view's warning is the same layer


def test_relu_of_nonnegative_input_has_no_certain_zeros(tmp_path):
    # ReLU of a Sigmoid output: the Sigmoid's float range is [0, 1] (it underflows), so
    # zeros are possible (PL228), not certain.
    text = conv_net('layer { name: "sig" type: "Sigmoid" bottom: "conv1" top: "sig" }\n'
                    'layer { name: "r" type: "ReLU" bottom: "sig" top: "sig" }\n'
                    'layer { name: "log" type: "Log" bottom: "sig" top: "log" }\n')
    found = lint_text(tmp_path, text)
    assert "PL227" not in codes(found) and "PL228" in codes(found)


def test_zeros_pass_through_pooling_and_concat(tmp_path):
    text = relu_net(
        'layer { name: "pool" type: "Pooling" bottom: "conv1" top: "pool" '
        'pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n'
        'layer { name: "cat" type: "Concat" bottom: "pool" bottom: "pool" top: "cat" }\n'
        'layer { name: "log" type: "Log" bottom: "cat" top: "log" }\n')
    errors = only(lint_text(tmp_path, text), "PL227")
    assert errors and ("(through 2 layers that keep them, from Pooling 'pool' to Concat "
                       "'cat')") in errors[0].message


def test_a_chain_of_thousands_of_keepers_is_walked_without_recursion(tmp_path):
    chain, bottom = "", "conv1"
    for i in range(3000):
        chain += f'layer {{ name: "s{i}" type: "Split" bottom: "{bottom}" top: "s{i}" }}\n'
        bottom = f"s{i}"
    text = relu_net(chain + f'layer {{ name: "log" type: "Log" bottom: "{bottom}" top: "log" }}\n')
    [error] = only(lint_text(tmp_path, text), "PL227")
    assert "(through 3000 layers that keep them, from Split 's0' to Split 's2999')" \
        in error.message and len(error.message) < 1000


# ---------------------------------------------------------------- PL227 / PL228: Power


def test_sqrt_of_relu_output_gives_a_nan_gradient_when_training(tmp_path):
    text = relu_net('layer { name: "sqrt" type: "Power" bottom: "conv1" top: "sqrt" '
                    'power_param { power: 0.5 } }\n', train=True)
    errors = only(lint_text(tmp_path, text), "PL227")
    assert len(errors) == 1
    assert "0/0 = NaN" in errors[0].message and "(TRAIN)" in errors[0].message


def test_sqrt_of_relu_output_without_training_is_silent(tmp_path):
    text = relu_net('layer { name: "sqrt" type: "Power" bottom: "conv1" top: "sqrt" '
                    'power_param { power: 0.5 } }\n')
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_square_of_relu_output_is_silent_when_training(tmp_path):
    # PowerLayer::Backward special-cases power 2: no division.
    text = relu_net('layer { name: "sq" type: "Power" bottom: "conv1" top: "sq" '
                    'power_param { power: 2 } }\n', train=True)
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_cube_of_relu_with_a_shift_is_silent(tmp_path):
    text = relu_net('layer { name: "p" type: "Power" bottom: "conv1" top: "p" '
                    'power_param { power: 3 shift: 1 } }\n', train=True)
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_power_gradient_needs_a_learnable_layer_below(tmp_path):
    # ReLU straight on the data: nothing below learns, Caffe does not back-propagate.
    text = INPUT.format(c=3) + RELU.format(b="data") + (
        'layer { name: "p" type: "Power" bottom: "data" top: "p" power_param { power: 3 } }\n'
        + LOSS.format(b="p"))
    assert "PL227" not in codes(lint_text(tmp_path, text))


def test_reciprocal_of_relu_output_is_inf(tmp_path):
    text = relu_net('layer { name: "inv" type: "Power" bottom: "conv1" top: "inv" '
                    'power_param { power: -1 } }\n')
    errors = only(lint_text(tmp_path, text), "PL227")
    assert errors and "0^-1 = inf" in errors[0].message


def test_power_with_scale_zero_fills_a_constant(tmp_path):
    text = conv_net('layer { name: "c" type: "Power" bottom: "conv1" top: "c" '
                    'power_param { power: 0.5 scale: 0 shift: -4 } }\n')
    errors = only(lint_text(tmp_path, text), "PL227")
    assert errors and "nan" in errors[0].message.lower()
    assert errors[0].line == line_of(text, "shift: -4")


def test_power_with_scale_zero_and_a_finite_constant_is_silent(tmp_path):
    text = conv_net('layer { name: "c" type: "Power" bottom: "conv1" top: "c" '
                    'power_param { power: 0.5 scale: 0 shift: 4 } }\n')
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_fractional_power_of_an_unbounded_blob_is_a_warning(tmp_path):
    text = conv_net('layer { name: "p" type: "Power" bottom: "conv1" top: "p" '
                    'power_param { power: 0.5 } }\n')
    found = lint_text(tmp_path, text)
    assert "PL227" not in codes(found)
    warnings = only(found, "PL228")
    assert warnings and "negative" in warnings[0].message


def test_integer_power_of_an_unbounded_blob_is_fine(tmp_path):
    text = conv_net('layer { name: "p" type: "Power" bottom: "conv1" top: "p" '
                    'power_param { power: 3 } }\n')
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_power_one_is_never_reported(tmp_path):
    text = relu_net('layer { name: "neg" type: "Power" bottom: "conv1" top: "neg" '
                    'power_param { power: 1 scale: -1 } }\n', train=True)
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


# ---------------------------------------------------------------- PL227 / PL228: Exp


def dummy(low: float, high: float) -> str:
    return f"""name: "n"
layer {{ name: "d" type: "DummyData" top: "x"
  dummy_data_param {{ shape {{ dim: 2 dim: 3 }}
    data_filler {{ type: "uniform" min: {low} max: {high} }} }} }}
"""


def test_exp_of_values_always_above_88_is_an_error(tmp_path):
    text = dummy(100, 200) + 'layer { name: "e" type: "Exp" bottom: "x" top: "e" }\n'
    errors = only(lint_text(tmp_path, text), "PL227")
    assert errors and "every output is inf" in errors[0].message


def test_exp_of_a_range_reaching_above_88_is_a_warning(tmp_path):
    text = dummy(0, 100) + 'layer { name: "e" type: "Exp" bottom: "x" top: "e" }\n'
    warnings = only(lint_text(tmp_path, text), "PL228")
    assert warnings and "reaches 100" in warnings[0].message


def test_exp_overflows_before_a_negative_shift_helps(tmp_path):
    # ExpLayer computes exp(x) first, then multiplies by e^shift: exp(100) is already inf.
    text = dummy(0, 100) + ('layer { name: "e" type: "Exp" bottom: "x" top: "e" '
                            'exp_param { shift: -50 } }\n')
    assert "PL228" in codes(lint_text(tmp_path, text))


def test_exp_of_a_bounded_small_range_is_silent(tmp_path):
    text = dummy(-5, 5) + 'layer { name: "e" type: "Exp" bottom: "x" top: "e" }\n'
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_exp_with_a_negative_scale_of_relu_output_is_silent(tmp_path):
    text = relu_net('layer { name: "e" type: "Exp" bottom: "conv1" top: "e" '
                    'exp_param { scale: -1 } }\n')
    assert not {"PL227", "PL228"} & set(codes(lint_text(tmp_path, text)))


def test_exp_with_a_huge_shift_overflows_everywhere(tmp_path):
    text = dummy(-1, 1) + ('layer { name: "e" type: "Exp" bottom: "x" top: "e" '
                           'exp_param { shift: 100 } }\n')
    errors = only(lint_text(tmp_path, text), "PL227")
    assert errors and errors[0].line == line_of(text, "shift: 100")


def test_exp_of_an_unbounded_blob_is_a_warning(tmp_path):
    text = conv_net('layer { name: "e" type: "Exp" bottom: "conv1" top: "e" }\n')
    warnings = only(lint_text(tmp_path, text), "PL228")
    assert warnings and "unbounded" in warnings[0].message and "88.72" in warnings[0].message


# ---------------------------------------------------------------- PL229 LRN k = 0


def lrn(params: str, bottom: str = "conv1") -> str:
    return (f'layer {{ name: "norm" type: "LRN" bottom: "{bottom}" top: "norm" '
            f'lrn_param {{ {params} }} }}\n')


def test_lrn_k_zero_after_relu_is_an_error_at_k(tmp_path):
    text = relu_net(lrn("local_size: 5 alpha: 0.0001 beta: 0.75 k: 0"))
    errors = only(lint_text(tmp_path, text), "PL229")
    assert len(errors) == 1 and errors[0].line == line_of(text, "k: 0")
    assert "0^-0.75 = inf" in errors[0].message and "NaN" in errors[0].message


def test_lrn_k_zero_after_relu_and_pooling_fires(tmp_path):
    text = relu_net('layer { name: "pool" type: "Pooling" bottom: "conv1" top: "pool" '
                    'pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n'
                    + lrn("k: 0", bottom="pool"))
    assert "PL229" in codes(lint_text(tmp_path, text))


@pytest.mark.parametrize("params", ["k: 1", "k: 2", "k: 0 beta: 0",
                                    "k: 0 norm_region: WITHIN_CHANNEL"])
def test_lrn_safe_settings_are_silent(tmp_path, params):
    assert "PL229" not in codes(lint_text(tmp_path, relu_net(lrn(params))))


def test_lrn_k_zero_on_a_convolution_output_is_not_reported(tmp_path):
    assert "PL229" not in codes(lint_text(tmp_path, conv_net(lrn("k: 0"))))


def test_lrn_k_zero_with_alpha_zero_fires_whatever_the_input(tmp_path):
    errors = only(lint_text(tmp_path, conv_net(lrn("k: 0 alpha: 0"))), "PL229")
    assert errors and "alpha is 0" in errors[0].message


def test_lrn_negative_k_mentions_nan_of_negative_base(tmp_path):
    errors = only(lint_text(tmp_path, relu_net(lrn("k: -1"))), "PL229")
    assert errors and "negative" in errors[0].message


# ---------------------------------------------------------------- PL230 dropout ratio


def dropout(ratio: str, include: str = "") -> str:
    return conv_net(f'layer {{ name: "drop" type: "Dropout" bottom: "conv1" top: "conv1" '
                    f'{include} dropout_param {{ dropout_ratio: {ratio} }} }}\n')


def test_dropout_ratio_one_gives_nan_at_the_ratio(tmp_path):
    text = dropout("1.0")
    errors = only(lint_text(tmp_path, text), "PL230")
    assert len(errors) == 1 and errors[0].line == line_of(text, "dropout_ratio")
    assert "1/0 = inf" in errors[0].message and "NaN" in errors[0].message


@pytest.mark.parametrize("ratio, check", [("1.5", "p >= 0"), ("-0.5", "p <= 1")])
def test_dropout_ratio_outside_aborts_on_cpu(tmp_path, ratio, check):
    errors = only(lint_text(tmp_path, dropout(ratio)), "PL230")
    assert errors and check in errors[0].message


@pytest.mark.parametrize("ratio", ["0", "0.5", "0.9999"])
def test_dropout_ratio_in_range_is_silent(tmp_path, ratio):
    assert "PL230" not in codes(lint_text(tmp_path, dropout(ratio)))


def test_dropout_only_in_test_is_silent(tmp_path):
    text = dropout("1.0", include="include { phase: TEST }")
    assert "PL230" not in codes(lint_text(tmp_path, text))


# ---------------------------------------------------------------- PL231 zero weights


def filled_net(middle: str) -> str:
    """A training net: conv1, conv2 (msra), then `middle` reading 'conv2' and writing
    'mid', then the xavier classifier and loss."""
    text = INPUT.format(c=3) + CONV.format(name="conv1", bottom="data", n=16, filler=MSRA)
    text += RELU.format(b="conv1")
    text += CONV.format(name="conv2", bottom="conv1", n=16, filler=MSRA) + RELU.format(b="conv2")
    return text + middle + LOSS.format(b="mid")


def test_zero_conv_before_relu_is_dead(tmp_path):
    text = filled_net(CONV.format(name="mid", bottom="conv2", n=16, filler="")
                      + RELU.format(b="mid"))
    found = only(lint_text(tmp_path, text), "PL231")
    assert len(found) == 1
    assert "ReLU 'relu_mid'" in found[0].message and "never learns" in found[0].message
    assert "pretrained" in found[0].message
    # at convolution_param (where a weight_filler would go), the line after the name
    assert found[0].line == line_of(text, 'name: "mid"') + 1


def test_zero_conv_through_batchnorm_and_scale_is_still_dead(tmp_path):
    text = filled_net(CONV.format(name="mid", bottom="conv2", n=16, filler="")
                      + 'layer { name: "bn" type: "BatchNorm" bottom: "mid" top: "mid" }\n'
                      + 'layer { name: "sc" type: "Scale" bottom: "mid" top: "mid" '
                        'scale_param { bias_term: true } }\n'
                      + RELU.format(b="mid"))
    assert "PL231" in codes(lint_text(tmp_path, text))


def test_zero_conv_with_a_positive_bias_before_relu_is_silent(tmp_path):
    filler = 'bias_filler { type: "constant" value: 0.1 }'
    text = filled_net(CONV.format(name="mid", bottom="conv2", n=16, filler=filler)
                      + RELU.format(b="mid"))
    assert "PL231" not in codes(lint_text(tmp_path, text))


def test_two_zero_layers_in_a_row_stay_symmetric(tmp_path):
    middle = ('layer { name: "ip1" type: "InnerProduct" bottom: "conv2" top: "ip1" '
              'inner_product_param { num_output: 32 } }\n'
              'layer { name: "sig" type: "Sigmoid" bottom: "ip1" top: "ip1" }\n'
              'layer { name: "mid" type: "InnerProduct" bottom: "ip1" top: "mid" '
              'inner_product_param { num_output: 32 } }\n')
    # five weight layers, two of them zero: fewer than half, so not taken as fine-tuning
    text = filled_net(middle) + CONV.format(name="extra", bottom="data", n=4, filler=MSRA)
    found = only(lint_text(tmp_path, text), "PL231")
    assert found and "InnerProduct 'mid'" in found[0].message
    assert "identical" in found[0].message


def test_zero_classifier_is_silent(tmp_path):
    text = INPUT.format(c=3) + CONV.format(name="conv1", bottom="data", n=16, filler=MSRA)
    text += RELU.format(b="conv1") + CONV.format(name="conv2", bottom="conv1", n=16, filler=MSRA)
    text += ('layer { name: "fc" type: "InnerProduct" bottom: "conv2" top: "fc" '
             'inner_product_param { num_output: 10 } }\n'
             'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" '
             'top: "loss" }\n')
    assert "PL231" not in codes(lint_text(tmp_path, text))


def test_mostly_unfilled_net_looks_pretrained_and_is_silent(tmp_path):
    text = INPUT.format(c=3)
    for i, bottom in ((1, "data"), (2, "conv1"), (3, "conv2")):
        text += CONV.format(name=f"conv{i}", bottom=bottom, n=16, filler="")
        text += RELU.format(b=f"conv{i}")
    text += LOSS.format(b="conv3")
    assert "PL231" not in codes(lint_text(tmp_path, text))


def test_frozen_layer_means_fine_tuning(tmp_path):
    text = filled_net(CONV.format(name="mid", bottom="conv2", n=16, filler="")
                      + RELU.format(b="mid"))
    text = text.replace('name: "conv1" type: "Convolution"',
                        'name: "conv1" type: "Convolution" param { lr_mult: 0 }')
    assert "PL231" not in codes(lint_text(tmp_path, text))


def test_net_without_loss_is_not_trained(tmp_path):
    text = filled_net(CONV.format(name="mid", bottom="conv2", n=16, filler="")
                      + RELU.format(b="mid"))
    text = text[:text.index('layer { name: "loss"')]
    assert "PL231" not in codes(lint_text(tmp_path, text))


def test_solver_weights_silence_the_filler_rules(tmp_path):
    net = filled_net(CONV.format(name="mid", bottom="conv2", n=16, filler="")
                     + RELU.format(b="mid"))
    (tmp_path / "train.prototxt").write_text(net, encoding="utf-8")
    solver = ('net: "train.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 10\n'
              'weights: "model.caffemodel"\n')
    assert "PL231" not in codes(lint_text(tmp_path, solver, name="solver.prototxt"))
    without = solver.replace('weights: "model.caffemodel"\n', "")
    assert "PL231" in codes(lint_text(tmp_path, without, name="solver.prototxt"))


def test_many_dead_layers_give_one_finding_with_related(tmp_path):
    text = INPUT.format(c=3)
    for i in range(1, 8):
        filler = "" if i in (3, 5) else MSRA
        bottom = "data" if i == 1 else f"conv{i - 1}"
        text += CONV.format(name=f"conv{i}", bottom=bottom, n=8, filler=filler)
        text += RELU.format(b=f"conv{i}")
    text += LOSS.format(b="conv7")
    found = only(lint_text(tmp_path, text), "PL231")
    assert len(found) == 1 and "1 more" in found[0].message
    assert "conv3" in found[0].message


# ---------------------------------------------------------------- PL232 aborting fillers


def ip(filler: str, extra: str = "") -> str:
    return INPUT.format(c=3) + (
        'layer { name: "ip" type: "InnerProduct" bottom: "data" top: "ip" '
        f'inner_product_param {{ num_output: 8 {extra} weight_filler {{ {filler} }} }} }}\n')


@pytest.mark.parametrize("filler, field, words", [
    ('type: "gaussian" std: 0', "std: 0", '"sigma > 0"'),
    ('type: "gaussian" std: 1e-50', "std: 1e-50", '"sigma > 0"'),
    ('type: "gaussian" std: -0.1', "std: -0.1", '"sigma > 0"'),
    ('type: "Gaussian"', '"Gaussian"', 'lower case: "gaussian"'),
    ('type: "normal"', '"normal"', "Unknown filler name"),
    ('type: "uniform" min: 1 max: -1', "min: 1", '"a <= b"'),
    ('type: "xavier" sparse: 3', "sparse: 3", '"sparse == -1"'),
    ('type: "gaussian" sparse: 20', "sparse: 20", '"p <= 1"'),
    ('type: "gaussian" sparse: -2', "sparse: -2", '"sparse >= -1"'),
    ('type: "bilinear"', '"bilinear"', "4-D"),
])
def test_aborting_fillers(tmp_path, filler, field, words):
    text = ip(filler)
    found = only(lint_text(tmp_path, text), "PL232")
    assert len(found) == 1, found
    assert words in found[0].message and "InnerProduct 'ip' weight_filler" in found[0].message
    line = line_of(text, field)
    assert found[0].line == line


@pytest.mark.parametrize("filler", ['type: "gaussian" std: 0.01', 'type: "gaussian"',
                                    'type: "gaussian" sparse: 8', 'type: "uniform" min: -1',
                                    'type: "xavier"', 'type: "msra" variance_norm: AVERAGE',
                                    'type: "constant" value: 0.5', 'type: "positive_unitball"'])
def test_valid_fillers_are_silent(tmp_path, filler):
    assert "PL232" not in codes(lint_text(tmp_path, ip(filler)))


def test_unused_bias_filler_is_not_run(tmp_path):
    text = ip('type: "xavier"', extra='bias_term: false bias_filler { type: "gaussian" std: 0 }')
    assert "PL232" not in codes(lint_text(tmp_path, text))
    text = ip('type: "xavier"', extra='bias_filler { type: "gaussian" std: 0 }')
    assert "PL232" in codes(lint_text(tmp_path, text))


def test_bilinear_on_a_convolution_weight_is_left_to_the_shape_rule(tmp_path):
    text = INPUT.format(c=3) + (
        'layer { name: "up" type: "Deconvolution" bottom: "data" top: "up" '
        'convolution_param { num_output: 3 group: 3 kernel_h: 4 kernel_w: 2 stride: 2 '
        'weight_filler { type: "bilinear" } } }\n')
    found = codes(lint_text(tmp_path, text))
    assert "PL232" not in found and "PL212" in found


def test_bilinear_on_a_bias_aborts(tmp_path):
    text = conv_net("").replace(MSRA, MSRA + ' bias_filler { type: "bilinear" }')
    found = only(lint_text(tmp_path, text), "PL232")
    assert found and "1-D" in found[0].message


def test_msra_on_a_shared_prelu_slope_aborts(tmp_path):
    text = conv_net('layer { name: "pr" type: "PReLU" bottom: "conv1" top: "conv1" '
                    'prelu_param { channel_shared: true filler { type: "msra" } } }\n')
    found = only(lint_text(tmp_path, text), "PL232")
    assert found and "scalar" in found[0].message
    per_channel = text.replace("channel_shared: true ", "")
    assert "PL232" not in codes(lint_text(tmp_path, per_channel))


def test_dummy_data_filler_aborts(tmp_path):
    text = """name: "n"
layer { name: "d" type: "DummyData" top: "x"
  dummy_data_param { shape { dim: 2 dim: 3 } data_filler { type: "gaussian" std: 0 } } }
"""
    assert "PL232" in codes(lint_text(tmp_path, text))


def test_filler_abort_reported_once_for_two_views(tmp_path):
    found = only(lint_text(tmp_path, ip('type: "gaussian" std: 0')), "PL232")
    assert len(found) == 1


def test_layer_in_no_view_is_not_set_up(tmp_path):
    text = ip('type: "gaussian" std: 0').replace(
        'name: "ip" type: "InnerProduct"',
        'name: "ip" type: "InnerProduct" include { phase: TRAIN stage: "never" }')
    assert "PL232" not in codes(lint_text(tmp_path, text))


# ---------------------------------------------------------------- PL233 exploding scale


def stack(filler: str, between: str = "", layers: int = 4) -> str:
    text = INPUT.format(c=3)
    bottom = "data"
    for i in range(1, layers + 1):
        text += CONV.format(name=f"conv{i}", bottom=bottom, n=256, filler=filler)
        text += between.format(b=f"conv{i}") + RELU.format(b=f"conv{i}")
        bottom = f"conv{i}"
    return text + LOSS.format(b=bottom)


GAUSS1 = 'weight_filler { type: "gaussian" std: 1 }'


def test_gaussian_std_one_stack_explodes(tmp_path):
    found = only(lint_text(tmp_path, stack(GAUSS1)), "PL233")
    assert len(found) == 1
    f = found[0]
    assert "fan-in 2304" in f.message and "about 48" in f.message and "He's std" in f.message
    assert "grows by a factor of about" in f.message
    # at the weight_filler of the first of the ×48 layers
    assert f.line == line_of(stack(GAUSS1), 'name: "conv2"') + 1
    assert len(f.related) == 3  # conv1 (×5.2), conv3, conv4


def test_enough_layers_overflow_float32(tmp_path):
    found = only(lint_text(tmp_path, stack(GAUSS1, layers=26)), "PL233")
    assert found and "3.4e38" in found[0].message


@pytest.mark.parametrize("filler", [MSRA, 'weight_filler { type: "xavier" }',
                                    'weight_filler { type: "gaussian" std: 0.01 }'])
def test_scaled_fillers_are_silent(tmp_path, filler):
    assert "PL233" not in codes(lint_text(tmp_path, stack(filler)))


def test_batchnorm_between_layers_stops_the_growth(tmp_path):
    bn = 'layer {{ name: "bn_{b}" type: "BatchNorm" bottom: "{b}" top: "{b}" }}\n'
    assert "PL233" not in codes(lint_text(tmp_path, stack(GAUSS1, between=bn)))


def test_growth_below_the_limit_is_silent(tmp_path):
    # Two ×34 layers after conv1: about 4e3.
    assert "PL233" not in codes(lint_text(tmp_path, stack(GAUSS1, layers=3)))


def test_exploding_fillers_without_training_are_silent(tmp_path):
    text = stack(GAUSS1)
    text = text[:text.index('layer { name: "loss"')]
    assert "PL233" not in codes(lint_text(tmp_path, text))


def test_unknown_channels_restart_the_estimate(tmp_path):
    # A Python layer's output has unknown shape: conv2's fan-in is unknown, so the
    # chain restarts there and only conv3, conv4 compound (about 1e3).
    text = stack(GAUSS1).replace(
        'layer { name: "conv2" type: "Convolution" bottom: "conv1"',
        'layer { name: "py" type: "Python" bottom: "conv1" top: "py" '
        'python_param { module: "m" layer: "L" } }\n'
        'layer { name: "conv2" type: "Convolution" bottom: "py"')
    assert "PL233" not in codes(lint_text(tmp_path, text))


# ---------------------------------------------------------------- PL234 bilinear


def upsample(conv: str, channels: int = 21, train: bool = True) -> str:
    text = f"""name: "n"
layer {{ name: "data" type: "Input" top: "data" top: "label"
  input_param {{ shape {{ dim: 2 dim: 3 dim: 16 dim: 16 }} shape {{ dim: 2 }} }} }}
layer {{ name: "score" type: "Convolution" bottom: "data" top: "score"
  convolution_param {{ num_output: {channels} kernel_size: 1
    weight_filler {{ type: "xavier" }} }} }}
layer {{ name: "up" type: "Deconvolution" bottom: "score" top: "up"
  param {{ lr_mult: 0 decay_mult: 0 }}
  convolution_param {{ {conv} bias_term: false weight_filler {{ type: "bilinear" }} }} }}
"""
    if train:
        text += LOSS.format(b="up")
    return text


def test_bilinear_group_one_mixes_channels(tmp_path):
    text = upsample("num_output: 21 kernel_size: 4 stride: 2 pad: 1")
    found = only(lint_text(tmp_path, text), "PL234")
    assert len(found) == 1
    assert "sum of 21 upsampled" in found[0].message and "identical" in found[0].message


def test_bilinear_recipe_is_silent(tmp_path):
    text = upsample("num_output: 21 group: 21 kernel_size: 4 stride: 2 pad: 1")
    assert "PL234" not in codes(lint_text(tmp_path, text))


@pytest.mark.parametrize("kernel, stride", [(3, 2), (4, 2), (16, 8), (5, 3), (2, 1)])
def test_bilinear_kernels_that_fit_their_stride_are_silent(tmp_path, kernel, stride):
    text = upsample(f"num_output: 21 group: 21 kernel_size: {kernel} stride: {stride}")
    assert "PL234" not in codes(lint_text(tmp_path, text))


@pytest.mark.parametrize("kernel, stride, words", [
    (4, 4, "between 0.25 and 0.75"), (6, 2, "scaled by 1.5"), (3, 1, "scaled by 2")])
def test_bilinear_kernel_not_fitting_the_stride(tmp_path, kernel, stride, words):
    text = upsample(f"num_output: 21 group: 21 kernel_size: {kernel} stride: {stride}")
    found = only(lint_text(tmp_path, text), "PL234")
    assert found and words in found[0].message
    assert found[0].line == line_of(text, f"stride: {stride}")


def test_bilinear_single_channel_group_one_is_fine(tmp_path):
    text = upsample("num_output: 1 kernel_size: 4 stride: 2", channels=1)
    assert "PL234" not in codes(lint_text(tmp_path, text))


def test_bilinear_in_a_deploy_net_is_silent(tmp_path):
    text = upsample("num_output: 21 kernel_size: 4 stride: 2", train=False)
    assert "PL234" not in codes(lint_text(tmp_path, text))


def test_phase_sums_add_up_to_one_exactly_when_the_stride_is_half_the_kernel():
    for kernel in range(1, 30):
        for stride in range(1, 12):
            unity = all(math.isclose(v, 1.0) for v in phase_sums(kernel, stride))
            assert unity == (stride == math.ceil(kernel / 2)), (kernel, stride)
