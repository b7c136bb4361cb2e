"""Net graph rules: empty pooling windows (PL208, with PL201), unknown bottoms (PL213),
tops produced twice (PL214), duplicate layer names (PL215), in-place use Caffe rejects
(PL216) or gets wrong (PL217), include with exclude (PL218), in-place output (PL236)."""

from __future__ import annotations

import math

import pytest

from conftest import codes, lint_text


def of(findings, code):
    return [f for f in findings if f.code == code]


def messages(findings, code):
    return [f.message for f in of(findings, code)]


def sized_input(h, w=None, name="data", extra=""):
    w = h if w is None else w
    return (f'layer {{ name: "{name}" type: "Input" top: "data" '
            f"input_param {{ shape {{ dim: 1 dim: 2 dim: {h} dim: {w} }} }} {extra}}}\n")


def pool(params):
    return ('layer { name: "pool" type: "Pooling" bottom: "data" top: "pool"\n'
            f"  pooling_param {{ {params} }} }}\n")


# ------------------------------------------------------------------------- PL208 / PL201

@pytest.mark.parametrize("size, nan, zero", [
    (10, 5, 0),  # the last window row and column start at 10 == H: 0/0
    (9, 0, 5),   # they start at 10 > H: a negative (or positive) size, output 0
])
def test_ave_empty_windows_are_counted_as_caffe_computes_them(tmp_path, size, nan, zero):
    found = lint_text(tmp_path, sized_input(size) + pool("pool: AVE kernel_size: 3 stride: 5"))
    (message,) = messages(found, "PL208")
    assert f"on a {size}x{size} input (TRAIN, TEST) the 3x3 output" in message
    assert "starts at row 10" in message and "starts at column 10" in message
    if nan:
        assert f"{nan} of 9 outputs per channel divide an empty sum by a window size of 0" \
            in message
        assert "silent 0" not in message
    if zero:
        assert f"{zero} of 9 outputs per channel" in message and "silent 0" in message
        assert "NaN" not in message
    assert "PL201" not in codes(found)  # the error replaces the warning


def _windows_one_by_one(size, out, k, s, p):
    """The reference: every window of one axis visited as PoolingLayer::Forward_cpu
    visits them (start, whether its clipped range holds input, AVE's size factor)."""
    starts, full, zero = [], 0, 0
    for i in range(out):
        start = i * s - p
        if max(start, 0) < min(start + k, size):
            full += 1
        else:
            starts.append(start)
        zero += min(start + k, size + p) - start == 0
    return tuple(starts), full, zero


def test_axis_windows_in_closed_form_agree_with_visiting_each_window():
    from protolint.pooling import axis_windows

    checked = 0
    for size in range(0, 14):
        for k in range(1, 6):
            for s in range(1, 7):
                for p in range(0, 5):
                    for rounding in (math.floor, math.ceil):
                        out = int(rounding((size + 2 * p - k) / s)) + 1
                        for o in {out, out + 1, max(out - 1, 0)}:  # and pad's pull-back
                            got = axis_windows(size, o, k, s, p)
                            assert (got.empty_starts, got.full, got.zero) == \
                                _windows_one_by_one(size, o, k, s, p), (size, o, k, s, p)
                            checked += 1
    assert checked > 10_000


def test_no_empty_window_at_13_keeps_the_warning_and_says_so(tmp_path):
    found = lint_text(tmp_path, sized_input(13) + pool("pool: AVE kernel_size: 3 stride: 5"))
    assert "PL208" not in codes(found)
    (message,) = messages(found, "PL201")
    assert "no window is empty at input 13x13 (TRAIN, TEST), but at other input sizes" in message
    assert message.endswith("AVE pooling divides by zero (NaN) or outputs 0")


def test_floor_rounding_says_no_window_is_empty_without_the_caveat(tmp_path):
    net = sized_input(10) + pool("pool: AVE kernel_size: 3 stride: 5 round_mode: FLOOR")
    (message,) = messages(lint_text(tmp_path, net), "PL201")
    assert message.endswith("between windows; no window is empty at input 10x10 (TRAIN, TEST)")


