"""Loss-layer, infogain-matrix and BatchNorm-statistics rules: PL202 (both dialects),
PL203's matrix reader, PL219-PL226 — the edges each rule's page describes."""

from __future__ import annotations

import math

import pytest

from conftest import codes, lint_text
from protolint.schema import caffe_pb2

pb = caffe_pb2()


def found(findings, code):
    return [f for f in findings if f.code == code]


def messages(findings, code):
    return [f.message for f in findings if f.code == code]


INPUT = ('layer { name: "in" type: "Input" top: "data" top: "label" '
         "input_param { shape { dim: 8 dim: 20 } shape { dim: 8 } } }\n")
FC = ('layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
      "inner_product_param { num_output: 5 } }\n")


# ------------------------------------------------------------------ PL219 eps


def bn_net(bn_params: str, shape: str = "dim: 8 dim: 4 dim: 6 dim: 6", extra: str = "") -> str:
    return ('layer { name: "in" type: "Input" top: "data" top: "label" '
            f"input_param {{ shape {{ {shape} }} shape {{ dim: 8 }} }} }}\n"
            f'layer {{ name: "bn" type: "BatchNorm" bottom: "data" top: "bn" '
            f"batch_norm_param {{ {bn_params} }} {extra} }}\n"
            'layer { name: "fc" type: "InnerProduct" bottom: "bn" top: "fc" '
            "inner_product_param { num_output: 3 } }\n"
            'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')


@pytest.mark.parametrize("eps, words", [
    ("0", "eps 0: a channel"),
    ("0.0", "eps 0: a channel"),
    ("1e-50", "eps 1e-50 (0 as a 32-bit float)"),
    ("-1e-5", "is negative: for every channel whose variance is below 1e-05"),
    ("nan", "eps is NaN"),
])
def test_eps_not_positive(tmp_path, eps, words):
    result = found(lint_text(tmp_path, bn_net(f"eps: {eps}")), "PL219")
    assert len(result) == 1  # once, though the layer is in TRAIN and TEST
    assert words in result[0].message
    assert "single value per batch" not in result[0].message  # 36 values per channel
    assert result[0].location.doc.text[result[0].location.start:].startswith("eps:")


@pytest.mark.parametrize("eps", ["1e-5", "1e-40", "0.001"])
def test_positive_eps_is_fine(tmp_path, eps):
    # 1e-40 is a float32 denormal, still above 0: sqrt(0 + 1e-40) = 1e-20, no NaN.
    assert "PL219" not in codes(lint_text(tmp_path, bn_net(f"eps: {eps}")))
    assert "PL219" not in codes(lint_text(tmp_path, bn_net("")))


def test_eps_zero_with_one_value_per_channel_is_certain(tmp_path):
    net = bn_net("eps: 0", shape="dim: 1 dim: 4")
    message = messages(lint_text(tmp_path, net), "PL219")[0]
    # Only TRAIN uses batch statistics; TEST uses the stored ones.
    assert "here, in TRAIN, each channel has a single value per batch" in message
    frozen = bn_net("eps: 0 use_global_stats: true", shape="dim: 1 dim: 4")
    assert "single value" not in messages(lint_text(tmp_path, frozen), "PL219")[0]


# ------------------------------------------------- PL220 moving_average_fraction


@pytest.mark.parametrize("fraction, words", [
    ("9", ["above 1", "9^(n-k)", "by iteration 3", "after about 42 iterations"]),
    ("1.5", ["by iteration 7", "after about 218 iterations"]),
    ("-0.5", ["negative", "square root of a negative"]),
    ("-1", ["alternates 1, 0, 1, 0", "sqrt(eps)"]),
    ("-2", ["negative", "overflow float32 after about 130 iterations"]),
    ("nan", ["NaN"]),
])
def test_moving_average_fraction_outside_unit_interval(tmp_path, fraction, words):
    result = messages(lint_text(tmp_path, bn_net(f"moving_average_fraction: {fraction}")),
                      "PL220")
    assert len(result) == 1
    for w in words:
        assert w in result[0], (w, result[0])


@pytest.mark.parametrize("fraction", ["0", "0.9", "0.999", "1"])
def test_moving_average_fraction_inside(tmp_path, fraction):
    net = bn_net(f"moving_average_fraction: {fraction}")
    assert "PL220" not in codes(lint_text(tmp_path, net))


