"""The learning-rate schedule rules PL104-PL111: when each fires, what it says, where."""

from __future__ import annotations

import pytest

from conftest import codes, lint_text

NET = 'net_param { name: "n" }\n'
SCHEDULE_CODES = ("PL104", "PL105", "PL106", "PL107", "PL108", "PL109", "PL110", "PL111")


def lint(tmp_path, *lines):
    """Lint a solver made of `lines` (one field each, from line 1) and an inline net."""
    return lint_text(tmp_path, "\n".join(lines) + "\n" + NET)


def only(findings, code):
    return [f for f in findings if f.code == code]


def schedule_codes(findings):
    return sorted(c for c in codes(findings) if c in SCHEDULE_CODES)


# ----------------------------------------------------------------------------- PL104

@pytest.mark.parametrize("lines, fires, line", [
    (['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'max_iter: 1000'], True, 2),
    (['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 0'], True, 4),
    (['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: -100'], True, 4),
    (['base_lr: 0.1', 'lr_policy: "sigmoid"', 'gamma: 0.1', 'max_iter: 1000'], True, 2),
    (['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 1'], False, None),
    (['base_lr: 0.1', 'lr_policy: "poly"', 'power: 1', 'max_iter: 1000'], False, None),
    (['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 0.99', 'max_iter: 1000'], False, None),
    (['base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1', 'stepvalue: 10'], False, None),
])
def test_stepsize_not_positive(tmp_path, lines, fires, line):
    found = only(lint(tmp_path, *lines), "PL104")
    assert bool(found) is fires
    if fires:
        assert found[0].line == line
        assert "stepsize > 0" in found[0].message and "aborts" in found[0].message


def test_stepsize_unset_says_it_has_no_default(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1'), "PL104")
    assert "not set" in found[0].message and "no default" in found[0].message
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'stepsize: -3'), "PL104")
    assert "stepsize is -3" in found[0].message


def test_sigmoid_checks_gamma_before_stepsize(tmp_path):
    found = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "sigmoid"', 'gamma: -0.1')
    assert schedule_codes(found) == ["PL104", "PL106"]
    assert "once the gamma check before it passes" in only(found, "PL104")[0].message
    assert "fails first" not in only(found, "PL106")[0].message
    # step checks stepsize first: the gamma finding says so
    found = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'gamma: -0.1')
    assert schedule_codes(found) == ["PL104", "PL106"]
    assert "the stepsize check before it fails first" in only(found, "PL106")[0].message
    assert "once the" not in only(found, "PL104")[0].message


def test_stepsize_fix_suggests_a_third_of_max_iter(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1',
                      'max_iter: 90000'), "PL104")
    assert "stepsize: 30000" in found[0].fix


# ----------------------------------------------------------------------------- PL105

@pytest.mark.parametrize("lines, first, line, words", [
    (['base_lr: 0.1', 'lr_policy: "step"', 'stepsize: 50', 'max_iter: 1000'],
     50, 2, "gamma is not set"),
    (['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0', 'stepsize: 50', 'max_iter: 1000'],
     50, 3, "gamma is 0,"),
    (['base_lr: 0.1', 'lr_policy: "exp"', 'max_iter: 1000'], 1, 2, "gamma is not set"),
    (['base_lr: 0.1', 'lr_policy: "multistep"', 'stepvalue: 300', 'stepvalue: 600',
      'max_iter: 1000'], 300, 2, "gamma is not set"),
    # float underflow: 0.1 * 0.9^k is below the smallest float from k = 965
    (['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 0.9', 'max_iter: 100000'],
     965, 3, "smallest float"),
    (['base_lr: 0.1', 'lr_policy: "inv"', 'gamma: 1', 'power: 300', 'max_iter: 100'],
     1, 3, "smallest float"),
])
def test_lr_reaches_zero(tmp_path, lines, first, line, words):
    found = only(lint(tmp_path, *lines), "PL105")
    assert len(found) == 1
    assert f"0 from iteration {first} on" in found[0].message
    assert words in found[0].message and found[0].line == line