def test_max_pooling_keeps_minus_flt_max(tmp_path):
    found = lint_text(tmp_path, sized_input(10) + pool("pool: MAX kernel_size: 3 stride: 5"))
    (finding,) = of(found, "PL208")
    assert "5 of 9 outputs per channel see no input" in finding.message
    assert "-FLT_MAX (-3.4e38)" in finding.message and "argmax -1" in finding.message
    line = finding.location.doc.text[:finding.location.start].count("\n")
    assert finding.location.doc.text.splitlines()[line][finding.location.begin[1] - 1:] \
        .startswith("stride: 5")


def test_height_at_edge_width_beyond_gives_nan_and_zero(tmp_path):
    # rows start at 0, 5, 10 == H (factor 0); columns at 0, 5, 10 > W = 9 (factor -1):
    # the last row is 0/0 (3 outputs), the last column's other two are 0/-3 = -0.
    found = lint_text(tmp_path, sized_input(10, 9) + pool("pool: AVE kernel_size: 3 stride: 5"))
    (message,) = messages(found, "PL208")
    assert "3 of 9 outputs per channel divide an empty sum by a window size of 0" in message
    assert "2 of 9 outputs per channel divide an empty sum by a nonzero window size" in message


def test_rectangular_geometry(tmp_path):
    # height: kernel 3 stride 5 on 10 -> starts 0, 5, 10 (empty); width: kernel 2 stride 2
    # on 10 -> 5 windows, all inside: one empty row of 5 outputs out of 15.
    params = "pool: AVE kernel_h: 3 kernel_w: 2 stride_h: 5 stride_w: 2"
    (message,) = messages(lint_text(tmp_path, sized_input(10) + pool(params)), "PL208")
    assert "kernel 3x2, stride 5x2" in message and "5 of 15 outputs" in message
    assert "column" not in message.split("the 3x5 output's")[1].split(",")[0]


@pytest.mark.parametrize("params", [
    "pool: AVE kernel_size: 3 stride: 5 round_mode: FLOOR",  # 2 windows, both inside
    "pool: AVE kernel_size: 3 stride: 5 pad: 1",  # Reshape keeps windows starting inside
    "pool: AVE global_pooling: true",
    "pool: AVE kernel_size: 3 stride: 2",
    "pool: MAX kernel_size: 5 stride: 5",
])
def test_no_empty_window(tmp_path, params):
    assert "PL208" not in codes(lint_text(tmp_path, sized_input(10) + pool(params)))


def test_unknown_size_keeps_the_old_warning(tmp_path):
    net = 'layer { name: "in" type: "Input" top: "data" }\n' + pool(
        "pool: AVE kernel_size: 3 stride: 5")
    found = lint_text(tmp_path, net)
    assert "PL208" not in codes(found)
    (message,) = messages(found, "PL201")
    assert "no window is empty" not in message and "can start at or past" in message


def test_input_shape_option_gives_the_size(tmp_path):
    net = ('layer { name: "d" type: "Data" top: "data" top: "label" '
           'data_param { source: "db" batch_size: 1 } }\n' + pool(
               "pool: MAX kernel_size: 2 stride: 3"))
    assert "PL208" not in codes(lint_text(tmp_path, net))
    found = lint_text(tmp_path, net, input_shapes={"data": (1, 3, 12, 12)})
    (message,) = messages(found, "PL208")  # windows start at 0, 3, 6, 9, 12 == H
    assert "12x12 input" in message and "9 of 25 outputs" in message


def test_phases_with_different_sizes(tmp_path):
    net = (sized_input(10, name="train", extra="include { phase: TRAIN } ")
           + sized_input(13, name="test", extra="include { phase: TEST } ")
           + pool("pool: AVE kernel_size: 3 stride: 5"))
    found = lint_text(tmp_path, net)
    (message,) = messages(found, "PL208")
    assert "10x10 input (TRAIN)" in message and "13x13" not in message
    assert "PL201" not in codes(found)  # one layer, one finding: PL208's


# ------------------------------------------------------------------------------- PL213

DATA = 'layer { name: "data" type: "Input" top: "data" top: "label" }\n'
FC = ('layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
      "inner_product_param { num_output: 2 } }\n")
LOSS = 'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n'


