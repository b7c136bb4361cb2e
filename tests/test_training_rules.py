"""Training-configuration rules for solvers: PL121-PL130 (clipping, weight decay, test
nets, iteration counts, train-net fields, inline legacy nets)."""

from __future__ import annotations

import math

import pytest

from conftest import codes, lint_text
from protolint.net import Layer
from protolint.checks import PL122
from protolint.findings import Severity
from protolint.schedule import f32

SOLVER = "solver.prototxt"


def only(findings, code):
    return [f for f in findings if f.code == code]


def lint_solver(tmp_path, text, **files):
    """Lint `text` as solver.prototxt next to the given net files."""
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    return lint_text(tmp_path, text, name=SOLVER)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


# ---------------------------------------------------------------- PL121 clip-gradients-zero

CLIP = """net: "train_val.prototxt"
base_lr: 0.01
lr_policy: "fixed"
max_iter: 100
{extra}
"""


@pytest.mark.parametrize("value", ["0", "0.0", "-0"])
def test_pl121_clip_zero_fires_on_its_line(tmp_path, value):
    text = CLIP.format(extra=f"weight_decay: 0.0005\nclip_gradients: {value}")
    found = only(lint_text(tmp_path, text), "PL121")
    assert len(found) == 1
    assert found[0].line == line_of(text, "clip_gradients")
    assert "only a negative value" in found[0].message
    assert "weight decay" in found[0].message  # decay still acts after clipping


def test_pl121_message_without_decay_does_not_mention_it(tmp_path):
    found = only(lint_text(tmp_path, CLIP.format(extra="clip_gradients: 0")), "PL121")
    assert found and "weight decay" not in found[0].message


@pytest.mark.parametrize("extra", ["", "clip_gradients: -1", "clip_gradients: 35",
                                   "clip_gradients: 0.001"])
def test_pl121_silent_when_clipping_is_off_or_positive(tmp_path, extra):
    assert "PL121" not in codes(lint_text(tmp_path, CLIP.format(extra=extra)))


# ---------------------------------------------------------------- PL122 weight-decay-diverges

def caffe_decay_run(kind: str, momentum: float, rate: float, decay: float,
                    iterations: int = 5000) -> float:
    """The decay-only update in float32, in the order of Caffe's CPU code: Regularize
    (diff += local_decay * w, the data gradient being 0), ComputeUpdateValue (history =
    local_rate * diff + momentum * history; Nesterov then steps by
    (1 + momentum) * history - momentum * old history), Net::Update (w -= diff).
    Returns the largest |w| seen, from w = 1 (inf once it overflows)."""
    m, lr, wd = f32(momentum), f32(rate), f32(decay)
    w, h, peak = f32(1.0), f32(0.0), 1.0
    for _ in range(iterations):
        diff = f32(wd * w)
        old = h
        h = f32(f32(lr * diff) + f32(m * h))
        if kind == "Nesterov":
            diff = f32(f32(f32(1 + m) * h) - f32(m * old))
        else:
            diff = h
        w = f32(w - diff)
        if not math.isfinite(w):
            return math.inf
        peak = max(peak, abs(w))
        if peak > 1e30:
            return peak
    return abs(w) if abs(w) < 1 else peak


@pytest.mark.parametrize("kind", ["SGD", "Nesterov"])
@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9, 0.95, 0.99])
def test_pl122_bound_matches_a_simulation_of_caffes_update(kind, momentum):
    limit = PL122.bound(kind, momentum)
    rate = 0.1
    below = caffe_decay_run(kind, momentum, rate, 0.98 * limit / rate)
    above = caffe_decay_run(kind, momentum, rate, 1.02 * limit / rate)
    assert below < 1e-3, (kind, momentum, below)  # the decay still shrinks the weight
    assert above > 1e30, (kind, momentum, above)  # the decay alone blows it up


def test_pl122_bounds_have_the_derived_closed_forms():
    assert PL122.bound("SGD", 0.0) == 2
    assert PL122.bound("SGD", 0.9) == pytest.approx(3.8)
    assert PL122.bound("Nesterov", 0.0) == 2
    assert PL122.bound("Nesterov", 0.9) == pytest.approx(3.8 / 2.8)
    for kind in ("Adam", "RMSProp", "AdaGrad", "AdaDelta"):
        assert PL122.bound(kind, 0.9) is None
    assert PL122.bound("SGD", 1.0) is None and PL122.bound("SGD", -0.5) is None


@pytest.mark.parametrize("kind,momentum", [("SGD", 0.0), ("SGD", 0.9), ("Nesterov", 0.9)])
def test_pl122_growth_factor_crosses_one_at_the_bound(kind, momentum):
    limit = PL122.bound(kind, momentum)
    assert PL122.growth(kind, momentum, 0.99 * limit) < 1
    assert PL122.growth(kind, momentum, 1.01 * limit) > 1