@pytest.mark.parametrize("lines", [
    ['base_lr: 0.1', 'lr_policy: "step"', 'stepsize: 5000', 'max_iter: 5000'],  # no step
    ['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 50', 'max_iter: 1000'],
    ['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 0.99', 'max_iter: 1000'],
    ['base_lr: 0.1', 'lr_policy: "multistep"', 'stepvalue: 2000', 'max_iter: 1000'],
    ['base_lr: 0.1', 'lr_policy: "poly"', 'power: 0.9', 'max_iter: 1000'],  # 0 only at max_iter
    ['lr_policy: "exp"', 'max_iter: 1000'],  # base_lr unset: PL102's
    ['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: -1', 'max_iter: 1000'],  # aborts: PL106
    # a sigmoid warm-up that starts at exactly 0 (exp overflows) but rises: by design
    ['base_lr: 0.1', 'lr_policy: "sigmoid"', 'gamma: 0.1', 'stepsize: 10000',
     'max_iter: 20000'],
])
def test_lr_reaches_zero_silent(tmp_path, lines):
    assert "PL105" not in codes(lint(tmp_path, *lines))


def test_sigmoid_at_zero_for_the_whole_run(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "sigmoid"', 'gamma: 0.1',
                      'stepsize: 100000', 'max_iter: 1000'), "PL105")
    assert len(found) == 1 and found[0].line == 4
    assert "exactly 0 at every iteration" in found[0].message


# ----------------------------------------------------------------------------- PL106

@pytest.mark.parametrize("policy", ["step", "exp", "inv", "multistep", "sigmoid"])
@pytest.mark.parametrize("gamma, shown", [("-0.1", "gamma is -0.1"), ("nan", "gamma is NaN")])
def test_gamma_negative(tmp_path, policy, gamma, shown):
    found = only(lint(tmp_path, 'base_lr: 0.1', f'lr_policy: "{policy}"', f"gamma: {gamma}",
                      "stepsize: 100", "power: 0.75", "max_iter: 1000"), "PL106")
    assert len(found) == 1 and found[0].line == 3
    assert shown in found[0].message and "gamma >= 0" in found[0].message


@pytest.mark.parametrize("lines", [
    ['base_lr: 0.1', 'lr_policy: "fixed"', 'gamma: -1'],  # fixed never reads gamma
    ['base_lr: 0.1', 'lr_policy: "poly"', 'gamma: -1', 'power: 1', 'max_iter: 10'],
    ['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 0', 'max_iter: 10'],
    ['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 5'],
])
def test_gamma_negative_silent(tmp_path, lines):
    assert "PL106" not in codes(lint(tmp_path, *lines))


def test_negative_sigmoid_gamma_explains_there_is_no_decay(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "sigmoid"', 'gamma: -0.01',
                      'stepsize: 100'), "PL106")
    assert "only rises" in found[0].message and '"step"' in found[0].fix


# ----------------------------------------------------------------------------- PL107

@pytest.mark.parametrize("lines, first, peak, line", [
    (['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 1.001', 'max_iter: 1000'],
     1, "0.271434", 3),
    (['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 2', 'stepsize: 100', 'max_iter: 1000'],
     100, "51.2", 3),
    (['base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 3', 'stepvalue: 10',
      'stepvalue: 20', 'max_iter: 1000'], 10, "0.9", 3),
    (['base_lr: 0.1', 'lr_policy: "inv"', 'gamma: 0.1', 'power: -0.5', 'max_iter: 1000'],
     1, "1.00449", 4),
    (['base_lr: 0.1', 'lr_policy: "poly"', 'power: -1', 'max_iter: 1000'], 1, "100.001", 3),
])
def test_lr_increases(tmp_path, lines, first, peak, line):
    found = only(lint(tmp_path, *lines), "PL107")
    assert len(found) == 1 and found[0].line == line
    assert f"at iteration {first} and peaks at {peak}" in found[0].message


def test_lr_increase_names_the_peak_iteration(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'gamma: 2',
                      'stepsize: 100', 'max_iter: 1000'), "PL107")
    assert "at iteration 900" in found[0].message and "512 x base_lr" in found[0].message


@pytest.mark.parametrize("lines", [
    ['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 1.5', 'max_iter: 100000'],  # inf: PL108
    ['base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 0.999', 'max_iter: 1000'],
    ['base_lr: 0.1', 'lr_policy: "sigmoid"', 'gamma: 0.01', 'stepsize: 500',
     'max_iter: 1000'],  # a warm-up by design
    ['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 2', 'stepsize: 1000', 'max_iter: 1000'],
    ['base_lr: -0.1', 'lr_policy: "step"', 'gamma: 0.5', 'stepsize: 10', 'max_iter: 100'],
])
def test_lr_increases_silent(tmp_path, lines):
    assert "PL107" not in codes(lint(tmp_path, *lines))


# ----------------------------------------------------------------------------- PL108