def test_deploy_net_still_reading_label(tmp_path):
    net = 'layer { name: "data" type: "Input" top: "data" }\n' + FC + LOSS
    (finding,) = of(lint_text(tmp_path, net), "PL213")
    assert finding.message.startswith(
        "SoftmaxWithLoss 'loss' reads 'label' (bottom 1), which no earlier layer produces "
        "in TRAIN, TEST and which is not a net input: Caffe aborts")
    assert "no layer of this net produces it" in finding.message
    text = finding.location.doc.text
    assert text[finding.location.start:finding.location.end] == 'bottom: "label"'


def test_label_only_in_train_names_the_include_mistake(tmp_path):
    net = ('layer { name: "train-data" type: "Input" top: "data" top: "label" '
           "include { phase: TRAIN } }\n"
           'layer { name: "test-data" type: "Input" top: "data" include { phase: TEST } }\n'
           + FC + LOSS)
    (message,) = messages(lint_text(tmp_path, net), "PL213")
    assert "produces in TEST and" in message
    assert "in TRAIN it comes from 'train-data', which the include/exclude rules leave out " \
           "of TEST" in message


def test_read_before_produced(tmp_path):
    net = DATA + ('layer { name: "early" type: "ReLU" bottom: "late" top: "early" }\n'
                  'layer { name: "late" type: "ReLU" bottom: "data" top: "late" }\n')
    (message,) = messages(lint_text(tmp_path, net), "PL213")
    assert "'late' is produced only later, by 'late'" in message


def test_in_place_on_a_blob_nobody_produced(tmp_path):
    net = DATA + 'layer { name: "r" type: "ReLU" bottom: "fc" top: "fc" }\n'
    (message,) = messages(lint_text(tmp_path, net), "PL213")
    assert message.endswith("; no layer of this net produces it")  # not the ReLU itself


def test_typo_suggests_the_close_name(tmp_path):
    net = DATA + FC + 'layer { name: "r" type: "ReLU" bottom: "fcc" top: "r" }\n'
    (message,) = messages(lint_text(tmp_path, net), "PL213")
    assert "did you mean 'fc'?" in message


@pytest.mark.parametrize("inputs, fires", [
    ('input: "data"\ninput_dim: 1\ninput_dim: 4\ninput_dim: 1\ninput_dim: 1\n', False),
    ('input: "data"\ninput_shape { dim: 1 dim: 4 }\n', False),
    ('input: "data"\n', True),  # UpgradeNetInput drops inputs without a shape
])
def test_net_inputs(tmp_path, inputs, fires):
    net = inputs + 'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\n'
    found = messages(lint_text(tmp_path, net), "PL213")
    assert bool(found) is fires
    if fires:
        assert "without input_shape or input_dim" in found[0]


def test_inline_net_inputs_are_never_upgraded(tmp_path):
    solver = ('base_lr: 0.01 lr_policy: "fixed"\nnet_param {\n'
              'input: "data" input_dim: 2 input_dim: 4 input_dim: 1 input_dim: 1\n'
              'layer { name: "label" type: "Input" top: "label" '
              "input_param { shape { dim: 2 } } }\n" + FC + LOSS + "}\n")
    found = messages(lint_text(tmp_path, solver, "solver.prototxt"), "PL213")
    assert found and "never upgrades a solver's inline net_param" in found[0]


def test_phases_without_data_are_not_built(tmp_path):
    # a train-only file: nothing at all in TEST
    train_only = ('layer { name: "data" type: "Input" top: "data" top: "label" '
                  "include { phase: TRAIN } }\n" + FC + LOSS)
    assert "PL213" not in codes(lint_text(tmp_path, train_only))
    # a deploy net's TRAIN phase (no loss, no solver) is not built either
    deploy = ('layer { name: "data" type: "Input" top: "data" }\n' + FC +
              'layer { name: "t" type: "ReLU" bottom: "gt" top: "t" include { phase: TRAIN } }\n')
    assert "PL213" not in codes(lint_text(tmp_path, deploy))
    # ... but its TEST phase is
    deploy_test = deploy.replace("phase: TRAIN", "phase: TEST")
    assert messages(lint_text(tmp_path, deploy_test), "PL213")


