"""The learning-rate schedule agrees with real Caffe, iteration by iteration."""

from __future__ import annotations

import math

import pytest

from conftest import ORACLE, oracle_records, shared_or_skip
from protolint import messages
from protolint.floats import f32
from protolint.schedule import Schedule, ScheduleAborts
from protolint.schema import caffe_pb2
from protolint.textformat import parse

pb = caffe_pb2()
RECORDS = oracle_records("schedules.jsonl")


def solver(text: str):
    param = pb.SolverParameter()
    assert messages.fill(parse(text).root, param) == []
    return param


def same(ours: float, caffe: float) -> bool:
    if math.isnan(caffe):
        return math.isnan(ours)
    if math.isinf(caffe):
        return ours == caffe
    return math.isclose(ours, caffe, rel_tol=1e-5, abs_tol=0.0)


def test_agrees_with_caffe_on_every_oracle_record():
    shared_or_skip(ORACLE / "schedules.jsonl")
    assert len(RECORDS) >= 15
    for record in RECORDS:
        schedule = Schedule(solver(record["solver"]))
        if record.get("abort"):
            assert schedule.abort is not None, record["name"]
            caffe_words = record["abort"][0].split("] ", 1)[1].strip()
            assert schedule.abort.message.startswith(caffe_words.split(" (")[0]), record["name"]
            with pytest.raises(ScheduleAborts):
                schedule.rate(0)
            continue
        assert schedule.abort is None, record["name"]
        for iteration, lr in record["lr"]:
            assert same(schedule.rate(iteration), lr), (record["name"], iteration,
                                                       schedule.rate(iteration), lr)


@pytest.mark.parametrize("text, abort", [
    ('lr_policy: "Poly" base_lr: 0.1', "Unknown learning rate policy: Poly"),
    ('base_lr: 0.1', "Unknown learning rate policy: "),
    ('lr_policy: "step" base_lr: 0.1 gamma: 0.1', "stepsize() > 0"),
    ('lr_policy: "exp" base_lr: 0.1 gamma: -0.5', "gamma() >= 0"),
    ('lr_policy: "inv" base_lr: 0.1 gamma: nan', "gamma() >= 0"),
    ('lr_policy: "sigmoid" base_lr: 0.1 gamma: 0.1', "stepsize() > 0"),
    ('lr_policy: "fixed" base_lr: 0.1 gamma: -1', None),  # fixed never reads gamma
])
def test_checks(text, abort):
    found = Schedule(solver(text)).abort
    if abort is None:
        assert found is None
    else:
        assert found is not None and abort in found.message


def test_multistep_advances_one_step_per_iteration():
    s = Schedule(solver('lr_policy: "multistep" base_lr: 1 gamma: 0.5 '
                        "stepvalue: 100 stepvalue: 100 stepvalue: 50 stepvalue: 300"))
    assert s.multistep_changes == [100, 101, 102, 300]
    assert [s.rate(k) for k in (99, 100, 101, 102, 299, 300)] == [1, 0.5, 0.25, 0.125, 0.125, 0.0625]


def test_range_questions_take_few_evaluations_even_for_huge_ranges():
    s = Schedule(solver('lr_policy: "exp" base_lr: 0.001 gamma: 1.5 max_iter: 100000000'))
    calls = 0
    rate = s.rate

    def counted(k):
        nonlocal calls
        calls += 1
        return rate(k)

    s.rate = counted
    first_inf = s.first(math.isinf, 0, s.max_iter)
    # ln(FLT_MAX / 0.001) / ln(1.5) = 235.9: the first rate above FLT_MAX is at 236.
    assert first_inf == 236 and math.isinf(rate(236)) and not math.isinf(rate(235))
    assert calls < 64
    assert s.first_increase(0, s.max_iter) == 1
    assert s.extremes(0, 10) == (f32(0.001), f32(f32(0.001) * 1.5 ** 9))


def test_first_zero_and_warm_up():
    step = Schedule(solver('lr_policy: "step" base_lr: 0.1 stepsize: 50 max_iter: 1000'))
    assert step.first(lambda r: r == 0, 0, 1000) == 50  # gamma unset: 0 from the first step
    sig = Schedule(solver('lr_policy: "sigmoid" base_lr: 0.1 gamma: 0.1 stepsize: 10000 max_iter: 20000'))
    # exp(1000) overflows float: the warm-up starts at exactly 0.
    assert sig.rate(0) == 0 and sig.first(lambda r: r == 0, 0, 20000) == 0
    assert sig.first_increase(0, 20000) is not None
    assert sig.extremes(0, 20000)[1] <= f32(0.1)