@pytest.mark.parametrize("lines, first, value, line", [
    # ln(FLT_MAX / 0.001) / ln(1.5) = 235.9 (the oracle's exp_gamma_gt1, run longer)
    (['base_lr: 0.001', 'lr_policy: "exp"', 'gamma: 1.5', 'max_iter: 100000'],
     236, "+inf", 3),
    (['base_lr: 0.1', 'lr_policy: "step"', 'gamma: 1e10', 'stepsize: 10', 'max_iter: 100'],
     40, "+inf", 3),
    # pow(1, NaN) is 1: the rate is finite at iteration 0 and NaN from 1
    (['base_lr: 0.1', 'lr_policy: "inv"', 'gamma: 0.1', 'power: nan', 'max_iter: 100'],
     1, "NaN", 4),
    (['base_lr: 0.1', 'lr_policy: "poly"', 'power: nan', 'max_iter: 100'], 1, "NaN", 3),
    # pow(float, float) is a float: (1 + k)^20 overflows at k = 84 before base_lr scales it
    (['base_lr: 0.1', 'lr_policy: "inv"', 'gamma: 1', 'power: -20', 'max_iter: 100'],
     84, "+inf", 4),
    (['base_lr: inf', 'lr_policy: "fixed"', 'max_iter: 100'], 0, "+inf", 1),
    (['base_lr: 0.1', 'lr_policy: "sigmoid"', 'gamma: inf', 'stepsize: 50', 'max_iter: 100'],
     50, "NaN", 3),
])
def test_lr_not_finite(tmp_path, lines, first, value, line):
    found = lint(tmp_path, *lines)
    assert "PL107" not in codes(found)
    found = only(found, "PL108")
    assert len(found) == 1 and found[0].line == line
    assert f"the rate is {value} at iteration {first} " in found[0].message


@pytest.mark.parametrize("lines", [
    ['base_lr: 0.001', 'lr_policy: "exp"', 'gamma: 1.5', 'max_iter: 200'],  # finite to 199
    ['base_lr: 0.001', 'lr_policy: "exp"', 'gamma: 1.5'],  # no max_iter: PL107's warning
    ['base_lr: 0.01', 'lr_policy: "poly"', 'power: 0.9'],  # PL101's
    ['base_lr: nan', 'lr_policy: "fixed"', 'max_iter: 100'],  # PL102's
    ['base_lr: 0.1', 'lr_policy: "inv"', 'gamma: 0', 'power: nan', 'max_iter: 100'],
])
def test_lr_not_finite_silent(tmp_path, lines):
    assert "PL108" not in codes(lint(tmp_path, *lines))


def test_exp_growth_below_overflow_is_an_increase(tmp_path):
    found = lint(tmp_path, 'base_lr: 0.001', 'lr_policy: "exp"', 'gamma: 1.5', 'max_iter: 200')
    assert schedule_codes(found) == ["PL107"]


# ----------------------------------------------------------------------------- PL109