# ------------------------------------------------------------------------------- PL214

CONV = ('layer {{ name: "{name}" type: "Convolution" bottom: "{bottom}" top: "{top}" '
        "convolution_param {{ num_output: 2 kernel_size: 1 }} }}\n")


def conv(name, bottom="data", top=None):
    return CONV.format(name=name, bottom=bottom, top=top or name)


def test_two_producers(tmp_path):
    net = DATA + conv("conv1", top="conv") + conv("conv2", top="conv")
    (finding,) = of(lint_text(tmp_path, net), "PL214")
    assert finding.message.startswith("Convolution 'conv2' names top 0 'conv', which "
                                      "Convolution 'conv1' already produces")
    assert "(TRAIN, TEST)" in finding.message
    (related, note), = finding.related
    assert note == "produced here first" and related.begin[0] == 2


def test_in_place_after_a_producer_names_the_first_producer(tmp_path):
    net = (DATA + conv("conv1", top="conv")
           + 'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n'
           + conv("conv2", top="conv"))
    (message,) = messages(lint_text(tmp_path, net), "PL214")
    assert "Convolution 'conv1' already produces" in message


def test_top_named_twice_by_one_layer(tmp_path):
    net = DATA + 'layer { name: "s" type: "Slice" bottom: "data" top: "a" top: "a" }\n'
    (message,) = messages(lint_text(tmp_path, net), "PL214")
    assert "names top 1 'a', a name it already gave an earlier top" in message


def test_top_like_a_bottom_at_another_position(tmp_path):
    net = (DATA + conv("a") + conv("b")
           + 'layer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "b" }\n')
    (message,) = messages(lint_text(tmp_path, net), "PL214")
    assert "names top 0 'b', like its bottom 1" in message


def test_plain_in_place_is_fine(tmp_path):
    net = (DATA + conv("conv") + 'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n'
           + 'layer { name: "p" type: "Pooling" bottom: "conv" top: "p" '
             "pooling_param { kernel_size: 1 } }\n"
           + 'layer { name: "q" type: "Pooling" bottom: "conv" top: "q" '
             "pooling_param { kernel_size: 1 } }\n")
    assert "PL214" not in codes(lint_text(tmp_path, net))


def test_in_place_on_a_shared_blob_is_broken_by_insert_splits(tmp_path):
    net = (DATA + conv("conv")
           + 'layer { name: "branch" type: "Pooling" bottom: "conv" top: "branch" '
             "pooling_param { kernel_size: 1 } }\n"
           + 'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n')
    (finding,) = of(lint_text(tmp_path, net), "PL214")
    assert finding.message.startswith("ReLU 'relu' works in place on 'conv', but that blob "
                                      "is also read by 'branch'")
    assert "('conv_conv_0_split_1')" in finding.message


def test_in_place_on_a_loss_output(tmp_path):
    net = (DATA + conv("conv").replace("} }\n", "} loss_weight: 1 }\n")
           + 'layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }\n')
    (message,) = messages(lint_text(tmp_path, net), "PL214")
    # the loss weight takes split copy 0, the ReLU gets copy 1
    assert "also a loss output" in message and "'conv_conv_0_split_1'" in message


def test_in_place_on_a_shared_net_input(tmp_path):
    net = ('input: "x"\ninput_shape { dim: 1 dim: 2 dim: 1 dim: 1 }\n' + conv("c", bottom="x")
           + 'layer { name: "scale" type: "Power" bottom: "x" top: "x" }\n')
    (message,) = messages(lint_text(tmp_path, net), "PL214")
    assert "'x_input_0_split_1'" in message


def test_second_producer_only_in_test(tmp_path):
    net = (DATA + conv("conv1", top="conv")
           + CONV.format(name="conv2", bottom="data", top="conv").replace(
               "} }\n", "} include { phase: TEST } }\n"))
    (message,) = messages(lint_text(tmp_path, net), "PL214")
    assert message.endswith("(TEST)")


# ------------------------------------------------------------------------------- PL215