def test_moving_average_fraction_unused_is_not_reported(tmp_path):
    # Frozen statistics: the running sums are never updated.
    net = bn_net("moving_average_fraction: 9 use_global_stats: true")
    assert "PL220" not in codes(lint_text(tmp_path, net))
    # A deploy net (no loss, nothing trains).
    deploy = bn_net("moving_average_fraction: 9").replace("SoftmaxWithLoss", "Softmax")
    deploy = deploy.replace(' bottom: "label"', "")
    assert "PL220" not in codes(lint_text(tmp_path, deploy))


# ---------------------------------------------------- PL202, both dialects


def infogain_net(before_loss: str = "", loss_bottom: str = "fc", source: str = "H.binaryproto",
                 first: str = INPUT + FC) -> str:
    return (first + before_loss +
            f'layer {{ name: "loss" type: "InfogainLoss" bottom: "{loss_bottom}" '
            f'bottom: "label" infogain_loss_param {{ source: "{source}" }} }}\n')


SOFTMAX = 'layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }\n'


def probabilities(tmp_path):
    (tmp_path / ".protolint.toml").write_text('infogain-input = "probabilities"\n')


def test_scores_dialect_is_the_default(tmp_path):
    assert "PL202" in codes(lint_text(tmp_path, infogain_net(SOFTMAX, "prob")))
    assert "PL202" not in codes(lint_text(tmp_path, infogain_net()))


def test_probabilities_dialect_reports_raw_scores(tmp_path):
    probabilities(tmp_path)
    result = found(lint_text(tmp_path, infogain_net()), "PL202")
    assert len(result) == 1
    message = result[0].message
    assert "InnerProduct 'fc'" in message and "[-inf, inf]" in message
    assert "before 1.0" in message and "-1e20" in message
    assert "Softmax" in result[0].fix
    assert result[0].related[0][1] == "where the raw scores come from"


def test_probabilities_dialect_accepts_a_softmax(tmp_path):
    probabilities(tmp_path)
    assert "PL202" not in codes(lint_text(tmp_path, infogain_net(SOFTMAX, "prob")))
    sigmoid = 'layer { name: "s" type: "Sigmoid" bottom: "fc" top: "s" }\n'
    assert "PL202" not in codes(lint_text(tmp_path, infogain_net(sigmoid, "s")))


def test_probabilities_dialect_does_not_judge_outside_inputs(tmp_path):
    probabilities(tmp_path)
    # Straight from an Input, or through a ReLU of one: may hold probabilities.
    assert "PL202" not in codes(lint_text(tmp_path, infogain_net(loss_bottom="data")))
    relu = 'layer { name: "r" type: "ReLU" bottom: "data" top: "r" }\n'
    assert "PL202" not in codes(lint_text(tmp_path, infogain_net(relu, "r")))
    python = ('layer { name: "py" type: "Python" bottom: "data" top: "py" '
              'python_param { module: "m" layer: "L" } }\n')
    assert "PL202" not in codes(lint_text(tmp_path, infogain_net(python, "py")))
    # A ReLU of learned scores is still unbounded above.
    relu_fc = 'layer { name: "r" type: "ReLU" bottom: "fc" top: "fc" }\n'
    assert "PL202" in codes(lint_text(tmp_path, infogain_net(relu_fc, "fc")))


# ------------------------------------------------------------ matrix files


def write_matrix(path, rows, double=False, shape=None, legacy=False):
    blob = pb.BlobProto()
    k = len(rows)
    if legacy:
        blob.num, blob.channels, blob.height, blob.width = 1, 1, k, k
    else:
        blob.shape.dim.extend(shape or [k, k])
    values = [v for row in rows for v in row]
    (blob.double_data if double else blob.data).extend(values)
    path.write_bytes(blob.SerializeToString())


def eye(k, scale=1.0):
    return [[scale if i == j else 0.0 for j in range(k)] for i in range(k)]


def lint_matrix(tmp_path, rows, **kw):
    matrix = tmp_path / "H.binaryproto"
    write_matrix(matrix, rows, **kw)
    before = matrix.read_bytes()
    result = lint_text(tmp_path, infogain_net())
    assert matrix.read_bytes() == before  # opened read-only, never rewritten
    return result