@pytest.mark.parametrize("lines, words, line", [
    (['base_lr: 0.001', 'lr_policy: "step"', 'gamma: 1', 'stepsize: 5000', 'max_iter: 60000'],
     "gamma is 1", 3),
    (['base_lr: 0.001', 'lr_policy: "exp"', 'gamma: 1', 'max_iter: 60000'], "gamma is 1", 3),
    (['base_lr: 0.001', 'lr_policy: "multistep"', 'gamma: 0.1', 'max_iter: 60000'],
     "no stepvalue", 2),
    (['base_lr: 0.001', 'lr_policy: "multistep"', 'gamma: 0.1', 'stepvalue: 60000',
      'max_iter: 60000'], "no stepvalue is below max_iter 60000", 4),
    (['base_lr: 0.001', 'lr_policy: "inv"', 'power: 0.75', 'max_iter: 100'],
     "gamma is not set", 2),
    (['base_lr: 0.001', 'lr_policy: "inv"', 'gamma: 0.1', 'power: 0', 'max_iter: 100'],
     "power is 0", 4),
    (['base_lr: 0.001', 'lr_policy: "poly"', 'max_iter: 100'], "power is not set", 2),
    (['base_lr: 0.001', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 500', 'max_iter: 500'],
     "stepsize 500 is not below max_iter 500", 4),
])
def test_lr_schedule_constant(tmp_path, lines, words, line):
    found = only(lint(tmp_path, *lines), "PL109")
    assert len(found) == 1 and found[0].line == line
    assert words in found[0].message and "0.001 for all" in found[0].message
    assert '"fixed"' in found[0].fix


def test_sigmoid_without_gamma_runs_at_half_the_rate(tmp_path):
    # the oracle's sigmoid_no_gamma: lr = 0.005 throughout with base_lr 0.01
    found = only(lint(tmp_path, 'base_lr: 0.01', 'lr_policy: "sigmoid"', 'stepsize: 80',
                      'max_iter: 1000'), "PL109")
    assert len(found) == 1 and found[0].line == 2
    assert "base_lr / 2" in found[0].message and "0.005" in found[0].message
    assert "half" in found[0].message and "base_lr: 0.005" in found[0].fix
    found = only(lint(tmp_path, 'base_lr: 0.01', 'lr_policy: "sigmoid"', 'gamma: 0',
                      'stepsize: 80', 'max_iter: 1000'), "PL109")
    assert found[0].line == 3


@pytest.mark.parametrize("lines", [
    ['base_lr: 0.001', 'lr_policy: "fixed"', 'max_iter: 100'],
    ['base_lr: 0.001', 'lr_policy: "step"', 'gamma: 1', 'stepsize: 10'],  # no max_iter
    ['base_lr: 0.001', 'lr_policy: "step"', 'gamma: 1', 'stepsize: 10', 'max_iter: 1'],
    ['base_lr: 0.001', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 10', 'max_iter: 100'],
    ['base_lr: 0.001', 'lr_policy: "sigmoid"', 'gamma: 0.1', 'stepsize: 10',
     'max_iter: 100'],
    # stepvalues beyond max_iter or out of order are PL110's
    ['base_lr: 0.001', 'lr_policy: "multistep"', 'gamma: 0.1', 'stepvalue: 200',
     'max_iter: 100'],
    ['lr_policy: "step"', 'gamma: 1', 'stepsize: 10', 'max_iter: 100'],  # base_lr 0: PL102
])
def test_lr_schedule_constant_silent(tmp_path, lines):
    assert "PL109" not in codes(lint(tmp_path, *lines))


# ----------------------------------------------------------------------------- PL110

def test_unsorted_stepvalue_fires_the_iteration_after(tmp_path):
    # the oracle's multistep_unsorted: steps at 120 and 121
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1',
                      'stepvalue: 120', 'stepvalue: 60', 'max_iter: 200'), "PL110")
    assert len(found) == 1 and found[0].line == 5
    message = found[0].message
    assert "below the stepvalue before it (120)" in message
    assert "at iteration 121, not 60" in message and "iterations 120, 121)" in message


def test_repeated_and_delayed_stepvalues(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1',
                      'stepvalue: 100', 'stepvalue: 100', 'stepvalue: 101', 'stepvalue: 300',
                      'max_iter: 1000'), "PL110")
    assert [f.line for f in found] == [5, 6]
    assert "repeats" in found[0].message and "iteration 101, not 100" in found[0].message
    assert "delayed" in found[1].message and "iteration 102, not 101" in found[1].message


def test_stepvalue_above_max_iter_never_fires(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1',
                      'stepvalue: 500', 'stepvalue: 1500', 'max_iter: 1000'), "PL110")
    assert len(found) == 1 and found[0].line == 5
    assert "never happens" in found[0].message and "stays 0.01" in found[0].message


def test_late_step_pushed_past_max_iter(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1',
                      'stepvalue: 2000', 'stepvalue: 500', 'max_iter: 1000'), "PL110")
    assert [f.line for f in found] == [4, 5]
    assert "iteration 2001, not 500" in found[1].message
    assert "never happens" in found[1].message


@pytest.mark.parametrize("lines", [
    ['stepvalue: 100', 'stepvalue: 200', 'max_iter: 1000'],
    ['stepvalue: 100', 'stepvalue: 1000', 'max_iter: 1000'],  # at max_iter: no effect
    ['stepvalue: 100', 'stepvalue: 5000'],  # no max_iter: nothing is past it
])
def test_multistep_stepvalues_silent(tmp_path, lines):
    found = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1', *lines)
    assert "PL110" not in codes(found)


def test_stepvalues_in_list_syntax_point_at_the_element(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1',
                      'stepvalue: [300, 200]', 'max_iter: 1000'), "PL110")
    assert len(found) == 1 and found[0].location.begin == (4, 18)


def test_stepvalues_of_other_policies_are_ignored(tmp_path):
    found = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 10',
                 'stepvalue: 300', 'stepvalue: 200', 'max_iter: 100')
    assert "PL110" not in codes(found)


# ----------------------------------------------------------------------------- PL111

