"""Solver-type rules PL112-PL120: momentum, momentum2, delta and rms_decay by solver type,
and the type / solver_type fields."""

from __future__ import annotations

import pytest

from conftest import lint_text

HEAD = 'net_param { name: "n" }\nbase_lr: 0.001\nlr_policy: "fixed"\nmax_iter: 100\n'
ALL = {f"PL1{n}" for n in range(12, 21)}


def lint(tmp_path, body: str):
    """Findings of this module's codes for a solver made of HEAD and `body`."""
    return [f for f in lint_text(tmp_path, HEAD + body + "\n") if f.code in ALL]


def only(findings, code):
    return [f for f in findings if f.code == code]


def body_line(findings) -> int:
    """The finding's line within `body` (1-based)."""
    return findings[0].line - HEAD.count("\n")


# ------------------------------------------------------------------ PL112

@pytest.mark.parametrize("body, words", [
    ('type: "SGD"\nmomentum: 1', "never decays"),
    ("momentum: 1", "never decays"),  # SGD is the default type
    ('type: "SGD"\nmomentum: 1.2', "factor 1.2"),
    ('type: "Nesterov"\nmomentum: 1.01', "factor 1.01"),
    ('type: "Adam"\nmomentum: 1', "1 - beta1^t = 0"),
    ('type: "Adam"\nmomentum: 1.1', "oldest gradients"),
    ('type: "AdaDelta"\nmomentum: 1', "plain SGD"),
    ('type: "AdaDelta"\nmomentum: 1.05', "= 0.00045"),
    ("solver_type: ADAM\nmomentum: 1", "beta1"),  # the legacy enum decides the type
    ("momentum: nan", "NaN"),
    ("momentum: inf", "every update is NaN"),
])
def test_momentum_at_least_one_fires(tmp_path, body, words):
    found = only(lint(tmp_path, body), "PL112")
    assert len(found) == 1
    assert words in found[0].message
    assert body_line(found) == body.count("\n") + 1  # at the momentum line


@pytest.mark.parametrize("body", [
    'type: "SGD"\nmomentum: 0.99',
    'type: "Nesterov"\nmomentum: 1',  # the look-ahead damps it: converges
    'type: "Adam"\nmomentum: 0.9',
    'type: "AdaDelta"\nmomentum: 0.95',
    'type: "AdaGrad"\nmomentum: 1',  # PL113's business
    'type: "RMSProp"\nmomentum: 1',
    'type: "LARS"\nmomentum: 1',  # unknown types are not judged
    "momentum: -0.5",
])
def test_momentum_at_least_one_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL112")


def test_momentum_rounded_to_one_says_so(tmp_path):
    found = only(lint(tmp_path, "momentum: 0.99999999"), "PL112")
    assert len(found) == 1
    assert "0.99999999 (stored as the float32 1)" in found[0].message


def test_momentum_adadelta_threshold_uses_delta(tmp_path):
    found = only(lint(tmp_path, 'type: "AdaDelta"\nmomentum: 2\ndelta: 1e-4'), "PL112")
    assert "= 0.01 becomes NaN" in found[0].message


# ------------------------------------------------------------------ PL113

@pytest.mark.parametrize("body, kind", [
    ('type: "AdaGrad"\nmomentum: 0.9', "AdaGrad"),
    ('type: "RMSProp"\nmomentum: 0.5', "RMSProp"),
    ('type: "RMSProp"\nmomentum: -0.1', "RMSProp"),
    ('type: "RMSProp"\nmomentum: nan', "RMSProp"),
    ("solver_type: RMSPROP\nmomentum: 0.9", "RMSProp"),
    ("solver_type: ADAGRAD\nmomentum: 0.9", "AdaGrad"),
])
def test_momentum_not_allowed_fires(tmp_path, body, kind):
    found = only(lint(tmp_path, body), "PL113")
    assert len(found) == 1
    assert f"Momentum cannot be used with {kind}." in found[0].message
    assert body_line(found) == 2


@pytest.mark.parametrize("body", [
    'type: "RMSProp"\nmomentum: 0.0',
    'type: "AdaGrad"',
    'type: "RMSProp"\nmomentum: -0',
    'type: "Adam"\nmomentum: 0.9',
    "momentum: 0.9",
])
def test_momentum_not_allowed_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL113")