def test_identity_matrix_is_clean(tmp_path):
    result = lint_matrix(tmp_path, eye(5))
    assert not {"PL203", "PL221", "PL226"} & set(codes(result))
    result = lint_matrix(tmp_path, eye(5), legacy=True, double=True)
    assert not {"PL203", "PL221", "PL226"} & set(codes(result))


def test_nonfinite_entries(tmp_path):
    rows = eye(5)
    rows[1][2] = math.nan
    rows[3][3] = math.inf
    result = found(lint_matrix(tmp_path, rows), "PL221")
    assert len(result) == 1
    assert "2 non-finite entries" in result[0].message
    assert "H[1][2] = nan" in result[0].message and "H[3][3] = inf" in result[0].message
    assert result[0].location.doc.text[result[0].location.start:].startswith("source")
    # NaN sums are no row sums: PL226 stays out of it.
    assert "PL226" not in codes(lint_matrix(tmp_path, rows))


def test_double_data_beyond_float_is_inf(tmp_path):
    rows = eye(5)
    rows[0][0] = 1e39  # Caffe copies double_data into a float blob: inf
    result = messages(lint_matrix(tmp_path, rows, double=True), "PL221")
    assert len(result) == 1 and "H[0][0] = inf" in result[0]


@pytest.mark.parametrize("dialect, words", [
    (None, "stays at least |H[y][j]|"),
    ("probabilities", "|H[y][j]|/p_j grows"),
])
def test_negative_entries(tmp_path, dialect, words):
    if dialect:
        probabilities(tmp_path)
    rows = eye(5)
    for j in range(1, 5):
        rows[0][j] = -0.25
    result = messages(lint_matrix(tmp_path, rows), "PL221")
    assert len(result) == 1
    assert "4 negative entries" in result[0] and "and 1 more" in result[0]
    assert "46.05" in result[0] and words in result[0]
    assert "PL226" not in codes(lint_matrix(tmp_path, rows))


def test_all_zero_matrix(tmp_path):
    result = messages(lint_matrix(tmp_path, [[0.0] * 5 for _ in range(5)]), "PL221")
    assert len(result) == 1 and "every entry" in result[0] and "trains nothing" in result[0]
    # All-zero rows are PL221's: PL226 has nothing to add.
    assert "PL226" not in codes(lint_matrix(tmp_path, [[0.0] * 5 for _ in range(5)]))


def test_constant_matrix(tmp_path):
    result = messages(lint_matrix(tmp_path, [[1.0] * 5 for _ in range(5)]), "PL221")
    assert len(result) == 1 and "1/5" in result[0] and "labels play no part" in result[0]


def test_cost_matrix_trains_the_wrong_class(tmp_path):
    cost = [[0.0 if i == j else 1.0 + j for j in range(5)] for i in range(5)]
    result = messages(lint_matrix(tmp_path, cost), "PL221")
    assert len(result) == 1
    assert "row 0" in result[0] and "H[0][4] = 5 > H[0][0] = 0" in result[0]
    assert "so do rows 1, 2 and 2 more" in result[0]
    assert "predict 4 for examples of class 0" in result[0]


def test_ties_and_zero_rows_are_not_errors(tmp_path):
    rows = eye(5)
    rows[0][1] = 1.0  # label 0: classes 0 and 1 equally right
    rows[4] = [0.0] * 5  # class 4 ignored
    assert "PL221" not in codes(lint_matrix(tmp_path, rows))


def test_wrong_size_is_left_to_pl203(tmp_path):
    result = lint_matrix(tmp_path, eye(4))  # fc predicts 5 classes
    assert "PL203" in codes(result) and "PL221" not in codes(result)
    # A value count that differs from the shape: Caffe's FromProto aborts; not judged here.
    blob = pb.BlobProto()
    blob.shape.dim.extend([5, 5])
    blob.data.extend([-1.0] * 24)
    (tmp_path / "H.binaryproto").write_bytes(blob.SerializeToString())
    result = lint_text(tmp_path, infogain_net())
    assert not {"PL221", "PL226"} & set(codes(result))
    [f] = found(result, "PL203")
    assert "holds 24 values but its shape 5x5 asks for 25" in f.message
    assert "count_ == proto.data_size()" in f.message