@pytest.mark.parametrize("policy, suggestion", [
    ("Poly", "poly"), ("STEP", "step"), ("multstep", "multistep"), ("Fixed", "fixed"),
])
def test_unknown_policy_did_you_mean(tmp_path, policy, suggestion):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'max_iter: 10', f'lr_policy: "{policy}"'),
                 "PL111")
    assert len(found) == 1 and found[0].line == 3
    assert f'did you mean "{suggestion}"?' in found[0].message
    assert found[0].fix == f'write lr_policy: "{suggestion}"'


def test_missing_policy_points_at_the_file_start(tmp_path):
    found = only(lint(tmp_path, 'base_lr: 0.1', 'max_iter: 10'), "PL111")
    assert len(found) == 1 and found[0].location.begin == (1, 1)
    assert "not set" in found[0].message and "no default" in found[0].message


@pytest.mark.parametrize("policy, words", [
    ("vstep", "Caffe forks"), ("multifixed", "Caffe forks"), ("plateau", "Caffe forks"),
    ("exponential", "not a policy of BVLC Caffe"), ("", "the empty string"),
])
def test_unknown_policy_without_suggestion(tmp_path, policy, words):
    found = only(lint(tmp_path, 'base_lr: 0.1', f'lr_policy: "{policy}"'), "PL111")
    assert len(found) == 1 and words in found[0].message
    assert "did you mean" not in found[0].message  # vstep is one letter from step


@pytest.mark.parametrize("policy", ["fixed", "step", "exp", "inv", "multistep", "poly",
                                    "sigmoid"])
def test_known_policies_are_accepted(tmp_path, policy):
    assert "PL111" not in codes(lint(tmp_path, 'base_lr: 0.1', f'lr_policy: "{policy}"'))


def test_unknown_policy_silences_the_other_schedule_rules(tmp_path):
    found = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "Step"', 'gamma: 5', 'max_iter: 100')
    assert schedule_codes(found) == ["PL111"]


# ------------------------------------------------- runs without max_iter, poly's own end

def test_schedules_without_max_iter_are_judged_as_a_script_would_run_them(tmp_path):
    """`caffe train` runs nothing without max_iter (PL127), but solver.step(n) does."""
    [zero] = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'stepsize: 100'), "PL105")
    assert "the rate is 0 from iteration 100 on" in zero.message
    assert "a run without max_iter" in zero.message
    [inf] = only(lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "exp"', 'gamma: 1.5'), "PL107")
    assert "peaks at inf" in inf.message  # a warning: the run's length is unknown
    # A decay underflowing after millions of iterations a script may never run: silent.
    slow = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "step"', 'gamma: 0.1', 'stepsize: 10000')
    assert schedule_codes(slow) == []
    rising = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "inv"', 'gamma: 0.1', 'power: -1')
    assert only(rising, "PL107")
    poly = lint(tmp_path, 'base_lr: 0.1', 'lr_policy: "poly"', 'power: 0.9')
    assert schedule_codes(poly) == [] and "PL101" in codes(poly)  # poly's NaN is PL101's


def test_poly_reaching_zero_just_before_a_huge_max_iter_is_by_design(tmp_path):
    # iter / max_iter rounds to 1 in float32 for the last few of 10^8 iterations.
    lines = ('base_lr: 0.01', 'lr_policy: "poly"', 'power: 0.9', 'max_iter: 100000000')
    assert "PL105" not in codes(lint(tmp_path, *lines))
    steep = ('base_lr: 0.01', 'lr_policy: "poly"', 'power: 100', 'max_iter: 1000')
    assert "PL105" in codes(lint(tmp_path, *steep))  # 0 for the last third of the run


def test_a_first_stepvalue_at_or_below_zero_steps_as_written(tmp_path):
    lines = ['base_lr: 0.1', 'lr_policy: "multistep"', 'gamma: 0.1', 'max_iter: 1000']
    assert "PL110" not in codes(lint(tmp_path, *lines, 'stepvalue: -5', 'stepvalue: 100'))
    [late] = only(lint(tmp_path, *lines, 'stepvalue: 100', 'stepvalue: -5'), "PL110")
    assert "happens at iteration 101, not -5" in late.message


def test_a_value_that_was_not_read_is_not_judged_as_unset(tmp_path):
    found = lint(tmp_path, 'base_lr: "abc"', 'lr_policy: "fixed"', 'max_iter: 99999999999')
    assert sorted(c for c in codes(found) if c in ("PL004", "PL102", "PL127")) == [
        "PL004", "PL004"]
