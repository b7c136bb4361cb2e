"""Value ranges: intervals per blob, sound for float32."""

from __future__ import annotations

import math

import pytest

from protolint.project import Project
from protolint.ranges import UNBOUNDED, Interval, analyse, power_range


def ranges_of(tmp_path, text: str, phase: int = 0):
    path = tmp_path / "net.prototxt"
    path.write_text(text)
    project = Project(cwd=tmp_path)
    project.lint_file(path, "net.prototxt")
    view = next(v for v in project.nets[0].views if v.phase == phase)
    result = analyse(view)
    return {layer.name: result.top(layer) for layer in view.layers}


DATA = ('layer { name: "data" type: "Data" top: "data" top: "label" '
        'transform_param { scale: 0.00390625 mean_value: 104 mean_value: 117 mean_value: 123 } }\n')


def chain(*layers: str) -> str:
    text, bottom = DATA, "data"
    for i, spec in enumerate(layers):
        kind, _, extra = spec.partition(" ")
        name = f"l{i}"
        text += f'layer {{ name: "{name}" type: "{kind}" bottom: "{bottom}" top: "{name}" {extra} }}\n'
        bottom = name
    return text


def test_data_is_bytes_after_the_transform(tmp_path):
    r = ranges_of(tmp_path, chain())
    assert r["data"] == Interval((0 - 123) * 0.00390625, (255 - 104) * 0.00390625)


@pytest.mark.parametrize("layers, expected", [
    (["Convolution"], UNBOUNDED),
    (["Convolution", "ReLU"], Interval(0.0, math.inf)),
    (["Convolution", "ReLU relu_param { negative_slope: 0.1 }"], Interval(-math.inf, math.inf)),
    (["Convolution", "Sigmoid"], Interval(0.0, 1.0)),  # float sigmoid reaches exactly 0 and 1
    (["Convolution", "TanH"], Interval(-1.0, 1.0)),
    (["Convolution", "Softmax"], Interval(0.0, 1.0)),
    (["Convolution", "AbsVal"], Interval(0.0, math.inf)),
    (["Convolution", "BNLL"], Interval(0.0, math.inf)),
    (["Convolution", "Sigmoid", "Power power_param { scale: 2 shift: -1 }"], Interval(-1.0, 1.0)),
    (["Convolution", "Sigmoid", "Power power_param { power: 2 shift: -0.5 }"], Interval(0.0, 0.25)),
    (["Convolution", "TanH", "Exp"], Interval(math.exp(-1), math.exp(1))),
    (["Convolution", "Sigmoid", "Log"], Interval(-math.inf, 0.0)),
    (["Convolution", "Exp exp_param { base: 2 }"], Interval(0.0, math.inf)),
    (["Convolution", "Threshold threshold_param { threshold: 0.5 }"], Interval(0.0, 1.0)),
    (["Convolution", "Clip clip_param { min: -2 max: 3 }"], Interval(-2.0, 3.0)),
    (["Convolution", "TanH", "Dropout dropout_param { dropout_ratio: 0.5 }"], Interval(-2.0, 2.0)),
    (["Convolution", "ELU"], Interval(-1.0, math.inf)),
    (["Convolution", "ReLU", "LRN lrn_param { k: 2 beta: 1 }"], Interval(0.0, math.inf)),
    (["Convolution", "TanH", "Swish swish_param { beta: 0 }"], Interval(-0.5, 0.5)),
    (["Convolution", "TanH", "Swish swish_param { beta: -1 }"], Interval(-1.0, 0.27846455)),
    (["Convolution", "Sigmoid", "Swish swish_param { beta: -2 }"], Interval(0.0, 0.139232275)),
    (["Convolution", "TanH", "Swish"], Interval(-0.27846455, 1.0)),
    (["Convolution", "TanH", "Pooling pooling_param { pool: STOCHASTIC kernel_size: 2 }"],
     UNBOUNDED),
    (["Convolution", "Sigmoid", "Pooling pooling_param { pool: STOCHASTIC kernel_size: 2 }"],
     Interval(0.0, 1.0)),
    (["Convolution", "TanH", "LRN lrn_param { k: 2 beta: 1 }"], Interval(-0.5, 0.5)),
    (["Convolution", "TanH", "LRN lrn_param { k: 0 }"], UNBOUNDED),
    (["Convolution", "Sigmoid", "Pooling pooling_param { pool: AVE kernel_size: 2 }"], Interval(0.0, 1.0)),
    (["Convolution", "Sigmoid", "BatchNorm"], UNBOUNDED),
])
def test_transfer_functions(tmp_path, layers, expected):
    r = ranges_of(tmp_path, chain(*layers))
    last = r[f"l{len(layers) - 1}"]
    assert last.low == pytest.approx(expected.low) and last.high == pytest.approx(expected.high)