def test_duplicate_names_with_weights(tmp_path):
    net = DATA + conv("fc", top="a") + conv("fc", bottom="a", top="b")
    (finding,) = of(lint_text(tmp_path, net), "PL215")
    assert finding.message.startswith("2 layers are named 'fc' in TRAIN, TEST")
    assert "takes the first layer of that name" in finding.message
    assert finding.location.begin[0] == 3  # the second layer's name
    assert finding.related[0][0].begin[0] == 2


def test_duplicate_names_with_different_blob_counts(tmp_path):
    net = DATA + conv("fc", top="a") + 'layer { name: "fc" type: "ReLU" bottom: "a" top: "a" }\n'
    (message,) = messages(lint_text(tmp_path, net), "PL215")
    assert "different numbers of weight blobs" in message and "Incompatible number" in message


@pytest.mark.parametrize("net", [
    # the usual TRAIN/TEST data layer pair
    'layer { name: "data" type: "Input" top: "data" include { phase: TRAIN } }\n'
    'layer { name: "data" type: "Input" top: "data" include { phase: TEST } }\n',
    # layers without weights (BVLC's mnist_autoencoder has two named "loss")
    DATA + 'layer { name: "r" type: "ReLU" bottom: "data" top: "a" }\n'
           'layer { name: "r" type: "ReLU" bottom: "a" top: "b" }\n',
    # layers with weights in different phases
    DATA + conv("fc", top="a").replace("} }\n", "} include { phase: TRAIN } }\n")
    + conv("fc", top="a").replace("} }\n", "} include { phase: TEST } }\n"),
])
def test_duplicate_names_that_are_fine(tmp_path, net):
    assert "PL215" not in codes(lint_text(tmp_path, net))


# ------------------------------------------------------------------------------- PL216

@pytest.mark.parametrize("kind, where", [
    ("AbsVal", "AbsValLayer::LayerSetUp"), ("Flatten", "FlattenLayer::Reshape"),
    ("Reshape", "ReshapeLayer::LayerSetUp"), ("Split", "SplitLayer::Reshape"),
])
def test_in_place_rejected(tmp_path, kind, where):
    net = DATA + conv("c") + f'layer {{ name: "x" type: "{kind}" bottom: "c" top: "c" }}\n'
    (finding,) = of(lint_text(tmp_path, net), "PL216")
    assert finding.message.startswith(f"{kind} 'x' computes in place ('c' -> 'c', TRAIN, TEST)")
    assert where in finding.message
    assert finding.location.doc.text[finding.location.start:finding.location.end] == 'top: "c"'


def test_not_in_place_or_aborting_earlier(tmp_path):
    ok = DATA + conv("c") + 'layer { name: "x" type: "Flatten" bottom: "c" top: "flat" }\n'
    assert "PL216" not in codes(lint_text(tmp_path, ok))
    shared = (DATA + conv("c") + 'layer { name: "y" type: "ReLU" bottom: "c" top: "y" }\n'
              + 'layer { name: "x" type: "Flatten" bottom: "c" top: "c" }\n')
    found = codes(lint_text(tmp_path, shared))
    assert "PL216" not in found and "PL214" in found  # InsertSplits breaks the pair first
    unknown = DATA + 'layer { name: "x" type: "AbsVal" bottom: "nope" top: "nope" }\n'
    found = codes(lint_text(tmp_path, unknown))
    assert "PL216" not in found and "PL213" in found


# ------------------------------------------------------------------------------- PL217

def trained(layer, *, frozen=False, extra_net=""):
    """Input -> InnerProduct -> `layer` (in place on 'fc') -> SoftmaxWithLoss."""
    param = "param { lr_mult: 0 } param { lr_mult: 0 } " if frozen else ""
    return (extra_net + DATA
            + f'layer {{ name: "fc" type: "InnerProduct" bottom: "data" top: "fc" {param}'
              "inner_product_param { num_output: 2 } }\n"
            + layer + LOSS)