def test_unreadable_or_missing_matrix(tmp_path):
    result = lint_text(tmp_path, infogain_net())
    assert not {"PL203", "PL221", "PL226"} & set(codes(result))  # missing: PL301, --data
    [f] = found(lint_text(tmp_path, infogain_net(), data=True), "PL301")
    assert "its matrix \"H.binaryproto\" was not found; looked for" in f.message
    (tmp_path / "H.binaryproto").write_bytes(b"\xff\xff\xff")
    result = lint_text(tmp_path, infogain_net())
    assert not {"PL221", "PL226"} & set(codes(result))
    [f] = found(result, "PL203")
    assert "is not a BlobProto" in f.message and "ignores that failure" in f.message
    assert "PL301" not in codes(lint_text(tmp_path, infogain_net(), data=True))


def test_row_sums(tmp_path):
    rows = eye(5)
    rows[0][0] = 2.0
    rows[3][3] = 0.0
    result = found(lint_matrix(tmp_path, rows), "PL226")
    assert len(result) == 1 and str(result[0].severity) == "info"
    message = result[0].message
    assert "2 of 5 rows do not sum to 1" in message
    assert "row 0: 2" in message and "row 3: 0" in message
    assert "rows summing to 0 (3)" in message and "normaliser" in message


def test_many_row_sums(tmp_path):
    rows = [[float(i + 2) if i == j else 0.0 for j in range(5)] for i in range(5)]
    message = messages(lint_matrix(tmp_path, rows), "PL226")[0]
    assert "5 of 5 rows do not sum to 1 (row 0: 2, row 1: 3, row 2: 4 and 2 more; " \
        "the sums range from 2 to 6)" in message


def test_uniform_row_sum(tmp_path):
    result = messages(lint_matrix(tmp_path, eye(5, 3.0)), "PL226")
    assert len(result) == 1 and "every row sums to 3" in result[0]
    assert "learning rate multiplied by 3" in result[0]


def test_float_rounding_is_tolerated(tmp_path):
    rows = [[0.1] * 10 for _ in range(10)]
    for i in range(10):
        rows[i][i] = 0.1 + 1e-7
    matrix = tmp_path / "H.binaryproto"
    write_matrix(matrix, rows)
    net = infogain_net().replace("num_output: 5", "num_output: 10")
    assert "PL226" not in codes(lint_text(tmp_path, net))


def third_bottom(value: str, k: int = 5, shape: str | None = None) -> str:
    shape = shape or f"dim: {k} dim: {k}"
    return (INPUT + FC.replace("num_output: 5", f"num_output: {k}") +
            'layer { name: "H" type: "DummyData" top: "H" dummy_data_param { '
            f'shape {{ {shape} }} data_filler {{ type: "constant" value: {value} }} }} }}\n'
            'layer { name: "loss" type: "InfogainLoss" bottom: "fc" bottom: "label" '
            'bottom: "H" }\n')


@pytest.mark.parametrize("value, pl221, pl226", [
    ("-1", "negative", None),  # negative rows are no weighted distributions: PL221 only
    ("0", "trains nothing", None),
    ("nan", "NaN", None),
    ("inf", "is inf", None),
    ("1", "labels play no part", "every row sums to 5"),
    ("0.2", "labels play no part", None),  # rows sum to 1: only PL221 has something to say
])
def test_constant_third_bottom(tmp_path, value, pl221, pl226):
    result = lint_text(tmp_path, third_bottom(value))
    errors = found(result, "PL221")
    assert len(errors) == 1 and pl221 in errors[0].message
    where = errors[0].location
    assert where.doc.text[where.start:].startswith('bottom: "H"')
    infos = messages(result, "PL226")
    assert (infos[0] if infos else None) is None if pl226 is None else pl226 in infos[0]


def test_third_bottom_from_outside_is_not_judged(tmp_path):
    net = (INPUT + FC +
           'layer { name: "H" type: "Input" top: "H" input_param { shape { dim: 5 dim: 5 } } }\n'
           'layer { name: "loss" type: "InfogainLoss" bottom: "fc" bottom: "label" '
           'bottom: "H" }\n')
    assert not {"PL221", "PL226"} & set(codes(lint_text(tmp_path, net)))