DECAY = """net: "train_val.prototxt"
type: "{kind}"
base_lr: 0.1
lr_policy: "step"
stepsize: 10000
gamma: 0.1
momentum: {momentum}
weight_decay: {decay}
{extra}
max_iter: 30000
"""


def decay_solver(kind="SGD", momentum=0.9, decay=50, extra=""):
    return DECAY.format(kind=kind, momentum=momentum, decay=decay, extra=extra)


def test_pl122_fires_on_the_weight_decay_line(tmp_path):
    text = decay_solver()
    found = only(lint_text(tmp_path, text), "PL122")
    assert len(found) == 1
    f = found[0]
    assert f.line == line_of(text, "weight_decay")
    assert "a = 5" in f.message and "3.8" in f.message
    assert "the training net was not read" in f.message


def test_pl122_threshold_is_the_bound(tmp_path):
    # a = 0.1 x decay; SGD with momentum 0.9 diverges from a = 3.8 on.
    assert "PL122" in codes(lint_text(tmp_path, decay_solver(decay=39)))
    assert "PL122" not in codes(lint_text(tmp_path, decay_solver(decay=37)))


def test_pl122_nesterov_has_the_tighter_bound(tmp_path):
    # a = 2: inside SGD's bound 3.8 at momentum 0.9, outside Nesterov's 1.357.
    assert "PL122" not in codes(lint_text(tmp_path, decay_solver("SGD", decay=20)))
    found = only(lint_text(tmp_path, decay_solver("Nesterov", decay=20)), "PL122")
    assert found and "1.357" in found[0].message


def test_pl122_legacy_solver_type_enum_is_honoured(tmp_path):
    text = decay_solver(decay=20).replace('type: "SGD"', "solver_type: NESTEROV")
    assert "PL122" in codes(lint_text(tmp_path, text))


def test_pl122_without_momentum_the_bound_is_two(tmp_path):
    assert "PL122" in codes(lint_text(tmp_path, decay_solver(momentum=0, decay=21)))
    assert "PL122" not in codes(lint_text(tmp_path, decay_solver(momentum=0, decay=19)))


@pytest.mark.parametrize("kind", ["Adam", "RMSProp", "AdaGrad", "AdaDelta"])
def test_pl122_adaptive_solvers_are_not_checked(tmp_path, kind):
    assert "PL122" not in codes(lint_text(tmp_path, decay_solver(kind, momentum=0, decay=500)))


def test_pl122_l1_is_not_checked(tmp_path):
    text = decay_solver(decay=500, extra='regularization_type: "L1"')
    assert "PL122" not in codes(lint_text(tmp_path, text))


def test_pl122_sensible_decay_is_silent(tmp_path):
    assert "PL122" not in codes(lint_text(tmp_path, decay_solver(decay=0.0005)))


def test_pl122_a_rate_above_the_bound_for_two_iterations_is_not_divergence(tmp_path):
    # exp with gamma 0.9: 0.1 x 45 = 4.5 at iteration 0, below 3.8 from iteration 2 on.
    text = decay_solver(decay=45).replace('lr_policy: "step"', 'lr_policy: "exp"').replace(
        "gamma: 0.1", "gamma: 0.9")
    assert "PL122" not in codes(lint_text(tmp_path, text))
    # ... while a slow decay stays above it long enough to blow up.
    slow = text.replace("gamma: 0.9", "gamma: 0.9999")
    assert "PL122" in codes(lint_text(tmp_path, slow))


def test_pl122_uses_the_peak_of_a_warm_up_schedule(tmp_path):
    # sigmoid rises from ~0 to base_lr: the peak, not iteration 0, decides.
    text = decay_solver(decay=50).replace('lr_policy: "step"', 'lr_policy: "sigmoid"').replace(
        "stepsize: 10000", "stepsize: 1000")
    assert "PL122" in codes(lint_text(tmp_path, text))


NET = """name: "tiny"
layer {{ name: "data" type: "Input" top: "data" input_param {{ shape {{ dim: 1 dim: 4 }} }} }}
layer {{
  name: "fc1"
  type: "InnerProduct"
  bottom: "data"
  top: "fc1"
  {param1}
  inner_product_param {{ num_output: 2 }}
}}
layer {{
  name: "fc2"
  type: "InnerProduct"
  bottom: "fc1"
  top: "fc2"
  {param2}
  inner_product_param {{ num_output: 2 bias_term: false }}
}}
"""

NET_SOLVER = """net: "net.prototxt"
base_lr: 0.1
lr_policy: "fixed"
momentum: 0.9
weight_decay: {decay}
max_iter: 1000
"""