# ------------------------------------------------------------------ PL114

@pytest.mark.parametrize("body, line", [
    ('type: "Adam"', 1),
    ('type: "Adam"\nmomentum2: 0.999', 1),
    ("solver_type: ADAM", 1),
    ('momentum2: 0.999\ntype: "Adam"', 2),
])
def test_adam_without_momentum_fires(tmp_path, body, line):
    found = only(lint(tmp_path, body), "PL114")
    assert len(found) == 1
    assert "beta1" in found[0].message and "0.9" in found[0].fix
    assert body_line(found) == line  # at the field naming Adam


@pytest.mark.parametrize("body", [
    'type: "Adam"\nmomentum: 0.9',
    'type: "Adam"\nmomentum: 0',  # explicit beta1 = 0 is deliberate
    'type: "RMSProp"',
    'type: "SGD"',
    "",
])
def test_adam_without_momentum_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL114")


# ------------------------------------------------------------------ PL115

@pytest.mark.parametrize("value, words", [
    ("1", "no weight ever changes"),
    ("1.0", "no weight ever changes"),
    ("0.99999999", "(stored as the float32 1)"),
    ("1.001", "negative number"),
    ("nan", "NaN"),
])
def test_momentum2_at_least_one_fires(tmp_path, value, words):
    found = only(lint(tmp_path, f'type: "Adam"\nmomentum: 0.9\nmomentum2: {value}'), "PL115")
    assert len(found) == 1
    assert words in found[0].message
    assert body_line(found) == 3


@pytest.mark.parametrize("body", [
    'type: "Adam"\nmomentum: 0.9\nmomentum2: 0.999',
    'type: "Adam"\nmomentum: 0.9',  # default 0.999
    'type: "SGD"\nmomentum2: 1',  # only Adam reads momentum2
    "solver_type: RMSPROP\nmomentum2: 1",
])
def test_momentum2_at_least_one_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL115")


def test_momentum2_legacy_adam(tmp_path):
    assert only(lint(tmp_path, "solver_type: ADAM\nmomentum: 0.9\nmomentum2: 1"), "PL115")


# ------------------------------------------------------------------ PL116

@pytest.mark.parametrize("kind, value, words", [
    ("Adam", "0", "0/0 = NaN"),
    ("AdaGrad", "0", "0/0 = NaN"),
    ("RMSProp", "0.0", "0/0 = NaN"),
    ("AdaDelta", "0", "no weight ever changes"),
    ("Adam", "1e-50", "1e-50 (stored as the float32 0)"),
    ("RMSProp", "-1e-8", "below 1e-8, turning its step uphill"),
    ("AdaGrad", "-0.001", "below 0.001"),
    ("AdaDelta", "-1e-6", "numerator is -1e-6"),
    ("Adam", "nan", "NaN"),
])
def test_delta_fires(tmp_path, kind, value, words):
    found = only(lint(tmp_path, f'type: "{kind}"\ndelta: {value}'), "PL116")
    assert len(found) == 1
    assert words in found[0].message
    assert body_line(found) == 2


@pytest.mark.parametrize("body", [
    'type: "Adam"',  # default 1e-8
    'type: "Adam"\ndelta: 1e-8',
    'type: "AdaDelta"\ndelta: 1e-6',
    'type: "AdaGrad"\ndelta: 1.0',
    'type: "Adam"\ndelta: 1e-45',  # a float32 denormal: positive
    'type: "SGD"\ndelta: 0',  # SGD and Nesterov do not read delta
    'type: "Nesterov"\ndelta: -1',
])
def test_delta_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL116")


def test_delta_legacy_enum(tmp_path):
    assert only(lint(tmp_path, "solver_type: ADAGRAD\ndelta: 0"), "PL116")


# ------------------------------------------------------------------ PL117

@pytest.mark.parametrize("value, shown", [
    ("1", "rms_decay 1 "),
    ("1.5", "rms_decay 1.5 "),
    ("-0.1", "rms_decay -0.1 "),
    ("0.9999999999", "0.9999999999 (stored as the float32 1)"),
    ("nan", "rms_decay NaN "),
])
def test_rms_decay_fires(tmp_path, value, shown):
    found = only(lint(tmp_path, f'type: "RMSProp"\nrms_decay: {value}'), "PL117")
    assert len(found) == 1
    assert shown in found[0].message
    assert "rms_decay should lie between 0 and 1." in found[0].message
    assert body_line(found) == 2