# ------------------------------------------------ PL222 MultinomialLogisticLoss


def mll_net(before: str = "", bottom: str = "fc") -> str:
    return (INPUT + FC + before +
            f'layer {{ name: "loss" type: "MultinomialLogisticLoss" bottom: "{bottom}" '
            'bottom: "label" }\n')


def test_mll_on_raw_scores(tmp_path):
    result = found(lint_text(tmp_path, mll_net()), "PL222")
    assert len(result) == 1
    message = result[0].message
    assert "InnerProduct 'fc'" in message and "above 1" in message and "1e-20" in message


def test_mll_on_relu_scores_names_both_effects(tmp_path):
    relu = 'layer { name: "r" type: "ReLU" bottom: "fc" top: "fc" }\n'
    message = messages(lint_text(tmp_path, mll_net(relu)), "PL222")[0]
    assert "ReLU 'r'" in message and "[0, inf]" in message
    assert "above 1" in message and "below 1e-20" in message


@pytest.mark.parametrize("before, bottom", [
    ('layer { name: "p" type: "Softmax" bottom: "fc" top: "p" }\n', "p"),
    ('layer { name: "s" type: "Sigmoid" bottom: "fc" top: "fc" }\n', "fc"),
    ("", "data"),  # a net input: could be anything, probabilities included
    ('layer { name: "f" type: "Flatten" bottom: "data" top: "f" }\n', "f"),
])
def test_mll_on_probabilities_or_unknown(tmp_path, before, bottom):
    assert "PL222" not in codes(lint_text(tmp_path, mll_net(before, bottom)))


def test_mll_after_dropout_of_probabilities(tmp_path):
    # TRAIN's Dropout scales kept probabilities by 1/(1 - 0.5) = 2: above 1.
    before = ('layer { name: "p" type: "Softmax" bottom: "fc" top: "p" }\n'
              'layer { name: "d" type: "Dropout" bottom: "p" top: "p" }\n')
    result = found(lint_text(tmp_path, mll_net(before, "p")), "PL222")
    assert len(result) == 1 and "[0, 2]" in result[0].message


# ------------------------------------------------------ PL223 double activation


def loss_net(before: str, bottom: str, loss: str = "SoftmaxWithLoss", k: int = 10) -> str:
    return (INPUT + FC.replace("num_output: 5", f"num_output: {k}") + before +
            f'layer {{ name: "loss" type: "{loss}" bottom: "{bottom}" bottom: "label" }}\n')


def test_softmax_before_softmax_loss(tmp_path):
    before = 'layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }\n'
    result = found(lint_text(tmp_path, loss_net(before, "prob")), "PL223")
    assert len(result) == 1
    assert "10 classes" in result[0].message and "1.46" in result[0].message
    assert "the raw scores 'fc'" in result[0].fix
    big = found(lint_text(tmp_path, loss_net(before, "prob", k=1000)), "PL223")[0]
    assert "5.9" in big.message


def test_in_place_softmax_and_pass_through(tmp_path):
    in_place = 'layer { name: "prob" type: "Softmax" bottom: "fc" top: "fc" }\n'
    result = found(lint_text(tmp_path, loss_net(in_place, "fc")), "PL223")
    assert len(result) == 1 and "in-place Softmax 'prob' overwrites" in result[0].fix
    through = ('layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" }\n'
               'layer { name: "r" type: "Reshape" bottom: "prob" top: "r" '
               "reshape_param { shape { dim: 0 dim: -1 } } }\n")
    assert "PL223" in codes(lint_text(tmp_path, loss_net(through, "r")))
    # An in-place layer after the Softmax rewrites the blob: no longer its output.
    rewritten = in_place + 'layer { name: "l" type: "Log" bottom: "fc" top: "fc" }\n'
    assert "PL223" not in codes(lint_text(tmp_path, loss_net(rewritten, "fc")))