def test_dropout_passes_values_through_in_test(tmp_path):
    text = chain("Convolution", "TanH", "Dropout dropout_param { dropout_ratio: 0.5 }")
    assert ranges_of(tmp_path, text, phase=1)["l2"] == Interval(-1.0, 1.0)


def test_a_layers_own_phase_decides_how_dropout_computes(tmp_path):
    """Net::Init keeps a written `phase`: marked TEST, Dropout copies even in TRAIN;
    marked TRAIN, it scales by 1/(1 - ratio) even in TEST."""
    as_test = chain("Convolution", "TanH", "Dropout phase: TEST")
    assert ranges_of(tmp_path, as_test, phase=0)["l2"] == Interval(-1.0, 1.0)
    as_train = chain("Convolution", "TanH", "Dropout phase: TRAIN")
    assert ranges_of(tmp_path, as_train, phase=1)["l2"] == Interval(-2.0, 2.0)


def test_window_data_is_scaled_by_its_own_scale(tmp_path):
    """WindowDataLayer multiplies by window_data_param.scale; transform_param's is unread."""
    text = ('layer { name: "w" type: "WindowData" top: "w" top: "label" '
            'transform_param { scale: 0.5 } window_data_param { scale: 0.25 } }\n')
    assert ranges_of(tmp_path, text)["w"] == Interval(0.0, 255 * 0.25)
    data = text.replace("WindowData", "Data").replace("window_data_param { scale: 0.25 }", "")
    assert ranges_of(tmp_path, data)["w"] == Interval(0.0, 255 * 0.5)


def test_eltwise_and_dummy_data(tmp_path):
    text = ('layer { name: "a" type: "DummyData" top: "a" dummy_data_param { '
            'shape { dim: 1 } data_filler { type: "uniform" min: -1 max: 2 } } }\n'
            'layer { name: "b" type: "DummyData" top: "b" dummy_data_param { shape { dim: 1 } '
            'data_filler { type: "constant" value: 3 } } }\n'
            'layer { name: "sum" type: "Eltwise" bottom: "a" bottom: "b" top: "sum" '
            "eltwise_param { coeff: 1 coeff: -2 } }\n"
            'layer { name: "prod" type: "Eltwise" bottom: "a" bottom: "b" top: "prod" '
            "eltwise_param { operation: PROD } }\n"
            'layer { name: "cat" type: "Concat" bottom: "a" bottom: "b" top: "cat" }\n'
            'layer { name: "z" type: "DummyData" top: "z" dummy_data_param { shape { dim: 1 } } }\n')
    r = ranges_of(tmp_path, text)
    assert r["sum"] == Interval(-7.0, -4.0)
    assert r["prod"] == Interval(-3.0, 6.0)
    assert r["cat"] == Interval(-1.0, 3.0)
    assert r["z"] == Interval(0.0, 0.0)  # no filler: constant 0


def test_power_range_edges():
    assert power_range(Interval(-1.0, 4.0), 0.5) == Interval(0.0, 2.0)  # defined part only
    assert power_range(Interval(-2.0, 3.0), 2) == Interval(0.0, 9.0)
    assert power_range(Interval(0.0, 4.0), -1) == Interval(0.25, math.inf)
    assert power_range(Interval(-1.0, 1.0), 3) == Interval(-1.0, 1.0)


def test_float_edges_follow_caffe(tmp_path):
    # Sigmoid is 0.5 tanh(0.5 x) + 0.5 in double: exactly 0 for x < -38, not just below -103.
    text = ('layer { name: "a" type: "DummyData" top: "a" dummy_data_param { shape { dim: 1 } '
            'data_filler { type: "uniform" min: -50 max: 100 } } }\n'
            'layer { name: "s" type: "Sigmoid" bottom: "a" top: "s" }\n'
            # exp(x) overflows above 88.72 before base^shift scales it down.
            'layer { name: "e" type: "Exp" bottom: "a" top: "e" exp_param { shift: -50 } }\n'
            # stride > kernel without padding: an empty MAX window outputs -FLT_MAX.
            'layer { name: "p" type: "Pooling" bottom: "s" top: "p" '
            "pooling_param { pool: MAX kernel_size: 2 stride: 3 } }\n")
    r = ranges_of(tmp_path, text)
    assert r["s"] == Interval(0.0, 1.0)
    assert r["e"].high == math.inf and r["e"].low == pytest.approx(math.exp(-100), rel=1e-5)
    assert r["p"].low == -3.4028234663852886e38 and r["p"].high == 1.0


def test_a_single_input_concat_does_not_crash(tmp_path):
    text = chain("Convolution", "TanH", "Concat")
    assert ranges_of(tmp_path, text)["l2"] == Interval(-1.0, 1.0)
