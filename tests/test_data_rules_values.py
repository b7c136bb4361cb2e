"""Data rules about the values and labels in the sources: PL309-PL316. Every fixture is
built here in tmp_path (LMDB, HDF5, image lists) and linted with --data; the catalogue
pages' Bad and Good examples are linted with the data they name."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from conftest import codes, lint_text
from protolint.catalogue import pages
from protolint.data import clear_cache
from protolint.data.dbs import sample_positions
from protolint.schema import caffe_pb2

np = pytest.importorskip("numpy")
lmdb = pytest.importorskip("lmdb")
h5py = pytest.importorskip("h5py")

pb = caffe_pb2()
CODES = ["PL309", "PL310", "PL311", "PL312", "PL313", "PL314", "PL315", "PL316"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


# ------------------------------------------------------------------ builders


def datum(c=1, h=4, w=4, label=None, data=None, floats=None) -> bytes:
    d = pb.Datum(channels=c, height=h, width=w)
    if label is not None:
        d.label = int(label)
    if data is not None:
        d.data = bytes(np.asarray(data, dtype=np.uint8).ravel())
    if floats is not None:
        d.float_data.extend(np.asarray(floats, dtype=np.float32).ravel().tolist())
    return d.SerializeToString()


def write_lmdb(path: Path, values: list[bytes], keys: list[bytes] | None = None) -> Path:
    """An LMDB holding `values` under keys 00000_rec, 00001_rec... (their reading order;
    numbered like convert_imageset's keys)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = keys or [b"%05d_rec" % i for i in range(len(values))]
    env = lmdb.open(str(path), map_size=1 << 26)
    with env.begin(write=True) as txn:
        for key, value in zip(keys, values):
            txn.put(key, value)
    env.close()
    return path


def pixel_lmdb(path: Path, labels, c=1, h=4, w=4, seed=0, fill=None) -> Path:
    """uint8 records with random pixels 0-255 (or all `fill`) and the given labels."""
    rng = np.random.default_rng(seed)
    values = []
    for label in labels:
        px = (np.full(c * h * w, fill, dtype=np.uint8) if fill is not None
              else rng.integers(0, 256, c * h * w, dtype=np.uint8))
        if fill is None:
            px[0], px[1] = 0, 255  # the full range in every record
        values.append(datum(c, h, w, label=label, data=px))
    return write_lmdb(path, values)


def float_lmdb(path: Path, arrays, labels=None, c=1, h=4, w=4) -> Path:
    labels = labels if labels is not None else [i % 3 for i in range(len(arrays))]
    return write_lmdb(path, [datum(c, h, w, label=l, floats=a) for a, l in zip(arrays, labels)])


def write_h5(tmp_path: Path, listing: str, files: dict[str, dict[str, np.ndarray]]) -> Path:
    """HDF5 files (name -> {dataset: array}) and the list `listing` naming them."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    for name, datasets in files.items():
        with h5py.File(tmp_path / name, "w") as f:
            for key, array in datasets.items():
                f.create_dataset(key, data=array)
    (tmp_path / listing).write_text("".join(f"{name}\n" for name in files))
    return tmp_path / listing


def snapshot(root: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in filenames:
            p = Path(dirpath, name)
            st = p.stat()
            out[os.path.relpath(p, root)] = (hashlib.sha256(p.read_bytes()).hexdigest(),
                                            st.st_size, st.st_mtime_ns)
    return out


def lint(tmp_path, text, **options):
    return lint_text(tmp_path, text, data=True, **options)


def found(findings, code):
    return [f for f in findings if f.code == code]


def one(findings, code):
    hits = found(findings, code)
    assert len(hits) == 1, [(f.code, f.message) for f in findings]
    return hits[0]


def rand_pixels(n, size=16, seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((n, size), dtype=np.float32)


# ------------------------------------------------------------------ the pages' data


def data_PL309(tmp_path):
    data = rand_pixels(8, 4)
    bad = data.copy()
    bad[5, 2] = np.nan
    target = np.arange(8, dtype=np.float32).reshape(8, 1)
    write_h5(tmp_path, "train_h5.txt", {"train.h5": {"data": bad, "target": target}})
    write_h5(tmp_path, "clean_h5.txt", {"clean.h5": {"data": data, "target": target}})


def data_PL310(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", list(range(11)))


def data_PL311(tmp_path):
    write_h5(tmp_path, "train_h5.txt", {"train.h5": {
        "data": rand_pixels(6, 4),
        "label": np.array([0, 0.5, 1, 0, 0.5, 1], dtype=np.float32)}})


def data_PL312(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 0, 1, 1, 0])


def data_PL313(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [i % 10 for i in range(6)], h=6, w=6)


def data_PL314(tmp_path):
    float_lmdb(tmp_path / "train_lmdb", rand_pixels(6, 36), c=1, h=6, w=6)


def data_PL315(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [i % 10 for i in range(6)], h=6, w=6, fill=0)
    pixel_lmdb(tmp_path / "fixed_lmdb", [i % 10 for i in range(6)], h=6, w=6)


def data_PL316(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 0, 0, 0, 1, 1, 2])


BUILD = {code: globals()[f"data_{code}"] for code in CODES}


@pytest.mark.parametrize("code", CODES)
def test_bad_example_fires_with_its_data(code, tmp_path):
    example = pages()[code].example("Bad")
    assert example is not None
    BUILD[code](tmp_path)
    assert code in codes(lint(tmp_path, example))


@pytest.mark.parametrize("code", CODES)
def test_good_example_is_silent_with_its_data(code, tmp_path):
    example = pages()[code].example("Good")
    assert example is not None
    BUILD[code](tmp_path)
    assert code not in codes(lint(tmp_path, example))


@pytest.mark.parametrize("code", CODES)
def test_silent_without_data(code, tmp_path):
    BUILD[code](tmp_path)
    assert code not in codes(lint_text(tmp_path, pages()[code].example("Bad")))


def test_linting_never_modifies_the_fixtures(tmp_path):
    for code in CODES:
        BUILD[code](tmp_path / code)
    before = snapshot(tmp_path)
    assert before
    for code in CODES:
        for section in ("Bad", "Good"):
            lint(tmp_path / code, pages()[code].example(section), name=f"{section}.prototxt")
            lint(tmp_path / code, pages()[code].example(section), name=f"{section}.prototxt",
                 data_sample=2)
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if not k.endswith(".prototxt")} == before


# ------------------------------------------------------------------ nets


def data_net(source="train_lmdb", transform="", extra="", classes=10, loss="SoftmaxWithLoss",
             loss_param="", kind="Data") -> str:
    if kind == "Data":
        layer = (f'layer {{ name: "data" type: "Data" top: "data" top: "label" {transform}\n'
                 f'  data_param {{ source: "{source}" backend: LMDB batch_size: 4 }} }}\n')
    else:
        layer = (f'layer {{ name: "data" type: "HDF5Data" top: "data" top: "label"\n'
                 f'  hdf5_data_param {{ source: "{source}" batch_size: 4 }} }}\n')
    return (layer + extra +
            'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
            f'inner_product_param {{ num_output: {classes} }} }}\n'
            f'layer {{ name: "loss" type: "{loss}" bottom: "fc" bottom: "label" top: "loss" '
            f'{loss_param} }}\n')


CONV_NET = (
    'layer { name: "data" type: "Data" top: "data" top: "label" TRANSFORM\n'
    '  data_param { source: "SOURCE" backend: LMDB batch_size: 4 } }\n'
    'BETWEEN'
    'layer { name: "conv1" type: "Convolution" bottom: "INTO" top: "conv1" '
    'convolution_param { num_output: 4 kernel_size: 3 } }\n'
    'layer { name: "fc" type: "InnerProduct" bottom: "conv1" top: "fc" '
    'inner_product_param { num_output: 10 } }\n'
    'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')


def conv_net(source="train_lmdb", transform="", between="", into="data"):
    return (CONV_NET.replace("TRANSFORM", transform).replace("SOURCE", source)
            .replace("BETWEEN", between).replace("INTO", into))


H5_CONV_NET = (
    'layer { name: "data" type: "HDF5Data" top: "data" top: "label"\n'
    '  hdf5_data_param { source: "train_h5.txt" batch_size: 4 } }\n'
    'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" '
    'convolution_param { num_output: 4 kernel_size: 3 } }\n'
    'layer { name: "fc" type: "InnerProduct" bottom: "conv1" top: "fc" '
    'inner_product_param { num_output: 10 } }\n'
    'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')


# ------------------------------------------------------------------ PL309


def test_pl309_names_the_nan_record_of_a_multi_record_lmdb(tmp_path):
    arrays = rand_pixels(20)
    arrays[13, 7] = np.nan
    arrays[17, 0] = np.inf
    float_lmdb(tmp_path / "train_lmdb", arrays)
    f = one(lint(tmp_path, data_net()), "PL309")
    assert "'00013_rec' (record 13)" in f.message
    assert "1 NaN and 1 +inf values" in f.message
    assert "among 320 value(s) of all 20 records" in f.message
    assert f.line == 2 and "train_lmdb" in f.location.doc.text[f.location.start:f.location.end]


def test_pl309_with_data_sample(tmp_path):
    arrays = rand_pixels(100)
    picked = sample_positions(100, 10)
    missed = next(i for i in range(100) if i not in picked)
    arrays[missed, 0] = np.nan  # between two sampled positions
    float_lmdb(tmp_path / "train_lmdb", arrays)
    assert "PL309" not in codes(lint(tmp_path, data_net(), data_sample=10))
    clear_cache()
    hit = picked[3]
    arrays[hit, 3] = -np.inf  # a sampled position
    arrays[missed, 0] = 0.0
    float_lmdb(tmp_path / "second_lmdb", arrays)
    f = one(lint(tmp_path, data_net("second_lmdb"), data_sample=10), "PL309")
    assert "10 records sampled of 100 (--data-sample)" in f.message
    assert f"'{hit:05d}_rec' (record {hit})" in f.message and "1 -inf value" in f.message
    f = one(lint(tmp_path, data_net("second_lmdb")), "PL309")
    assert f"'{hit:05d}_rec'" in f.message and "all 100 records" in f.message


def test_pl309_sampling_lmdb_with_unnumbered_keys(tmp_path):
    arrays = rand_pixels(100)
    hit = sample_positions(100, 10)[3]
    arrays[hit, 3] = np.nan
    keys = [b"img_%05d" % i for i in range(100)]
    write_lmdb(tmp_path / "train_lmdb",
               [datum(1, 4, 4, label=0, floats=a) for a in arrays], keys)
    f = one(lint(tmp_path, data_net(), data_sample=10), "PL309")
    assert f"'img_{hit:05d}' (record {hit})" in f.message


def test_pl309_hdf5_names_file_and_dataset(tmp_path):
    good = rand_pixels(4, 4)
    bad = rand_pixels(4, 4)
    bad[2, 1] = np.nan
    labels = np.zeros(4, dtype=np.float32)
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {"data": good, "label": labels},
                                        "b.h5": {"data": bad, "label": labels}})
    f = one(lint(tmp_path, data_net("train_h5.txt", kind="HDF5Data", classes=2)), "PL309")
    assert "dataset 'data'" in f.message and "'b.h5 row 2' (record 6)" in f.message
    assert "in 1 of 2 listed file(s): b.h5" in f.message and "all 8 rows" in f.message


def test_pl309_hdf5_nan_label(tmp_path):
    labels = np.array([0, 1, np.nan, 1], dtype=np.float32)
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {"data": rand_pixels(4, 4), "label": labels}})
    f = one(lint(tmp_path, data_net("train_h5.txt", kind="HDF5Data", classes=2)), "PL309")
    assert "dataset 'label'" in f.message and "static_cast<int>" in f.message
    assert "'a.h5 row 2'" in f.message


def test_pl309_ignores_a_top_nothing_reads(tmp_path):
    extra = np.array([[np.nan]] * 4, dtype=np.float32)
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {"data": rand_pixels(4, 4),
                                                 "label": np.zeros(4, np.float32),
                                                 "unused": extra}})
    net = ('layer { name: "data" type: "HDF5Data" top: "data" top: "label" top: "unused"\n'
           '  hdf5_data_param { source: "train_h5.txt" batch_size: 4 } }\n'
           'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
           'inner_product_param { num_output: 2 } }\n'
           'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')
    assert "PL309" not in codes(lint(tmp_path, net))


def test_pl309_mean_file_with_nan(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2])
    values = np.full(16, 120.0)
    values[3] = np.nan
    blob = pb.BlobProto(shape=pb.BlobShape(dim=[1, 1, 4, 4]), data=values.tolist())
    (tmp_path / "mean.binaryproto").write_bytes(blob.SerializeToString())
    net = data_net(transform='transform_param { mean_file: "mean.binaryproto" }')
    f = one(lint(tmp_path, net), "PL309")
    assert "mean_file 'mean.binaryproto' holds 1 NaN or infinite value(s) among 16" in f.message
    assert f.location.doc.text[f.location.start:].startswith("mean_file")
    clear_cache()
    blob = pb.BlobProto(shape=pb.BlobShape(dim=[1, 1, 4, 4]), data=[120.0] * 16)
    (tmp_path / "mean.binaryproto").write_bytes(blob.SerializeToString())
    assert "PL309" not in codes(lint(tmp_path, net))


def test_pl309_finite_uint8_is_silent(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2])
    assert "PL309" not in codes(lint(tmp_path, data_net(transform="transform_param { scale: 0.00390625 }")))


# ------------------------------------------------------------------ PL310


def test_pl310_message_counts_and_consumers(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 10, 10, 12, -1, 3])
    net = data_net(transform="transform_param { scale: 0.00390625 }") + (
        'layer { name: "acc" type: "Accuracy" bottom: "fc" bottom: "label" top: "acc" }\n')
    f = one(lint(tmp_path, net), "PL310")
    assert "SoftmaxWithLoss 'loss'" in f.message and "valid labels are 0 to 9" in f.message
    assert "4 of the 7 labels checked (all 7 records) are outside" in f.message
    assert "10 (2 records)" in f.message and "12 (1 record)" in f.message
    assert "-1 (1 record)" in f.message and "87.3365" in f.message
    assert any("Accuracy 'acc'" in note for _, note in f.related)
    assert "num_output 13" in f.fix


def test_pl310_ignore_label(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2, 255, 255])
    assert "PL310" in codes(lint(tmp_path, data_net()))
    assert "PL310" not in codes(lint(tmp_path, data_net(loss_param="loss_param { ignore_label: 255 }")))
    # Accuracy has its own ignore_label: the loss's does not cover it
    net = data_net(loss_param="loss_param { ignore_label: 255 }") + (
        'layer { name: "acc" type: "Accuracy" bottom: "fc" bottom: "label" top: "acc" }\n')
    f = one(lint(tmp_path, net), "PL310")
    assert "Accuracy 'acc'" in f.message and "255 (2 records)" in f.message
    net = data_net(loss_param="loss_param { ignore_label: 255 }") + (
        'layer { name: "acc" type: "Accuracy" bottom: "fc" bottom: "label" top: "acc" '
        'accuracy_param { ignore_label: 255 } }\n')
    assert "PL310" not in codes(lint(tmp_path, net))


def test_pl310_multinomial_has_no_ignore_label(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 255])
    net = data_net(loss="MultinomialLogisticLoss", loss_param="loss_param { ignore_label: 255 }")
    f = one(lint(tmp_path, net), "PL310")
    assert "does not check labels at all" in f.message


def test_pl310_hinge_loss(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 5])
    f = one(lint(tmp_path, data_net(loss="HingeLoss", classes=3)), "PL310")
    assert "HingeLoss 'loss'" in f.message and "5 (1 record)" in f.message


def test_pl310_hdf5_labels_are_truncated_first(tmp_path):
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {
        "data": rand_pixels(5, 4), "label": np.array([0, 1.5, 1.99, -0.5, 2.0], np.float32)}})
    net = data_net("train_h5.txt", kind="HDF5Data", classes=2)
    f = one(lint(tmp_path, net), "PL310")
    assert "2 (1 record)" in f.message and "1.5" not in f.message and "-0.5" not in f.message
    write_h5(tmp_path, "ok_h5.txt", {"b.h5": {
        "data": rand_pixels(3, 4), "label": np.array([0, 1.5, -0.5], np.float32)}})
    assert "PL310" not in codes(lint(tmp_path, data_net("ok_h5.txt", kind="HDF5Data", classes=2)))


def test_pl310_through_reshape_and_other_phases(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 7])
    net = (
        'layer { name: "data" type: "Data" top: "data" top: "label" include { phase: TEST }\n'
        '  data_param { source: "train_lmdb" backend: LMDB batch_size: 4 } }\n'
        'layer { name: "flat" type: "Flatten" bottom: "label" top: "flat_label" }\n'
        'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
        'inner_product_param { num_output: 5 } }\n'
        'layer { name: "acc" type: "Accuracy" bottom: "fc" bottom: "flat_label" top: "acc" }\n')
    f = one(lint(tmp_path, net), "PL310")
    assert "Accuracy 'acc' (TEST)" in f.message and "7 (1 record)" in f.message


def test_pl310_label_map_from_a_second_data_layer(tmp_path):
    maps = [np.full(16, 3, np.uint8), np.full(16, 30, np.uint8)]
    write_lmdb(tmp_path / "label_lmdb", [datum(1, 4, 4, data=m) for m in maps])
    pixel_lmdb(tmp_path / "train_lmdb", [0, 0])
    net = (
        'layer { name: "data" type: "Data" top: "data" transform_param { scale: 0.00390625 }\n'
        '  data_param { source: "train_lmdb" backend: LMDB batch_size: 2 } }\n'
        'layer { name: "labels" type: "Data" top: "label"\n'
        '  data_param { source: "label_lmdb" backend: LMDB batch_size: 2 } }\n'
        'layer { name: "score" type: "Convolution" bottom: "data" top: "score" '
        'convolution_param { num_output: 21 kernel_size: 1 } }\n'
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "score" bottom: "label" '
        'loss_param { ignore_label: 255 } }\n')
    f = one(lint(tmp_path, net), "PL310")
    assert "label_lmdb" in f.message and "data top 'label'" in f.message
    assert "range from 3 to 30" in f.message and "valid labels are 0 to 20" in f.message


def test_pl310_unknown_k_is_silent(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 500])
    net = data_net().replace('type: "InnerProduct"', 'type: "Python"')
    assert "PL310" not in codes(lint(tmp_path, net))


# ------------------------------------------------------------------ PL311


def test_pl311_message_names_values_and_first_row(tmp_path):
    write_h5(tmp_path, "train_h5.txt", {
        "a.h5": {"data": rand_pixels(3, 4), "label": np.array([0, 1, 1], np.float32)},
        "b.h5": {"data": rand_pixels(4, 4),
                 "label": np.array([0.5, 2.9999998, 0.5, 1], np.float32)}})
    f = one(lint(tmp_path, data_net("train_h5.txt", kind="HDF5Data", classes=3)), "PL311")
    assert "3 of the 7 labels checked (all 7 rows) are not whole numbers" in f.message
    assert "0.5 (read as 0) (2)" in f.message and "(read as 2)" in f.message
    assert "'b.h5 row 0' (record 3)" in f.message


def test_pl311_regression_losses_are_exempt(tmp_path):
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {
        "data": rand_pixels(4, 4), "label": np.array([[0.2], [0.5], [0.7], [1]], np.float32)}})
    for loss in ("EuclideanLoss", "SigmoidCrossEntropyLoss"):
        net = data_net("train_h5.txt", kind="HDF5Data", classes=1, loss=loss)
        assert "PL311" not in codes(lint(tmp_path, net))


def test_pl311_whole_float_labels_are_fine(tmp_path):
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {
        "data": rand_pixels(4, 4), "label": np.array([0, 1, 2, 1], np.float64)}})
    assert "PL311" not in codes(lint(tmp_path, data_net("train_h5.txt", kind="HDF5Data", classes=3)))


def test_pl311_skips_image_lists(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    for i in range(2):
        Image.new("L", (4, 4), 10 * i).save(tmp_path / f"{i}.png")
    (tmp_path / "list.txt").write_text("0.png 1.5\n1.png 0\n")
    net = ('layer { name: "data" type: "ImageData" top: "data" top: "label"\n'
           '  image_data_param { source: "list.txt" batch_size: 2 is_color: false } }\n'
           'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
           'inner_product_param { num_output: 2 } }\n'
           'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')
    assert "PL311" not in codes(lint(tmp_path, net))


# ------------------------------------------------------------------ PL312


@pytest.mark.parametrize("labels, classes, expect", [
    (list(range(1, 11)), 10, "look one-based"),
    ([-1, 1, 1, -1], 2, "-1/+1 labels"),
    ([-1, 0, 1, 2], 3, "-1 is used as a class or as a 'no label' mark"),
    ([0, 1, 0], 1, "the softmax of one score is always 1"),
    ([0, 0, 0], 1, "the softmax of one score is always 1"),
    ([4, 4, 4, 4], 10, "every one of the 4 labels checked is 4"),
])
def test_pl312_patterns(tmp_path, labels, classes, expect):
    pixel_lmdb(tmp_path / "train_lmdb", labels)
    f = one(lint(tmp_path, data_net(classes=classes)), "PL312")
    assert expect in f.message


@pytest.mark.parametrize("labels, classes", [
    ([0, 1, 2], 10),  # a subset of the classes
    ([0, 2, 5, 9], 10),  # gaps
    (list(range(1, 10)), 10),  # 1..K-1: a spare class 0, on purpose or not
    ([0, 1, 0, 1], 2),
    ([3], 10),  # one record: nothing to compare
])
def test_pl312_silent(tmp_path, labels, classes):
    pixel_lmdb(tmp_path / "train_lmdb", labels)
    assert "PL312" not in codes(lint(tmp_path, data_net(classes=classes)))


def test_pl312_single_class_from_missing_labels(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(1, 4, 4, data=np.arange(16)) for _ in range(5)])
    f = one(lint(tmp_path, data_net()), "PL312")
    assert "every one of the 5 labels checked is 0; 5 of them have no label field" in f.message


def test_pl312_ignore_label_minus_one(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [-1, 0, 1, 2])
    net = data_net(classes=3, loss_param="loss_param { ignore_label: -1 }")
    assert "PL312" not in codes(lint(tmp_path, net))


# ------------------------------------------------------------------ PL313


def test_pl313_message(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2], h=6, w=6)
    f = one(lint(tmp_path, conv_net()), "PL313")
    assert "uint8 pixels from 0 to 255 (all 3 records)" in f.message
    assert "Convolution 'conv1' receives inputs up to 255" in f.message
    assert "scale: 0.00390625" in f.fix
    assert [note for _, note in f.related] == ["receives the unscaled values"]


@pytest.mark.parametrize("transform, between, into", [
    ("transform_param { mean_value: 128 }", "", "data"),
    ("transform_param { scale: 0.00390625 }", "", "data"),
    ("", 'layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" }\n', "bn"),
    ("", 'layer { name: "mvn" type: "MVN" bottom: "data" top: "mvn" }\n', "mvn"),
    ("", 'layer { name: "p" type: "Power" bottom: "data" top: "p" power_param { scale: 0.004 } }\n', "p"),
])
def test_pl313_normalised_is_silent(tmp_path, transform, between, into):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2], h=6, w=6)
    assert "PL313" not in codes(lint(tmp_path, conv_net(transform=transform, between=between,
                                                          into=into)))


def test_pl313_through_scale_keeping_layers(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2], h=6, w=6)
    between = ('layer { name: "pool" type: "Pooling" bottom: "data" top: "pool" '
               'pooling_param { pool: MAX kernel_size: 2 stride: 2 } }\n')
    f = one(lint(tmp_path, conv_net(transform="transform_param { mirror: true }",
                                     between=between, into="pool")), "PL313")
    assert "Convolution 'conv1'" in f.message
    assert f.location.doc.text[f.location.start:].startswith("transform_param")


def test_pl313_small_values_are_silent(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(1, 6, 6, label=0, data=np.arange(36) % 2)
                                         for _ in range(3)])
    assert "PL313" not in codes(lint(tmp_path, conv_net()))


def test_pl313_hdf5_pixels(tmp_path):
    rng = np.random.default_rng(2)
    data = rng.integers(0, 256, (4, 1, 6, 6)).astype(np.float32)
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {"data": data, "label": np.zeros(4, np.float32)}})
    f = one(lint(tmp_path, H5_CONV_NET), "PL313")
    assert "dataset 'data'" in f.message and "HDF5Data applies no transform_param" in f.message
    assert "when writing the HDF5 files" in f.fix


# ------------------------------------------------------------------ PL314


def test_pl314_double_scaled_message(tmp_path):
    float_lmdb(tmp_path / "train_lmdb", np.linspace(0, 1, 3 * 36).reshape(3, 36), c=1, h=6, w=6)
    f = one(lint(tmp_path, conv_net(transform="transform_param { scale: 0.00390625 }")), "PL314")
    assert "values from 0 to 1" in f.message and "[0, 0.00391]" in f.message
    assert "scaled twice" in f.message and "about 256 times below" in f.message


def test_pl314_huge_values(tmp_path):
    data = np.linspace(0, 5000, 3 * 36).reshape(3, 36)
    float_lmdb(tmp_path / "train_lmdb", data, c=1, h=6, w=6)
    f = one(lint(tmp_path, conv_net()), "PL314")
    assert "reaches magnitude 5000" in f.message and "scale: 0.0002" in f.fix


def test_pl314_scale_255_on_pixels(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2], h=6, w=6)
    f = one(lint(tmp_path, conv_net(transform="transform_param { scale: 255 }")), "PL314")
    assert "6.502e+04" in f.message and "scale: 0.0039215686" in f.fix
    assert "PL313" not in codes(lint(tmp_path, conv_net(transform="transform_param { scale: 255 }")))


def test_pl314_mean_value_per_channel(tmp_path):
    # channel 0 in [0, 1], channel 1 in [1000, 3000]: mean 2000 on channel 1 centres it
    arrays = []
    for i in range(3):
        arrays.append(np.concatenate([np.linspace(0, 1, 36), np.linspace(1000, 3000, 36)]))
    float_lmdb(tmp_path / "train_lmdb", arrays, c=2, h=6, w=6)
    assert "PL314" in codes(lint(tmp_path, conv_net()))
    clear_cache()
    f = found(lint(tmp_path, conv_net(transform="transform_param { mean_value: 0 mean_value: 2000 }")),
              "PL314")
    assert not f
    f = one(lint(tmp_path, conv_net(transform="transform_param { mean_value: 0 mean_value: 2000 scale: 2 }")),
            "PL314")
    assert "range [-2000, 2000]" in f.message


def test_pl314_hdf5_huge_and_batchnorm(tmp_path):
    data = np.linspace(-4000, 4000, 4 * 36).reshape(4, 1, 6, 6).astype(np.float32)
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {"data": data, "label": np.zeros(4, np.float32)}})
    f = one(lint(tmp_path, H5_CONV_NET), "PL314")
    assert "HDF5Data applies no transform_param" in f.message
    net = H5_CONV_NET.replace(
        'layer { name: "conv1" type: "Convolution" bottom: "data"',
        'layer { name: "bn" type: "BatchNorm" bottom: "data" top: "bn" }\n'
        'layer { name: "conv1" type: "Convolution" bottom: "bn"')
    assert "PL314" not in codes(lint(tmp_path, net))


def test_pl314_unit_scale_is_silent(tmp_path):
    float_lmdb(tmp_path / "train_lmdb", rand_pixels(3, 36), c=1, h=6, w=6)
    assert "PL314" not in codes(lint(tmp_path, conv_net()))
    pixel_lmdb(tmp_path / "px_lmdb", [0, 1, 2], h=6, w=6)
    net = conv_net("px_lmdb", transform="transform_param { scale: 0.00390625 }")
    assert "PL314" not in codes(lint(tmp_path, net))


# ------------------------------------------------------------------ PL315


def test_pl315_whole_source(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2, 3], c=3, h=6, w=6, fill=0)
    f = one(lint(tmp_path, conv_net()), "PL315")
    assert "every value of all 3 channels is 0 in the 4 records checked (all 4 records)" in f.message


def test_pl315_one_channel(tmp_path):
    rng = np.random.default_rng(5)
    values = []
    for i in range(4):
        px = rng.integers(0, 256, (3, 36), dtype=np.uint8)
        px[2] = 255
        values.append(datum(3, 6, 6, label=i, data=px))
    write_lmdb(tmp_path / "train_lmdb", values)
    f = one(lint(tmp_path, conv_net(transform="transform_param { scale: 0.00390625 }")), "PL315")
    assert "channel 2 (always 255) of 3 never varies" in f.message


def test_pl315_one_record_and_sampling(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0], h=6, w=6, fill=7)
    assert "PL315" not in codes(lint(tmp_path, conv_net()))
    # 10 records, only one differs: a sample of 2 that reads it sees it, one of 3 that
    # does not reports a constant input.
    odd = sample_positions(10, 2)[1]
    assert odd not in sample_positions(10, 3)
    values = [datum(1, 6, 6, label=0, data=np.full(36, 9 if i == odd else 0))
              for i in range(10)]
    write_lmdb(tmp_path / "s_lmdb", values)
    assert "PL315" not in codes(lint(tmp_path, conv_net("s_lmdb"), data_sample=2))
    clear_cache()
    f = one(lint(tmp_path, conv_net("s_lmdb"), data_sample=3), "PL315")
    assert "3 records sampled of 10" in f.message


def test_pl315_constant_hdf5_labels_are_not_inputs(tmp_path):
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {"data": rand_pixels(4, 4),
                                                 "label": np.ones(4, np.float32)}})
    assert "PL315" not in codes(lint(tmp_path, data_net("train_h5.txt", kind="HDF5Data",
                                                        loss="EuclideanLoss", classes=1)))


# ------------------------------------------------------------------ PL316


def test_pl316_summary(tmp_path):
    labels = [0] * 6 + [1] * 3 + [2] * 2 + [3] + [255] * 2
    pixel_lmdb(tmp_path / "train_lmdb", labels)
    f = one(lint(tmp_path, data_net(classes=6, loss_param="loss_param { ignore_label: 255 }")),
            "PL316")
    m = f.message
    assert "14 labels (all 14 records) in 4 classes" in m
    assert "most frequent 0: 6 (42.9%), 1: 3 (21.4%), 2: 2 (14.3%)" in m
    assert "least frequent 3: 1 (7.1%)" in m and "most/least 6:1" in m
    assert "2 of the 6 classes of SoftmaxWithLoss 'loss' never appear (4, 5)" in m
    assert "2 labels are ignore_label 255" in m
    assert f.severity.name == "INFO"


def test_pl316_with_data_sample(tmp_path):
    labels = [0] * 6 + [1] * 3 + [2] * 2 + [3] + [255] * 2
    pixel_lmdb(tmp_path / "train_lmdb", labels)
    f = one(lint(tmp_path, data_net(classes=6), data_sample=7), "PL316")  # records 0, 2, ..., 12
    assert "7 labels (7 records sampled of 14 (--data-sample)) in 4 classes" in f.message
    assert "most frequent 0: 3 (42.9%)" in f.message


def test_every_rule_needs_data():
    from protolint.checks import all_rules
    rules = all_rules()
    for code in CODES:
        assert rules[code].needs_data and rules[code].target == "net", code


def test_pl316_only_for_classifiers(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2])
    assert "PL316" not in codes(lint(tmp_path, data_net(loss="EuclideanLoss", classes=1)))
    assert "PL316" in codes(lint(tmp_path, data_net(loss="SoftmaxWithLoss", classes=3)))


def test_pl316_one_finding_for_train_and_test_layers(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 2])
    net = (
        'layer { name: "d" type: "Data" top: "data" top: "label" include { phase: TRAIN }\n'
        '  data_param { source: "train_lmdb" backend: LMDB batch_size: 4 } }\n'
        'layer { name: "d" type: "Data" top: "data" top: "label" include { phase: TEST }\n'
        '  data_param { source: "train_lmdb" backend: LMDB batch_size: 2 } }\n'
        'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
        'inner_product_param { num_output: 3 } }\n'
        'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')
    f = one(lint(tmp_path, net), "PL316")
    assert len(f.related) == 1 and "reads the same source" in f.related[0][1]


# ------------------------------------------------------------------ the first record named


def test_pl310_names_the_first_record_with_an_out_of_range_label(tmp_path):
    pixel_lmdb(tmp_path / "train_lmdb", [0, 1, 3, 12, 10, 10, -1])
    f = one(lint(tmp_path, data_net()), "PL310")
    # the most frequent offending value (10) is listed first, the earliest record named
    assert "10 (2 records), -1 (1 record), 12 (1 record); the first is in '00003_rec' " \
           "(record 3)." in f.message
    clear_cache()
    first_bad = next(i for i in sample_positions(7, 3) if i >= 3)  # labels 12, 10, 10, -1
    f = one(lint(tmp_path, data_net(), data_sample=3), "PL310")
    assert f"; the first is in '{first_bad:05d}_rec' (record {first_bad})" in f.message


def test_pl310_names_the_first_hdf5_row_and_image_line(tmp_path):
    write_h5(tmp_path, "train_h5.txt", {
        "a.h5": {"data": rand_pixels(2, 4), "label": np.array([0, 1], np.float32)},
        "b.h5": {"data": rand_pixels(3, 4), "label": np.array([1, 2.5, 7], np.float32)}})
    f = one(lint(tmp_path, data_net("train_h5.txt", kind="HDF5Data", classes=2)), "PL310")
    assert "; the first is in 'b.h5 row 1' (record 3)" in f.message
    Image = pytest.importorskip("PIL.Image")
    for i in range(3):
        Image.new("L", (4, 4), 10 * i).save(tmp_path / f"{i}.png")
    (tmp_path / "list.txt").write_text("0.png 0\n1.png 5\n2.png 1\n")
    net = ('layer { name: "data" type: "ImageData" top: "data" top: "label"\n'
           '  transform_param { scale: 0.00390625 }\n'
           '  image_data_param { source: "list.txt" batch_size: 2 is_color: false } }\n'
           'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
           'inner_product_param { num_output: 2 } }\n'
           'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')
    f = one(lint(tmp_path, net), "PL310")
    assert '5 (1 record); the first is on line 2 ("1.png")' in f.message


def test_pl310_beyond_the_labels_counted(tmp_path):
    # 1,000 distinct labels are counted; 5000 is beyond them: its first record is unknown
    write_lmdb(tmp_path / "train_lmdb",
               [datum(1, 1, 1, label=v, data=[0]) for v in list(range(1000)) + [5000]])
    f = one(lint(tmp_path, data_net()), "PL310")
    assert "and 985 more values; one is in '00010_rec' (record 10)" in f.message


# ------------------------------------------------------------------ PL315 wording


def test_pl315_hdf5_message(tmp_path):
    data = np.zeros((4, 1, 6, 6), np.float32)
    write_h5(tmp_path, "train_h5.txt", {"a.h5": {"data": data, "label": np.zeros(4, np.float32)}})
    f = one(lint(tmp_path, H5_CONV_NET), "PL315")
    assert f.message.startswith("HDF5 list 'train_h5.txt', dataset 'data': every value is 0 ")
    assert ",:" not in f.message


def test_pl310_explains_every_classifier_the_label_feeds_follow():
    from protolint.checks.PL310 import EFFECTS
    from protolint.data.labels import CLASSIFIERS
    assert set(EFFECTS) == set(CLASSIFIERS)


def test_pl312_a_few_sampled_labels_are_no_verdict(tmp_path):
    """A sample of 5 that happens to read one class only is not 'a single class'; every
    record read shows them all, and a large enough sample of one class is a verdict."""
    picked = sample_positions(200, 5)
    pixel_lmdb(tmp_path / "train_lmdb", [3 if i in picked else i % 5 for i in range(200)])
    for sample in (5, None):
        clear_cache()
        assert "PL312" not in codes(lint(tmp_path, data_net(classes=5), data_sample=sample))
    pixel_lmdb(tmp_path / "one_lmdb", [3] * 200)
    clear_cache()
    assert "PL312" in codes(lint(tmp_path, data_net("one_lmdb", classes=5), data_sample=40))


def test_float_data_read_with_data_bounds_the_value_ranges(tmp_path):
    """Without --data a Data layer is taken to hold pixels, [0, 255]; float_data records
    read in full give their own bounds, which the numerics rules then judge."""
    arrays = [np.linspace(-1, 1, 16, dtype=np.float32) for _ in range(6)]
    float_lmdb(tmp_path / "train_lmdb", arrays)
    net = data_net(extra='layer { name: "sq" type: "Power" bottom: "data" top: "sq" '
                         'power_param { power: 0.5 } }\n')
    assert "PL228" not in codes(lint_text(tmp_path, net))
    [f] = [f for f in lint(tmp_path, net) if f.code == "PL228"]
    assert "whose range is [-1, 1]" in f.message