def test_sigmoid_before_sigmoid_cross_entropy(tmp_path):
    before = 'layer { name: "sig" type: "Sigmoid" bottom: "fc" top: "sig" }\n'
    net = (INPUT + FC + before +
           'layer { name: "t" type: "DummyData" top: "t" dummy_data_param { '
           "shape { dim: 8 dim: 5 } } }\n"
           'layer { name: "loss" type: "SigmoidCrossEntropyLoss" bottom: "sig" bottom: "t" }\n')
    result = messages(lint_text(tmp_path, net), "PL223")
    assert len(result) == 1 and "[0.5, 0.731]" in result[0] and "0.693" in result[0]
    # The other pairings are not this rule's.
    crossed = net.replace("SigmoidCrossEntropyLoss", "EuclideanLoss")
    assert "PL223" not in codes(lint_text(tmp_path, crossed))
    assert "PL223" not in codes(lint_text(tmp_path, loss_net(before, "sig")))


# ------------------------------------------------------------ PL224 loss_weight


def weighted(weight: str, loss: str = "SoftmaxWithLoss", extra: str = "") -> str:
    return (INPUT + FC + extra +
            f'layer {{ name: "loss" type: "{loss}" bottom: "fc" bottom: "label" '
            f"loss_weight: {weight} }}\n")


@pytest.mark.parametrize("weight, words", [
    ("10000", ["is 10000", "multiplied by 10000", "base_lr 0.01 acts like 100"]),
    ("1001", ["is 1001"]),
    ("inf", ["is inf"]),
    ("nan", ["is NaN"]),
    ("-1", ["-1 is negative", "maximises"]),
    ("-5000", ["-5000 is negative"]),
])
def test_loss_weight_reported(tmp_path, weight, words):
    result = found(lint_text(tmp_path, weighted(weight)), "PL224")
    assert len(result) == 1 and str(result[0].severity) == "warning"
    for w in words:
        assert w in result[0].message, (w, result[0].message)
    assert result[0].location.doc.text[result[0].location.start:].startswith("loss_weight")


@pytest.mark.parametrize("weight", ["1", "1000", "0.3", "0", "100"])
def test_loss_weight_fine(tmp_path, weight):
    assert "PL224" not in codes(lint_text(tmp_path, weighted(weight)))


def test_loss_weight_next_to_other_losses(tmp_path):
    extra = ('layer { name: "aux" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" '
             "loss_weight: 0.5 }\n")
    message = messages(lint_text(tmp_path, weighted("5000", extra=extra)), "PL224")[0]
    assert "'aux' 0.5" in message and "10000 times" in message


def test_loss_weight_on_ordinary_top(tmp_path):
    # A negative weight on a top that is not a loss layer's may be a deliberate objective,
    # but a huge one is still huge.
    net = (INPUT + 'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
           "inner_product_param { num_output: 5 } loss_weight: -1 }\n")
    assert "PL224" not in codes(lint_text(tmp_path, net))
    assert "PL224" in codes(lint_text(tmp_path, net.replace("-1", "-5000")))


def test_loss_weight_outside_training(tmp_path):
    net = weighted("10000").replace('loss_weight', 'include { phase: TEST } loss_weight')
    assert "PL224" not in codes(lint_text(tmp_path, net))


# --------------------------------------------------------- PL225 constant labels


def labelled(value: str, loss: str = "SoftmaxWithLoss", params: str = "", k: int = 10,
             label_path: str = "") -> str:
    return ('layer { name: "data" type: "DummyData" top: "data" top: "label" '
            "dummy_data_param { shape { dim: 4 dim: 20 } shape { dim: 4 } "
            'data_filler { type: "gaussian" std: 1 } '
            f'data_filler {{ type: "constant" value: {value} }} }} }}\n'
            f'layer {{ name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
            f"inner_product_param {{ num_output: {k} }} }}\n" + label_path +
            f'layer {{ name: "loss" type: "{loss}" bottom: "fc" bottom: "label" '
            f"top: \"out\" {params} }}\n")


@pytest.mark.parametrize("value, fires", [
    ("10", True), ("9", False), ("0", False), ("-1", True), ("1000", True),
    ("9.7", False),  # static_cast<int> truncates: 9
    ("-0.5", False),  # truncated toward 0: label 0
    ("10.5", True),
    ("inf", True),
    ("3e9", True),  # beyond int: the cast is undefined
])
def test_constant_label_range(tmp_path, value, fires):
    result = found(lint_text(tmp_path, labelled(value)), "PL225")
    assert bool(result) is fires
    if fires:
        assert len(result) == 1  # one finding for TRAIN and TEST
        assert "valid labels are 0 to 9" in result[0].message
        assert "DummyData 'data'" in result[0].message
        start = result[0].location.start
        assert result[0].location.doc.text[start:].startswith('bottom: "label"')