@pytest.mark.parametrize("layer, words", [
    ('type: "Power" power_param { power: 2 }', "the square of a derivative computed from"),
    ('type: "Power" power_param { scale: 3 }', "the square of its constant derivative 3"),
    ('type: "Power"', "the square of its constant derivative 1"),
    ('type: "Log"', "LogLayer::Backward"),
    ('type: "BNLL"', "sigmoid(softplus(x))"),
    ('type: "Clip" clip_param { min: -1 max: 1 }', "[-1, 1]"),
    ('type: "MVN"', "normalize_variance"),
    ('type: "LRN"', "its forward output is wrong in place too (PL236)"),
    ('type: "LRN" lrn_param { norm_region: WITHIN_CHANNEL }', "WITHIN_CHANNEL backward"),
    ('type: "ReLU" relu_param { negative_slope: -0.5 }', "slope 1 instead of -0.5"),
    ('type: "ELU" elu_param { alpha: -1 }', "alpha -1"),
])
def test_in_place_corrupts_gradient(tmp_path, layer, words):
    net = trained(f'layer {{ name: "x" {layer} bottom: "fc" top: "fc" }}\n')
    (finding,) = of(lint_text(tmp_path, net), "PL217")
    assert "'x' computes in place on 'fc' (TRAIN) and a gradient flows back" in finding.message
    assert words in finding.message
    assert finding.location.doc.text[finding.location.start:finding.location.end] == 'top: "fc"'


@pytest.mark.parametrize("layer", [
    'type: "ReLU"', 'type: "ReLU" relu_param { negative_slope: 0.1 }', 'type: "ELU"',
    'type: "Sigmoid"', 'type: "TanH"', 'type: "Exp"', 'type: "Swish"', 'type: "Dropout"',
    'type: "PReLU"', 'type: "BatchNorm"', 'type: "Scale"',
    'type: "MVN" mvn_param { normalize_variance: false }',
    'type: "Power" power_param { power: 2 scale: 0 }',  # a constant output
    'type: "Power" power_param { power: 0 }',
])
def test_in_place_that_is_correct(tmp_path, layer):
    net = trained(f'layer {{ name: "x" {layer} bottom: "fc" top: "fc" }}\n')
    assert "PL217" not in codes(lint_text(tmp_path, net))


POWER = 'layer { name: "x" type: "Power" bottom: "fc" top: "fc" power_param { power: 2 } }\n'


def test_no_gradient_no_warning(tmp_path):
    # nothing before it learns
    assert "PL217" not in codes(lint_text(tmp_path, trained(POWER, frozen=True)))
    # ... unless force_backward asks for input gradients anyway
    forced = trained(POWER, frozen=True, extra_net="force_backward: true\n")
    assert "PL217" in codes(lint_text(tmp_path, forced))
    # propagate_down: false on the layer itself
    stopped = POWER.replace("power_param", "propagate_down: false power_param")
    assert "PL217" not in codes(lint_text(tmp_path, trained(stopped)))
    # its output reaches no loss
    dead = (DATA + 'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
            "inner_product_param { num_output: 2 } }\n" + POWER
            + 'layer { name: "fc2" type: "InnerProduct" bottom: "data" top: "fc2" '
              "inner_product_param { num_output: 2 } }\n"
            + 'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc2" bottom: "label" }\n')
    assert "PL217" not in codes(lint_text(tmp_path, dead))
    # a deploy net (no loss, no solver) does not train
    deploy = (DATA + 'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
              "inner_product_param { num_output: 2 } }\n" + POWER)
    assert "PL217" not in codes(lint_text(tmp_path, deploy))


def test_in_place_preprocessing_of_data_is_fine(tmp_path):
    net = (DATA + 'layer { name: "scale" type: "Power" bottom: "data" top: "data" '
           "power_param { scale: 0.00390625 } }\n"
           + 'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
             "inner_product_param { num_output: 2 } }\n" + LOSS)
    assert "PL217" not in codes(lint_text(tmp_path, net))


# ------------------------------------------------------------------------------- PL236

TWO_FC = (DATA + FC + 'layer { name: "fc2" type: "InnerProduct" bottom: "data" top: "fc2" '
          "inner_product_param { num_output: 2 } }\n")


def eltwise(params: str, top: str = "fc") -> str:
    return (f'layer {{ name: "add" type: "Eltwise" bottom: "fc" bottom: "fc2" top: "{top}" '
            f"eltwise_param {{ {params} }} }}\n")