def test_pl122_uses_the_layers_multipliers(tmp_path):
    net = NET.format(param1="param { lr_mult: 1 decay_mult: 100 }", param2="")
    found = only(lint_solver(tmp_path, NET_SOLVER.format(decay=0.5), **{"net.prototxt": net}),
                 "PL122")
    assert len(found) == 1
    assert "'fc1'" in found[0].message and "decay_mult 100" in found[0].message
    assert found[0].related and "net.prototxt" in found[0].related[0][0].path
    # the same decay with default multipliers is harmless (a = 0.05)
    plain = NET.format(param1="", param2="")
    assert "PL122" not in codes(
        lint_solver(tmp_path, NET_SOLVER.format(decay=0.5), **{"net.prototxt": plain}))


def test_pl122_frozen_blobs_do_not_count(tmp_path):
    net = NET.format(param1="param { lr_mult: 0 decay_mult: 100 } param { lr_mult: 0 }",
                     param2="param { lr_mult: 0 }")
    assert "PL122" not in codes(
        lint_solver(tmp_path, NET_SOLVER.format(decay=50), **{"net.prototxt": net}))


def test_pl122_shared_parameters_take_the_owners_multipliers(tmp_path):
    # fc2 shares fc1's (frozen) weights and sets decay_mult 100: Net::AppendParam keeps
    # the owner's lr_mult 0, so the shared blob does not learn and cannot diverge.
    net = NET.format(param1='param { name: "w" lr_mult: 0 } param { lr_mult: 1 }',
                     param2='param { name: "w" decay_mult: 100 }')
    net = net.replace("num_output: 2 bias_term: false", "num_output: 4 bias_term: false")
    net = net.replace('bottom: "fc1"', 'bottom: "data"')
    assert "PL122" not in codes(
        lint_solver(tmp_path, NET_SOLVER.format(decay=0.5), **{"net.prototxt": net}))
    unshared = net.replace('param { name: "w" decay_mult: 100 }', "param { decay_mult: 100 }")
    assert "PL122" in codes(
        lint_solver(tmp_path, NET_SOLVER.format(decay=0.5), **{"net.prototxt": unshared}))


def test_learnable_params_resolves_sharing():
    from google.protobuf import text_format

    from protolint.layers import learnable_params
    from protolint.schema import caffe_pb2

    param = text_format.Parse(NET.format(
        param1='param { name: "w" lr_mult: 0 } param { lr_mult: 2 decay_mult: 0 }',
        param2='param { name: "w" decay_mult: 7 }'), caffe_pb2().NetParameter())

    layers = [Layer(None, i, lp, None) for i, lp in enumerate(param.layer)]
    got = [(lr, dm, layer.name) for lr, dm, layer in learnable_params(layers)]
    # fc1's shared weights: its lr_mult 0, and fc2's decay_mult (fc1 left it unset);
    # fc1's bias; fc2's only blob is the shared one and adds nothing.
    assert got == [(0.0, 7.0, "fc1"), (2.0, 0.0, "fc1")]


# ---------------------------------------------------------------- PL123 unknown-regularization-type

REG = """net: "train_val.prototxt"
base_lr: 0.01
lr_policy: "fixed"
max_iter: 100
{decay}
regularization_type: "{kind}"
"""


@pytest.mark.parametrize("kind,guess", [("l2", "L2"), ("l1", "L1"), ("L2Loss", None),
                                        ("weight_decay", None)])
def test_pl123_fires_with_a_suggestion(tmp_path, kind, guess):
    text = REG.format(decay="weight_decay: 0.0005", kind=kind)
    found = only(lint_text(tmp_path, text), "PL123")
    assert len(found) == 1
    assert found[0].line == line_of(text, "regularization_type")
    assert f"Unknown regularization type: {kind}" in found[0].message
    if guess:
        assert f'did you mean "{guess}"' in found[0].message and guess in found[0].fix
    else:
        assert "did you mean" not in found[0].message


@pytest.mark.parametrize("kind", ["L1", "L2"])
def test_pl123_silent_on_valid_types(tmp_path, kind):
    assert "PL123" not in codes(lint_text(tmp_path, REG.format(decay="weight_decay: 0.0005",
                                                                kind=kind)))


@pytest.mark.parametrize("decay", ["", "weight_decay: 0"])
def test_pl123_silent_without_weight_decay(tmp_path, decay):
    assert "PL123" not in codes(lint_text(tmp_path, REG.format(decay=decay, kind="l2")))


