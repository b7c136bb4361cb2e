"""Settings of a layer that do not do what they seem to: its own `phase` field (PL237),
transformation fields in the data layers' own parameter blocks (PL238), a batch_size
left out (PL239), a backend that contradicts the source's name (PL240)."""

from __future__ import annotations

import pytest

from conftest import codes, lint_text


def of(findings, code):
    return [f for f in findings if f.code == code]


INPUT = ('layer { name: "data" type: "Input" top: "data" top: "label" '
         "input_param { shape { dim: 8 dim: 16 } shape { dim: 8 } } }\n"
         'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
         'inner_product_param { num_output: 4 weight_filler { type: "xavier" } } }\n')
LOSS = 'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }\n'


def with_layer(layer: str, loss: bool = True) -> str:
    return INPUT + layer + "\n" + (LOSS if loss else "")


# ------------------------------------------------------------ PL237 layer-phase-not-a-filter

def test_dropout_marked_test_drops_nothing_while_training(tmp_path):
    text = with_layer('layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" phase: TEST }')
    [found] = of(lint_text(tmp_path, text), "PL237")
    assert "leave it out of TRAIN" in found.message
    assert "nothing is dropped while training" in found.message
    assert found.line == 3 and "include { phase: TEST }" in found.fix


def test_batchnorm_marked_test_trains_on_frozen_statistics(tmp_path):
    text = with_layer('layer { name: "bn" type: "BatchNorm" bottom: "fc" top: "fc" phase: TEST '
                      "batch_norm_param { eps: 1e-4 } }")
    [found] = of(lint_text(tmp_path, text), "PL237")
    assert "stored mean and variance" in found.message and "about 100" in found.message
    assert "use_global_stats" in found.fix
    # an explicit use_global_stats decides instead of the phase: only the filter remains
    explicit = text.replace("eps: 1e-4", "use_global_stats: false")
    [found] = of(lint_text(tmp_path, explicit), "PL237")
    assert "stored mean" not in found.message and "runs in TRAIN too" in found.message


def test_marked_train_is_reported_for_the_test_phase(tmp_path):
    text = with_layer('layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" phase: TRAIN '
                      "dropout_param { dropout_ratio: 0.3 } }")
    [found] = of(lint_text(tmp_path, text), "PL237")
    assert "out of TEST" in found.message and "fraction 0.3" in found.message


def test_random_crops_follow_the_written_phase(tmp_path):
    text = ('layer { name: "data" type: "Data" top: "data" top: "label" phase: TRAIN '
            "transform_param { crop_size: 4 } "
            'data_param { source: "db" backend: LMDB batch_size: 2 } }\n')
    [found] = of(lint_text(tmp_path, text), "PL237")
    assert "at random places instead of at their centre" in found.message


def test_a_phase_the_net_is_run_in_is_not_reported(tmp_path):
    # A deploy net nobody trains: its TEST view is the phase written.
    deploy = with_layer('layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" '
                        "phase: TEST }", loss=False)
    assert "PL237" not in codes(lint_text(tmp_path, deploy))
    # include selects the phase; the written phase agrees with it.
    agreed = with_layer('layer { name: "acc" type: "Accuracy" bottom: "fc" bottom: "label" '
                        'top: "acc" phase: TEST include { phase: TEST } }')
    assert "PL237" not in codes(lint_text(tmp_path, agreed))


def test_a_solvers_test_net_marked_test_is_not_reported(tmp_path):
    net = with_layer('layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" phase: TEST }')
    (tmp_path / "test.prototxt").write_text(net, encoding="utf-8")
    (tmp_path / "train.prototxt").write_text(with_layer(""), encoding="utf-8")
    solver = ('train_net: "train.prototxt"\ntest_net: "test.prototxt"\ntest_iter: 1\n'
              'test_interval: 10\nbase_lr: 0.01\nlr_policy: "fixed"\nmax_iter: 100\n')
    assert "PL237" not in codes(lint_text(tmp_path, solver, name="solver.prototxt"))


