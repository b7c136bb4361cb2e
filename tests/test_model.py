"""The net and solver model: phase selection, the blob graph, following a solver's nets."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import codes, lint_text
from protolint.lint import Options, run
from protolint.net import TEST, TRAIN, layer_included, rule_matches
from protolint.project import Project
from protolint.schema import caffe_pb2
from protolint.solver import search_paths

pb = caffe_pb2()


def state(phase=TRAIN, level=0, stages=()):
    s = pb.NetState(phase=phase, level=level)
    s.stage.extend(stages)
    return s


def rule(**fields):
    r = pb.NetStateRule()
    for k, v in fields.items():
        if isinstance(v, list):
            getattr(r, k).extend(v)
        else:
            setattr(r, k, v)
    return r


@pytest.mark.parametrize("r, s, expected", [
    (rule(phase=TRAIN), state(TRAIN), True),
    (rule(phase=TRAIN), state(TEST), False),
    (rule(min_level=2), state(level=1), False),
    (rule(min_level=2), state(level=2), True),
    (rule(max_level=0), state(level=1), False),
    (rule(stage=["a", "b"]), state(stages=["a"]), False),
    (rule(stage=["a", "b"]), state(stages=["b", "a", "c"]), True),
    (rule(not_stage=["deploy"]), state(stages=["deploy"]), False),
    (rule(not_stage=["deploy"]), state(stages=["x"]), True),
])
def test_state_meets_rule_like_caffe(r, s, expected):
    assert rule_matches(s, r) is expected


def test_include_and_exclude_select_layers():
    layer = pb.LayerParameter()
    assert layer_included(layer, state(TEST))
    layer.include.add(phase=TRAIN)
    layer.include.add(phase=TEST, stage=["val"])
    assert layer_included(layer, state(TRAIN))
    assert not layer_included(layer, state(TEST))
    assert layer_included(layer, state(TEST, stages=["val"]))
    other = pb.LayerParameter()
    other.exclude.add(phase=TEST)
    assert layer_included(other, state(TRAIN)) and not layer_included(other, state(TEST))


NET = """name: "n"
layer { name: "d" type: "Input" top: "data" top: "label" }
layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" }
layer { name: "bn" type: "BatchNorm" bottom: "conv" top: "conv" }
layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
layer { name: "fc" type: "InnerProduct" bottom: "conv" top: "fc" }
layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" include { phase: TRAIN } }
layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss"
        exclude { phase: TEST } }