def test_pl123_silent_when_every_decay_mult_is_zero(tmp_path):
    net = NET.format(param1="param { decay_mult: 0 } param { decay_mult: 0 }",
                     param2="param { decay_mult: 0 }")
    text = REG.format(decay="weight_decay: 0.0005", kind="l2").replace(
        "train_val.prototxt", "net.prototxt")
    assert "PL123" not in codes(lint_solver(tmp_path, text, **{"net.prototxt": net}))
    decayed = NET.format(param1="param { decay_mult: 0 }", param2="param { decay_mult: 0 }")
    assert "PL123" in codes(lint_solver(tmp_path, text, **{"net.prototxt": decayed}))


# ---------------------------------------------------------------- PL132 weight-decay-negative

@pytest.mark.parametrize("kind", ["L1", "L2"])
def test_pl132_negative_weight_decay(tmp_path, kind):
    text = REG.format(decay="weight_decay: -0.0005", kind=kind)
    found = only(lint_text(tmp_path, text), "PL132")
    assert len(found) == 1 and found[0].severity == Severity.WARNING
    assert found[0].line == line_of(text, "weight_decay")
    assert "weight_decay -0.0005 is negative" in found[0].message
    assert ("sign(w)" in found[0].message) == (kind == "L1")


@pytest.mark.parametrize("decay,kind", [("weight_decay: 0.0005", "L2"), ("weight_decay: 0", "L2"),
                                        ("", "L2"), ("weight_decay: -0.0005", "l2")])
def test_pl132_silent(tmp_path, decay, kind):
    # positive or no decay; an unknown type is PL123's abort, not a direction
    assert "PL132" not in codes(lint_text(tmp_path, REG.format(decay=decay, kind=kind)))


def _decay_solver(decay: str) -> str:
    return REG.format(decay=decay, kind="L2").replace("train_val.prototxt", "net.prototxt")


def test_pl132_negative_decay_mult_of_a_learning_blob(tmp_path):
    net = NET.format(param1="param { lr_mult: 1 } param { lr_mult: 2 decay_mult: -1 }",
                     param2="")
    found = only(lint_solver(tmp_path, _decay_solver("weight_decay: 0.0005"),
                             **{"net.prototxt": net}), "PL132")
    assert len(found) == 1 and "decay_mult -1 of layer 'fc1'" in found[0].message
    (where, note), = found[0].related
    assert where.path.endswith("net.prototxt") and note == "decay_mult -1 here"
    assert where.begin[0] == line_of(net, "decay_mult: -1")


def test_pl132_frozen_blobs_and_double_negatives_are_not_reported(tmp_path):
    frozen = NET.format(param1="param { lr_mult: 0 decay_mult: -1 }", param2="")
    assert "PL132" not in codes(lint_solver(tmp_path, _decay_solver("weight_decay: 0.0005"),
                                            **{"net.prototxt": frozen}))
    # negative x negative is an ordinary positive decay for every learning blob
    flipped = NET.format(param1="param { decay_mult: -1 } param { decay_mult: -1 }",
                         param2="param { decay_mult: -2 }")
    assert "PL132" not in codes(lint_solver(tmp_path, _decay_solver("weight_decay: -0.0005"),
                                            **{"net.prototxt": flipped}))


# ---------------------------------------------------------------- PL124 test-iter-count

BASE = """base_lr: 0.01
lr_policy: "fixed"
max_iter: 100
"""


def test_pl124_test_iter_with_only_a_train_net(tmp_path):
    text = 'train_net: "train.prototxt"\ntest_iter: 100\ntest_interval: 10\n' + BASE
    found = only(lint_text(tmp_path, text), "PL124")
    assert len(found) == 1 and found[0].line == 2
    assert "1 test_iter value for 0 test nets" in found[0].message
    assert "`net:`" in found[0].fix


def test_pl124_missing_test_iter_for_a_test_net(tmp_path):
    text = ('train_net: "train.prototxt"\ntest_net: "a.prototxt"\ntest_net: "b.prototxt"\n'
            "test_iter: 100\ntest_interval: 10\n" + BASE)
    found = only(lint_text(tmp_path, text), "PL124")
    assert len(found) == 1 and "CHECK_EQ" in found[0].message


def test_pl124_generic_net_needs_at_least_one_per_test_net(tmp_path):
    few = ('net: "net.prototxt"\ntest_net: "a.prototxt"\ntest_net: "b.prototxt"\n'
           "test_iter: 100\ntest_interval: 10\n" + BASE)
    found = only(lint_text(tmp_path, few), "PL124")
    assert len(found) == 1 and "CHECK_GE" in found[0].message
    more = ('net: "net.prototxt"\ntest_net: "a.prototxt"\n'
            "test_iter: 100\ntest_iter: 5\ntest_iter: 7\ntest_interval: 10\n" + BASE)
    assert "PL124" not in codes(lint_text(tmp_path, more))