@pytest.mark.parametrize("body", [
    'type: "RMSProp"',
    'type: "RMSProp"\nrms_decay: 0',
    'type: "RMSProp"\nrms_decay: 0.98',
    'type: "Adam"\nmomentum: 0.9\nrms_decay: 1',  # only RMSProp reads rms_decay
])
def test_rms_decay_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL117")


def test_rms_decay_legacy_enum(tmp_path):
    assert only(lint(tmp_path, "solver_type: RMSPROP\nrms_decay: 1"), "PL117")


# ------------------------------------------------------------------ PL118

@pytest.mark.parametrize("kind, guess", [
    ("adam", "Adam"),
    ("sgd", "SGD"),
    ("ADAM", "Adam"),
    ("Adadelta", "AdaDelta"),
    ("Nesterow", "Nesterov"),
    ("RMSprop", "RMSProp"),
    ("LARS", None),
    ("", None),
])
def test_unknown_solver_type(tmp_path, kind, guess):
    found = only(lint(tmp_path, f'type: "{kind}"'), "PL118")
    assert len(found) == 1
    assert f"Unknown solver type: {kind}" in found[0].message
    assert body_line(found) == 1
    if guess:
        assert f"did you mean '{guess}'" in found[0].message
        assert found[0].fix == f'write type: "{guess}"'
    else:
        assert "did you mean" not in found[0].message


@pytest.mark.parametrize("body", [
    'type: "SGD"', 'type: "Nesterov"', 'type: "AdaGrad"', 'type: "RMSProp"',
    'type: "AdaDelta"\nmomentum: 0.95', 'type: "Adam"\nmomentum: 0.9', "solver_type: ADAM", "",
])
def test_known_solver_types_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL118")


def test_unknown_type_skips_the_parameter_rules(tmp_path):
    found = lint(tmp_path, 'type: "adam"\nmomentum: 1\nmomentum2: 1\ndelta: 0')
    assert {f.code for f in found} == {"PL118"}


# ------------------------------------------------------------------ PL119

@pytest.mark.parametrize("enum, kind", [
    ("SGD", "SGD"), ("NESTEROV", "Nesterov"), ("ADAGRAD", "AdaGrad"),
    ("RMSPROP", "RMSProp"), ("ADADELTA", "AdaDelta"), ("ADAM", "Adam"),
])
def test_deprecated_solver_type(tmp_path, enum, kind):
    found = only(lint(tmp_path, f"momentum: 0.9\nsolver_type: {enum}"), "PL119")
    assert len(found) == 1
    assert f"solver_type: {enum}" in found[0].message
    assert found[0].fix == f'replace it with type: "{kind}"'
    assert body_line(found) == 2


def test_deprecated_solver_type_silent(tmp_path):
    assert not only(lint(tmp_path, 'type: "Adam"\nmomentum: 0.9'), "PL119")
    # with both fields PL120 reports the abort instead
    assert not only(lint(tmp_path, 'type: "Adam"\nsolver_type: ADAM\nmomentum: 0.9'), "PL119")


# ------------------------------------------------------------------ PL120

def test_solver_type_conflict_same(tmp_path):
    found = only(lint(tmp_path, 'type: "Adam"\nmomentum: 0.9\nsolver_type: ADAM'), "PL120")
    assert len(found) == 1
    f = found[0]
    assert "same solver" in f.message and "cannot be both specified" in f.message
    assert body_line(found) == 3  # at solver_type
    assert f.related and f.related[0][0].begin[0] - HEAD.count("\n") == 1  # type
    assert f.fix == 'delete the solver_type line and keep type: "Adam"'


def test_solver_type_conflict_different(tmp_path):
    found = only(lint(tmp_path, 'solver_type: SGD\ntype: "Adam"\nmomentum: 0.9'), "PL120")
    assert len(found) == 1
    assert 'disagree ("SGD" against "Adam")' in found[0].message
    assert 'type: "SGD"' in found[0].fix and 'type: "Adam"' in found[0].fix


@pytest.mark.parametrize("body", ['type: "SGD"', "solver_type: SGD", ""])
def test_solver_type_conflict_silent(tmp_path, body):
    assert not only(lint(tmp_path, body), "PL120")