def test_truncated_label_is_shown(tmp_path):
    message = messages(lint_text(tmp_path, labelled("10.5")), "PL225")[0]
    assert "is 10.5 (read as 10)" in message


@pytest.mark.parametrize("loss, params, fires, words", [
    ("SoftmaxWithLoss", "loss_param { ignore_label: 10 }", False, None),
    ("SoftmaxWithLoss", "loss_param { ignore_label: 3 }", True, "DCHECK"),
    ("Accuracy", "accuracy_param { ignore_label: 10 }", False, None),
    ("Accuracy", "loss_param { ignore_label: 10 }", True, "AccuracyLayer"),  # not Accuracy's
    ("MultinomialLogisticLoss", "", True, "does not check the label at all"),
    ("InfogainLoss", 'infogain_loss_param { source: "H.binaryproto" }', True, "row `label`"),
])
def test_label_consumers(tmp_path, loss, params, fires, words):
    result = messages(lint_text(tmp_path, labelled("10", loss, params)), "PL225")
    assert bool(result) is fires
    if fires:
        assert words in result[0]


def test_label_through_reshape_and_class_axis(tmp_path):
    path = ('layer { name: "r" type: "Reshape" bottom: "label" top: "label" '
            "reshape_param { shape { dim: 4 } } }\n")
    assert "PL225" in codes(lint_text(tmp_path, labelled("10", label_path=path)))
    # A negative class axis counts from the end: axis -1 of (4, 10) is the 10 classes.
    net = labelled("10", params="softmax_param { axis: -1 }")
    assert "PL225" in codes(lint_text(tmp_path, net))


def test_class_count(tmp_path):
    net = ('layer { name: "data" type: "Python" top: "data" '
           'python_param { module: "m" layer: "L" } }\n'
           'layer { name: "lab" type: "DummyData" top: "label" dummy_data_param { '
           'shape { dim: 4 } data_filler { type: "constant" value: 7 } } }\n'
           'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
           "inner_product_param { num_output: 5 } }\n"
           'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')
    message = messages(lint_text(tmp_path, net), "PL225")[0]
    assert "its input (?, 5) has 5 classes on axis 1" in message
    # The InnerProduct cannot be set up (axis 1 of a 1-D input): its output shape is
    # unknown, and its num_output still says K.
    broken = net.replace('type: "Python" top: "data" python_param { module: "m" layer: "L" }',
                         'type: "Input" top: "data" input_param { shape { dim: 4 } }')
    message = messages(lint_text(tmp_path, broken), "PL225")[0]
    assert "InnerProduct 'fc' has num_output 5" in message


def test_infinite_moving_average_fraction_is_reported_not_a_crash(tmp_path):
    text = ('layer { name: "in" type: "Input" top: "x" top: "label" }\n'
            'layer { name: "bn" type: "BatchNorm" bottom: "x" top: "x" '
            "batch_norm_param { moving_average_fraction: inf } }\n"
            'layer { name: "loss" type: "EuclideanLoss" bottom: "x" bottom: "label" }\n')
    assert "PL220" in codes(lint_text(tmp_path, text))  # lint_text fails on a rule crash


def test_softmax_twice_is_found_through_an_in_place_dropout(tmp_path):
    drop = 'layer { name: "drop" type: "Dropout" bottom: "prob" top: "prob" }\n'
    [f] = found(lint_text(tmp_path, infogain_net(SOFTMAX + drop, "prob")), "PL202")
    assert "Softmax 'prob' (through Dropout 'drop')" in f.message
    assert "PL202" not in codes(lint_text(tmp_path, infogain_net(drop.replace("prob", "fc"))))


def test_a_forks_infogain_loss_is_not_judged(tmp_path):
    """A field BVLC lacks marks a fork's InfogainLoss, which may take probabilities."""
    fork = infogain_net(SOFTMAX, "prob").replace('source: "H.binaryproto"',
                                                 'source: "H.binaryproto" fork_option: 1')
    found_codes = codes(lint_text(tmp_path, fork))
    assert "PL002" in found_codes and "PL202" not in found_codes