def test_pl124_test_state_count(tmp_path):
    text = ('net: "net.prototxt"\ntest_iter: 100\ntest_iter: 600\n'
            'test_state { stage: "val" }\ntest_interval: 10\n' + BASE)
    found = only(lint_text(tmp_path, text), "PL124")
    assert len(found) == 1 and found[0].line == 4
    assert "1 test_state for 2 test net instances" in found[0].message
    ok = text.replace('test_state { stage: "val" }',
                      'test_state { stage: "val" }\ntest_state { stage: "train" }')
    assert "PL124" not in codes(lint_text(tmp_path, ok))


def test_pl124_matching_counts_are_silent(tmp_path):
    for text in ('net: "net.prototxt"\ntest_iter: 100\ntest_interval: 10\n' + BASE,
                 'train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 1\n'
                 "test_interval: 10\n" + BASE,
                 'train_net: "t.prototxt"\n' + BASE):
        assert "PL124" not in codes(lint_text(tmp_path, text))


def test_pl124_waits_for_the_train_net_to_be_settled(tmp_path):
    # no training net: InitTrainNet aborts first (PL129); the template's test_iter
    # would be right once a `net:` is added.
    text = "test_iter: 100\ntest_interval: 10\n" + BASE
    found = codes(lint_text(tmp_path, text))
    assert "PL129" in found and "PL124" not in found


# ---------------------------------------------------------------- PL125 test-interval-without-test-net

def test_pl125_generic_net_without_test_iter(tmp_path):
    text = 'net: "net.prototxt"\ntest_interval: 500\n' + BASE
    found = only(lint_text(tmp_path, text), "PL125")
    assert len(found) == 1 and found[0].line == 2
    assert str(found[0].severity) == "warning"
    assert "no test_iter" in found[0].message and "test_iter" in found[0].fix


def test_pl125_train_net_without_test_net(tmp_path):
    text = 'train_net: "train.prototxt"\ntest_interval: 500\n' + BASE
    found = only(lint_text(tmp_path, text), "PL125")
    assert len(found) == 1 and "no test_net" in found[0].message


@pytest.mark.parametrize("text", [
    'net: "net.prototxt"\ntest_iter: 10\ntest_interval: 500\n',
    'train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 10\ntest_interval: 500\n',
    'net: "net.prototxt"\n',
    'net: "net.prototxt"\ntest_interval: 0\n',
    "test_interval: 500\n",  # no train net at all: PL129's business
])
def test_pl125_silent(tmp_path, text):
    assert "PL125" not in codes(lint_text(tmp_path, text + BASE))


# ---------------------------------------------------------------- PL126 test-net-without-test-interval

def test_pl126_unset_interval_points_at_test_iter(tmp_path):
    text = 'net: "net.prototxt"\ntest_iter: 100\n' + BASE
    found = only(lint_text(tmp_path, text), "PL126")
    assert len(found) == 1 and found[0].line == 2
    assert "not set" in found[0].message and "CHECK_GT" in found[0].message


@pytest.mark.parametrize("value", ["0", "-100"])
def test_pl126_explicit_interval_points_at_it(tmp_path, value):
    text = f'net: "net.prototxt"\ntest_iter: 100\ntest_interval: {value}\n' + BASE
    found = only(lint_text(tmp_path, text), "PL126")
    assert len(found) == 1 and found[0].line == 3
    assert f"test_interval is {value}" in found[0].message


def test_pl126_explicit_test_net(tmp_path):
    text = 'train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 10\n' + BASE
    found = only(lint_text(tmp_path, text), "PL126")
    assert len(found) == 1


@pytest.mark.parametrize("text", [
    'net: "net.prototxt"\n',
    'train_net: "t.prototxt"\n',
    'net: "net.prototxt"\ntest_iter: 100\ntest_interval: 1000\n',
])
def test_pl126_silent(tmp_path, text):
    assert "PL126" not in codes(lint_text(tmp_path, text + BASE))


# ---------------------------------------------------------------- PL127 max-iter-zero

def test_pl127_unset_max_iter(tmp_path):
    text = 'net: "net.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\n'
    found = only(lint_text(tmp_path, text), "PL127")
    assert len(found) == 1 and found[0].line == 1
    assert str(found[0].severity) == "warning"
    assert "Step(max_iter - iter)" in found[0].message and "solver.step" in found[0].message
    assert "_iter_0 snapshot" in found[0].message


@pytest.mark.parametrize("value", ["0", "-5"])
def test_pl127_explicit_max_iter_points_at_it(tmp_path, value):
    text = f'net: "net.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\nsnapshot: 100\nmax_iter: {value}\n'
    found = only(lint_text(tmp_path, text), "PL127")
    assert len(found) == 1 and found[0].line == 5
    assert "_iter_0" not in found[0].message  # snapshot set: 0 % snapshot == 0, no snapshot