def test_two_data_layers_told_their_phase_clash_in_both(tmp_path):
    first, rest = INPUT.split("\n", 1)
    layer = first.replace('"data" type', '"PHASE" type').replace("} } }", "} } phase: PHASE }")
    text = layer.replace("PHASE", "TRAIN") + "\n" + layer.replace("PHASE", "TEST") + "\n"
    found = lint_text(tmp_path, text + rest + LOSS)
    assert "PL214" in codes(found)
    assert len(of(found, "PL237")) == 2


def test_dropout_ratio_is_judged_in_the_phase_the_layer_computes_as(tmp_path):
    as_test = with_layer('layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" '
                         "phase: TEST dropout_param { dropout_ratio: 1 } }")
    assert "PL230" not in codes(lint_text(tmp_path, as_test))
    as_train = with_layer('layer { name: "drop" type: "Dropout" bottom: "fc" top: "fc" '
                          "phase: TRAIN dropout_param { dropout_ratio: 1 } }", loss=False)
    assert "PL230" in codes(lint_text(tmp_path, as_train))


# ------------------------------------------------------------ PL238 transform-setting-ignored

DATA = ('layer {{ name: "data" type: "{kind}" top: "data" top: "label" {extra}\n'
        '  {own} {{ source: "src" batch_size: 2 {fields} }} }}\n')


def data_layer(kind="Data", own="data_param", fields="", extra=""):
    return DATA.format(kind=kind, own=own, fields=fields, extra=extra)


def test_data_param_scale_is_ignored_in_a_layer_net(tmp_path):
    text = data_layer(fields="scale: 0.00390625 mean_file: \"m.binaryproto\"")
    [found] = of(lint_text(tmp_path, text), "PL238")
    assert found.message.startswith("Data 'data': data_param.scale is ignored: the values "
                                    "are not scaled; data_param.mean_file is ignored: no mean")
    assert (found.line, found.column) == (2, text.splitlines()[1].index("scale") + 1)
    assert [note for _, note in found.related] == ["also ignored"]
    assert "`transform_param.scale`, `transform_param.mean_file`" in found.fix


def test_a_value_also_written_in_transform_param_is_named(tmp_path):
    text = data_layer("ImageData", "image_data_param", "mirror: true",
                      "transform_param { mirror: true }")
    [found] = of(lint_text(tmp_path, text), "PL238")
    assert "image_data_param.mirror is ignored (transform_param.mirror is used)" in found.message


def test_transform_param_is_silent(tmp_path):
    text = data_layer(extra="transform_param { scale: 0.5 crop_size: 2 mirror: true }")
    assert "PL238" not in codes(lint_text(tmp_path, text))


def test_a_v1_net_has_its_fields_moved(tmp_path):
    text = ('layers { name: "data" type: DATA top: "data" top: "label" '
            'data_param { source: "src" batch_size: 2 scale: 0.5 crop_size: 2 } }\n')
    assert "PL238" not in codes(lint_text(tmp_path, text))


def test_window_data_reads_its_own_scale(tmp_path):
    own = data_layer("WindowData", "window_data_param", "scale: 0.5")
    assert "PL238" not in codes(lint_text(tmp_path, own))
    text = data_layer("WindowData", "window_data_param", "crop_size: 8",
                      "transform_param { scale: 0.5 }")
    [found] = of(lint_text(tmp_path, text), "PL238")
    assert ("window_data_param.crop_size is ignored: nothing is cropped; "
            "transform_param.scale is ignored: the values are not scaled") in found.message
    assert "`transform_param.crop_size`, `window_data_param.scale`" in found.fix


def test_a_v1_window_data_scale_is_lost_by_the_upgrade(tmp_path):
    text = ('layers { name: "w" type: WINDOW_DATA top: "data" top: "label"\n'
            '  window_data_param { source: "w.txt" batch_size: 2 scale: 0.5 } }\n')
    [found] = of(lint_text(tmp_path, text), "PL238")
    assert "window_data_param.scale is moved to transform_param on load" in found.message
    assert (found.line, found.column) == (2, text.splitlines()[1].index("scale") + 1)
    assert "upgrade_net_proto_text" in found.fix