def test_poly_past_and_without_max_iter():
    s = Schedule(solver('lr_policy: "poly" base_lr: 0.01 power: 2 max_iter: 10'))
    assert s.rate(10) == 0 and s.rate(20) == pytest.approx(0.01)  # even power comes back up
    s = Schedule(solver('lr_policy: "poly" base_lr: 0.01 power: 0.5 max_iter: 10'))
    assert math.isnan(s.rate(11))
    s = Schedule(solver('lr_policy: "poly" base_lr: 0.01 power: 1'))
    assert math.isnan(s.rate(0)) and s.rate(1) == -math.inf


def test_change_points():
    s = Schedule(solver('lr_policy: "step" base_lr: 1 gamma: 0.1 stepsize: 1 max_iter: 100000000'))
    assert s.change_points(s.max_iter, limit=5) == [1, 2, 3, 4, 5]


def test_schedule_command(tmp_path):
    import json

    from click.testing import CliRunner

    from protolint.cli import main

    path = tmp_path / "solver.prototxt"
    path.write_text('lr_policy: "multistep"\nbase_lr: 0.1\ngamma: 0.1\n'
                    "stepvalue: 120\nstepvalue: 60\nmax_iter: 200\n")
    result = CliRunner().invoke(main, ["schedule", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["policy"] == "multistep" and report["max_iter"] == 200
    points = dict(report["points"])
    # The sample over [0, 200] and both change points (120, then 121: one step per iteration).
    assert {0, 20, 100, 120, 121, 200} <= set(points)
    assert points[0] == 0.1  # the shortest decimal of the float32 rate
    assert [points[k] for k in (120, 121, 200)] == pytest.approx([0.01, 0.001, 0.001], rel=1e-6)
    at = CliRunner().invoke(main, ["schedule", str(path), "--at", "5", "--at", "121"])
    assert at.exit_code == 0 and at.output.splitlines()[1:] == [
        "           5  0.1", "         121  0.001"]
    # Caffe's iteration counter is an int: beyond it is a usage error, not a rate
    beyond = CliRunner().invoke(main, ["schedule", str(path), "--at", str(2**31)])
    assert beyond.exit_code == 2 and "2147483647" in beyond.output
    path.write_text('lr_policy: "poly"\nbase_lr: 0.01\npower: 0.9\n')
    nan = json.loads(CliRunner().invoke(main, ["schedule", str(path), "--format", "json",
                                               "--at", "0", "--at", "1"]).output)
    assert nan["points"] == [[0, "NaN"], [1, "Infinity"]]
    path.write_text('lr_policy: "Step"\nbase_lr: 0.01\n')
    aborted = CliRunner().invoke(main, ["schedule", str(path)])
    assert aborted.exit_code == 1 and "Unknown learning rate policy: Step" in aborted.output
    path.write_text('layer { name: "x" }\n')
    assert CliRunner().invoke(main, ["schedule", str(path)]).exit_code == 2


def test_schedule_command_matches_the_oracle(tmp_path):
    """`protolint schedule --format json` itself, on every oracle record."""
    import json

    from click.testing import CliRunner

    from protolint.cli import main

    shared_or_skip(ORACLE / "schedules.jsonl")
    decode = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    for record in RECORDS:
        path = tmp_path / f"{record['name']}.prototxt"
        path.write_text(record["solver"])
        args = ["schedule", str(path), "--format", "json"]
        for iteration, _ in record["lr"]:
            args += ["--at", str(iteration)]
        result = CliRunner().invoke(main, args)
        report = json.loads(result.output)
        if record.get("abort"):
            assert result.exit_code == 1 and "gamma() >= 0" in report["abort"], record["name"]
            continue
        assert result.exit_code == 0, record["name"]
        ours = {k: decode.get(v, v) for k, v in report["points"]}
        for iteration, lr in record["lr"]:
            assert same(ours[iteration], lr), (record["name"], iteration, ours[iteration], lr)


def test_schedule_refuses_a_value_caffe_cannot_read(tmp_path):
    from click.testing import CliRunner

    from protolint.cli import main

    path = tmp_path / "solver.prototxt"
    path.write_text('lr_policy: "fixed"\nbase_lr: 0.1\nmax_iter: 99999999999\n')
    result = CliRunner().invoke(main, ["schedule", str(path), "--format", "json"])
    assert result.exit_code == 2 and ":3:11: 99999999999 is out of range" in result.output