def test_pl127_leaves_poly_to_pl101(tmp_path):
    text = 'net: "net.prototxt"\nbase_lr: 0.01\nlr_policy: "poly"\npower: 0.9\n'
    found = codes(lint_text(tmp_path, text))
    assert "PL101" in found and "PL127" not in found
    # poly with power 0 is a constant rate (no PL101): then max_iter 0 is PL127's
    constant = text.replace("power: 0.9\n", "")
    assert "PL127" in codes(lint_text(tmp_path, constant))


def test_pl127_evaluation_only_run_is_exempt(tmp_path):
    text = ('train_net: "t.prototxt"\ntest_net: "v.prototxt"\ntest_iter: 10\n'
            'test_interval: 1000\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 0\n')
    assert "PL127" not in codes(lint_text(tmp_path, text))
    untested = text.replace("test_interval: 1000\n", "")  # PL126 then, and no final test
    assert "PL127" in codes(lint_text(tmp_path, untested))


def test_pl127_silent_with_max_iter(tmp_path):
    assert "PL127" not in codes(lint_text(tmp_path, 'net: "n.prototxt"\n' + BASE))


# ---------------------------------------------------------------- PL128 iter-size-below-one

def test_pl128_zero_gives_nan(tmp_path):
    text = 'net: "n.prototxt"\n' + BASE + "iter_size: 0\n"
    found = only(lint_text(tmp_path, text), "PL128")
    assert len(found) == 1 and found[0].line == line_of(text, "iter_size")
    assert "NaN" in found[0].message and "1/0" in found[0].message


def test_pl128_negative_learns_nothing(tmp_path):
    found = only(lint_text(tmp_path, 'net: "n.prototxt"\n' + BASE + "iter_size: -2\n"), "PL128")
    assert len(found) == 1
    assert "learns nothing" in found[0].message and "NaN" not in found[0].message


@pytest.mark.parametrize("extra", ["", "iter_size: 1\n", "iter_size: 4\n"])
def test_pl128_silent(tmp_path, extra):
    assert "PL128" not in codes(lint_text(tmp_path, 'net: "n.prototxt"\n' + BASE + extra))


# ---------------------------------------------------------------- PL129 train-net-count

def test_pl129_no_train_net(tmp_path):
    found = only(lint_text(tmp_path, BASE), "PL129")
    assert len(found) == 1 and found[0].line == 1
    assert "names no training net" in found[0].message


def test_pl129_two_train_nets_points_at_the_second(tmp_path):
    text = BASE + 'net: "a.prototxt"\ntrain_net: "b.prototxt"\n'
    found = only(lint_text(tmp_path, text), "PL129")
    assert len(found) == 1 and found[0].line == 5
    assert "2 training nets (net, train_net)" in found[0].message
    assert found[0].related[0][0].begin[0] == 4
    assert "never reached" not in found[0].message


def test_pl129_net_and_net_param_explains_the_unreachable_check(tmp_path):
    text = BASE + 'net: "a.prototxt"\nnet_param {\n  name: "x"\n}\n'
    found = only(lint_text(tmp_path, text), "PL129")
    assert len(found) == 1 and found[0].line == 5
    assert "Both net_param and net_file" in found[0].message
    assert found[0].end_line == 5  # the block's name, not its whole body


@pytest.mark.parametrize("head", ['net: "a.prototxt"\n', 'train_net: "a.prototxt"\n',
                                  'net_param { name: "x" }\n',
                                  'train_net_param { name: "x" }\n'])
def test_pl129_silent_with_one(tmp_path, head):
    assert "PL129" not in codes(lint_text(tmp_path, head + BASE))


# ---------------------------------------------------------------- PL130 inline-legacy-net

V1_LAYERS = """  layers {
    name: "data"
    type: DATA
    top: "data"
    top: "label"
    data_param { source: "train_lmdb" backend: LMDB batch_size: 64 }
  }
  layers {
    name: "ip"
    type: INNER_PRODUCT
    bottom: "data"
    top: "ip"
    inner_product_param { num_output: 10 }
  }
"""

V2_LAYER = """  layer {
    name: "data"
    type: "Input"
    top: "data"
    input_param { shape { dim: 1 dim: 4 } }
  }
"""


def test_pl130_inline_v1_net(tmp_path):
    text = BASE + "test_iter: 10\ntest_interval: 100\nnet_param {\n" + V1_LAYERS + "}\n"
    found = only(lint_text(tmp_path, text), "PL130")
    assert len(found) == 1  # one finding, although the net is used for train and test
    f = found[0]
    assert f.line == 6 and f.end_line == 6
    assert "V1-format net (2 `layers { ... }` entries)" in f.message
    assert "0 layers" in f.message and "ForwardFromTo" in f.message
    assert f.related[0][0].begin[0] == 7
    assert "`net: " in f.fix