# ------------------------------------------------------------------- PL239 batch-size-zero

def test_a_batch_size_left_out_is_zero(tmp_path):
    text = ('layer { name: "h5" type: "HDF5Data" top: "data" top: "label"\n'
            '  hdf5_data_param { source: "list.txt" } }\n')
    [found] = of(lint_text(tmp_path, text), "PL239")
    assert "HDF5Data 'h5' has no batch_size (in hdf5_data_param it has no default: 0)" \
        in found.message
    assert found.line == 2  # no batch_size to point at: its block
    written = text.replace('"list.txt"', '"list.txt" batch_size: 0')
    [found] = of(lint_text(tmp_path, written), "PL239")
    assert "has batch_size: 0:" in found.message
    assert found.column == written.splitlines()[1].index("batch_size") + 1


def test_a_batch_size_is_silent_and_image_data_has_a_default(tmp_path):
    assert "PL239" not in codes(lint_text(tmp_path, data_layer()))
    images = ('layer { name: "img" type: "ImageData" top: "data" top: "label" '
              'image_data_param { source: "list.txt" } }\n')
    assert "PL239" not in codes(lint_text(tmp_path, images))


# ------------------------------------------------------ PL240 backend-contradicts-source-name

def backend_layer(source: str, backend: str = "") -> str:
    return ('layer { name: "data" type: "Data" top: "data" top: "label" '
            f'data_param {{ source: "{source}" batch_size: 2 {backend} }} }}\n')


def test_an_lmdb_name_read_with_the_default_backend(tmp_path):
    text = backend_layer("data/mnist_train_lmdb")
    [found] = of(lint_text(tmp_path, text), "PL240")
    assert "named like an LMDB, with no backend, so LEVELDB (Caffe's default)" in found.message
    assert found.column == text.index("source") + 1 and "`backend: LMDB`" in found.fix


def test_a_leveldb_name_declared_lmdb(tmp_path):
    text = backend_layer("cifar_train_leveldb", "backend: LMDB")
    [found] = of(lint_text(tmp_path, text), "PL240")
    assert "named like a LevelDB, with backend LMDB" in found.message
    assert found.column == text.index("backend") + 1 and "`backend: LEVELDB`" in found.fix


@pytest.mark.parametrize("source, backend", [
    ("train_lmdb", "backend: LMDB"),
    ("train_leveldb", ""),
    ("train_db", ""),                  # the name says nothing
    ("lmdb_from_leveldb", "backend: LMDB"),  # it says both
])
def test_names_that_agree_or_say_nothing_are_silent(tmp_path, source, backend):
    assert "PL240" not in codes(lint_text(tmp_path, backend_layer(source, backend)))


# ------------------------------------------------------------- PL242 input-shapes-missing

@pytest.mark.parametrize("fields, fires", [
    ('input: "a"\ninput: "b"\ninput_shape { dim: 1 }\n', "1 input_shape for 2 inputs"),
    ('input: "a"\ninput_dim: 1\ninput_dim: 3\ninput_dim: 8\n', "3 input_dim values"),
    ('input: "a"\ninput: "b"\ninput_shape { dim: 1 }\ninput_shape { dim: 2 }\n', None),
    ('input: "a"\n', None),  # a weights file's form: the upgrade drops the input
])
def test_legacy_inputs_need_a_shape_each(tmp_path, fields, fires):
    text = fields + 'layer { name: "r" type: "ReLU" bottom: "a" top: "r" }\n'
    found = of(lint_text(tmp_path, text), "PL242")
    assert (found[0].message.startswith(fires) if fires else not found), found
    if fires:  # at the first shape field
        lines = text.splitlines()
        assert found[0].line == 1 + next(i for i, line in enumerate(lines)
                                         if line.startswith(("input_shape", "input_dim")))