@pytest.mark.parametrize("params, words", [
    ("", "sets its top to 0"),
    ("operation: SUM coeff: 1 coeff: -1", "output is only -1 x 'fc2'"),
    ("operation: MAX", "fills its top with -FLT_MAX"),
])
def test_eltwise_in_place_drops_its_first_bottom(tmp_path, params, words):
    net = TWO_FC + eltwise(params) + LOSS
    (finding,) = of(lint_text(tmp_path, net), "PL236")
    assert "Eltwise 'add' computes in place on its bottom 'fc' (TRAIN, TEST)" in finding.message
    assert words in finding.message
    assert finding.location.doc.text[finding.location.start:finding.location.end] == 'top: "fc"'
    if "MAX" in params:
        assert "GPU kernel" in finding.message and "right" in finding.message


def test_eltwise_sum_of_a_blob_with_itself_in_place_aborts_first(tmp_path):
    # a blob read twice by one layer is split too: the in-place top clashes (PL214)
    net = (DATA + FC + 'layer { name: "add" type: "Eltwise" bottom: "fc" bottom: "fc" '
           'top: "fc" }\n' + LOSS)
    found = lint_text(tmp_path, net)
    assert "PL236" not in codes(found)
    (finding,) = of(found, "PL214")
    assert "that blob is read 2 times by 'add' itself: InsertSplits" in finding.message


def test_lrn_across_channels_in_place_in_every_phase(tmp_path):
    lrn = 'layer { name: "norm" type: "LRN" bottom: "fc" top: "fc" %s}\n'
    deploy = 'layer { name: "data" type: "Input" top: "data" }\n' + FC + lrn % ""
    (finding,) = of(lint_text(tmp_path, deploy), "PL236")
    assert "LRN 'norm' computes in place on its bottom 'fc'" in finding.message
    assert "scale^(-2 beta)" in finding.message and "GPU kernel" in finding.message
    assert "PL217" not in codes(lint_text(tmp_path, deploy))  # no training, no gradient
    within = deploy.replace(lrn % "", lrn % "lrn_param { norm_region: WITHIN_CHANNEL } ")
    assert "PL236" not in codes(lint_text(tmp_path, within))


def test_eltwise_with_its_own_top_or_prod_is_not_pl236(tmp_path):
    own = TWO_FC + eltwise("", top="sum") + LOSS.replace('bottom: "fc"', 'bottom: "sum"')
    assert "PL236" not in codes(lint_text(tmp_path, own))
    prod = TWO_FC + eltwise("operation: PROD") + LOSS
    found = lint_text(tmp_path, prod)
    assert "PL236" not in codes(found)
    (finding,) = of(found, "PL217")  # right forward, wrong gradient
    assert "EltwiseLayer::Backward (PROD)" in finding.message
    unstable = TWO_FC + eltwise("operation: PROD stable_prod_grad: false") + LOSS
    (finding,) = of(lint_text(tmp_path, unstable), "PL217")
    assert "divides the top data" in finding.message


def test_eltwise_in_place_on_a_shared_blob_aborts_first(tmp_path):
    # 'fc' is also read by another layer: InsertSplits renames it, so the top is a
    # second producer and Caffe aborts (PL214) before anything is computed
    shared = (TWO_FC + 'layer { name: "peek" type: "Sigmoid" bottom: "fc" top: "peek" }\n'
              + eltwise("") + LOSS)
    found = codes(lint_text(tmp_path, shared))
    assert "PL236" not in found and "PL214" in found


# ------------------------------------------------------------------------------- PL218

@pytest.mark.parametrize("rules, fires", [
    ("include { phase: TRAIN } exclude { stage: 'x' }", True),
    ("exclude { phase: TEST } include { phase: TRAIN }", True),
    ("include { phase: TRAIN } include { phase: TEST }", False),
    ("exclude { phase: TEST }", False),
])
def test_include_and_exclude(tmp_path, rules, fires):
    net = f'layer {{ name: "data" type: "Input" top: "data" {rules} }}\n'
    found = of(lint_text(tmp_path, net), "PL218")
    assert bool(found) is fires
    if fires:
        (finding,) = found
        assert "has 1 include and 1 exclude rule(s)" in finding.message
        assert "aborts in every phase" in finding.message
        text = finding.location.doc.text
        assert text[finding.location.start:].startswith("exclude")