def test_pl130_inline_v0_test_net(tmp_path):
    v0 = '  layers {\n    layer { name: "data" type: "data" }\n    top: "data"\n  }\n'
    text = ('train_net: "t.prototxt"\ntest_iter: 1\ntest_interval: 10\n' + BASE
            + "test_net_param {\n" + v0 + "}\n")
    found = only(lint_text(tmp_path, text), "PL130")
    assert len(found) == 1 and "V0-format" in found[0].message
    assert "`test_net: " in found[0].fix


def test_pl130_mixed_net_drops_the_legacy_layers(tmp_path):
    text = BASE + "train_net_param {\n" + V2_LAYER + V1_LAYERS + "}\n"
    found = only(lint_text(tmp_path, text), "PL130")
    assert len(found) == 1
    assert "only its 1 `layer` entry is built" in found[0].message
    assert "its 2 `layers` entries are silently dropped" in found[0].message


def test_pl130_silent_on_v2_inline_and_on_v1_files(tmp_path):
    assert "PL130" not in codes(lint_text(tmp_path, BASE + "net_param {\n" + V2_LAYER + "}\n"))
    v1_file = 'name: "f"\n' + V1_LAYERS
    found = lint_solver(tmp_path, 'net: "v1.prototxt"\n' + BASE, **{"v1.prototxt": v1_file})
    assert "PL130" not in codes(found)  # Caffe upgrades net files on load


# ---------------------------------------------------------------- PL131 test-interval-beyond-max-iter

@pytest.mark.parametrize("settings, words", [
    ("test_iter: 10 test_interval: 500 max_iter: 100", "at iteration 0"),
    # The usual way of switching Caffe's testing off: not reported.
    ("test_iter: 10 test_interval: 500 max_iter: 100 test_initialization: false", None),
    ("test_iter: 10 test_interval: 100 max_iter: 100", None),  # tests the final weights
    ("test_iter: 10 test_interval: 50 max_iter: 100", None),
    ("test_interval: 500 max_iter: 100", None),  # no test net: PL125
    ("test_iter: 10 test_interval: 500", None),  # no max_iter: PL127
])
def test_test_interval_beyond_max_iter(tmp_path, settings, words):
    text = f'net: "train_val.prototxt"\nbase_lr: 0.01\nlr_policy: "fixed"\n{settings}\n'
    found = [f.message for f in lint_text(tmp_path, text) if f.code == "PL131"]
    assert bool(found) is (words is not None)
    if words:
        assert words in found[0]


def test_weight_decay_with_an_aborting_schedule_is_not_a_crash(tmp_path):
    text = 'net: "train_val.prototxt"\nbase_lr: 1\nweight_decay: 100\nmax_iter: 100\n'
    found = codes(lint_text(tmp_path, text))  # lint_text fails on a rule crash
    assert "PL111" in found and "PL122" not in found


# ---------------------------------------------------------- PL133 snapshot-directory-missing

SNAPSHOT_NET = ('name: "n"\nlayer { name: "data" type: "Input" top: "data" '
                "input_param { shape { dim: 1 dim: 2 } } }\n")


def snapshot_solver(prefix: str | None, extra: str = "", net: str = "train_val.prototxt"):
    lines = [f'net: "{net}"', "base_lr: 0.01", 'lr_policy: "fixed"', "max_iter: 100", extra]
    if prefix is not None:
        lines.append(f'snapshot_prefix: "{prefix}"')
    return "\n".join(lines) + "\n"


def test_pl133_a_missing_directory_aborts_at_start_up_with_snapshot(tmp_path):
    text = snapshot_solver("snapshots/lenet", "snapshot: 50")
    [f] = only(lint_solver(tmp_path, text, **{"train_val.prototxt": SNAPSHOT_NET}), "PL133")
    assert f.line == line_of(text, "snapshot_prefix")
    assert 'into the directory "snapshots", which does not exist' in f.message
    assert "CheckSnapshotWritePermissions" in f.message and "mkdir -p snapshots" in f.fix
    (tmp_path / "snapshots").mkdir()
    assert not only(lint_solver(tmp_path, text), "PL133")


def test_pl133_without_snapshot_the_final_one_is_lost(tmp_path):
    text = snapshot_solver("out/run")
    found = lint_solver(tmp_path, text, **{"train_val.prototxt": SNAPSHOT_NET})
    assert "the weights of the whole run are lost" in only(found, "PL133")[0].message
    hdf5 = snapshot_solver("out/run", "snapshot_format: HDF5")
    assert "Couldn't open" in only(lint_solver(tmp_path, hdf5), "PL133")[0].message
    never = snapshot_solver("out/run", "snapshot_after_train: false")
    assert not only(lint_solver(tmp_path, never), "PL133")  # nothing is ever written