layer { name: "prob" type: "Softmax" bottom: "fc" top: "prob" include { phase: TEST } }
"""


def _net(tmp_path, text=NET):
    path = tmp_path / "net.prototxt"
    path.write_text(text)
    project = Project(cwd=tmp_path)
    project.lint_file(path, "net.prototxt")
    return project.nets[0]


def test_views_per_phase_and_in_place_graph(tmp_path):
    net = _net(tmp_path)
    train, test = net.views
    assert (train.phase_name, test.phase_name) == ("TRAIN", "TEST")
    assert [l.name for l in train.layers] == ["d", "conv", "bn", "relu", "fc", "drop", "loss"]
    assert [l.name for l in test.layers] == ["d", "conv", "bn", "relu", "fc", "prob"]
    by = {l.name: l for l in net.layers}
    # In place: relu reads bn's rewrite of "conv", fc reads relu's.
    assert train.source(by["relu"], 0).layer is by["bn"]
    assert train.source(by["fc"], 0).layer is by["relu"]
    assert [e.layer.name for e in train.readers(by["conv"], 0)] == ["bn"]
    assert train.source(by["loss"], 0).layer is by["drop"]
    assert test.source(by["prob"], 0).layer is by["fc"]
    assert train.source(by["conv"], 0).layer is by["d"]
    assert train.trains and not test.trains


def test_a_deploy_net_is_not_trained(tmp_path):
    net = _net(tmp_path, NET.replace('type: "SoftmaxWithLoss"', 'type: "Accuracy"'))
    assert not any(view.trains for view in net.views)


def test_v1_net_is_upgraded_and_keeps_locations(tmp_path):
    net = _net(tmp_path, 'name: "old"\nlayers {\n  name: "pool" type: POOLING\n'
                         '  pooling_param { kernel_size: 2 stride: 4 }\n}\n')
    assert net.format == "v1"
    assert [(l.name, l.type) for l in net.layers] == [("pool", "Pooling")]
    loc = net.layers[0].location("pooling_param.stride")
    assert loc.begin == (4, 34)


def test_solver_nets_and_states(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "train_val.prototxt").write_text(NET)
    solver = tmp_path / "models" / "solver.prototxt"
    solver.write_text('net: "models/train_val.prototxt"\ntest_iter: 5\ntest_iter: 5\n'
                      'test_state { stage: "a" }\ntest_state { stage: "b" }\n'
                      'train_state { level: 3 }\nbase_lr: 0.1\nlr_policy: "fixed"\n')
    project = Project(cwd=tmp_path)
    project.lint_file(solver, "models/solver.prototxt")
    (s,) = project.solvers
    assert [(u.role, u.field.name) for u in s.uses] == [("train", "net"), ("test", "net"),
                                                        ("test", "net")]
    (net,) = s.nets
    assert [(st.phase, st.level, list(st.stage)) for st in net.states] == [
        (TRAIN, 3, []), (TEST, 0, ["a"]), (TEST, 0, ["b"])]
    assert net.solver_trained


def test_inline_net_param_is_not_upgraded(tmp_path):
    findings = lint_text(tmp_path, 'base_lr: 0.1\nlr_policy: "fixed"\n'
                         'net_param { layers { name: "p" type: POOLING } }\n')
    assert "PL006" not in codes(findings)


def test_net_search_order(tmp_path):
    cwd, solver_dir, root = tmp_path / "cwd", tmp_path / "a" / "b", tmp_path / "root"
    tried = search_paths("nets/x.prototxt", cwd, solver_dir, [root])
    assert tried[:4] == [cwd / "nets/x.prototxt", solver_dir / "nets/x.prototxt",
                         tmp_path / "a" / "nets/x.prototxt", tmp_path / "nets/x.prototxt"]
    assert tried[-1] == root / "nets/x.prototxt"
    assert search_paths("/abs/x.prototxt", cwd, solver_dir, [root]) == [Path("/abs/x.prototxt")]


def test_missing_net_lists_where_it_looked_and_root_finds_it(tmp_path):
    solver = tmp_path / "exp" / "solver.prototxt"
    solver.parent.mkdir()
    solver.write_text('net: "models/net.prototxt"\nbase_lr: 0.1\nlr_policy: "fixed"\n')
    result = run([str(solver)], Options(cwd=tmp_path / "exp"))
    (missing,) = [f for f in result.findings if f.code == "PL010"]
    assert str(tmp_path / "exp" / "models" / "net.prototxt") in missing.message
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "models").mkdir(parents=True)
    (elsewhere / "models" / "net.prototxt").write_text(NET.replace("stride", "x"))
    result = run([str(solver)], Options(cwd=tmp_path / "exp", roots=[elsewhere]))
    assert "PL010" not in codes(result.findings)
    assert len(result.files) == 2


def test_a_net_reached_twice_is_linted_once(tmp_path):
    (tmp_path / "net.prototxt").write_text(
        NET + 'layer { name: "p" type: "Pooling" bottom: "conv" top: "p" '
              'pooling_param { kernel_size: 1 stride: 2 } }\n')
    (tmp_path / "solver.prototxt").write_text('net: "net.prototxt"\nbase_lr: 0.1\nlr_policy: "fixed"\n')
    result = run([str(tmp_path)], Options(cwd=tmp_path))
    assert codes(result.findings).count("PL201") == 1