@pytest.mark.parametrize("prefix", [None, "lenet", "models"])
def test_pl133_prefixes_caffe_can_write(tmp_path, prefix):
    (tmp_path / "models").mkdir()
    text = snapshot_solver(prefix, "snapshot: 50")
    assert not only(lint_solver(tmp_path, text, **{"train_val.prototxt": SNAPSHOT_NET}), "PL133")


def test_pl133_a_trailing_slash_names_the_directory_itself(tmp_path):
    text = snapshot_solver("snaps/", "snapshot: 50")
    [f] = only(lint_solver(tmp_path, text, **{"train_val.prototxt": SNAPSHOT_NET}), "PL133")
    assert 'the directory "snaps"' in f.message


def test_pl133_the_directory_is_looked_for_where_the_net_was_found(tmp_path):
    # The solver sits in models/; its net path is relative to the repository root above.
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "train_val.prototxt").write_text(SNAPSHOT_NET)
    text = snapshot_solver("models/snapshots/x", "snapshot: 50", net="models/train_val.prototxt")
    (tmp_path / "models" / "snapshots").mkdir()
    assert not only(lint_text(tmp_path, text, name="models/solver.prototxt"), "PL133")
    (tmp_path / "models" / "snapshots").rmdir()
    assert only(lint_text(tmp_path, text, name="models/solver.prototxt"), "PL133")


def test_pl133_nothing_to_judge_without_a_train_net_file(tmp_path):
    missing = snapshot_solver("snapshots/lenet", "snapshot: 50", net="absent.prototxt")
    assert not only(lint_solver(tmp_path, missing), "PL133")  # PL010 says the net is missing
    inline = missing.replace('net: "absent.prototxt"', 'net_param { name: "n" }')
    assert not only(lint_solver(tmp_path, inline), "PL133")
    far = missing.replace("snapshots/lenet", "/nonexistent-protolint/lenet")
    assert not only(lint_solver(tmp_path, far), "PL133")
    found = far.replace("absent.prototxt", "train_val.prototxt")
    assert only(lint_solver(tmp_path, found, **{"train_val.prototxt": SNAPSHOT_NET}), "PL133")


# ------------------------------------------------------------- PL135 test-net-weights-differ

def two_phase_net(train_side: int, test_side: int, test_output: int = 10) -> str:
    def data(phase, side):
        return (f'layer {{ name: "data" type: "Input" top: "data" top: "label" '
                f'include {{ phase: {phase} }} input_param {{ shape {{ dim: 2 dim: 3 '
                f'dim: {side} dim: {side} }} shape {{ dim: 2 }} }} }}\n')
    fc = ('layer {{ name: "ip" type: "InnerProduct" bottom: "data" top: "ip" {inc} '
          'inner_product_param {{ num_output: {n} weight_filler {{ type: "xavier" }} }} }}\n')
    return (data("TRAIN", train_side) + data("TEST", test_side)
            + fc.format(inc="include { phase: TRAIN }", n=10)
            + fc.format(inc="include { phase: TEST }", n=test_output)
            + 'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip" bottom: "label" }\n')


TESTING = ('net: "net.prototxt"\ntest_iter: 1\ntest_interval: 100\nbase_lr: 0.01\n'
           'lr_policy: "fixed"\nmomentum: 0.9\nmax_iter: 1000\n')


def test_pl135_a_test_net_whose_weights_cannot_take_the_trained_ones(tmp_path):
    [f] = only(lint_solver(tmp_path, TESTING, **{"net.prototxt": two_phase_net(32, 28)}),
               "PL135")
    assert "blob 0 is (10, 3072) in training but (10, 2352) in the test net" in f.message
    assert "at iteration 0 (test_initialization)" in f.message
    assert f.path.endswith("net.prototxt") and f.related  # two layers: both pointed at
    later = TESTING + "test_initialization: false\n"
    [f] = only(lint_solver(tmp_path, later), "PL135")
    assert "at iteration 100" in f.message
    [f] = only(lint_solver(tmp_path, TESTING, **{"net.prototxt": two_phase_net(28, 28, 5)}),
               "PL135")
    assert "(10, 2352) in training but (5, 2352)" in f.message


def test_pl135_same_weights_or_no_test_is_silent(tmp_path):
    assert not only(lint_solver(tmp_path, TESTING, **{"net.prototxt": two_phase_net(28, 28)}),
                    "PL135")
    never = TESTING.replace("test_interval: 100", "test_interval: 0")
    assert not only(lint_solver(tmp_path, never, **{"net.prototxt": two_phase_net(32, 28)}),
                    "PL135")
