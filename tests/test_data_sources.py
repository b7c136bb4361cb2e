"""Data inspection (protolint.data): LMDB, LevelDB, HDF5, image lists and mean files,
built here in tmp_path. Every source is checked to be left exactly as it was."""

from __future__ import annotations

import hashlib
import io
import os
import sys
import tempfile
from pathlib import Path

import pytest

from protolint.data import (NOT_FOUND, OK, UNSUPPORTED, RecordRef, clear_cache, find_sources,
                            inspect_net, inspect_source, read_blob)
from protolint.project import Project
from protolint.schema import caffe_pb2

np = pytest.importorskip("numpy")  # reading sources needs numpy; finding them does not
lmdb = pytest.importorskip("lmdb")
h5py = pytest.importorskip("h5py")

from protolint.data import datum as datum_module  # noqa: E402 - needs numpy
from protolint.data.datum import DatumDecoder, RecordsBuilder, Refs  # noqa: E402
from protolint.data.dbs import sample_positions  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


# ------------------------------------------------------------------ helpers

def datum(c=1, h=1, w=1, label=None, data=None, floats=None, encoded=None) -> bytes:
    d = caffe_pb2().Datum(channels=c, height=h, width=w)
    if label is not None:
        d.label = label
    if data is not None:
        d.data = bytes(data)
    if floats is not None:
        d.float_data.extend(floats)
    if encoded is not None:
        d.encoded = encoded
    return d.SerializeToString()


def write_lmdb(path: Path, items: list[tuple[bytes, bytes]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=1 << 26)
    with env.begin(write=True) as txn:
        for key, value in items:
            txn.put(key, value)
    env.close()
    return path


def snapshot(root: Path) -> dict:
    """Every directory listing and every file's bytes, size, mode and mtime under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        out[("dir", rel)] = sorted(dirnames + filenames)
        for name in filenames:
            p = Path(dirpath, name)
            st = p.stat()
            out[("file", rel, name)] = (hashlib.sha256(p.read_bytes()).hexdigest(), st.st_size,
                                        st.st_mode, st.st_mtime_ns)
    return out


def load_net(tmp_path: Path, text: str):
    path = tmp_path / "net.prototxt"
    path.write_text(text)
    project = Project(cwd=tmp_path)
    project.lint_file(path, "net.prototxt")
    return project.nets[0]


def data_layer(source: str, backend: str | None = "LMDB", extra: str = "", name: str = "d") -> str:
    b = f" backend: {backend}" if backend else ""
    return (f'layer {{ name: "{name}" type: "Data" top: "data" top: "label"\n'
            f'  data_param {{ source: "{source}"{b} batch_size: 4 }} {extra} }}\n')


def only(reports, kind=None):
    found = [r for r in reports if kind is None or r.kind == kind]
    assert len(found) == 1, found
    return found[0]


def channel_numbers(values) -> list[tuple]:
    """(count, min, max, mean, std) per channel: uint8 sums are exact, so the mean is
    compared to 12 digits; the sum of squares is a float32 dot per block (~1e-7)."""
    return [(c.count, c.min, c.max, round(c.mean, 12), pytest.approx(c.std, rel=1e-6))
            for c in values.channels]


def expected_channels(arrays: list[np.ndarray]) -> list[tuple]:
    """(count, min, max, mean, std) per channel of records given as (C, H*W) arrays."""
    stacked = np.stack(arrays).astype(np.float64)
    return [_numbers(stacked[:, c, :]) for c in range(stacked.shape[1])]


def _numbers(v: np.ndarray) -> tuple:
    return (v.size, float(v.min()), float(v.max()), round(float(v.mean()), 12), float(v.std()))


# ------------------------------------------------------------------ LMDB

def _mixed_lmdb(tmp_path: Path):
    """48 raw 3x4x5 records with labels, 2 records of another shape, one without a
    label, one that is not a Datum and one whose data is too short."""
    rng = np.random.default_rng(7)
    items, pixels = [], []
    for i in range(48):
        px = rng.integers(0, 256, size=60, dtype=np.uint8)
        pixels.append(px.reshape(3, 20))
        items.append((b"img_%05d" % (i * 3), datum(3, 4, 5, label=i % 5, data=px)))
    items.append((b"img_00010", datum(1, 2, 2, label=9, data=[1, 2, 3, 4])))  # index 4
    items.append((b"img_00100", datum(1, 2, 2, label=9, data=[5, 6, 7, 8])))
    items.append((b"img_00050", datum(3, 4, 5, data=bytes(60))))  # no label field
    pixels.append(np.zeros((3, 20), dtype=np.uint8))
    items.append((b"img_00061", b"\xff\xff\xff not a datum"))
    items.append((b"img_00062", datum(3, 4, 5, label=1, data=bytes(59))))
    db = write_lmdb(tmp_path / "fixture" / "train_lmdb", items)
    return db, items, pixels


def test_lmdb_counts_shapes_labels_and_first_keys(tmp_path):
    db, items, pixels = _mixed_lmdb(tmp_path)
    net = load_net(tmp_path, data_layer("fixture/train_lmdb"))
    report = only(inspect_net(net))
    assert report.status == OK, report.problem
    assert report.source.found == "lmdb" and not report.source.backend_mismatch
    rec = report.records
    keys = sorted(k for k, _ in items)  # LMDB's order: the keys' byte order
    assert rec.total == rec.checked == len(items) == 53 and not rec.sampled
    assert {s: (v.count, v.first.key) for s, v in rec.shapes.items()} == {
        (3, 4, 5): (50, "img_00000"),  # 48 + the unlabelled + the short one
        (1, 2, 2): (2, "img_00010"),
    }
    assert rec.shapes[(1, 2, 2)].first.index == keys.index(b"img_00010")
    assert rec.first_shape == (3, 4, 5) and rec.shape is None
    assert rec.storage == {"uint8": 52}
    assert rec.undecodable.count == 1 and rec.undecodable.example.key == "img_00061"
    assert rec.size_mismatch.count == 1 and rec.size_mismatch.example.key == "img_00062"
    assert "59 data bytes" in rec.size_mismatch.reason
    assert rec.labels.counts == {0: 11, 1: 11, 2: 10, 3: 9, 4: 9, 9: 2}
    assert rec.labels.missing == 1 and rec.labels.total == 52
    assert (rec.labels.min, rec.labels.max) == (0, 9)
    # values: the 49 well-formed 3x4x5 records, per channel, exactly; and the 1x2x2
    # records' single channel folded into channel 0
    got = channel_numbers(rec.values)
    want = expected_channels(pixels)
    want[0] = _numbers(np.concatenate([np.stack(pixels)[:, 0, :].ravel(), np.arange(1, 9)]))
    assert got == want
    assert rec.values.dtype == "uint8" and rec.values.integral and rec.values.nonfinite == 0
    assert rec.values.records == 51


def test_lmdb_float_data_nan_and_inf_records_are_named(tmp_path):
    items = []
    for i in range(40):
        v = np.full(2 * 2 * 3, i / 4, dtype=np.float32)
        if i == 23:
            v[5] = np.nan
        if i == 31:
            v[0], v[1] = np.inf, -np.inf
        items.append((b"rec-%03d" % i, datum(2, 2, 3, label=i % 2, floats=v.tolist())))
    write_lmdb(tmp_path / "fixture" / "f_lmdb", items)
    net = load_net(tmp_path, data_layer("fixture/f_lmdb"))
    rec = only(inspect_net(net)).records
    assert rec.storage == {"float": 40}
    v = rec.values
    assert (v.nan, v.posinf, v.neginf, v.nonfinite) == (1, 1, 1, 3)
    assert v.first_nonfinite == RecordRef(23, "rec-023")
    assert v.dtype == "float32" and not v.integral
    assert v.count == 40 * 12 - 3 and v.min == 0.0 and v.max == 39 / 4
    # values 0-5 of a record are channel 0: all three non-finite values are there
    assert [c.count for c in v.channels] == [40 * 6 - 3, 40 * 6]
    assert v.channels[1].mean == pytest.approx(np.mean([i / 4 for i in range(40)]), rel=1e-12)


def test_fast_and_per_record_paths_agree(tmp_path, monkeypatch):
    """The batch decoder (templates) and plain protobuf parsing give the same summary,
    over layouts the fast path takes and ones it must hand over."""
    rng = np.random.default_rng(3)
    pb = caffe_pb2()
    values = []
    for i in range(300):
        kind = i % 7
        if kind == 0:  # label before the data: another layout
            head = pb.Datum(label=int(rng.integers(0, 300))).SerializeToString()
            values.append(head + datum(2, 3, 3, data=rng.integers(0, 256, 18, dtype=np.uint8)))
        elif kind == 1:  # labels >= 128 and negative ones: longer tails
            values.append(datum(2, 3, 3, label=int(rng.integers(-5, 100000)),
                                data=rng.integers(0, 256, 18, dtype=np.uint8)))
        elif kind == 2:
            values.append(datum(1, 2, 3, label=i % 3,
                                floats=rng.normal(size=6).astype(np.float32).tolist()))
        elif kind == 3 and i % 2:
            values.append(datum(2, 3, 3, label=3, data=rng.integers(0, 256, 17, dtype=np.uint8)))
        elif kind == 4:  # a tail that overrides the head's channels
            values.append(datum(2, 3, 3, label=4, data=rng.integers(0, 256, 18, dtype=np.uint8))
                          + pb.Datum(channels=1, height=3, width=6).SerializeToString())
        else:
            values.append(datum(2, 3, 3, label=i % 4, data=rng.integers(0, 256, 18, dtype=np.uint8)))
    values[150] = values[150][:-3]  # truncated

    def summary(how: str):
        if how == "slow":
            monkeypatch.setattr(datum_module, "_template", lambda record, datum_type: None)
        else:
            monkeypatch.undo()
        out = RecordsBuilder()
        decoder = DatumDecoder(out)
        for start in range(0, len(values), 64):
            batch = values[start:start + 64]
            if how == "joined":  # as the LMDB reader hands them over
                decoder.joined(b"".join(batch), [len(v) for v in batch], Refs(start))
            else:
                decoder.batch(batch, Refs(start))
        rec = out.result(len(values), False)
        values_seen = [(c.count, c.min, c.max, f"{c.mean:.9g}", f"{c.std:.6g}")
                       for c in rec.values.channels]
        return (values_seen, rec.values.nan, rec.labels.counts,
                rec.labels.missing, {s: (v.count, v.first.index) for s, v in rec.shapes.items()},
                rec.storage, (rec.undecodable.count, [r.index for r in rec.undecodable.first]),
                (rec.size_mismatch.count, [r.index for r in rec.size_mismatch.first]))

    fast, joined, slow = summary("batch"), summary("joined"), summary("slow")
    assert fast == joined == slow
    assert fast[5] == {"uint8": 256, "float": 43}  # the truncated record is undecodable
    assert fast[6] == (1, [150])


def test_encoded_datums_are_decoded(tmp_path):
    Image = pytest.importorskip("PIL.Image")

    def png(mode, size, color):
        buf = io.BytesIO()
        Image.new(mode, size, color).save(buf, format="PNG")
        return buf.getvalue()

    items = [(b"a", datum(label=1, data=png("RGB", (5, 3), (10, 20, 30)), encoded=True)),
             (b"b", datum(label=2, data=png("L", (5, 3), 7), encoded=True)),
             (b"c", datum(label=2, data=b"\x89PNG broken", encoded=True))]
    write_lmdb(tmp_path / "fixture" / "enc_lmdb", items)
    net = load_net(tmp_path, data_layer("fixture/enc_lmdb"))
    rec = only(inspect_net(net)).records
    assert {s: v.count for s, v in rec.shapes.items()} == {(3, 3, 5): 1, (1, 3, 5): 1}
    assert rec.storage == {"encoded": 3, "uint8": 2}
    assert rec.undecodable.example.key == "c"
    # OpenCV's channel order: blue first
    assert [(c.min, c.max) for c in rec.values.channels] == [(7, 30), (20, 20), (10, 10)]


def test_lmdb_is_never_modified(tmp_path):
    _mixed_lmdb(tmp_path)
    fixture = tmp_path / "fixture"
    (fixture / "train_lmdb" / "lock.mdb").unlink()  # the reader must not even create one
    before = snapshot(fixture)
    assert ("file", "train_lmdb", "data.mdb") in before
    net = load_net(tmp_path, data_layer("fixture/train_lmdb"))
    for sample in (None, 5):
        clear_cache()
        assert only(inspect_net(net, sample=sample)).status == OK
    assert snapshot(fixture) == before


# ------------------------------------------------------------------ sampling

def test_sampling_spreads_over_the_whole_source(tmp_path):
    n = 1000
    write_lmdb(tmp_path / "fixture" / "s_lmdb",
               [(b"%06d" % i, datum(1, 1, 2, label=i, data=[i % 256, 0])) for i in range(n)])
    net = load_net(tmp_path, data_layer("fixture/s_lmdb"))
    rec = only(inspect_net(net, sample=10)).records
    assert rec.sampled and rec.checked == 10 and rec.total == n
    assert sorted(rec.labels.counts) == sample_positions(n, 10)
    clear_cache()
    rec = only(inspect_net(net, sample=7)).records
    assert sorted(rec.labels.counts) == sample_positions(n, 7)
    assert max(rec.labels.counts) > 0.8 * n  # reaches the end
    clear_cache()
    rec = only(inspect_net(net, sample=5000)).records  # more than there is: everything
    assert not rec.sampled and rec.checked == n


def test_sampling_by_key_number_checks_the_keys(tmp_path):
    """convert_imageset-style keys are sought by number; a key list that only looks like
    it (a number twice, one missing) falls back to stepping and still reads the right
    positions."""
    numbers = [0, 1, 1, 3, 4, 5, 6, 7]
    items = [(b"%08d_%d.jpg" % (n, i), datum(1, 1, 1, label=i, data=[0]))
             for i, n in enumerate(numbers)]
    write_lmdb(tmp_path / "fixture" / "k_lmdb", items)
    net = load_net(tmp_path, data_layer("fixture/k_lmdb"))
    rec = only(inspect_net(net, sample=4)).records
    assert sorted(rec.labels.counts) == sample_positions(len(numbers), 4)
    assert [v.first.key for v in rec.shapes.values()] == ["00000000_0.jpg"]
    write_lmdb(tmp_path / "fixture" / "n_lmdb",
               [(b"%05d_x" % i, datum(1, 1, 1, label=i, data=[0])) for i in range(500)])
    clear_cache()
    net = load_net(tmp_path, data_layer("fixture/n_lmdb"))
    rec = only(inspect_net(net, sample=3)).records
    assert sorted(rec.labels.counts) == sample_positions(500, 3)


def test_sampling_other_formats(tmp_path):
    plyvel = pytest.importorskip("plyvel")
    fixture = tmp_path / "fixture"
    fixture.mkdir()
    db = plyvel.DB(str(fixture / "s_leveldb"), create_if_missing=True)
    for i in range(300):
        db.put(b"%05d" % i, datum(1, 1, 1, label=i, data=[1]))
    db.close()
    for name, rows in (("a.h5", 120), ("b.h5", 80)):
        with h5py.File(fixture / name, "w") as f:
            start = 0 if name == "a.h5" else 120
            f["x"] = np.zeros((rows, 2), dtype=np.float32)
            f["y"] = np.arange(start, start + rows, dtype=np.float32)
    (fixture / "h5.txt").write_text("fixture/a.h5\nfixture/b.h5\n")
    net = load_net(tmp_path, data_layer("fixture/s_leveldb", backend=None) +
                   'layer { name: "h" type: "HDF5Data" top: "x" top: "y"\n'
                   '  hdf5_data_param { source: "fixture/h5.txt" batch_size: 4 } }\n')
    reports = inspect_net(net, sample=4)
    rec = only(reports, "Data").records
    assert rec.sampled and rec.total == 300
    assert sorted(rec.labels.counts) == sample_positions(300, 4)
    h5 = only(reports, "HDF5Data").hdf5
    assert h5.sampled and h5.total == 200 and h5.checked == 4
    assert sorted(h5.datasets["y"].labels.counts) == sample_positions(200, 4)


# ------------------------------------------------------------------ LevelDB

def test_leveldb_read_through_a_private_copy(tmp_path):
    plyvel = pytest.importorskip("plyvel")
    fixture = tmp_path / "fixture"
    fixture.mkdir()
    rng = np.random.default_rng(5)
    arrays = []
    for half in (range(100), range(100, 200)):  # reopening turns the log into a table
        db = plyvel.DB(str(fixture / "train_leveldb"), create_if_missing=True)
        for i in half:
            px = rng.integers(0, 256, size=12, dtype=np.uint8)
            arrays.append(px.reshape(3, 4))
            db.put(b"key%04d" % i, datum(3, 2, 2, label=i % 7, data=px))
        db.close()
    names = os.listdir(fixture / "train_leveldb")
    assert any(n.endswith((".ldb", ".sst")) for n in names) and any(n.endswith(".log") for n in names)
    before = snapshot(fixture)
    scratch = set(Path(tempfile.gettempdir()).glob("protolint-leveldb-*"))
    # backend LEVELDB is Caffe's default: left out on purpose
    net = load_net(tmp_path, data_layer("fixture/train_leveldb", backend=None))
    report = only(inspect_net(net))
    assert report.status == OK, report.problem
    assert report.source.found == "leveldb" and report.source.backend == "LEVELDB"
    rec = report.records
    assert rec.total == rec.checked == 200
    assert rec.labels.counts == {k: len(range(k, 200, 7)) for k in range(7)}
    assert channel_numbers(rec.values) == expected_channels(arrays)
    assert {s: (v.count, v.first.key) for s, v in rec.shapes.items()} == {(3, 2, 2): (200, "key0000")}
    clear_cache()
    assert only(inspect_net(net, sample=9)).records.checked == 9
    assert snapshot(fixture) == before
    assert set(Path(tempfile.gettempdir()).glob("protolint-leveldb-*")) == scratch


def test_leveldb_copy_links_only_safe_tables(tmp_path):
    plyvel = pytest.importorskip("plyvel")
    from protolint.data.dbs import private_copy

    src = tmp_path / "db"
    for round in range(2):  # closing and opening again turns the log into a table
        db = plyvel.DB(str(src), create_if_missing=True, write_buffer_size=65536)
        for i in range(2000):
            db.put(b"%d-%05d" % (round, i), bytes(100))
        db.close()
    (src / "999999.ldb").write_bytes(b"a leftover table")  # newer than the log
    scratch = tmp_path / "copy"
    scratch.mkdir()
    done = private_copy(src, scratch)
    # only tables numbered below the oldest log are shared: LevelDB numbers every file it
    # creates on opening the copy above that, so it never writes to a linked file
    limit = min(int(p.stem) for p in src.glob("*.log"))
    assert done["linked"] >= 1 and done["copied"] >= 4  # CURRENT, MANIFEST, log, 999999
    for path in scratch.iterdir():
        linked = os.stat(path).st_ino == os.stat(src / path.name).st_ino
        assert linked == (path.suffix in (".ldb", ".sst") and int(path.stem) < limit), path
        assert path.read_bytes() == (src / path.name).read_bytes()
    assert sorted(p.name for p in scratch.iterdir()) == sorted(
        p.name for p in src.iterdir() if p.name not in ("LOCK", "LOG", "LOG.old"))


def test_leveldb_without_plyvel_is_reported(tmp_path, monkeypatch):
    (tmp_path / "fixture" / "x_leveldb").mkdir(parents=True)
    (tmp_path / "fixture" / "x_leveldb" / "CURRENT").write_text("MANIFEST-000001\n")
    monkeypatch.setitem(sys.modules, "plyvel", None)  # import plyvel raises ImportError
    net = load_net(tmp_path, data_layer("fixture/x_leveldb", backend=None))
    report = only(inspect_net(net))
    assert report.status == UNSUPPORTED
    assert report.problem == "LevelDB not supported (pip install plyvel)"


# ------------------------------------------------------------------ HDF5

def _hdf5_fixture(tmp_path: Path):
    fixture = tmp_path / "fixture"
    fixture.mkdir()
    a = np.arange(6 * 2 * 3 * 3, dtype=np.float32).reshape(6, 2, 3, 3)
    b = -np.arange(4 * 2 * 3 * 3, dtype=np.float64).reshape(4, 2, 3, 3)
    b[3, 1, 2, 2] = np.inf
    b[2, 0, 0, 0] = 1e39  # a double beyond float32: Caffe's float blob holds inf
    with h5py.File(fixture / "a.h5", "w") as f:
        f["data"] = a
        f["label"] = np.array([0, 1, 2, 0, 1, 2], dtype=np.float32)
        f["extra"] = np.zeros(3)
    with h5py.File(fixture / "b.h5", "w") as f:
        f["data"] = b
        f["label"] = np.array([[1.5], [np.nan], [2], [0]], dtype=np.float64)
    with h5py.File(fixture / "c.h5", "w") as f:  # rows disagree
        f["data"] = np.zeros((3, 2, 3, 3), dtype=np.float32)
        f["label"] = np.zeros(2, dtype=np.int32)
    (fixture / "list.txt").write_text("fixture/a.h5 fixture/b.h5\n\nfixture/missing.h5\nfixture/c.h5\n")
    return fixture, a, b


def test_hdf5_files_datasets_and_values(tmp_path):
    fixture, a, b = _hdf5_fixture(tmp_path)
    before = snapshot(fixture)
    net = load_net(tmp_path, 'layer { name: "h" type: "HDF5Data" top: "data" top: "label"\n'
                             '  hdf5_data_param { source: "fixture/list.txt" batch_size: 2 } }\n')
    report = only(inspect_net(net))
    assert report.status == OK, report.problem
    h5 = report.hdf5
    assert [f.listed for f in h5.files] == ["fixture/a.h5", "fixture/b.h5", "fixture/missing.h5",
                                            "fixture/c.h5"]
    fa, fb, fm, fc = h5.files
    assert fa.rows == 6 and fa.datasets["data"].shape == (6, 2, 3, 3)
    assert fa.datasets["data"].dtype == "float32" and fa.others == ["extra"]
    assert fb.datasets["data"].dtype == "float64" and fb.datasets["label"].shape == (4, 1)
    assert fm.problem == "not found" and fm.path is None
    assert "rows" in fc.problem and fc.rows == 3
    assert h5.total == h5.checked == 6 + 4  # c.h5 cannot be loaded: not read
    data = h5.datasets["data"]
    assert data.shapes == {(2, 3, 3): 2} and data.dtypes == {"float32": 1, "float64": 1}
    v = data.values
    assert (v.nan, v.posinf, v.neginf) == (0, 2, 0)
    assert v.first_nonfinite == RecordRef(6 + 2, "fixture/b.h5 row 2")
    assert fb.datasets["data"].values.first_nonfinite.key == "fixture/b.h5 row 2"
    assert fa.datasets["data"].values.nonfinite == 0
    finite = np.concatenate([a.reshape(6, 2, 9), b.reshape(4, 2, 9)])
    ch0 = np.delete(finite[:, 0, :].ravel(), 6 * 9 + 2 * 9)  # the 1e39
    assert v.channels[0].count == ch0.size and v.channels[0].min == ch0.min()
    assert v.channels[0].mean == pytest.approx(ch0.mean(), rel=1e-9)
    assert v.channels[0].std == pytest.approx(ch0.std(), rel=1e-6)
    labels = h5.datasets["label"].labels
    assert labels.counts == {0: 3, 1: 2, 2: 3, 1.5: 1}
    assert labels.non_integer.example == RecordRef(6, "fixture/b.h5 row 0")
    assert labels.nonfinite.example == RecordRef(7, "fixture/b.h5 row 1")
    assert report.values("data") is v and report.labels("label") is labels
    assert snapshot(fixture) == before


def test_hdf5_missing_dataset_and_unsupported_type(tmp_path):
    fixture = tmp_path / "fixture"
    fixture.mkdir()
    with h5py.File(fixture / "a.h5", "w") as f:
        f["data"] = np.array([b"x", b"y"])
        f["lbl"] = np.zeros(2)
    (fixture / "l.txt").write_text("fixture/a.h5")
    net = load_net(tmp_path, 'layer { name: "h" type: "HDF5Data" top: "data" top: "label"\n'
                             '  hdf5_data_param { source: "fixture/l.txt" batch_size: 2 } }\n')
    (f,) = only(inspect_net(net)).hdf5.files
    assert "string" in f.datasets["data"].problem
    assert "Failed to find HDF5 dataset label" in f.datasets["label"].problem
    assert f.others == ["lbl"]


# ------------------------------------------------------------------ images

def test_image_list(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    fixture = tmp_path / "fixture"
    (fixture / "img").mkdir(parents=True)
    Image.new("RGB", (6, 4), (10, 20, 30)).save(fixture / "img" / "a.png")
    Image.new("L", (6, 4), 99).save(fixture / "img" / "b.png")
    Image.new("RGB", (8, 5), (1, 2, 3)).save(fixture / "img" / "c.png")
    (fixture / "img" / "bad.png").write_bytes(b"not an image")
    (fixture / "list.txt").write_text(
        "a.png 1\nb.png 2\nmissing.png 3\nbad.png 0\nc.png 2.5\nc.png\r\n")
    before = snapshot(fixture)
    net = load_net(tmp_path, 'layer { name: "i" type: "ImageData" top: "data" top: "label"\n'
                             '  image_data_param { source: "fixture/list.txt" batch_size: 2\n'
                             '    root_folder: "fixture/img/" } }\n')
    rec = only(inspect_net(net)).records
    assert rec.total == rec.checked == 6
    assert {s: v.count for s, v in rec.shapes.items()} == {(3, 4, 6): 2, (3, 5, 8): 1}
    assert rec.missing.count == 2 and rec.missing.example == RecordRef(2, "fixture/img/missing.png")
    assert rec.missing.first[1].key == "fixture/img/c.png\r"  # no space: the line is the path
    assert rec.undecodable.example.key == "fixture/img/bad.png"
    assert rec.malformed.count == 1 and rec.malformed.example.index == 5
    assert rec.labels.counts == {0: 2, 1: 1, 2: 2, 3: 1}  # atoi: "2.5" is 2, "c.png\r" is 0
    assert [r.index for r in rec.labels.non_integer.first] == [4, 5]
    assert [(c.min, c.max) for c in rec.values.channels] == [(3, 99), (2, 99), (1, 99)]  # BGR
    assert snapshot(fixture) == before

    clear_cache()
    net = load_net(tmp_path, 'layer { name: "i" type: "ImageData" top: "data" top: "label"\n'
                             '  image_data_param { source: "fixture/list.txt" batch_size: 2\n'
                             '    root_folder: "fixture/img" is_color: false\n'
                             '    new_height: 3 new_width: 2 } }\n')
    rec = only(inspect_net(net)).records
    assert rec.missing.count == 6  # "fixture/img" + "a.png": no slash between them
    assert any("trailing '/'" in note for note in rec.notes)


# ------------------------------------------------------------------ mean files

def test_mean_files(tmp_path):
    pb = caffe_pb2()
    legacy = pb.BlobProto(num=1, channels=3, height=2, width=2)
    legacy.data.extend([0, 1, 2, 3, 10, 10, 10, 10, 5, 5, 5, float("nan")])
    (tmp_path / "legacy.binaryproto").write_bytes(legacy.SerializeToString())
    shaped = pb.BlobProto()
    shaped.shape.dim.extend([3, 2, 2])
    shaped.double_data.extend(range(12))
    (tmp_path / "shaped.binaryproto").write_bytes(shaped.SerializeToString())
    short = pb.BlobProto(num=1, channels=1, height=2, width=2)
    short.data.extend([1, 2, 3])
    (tmp_path / "short.binaryproto").write_bytes(short.SerializeToString())
    write_lmdb(tmp_path / "x_lmdb", [(b"0", datum(3, 2, 2, data=bytes(12)))])
    layers = "".join(
        data_layer("x_lmdb", extra=f'transform_param {{ mean_file: "{m}" }}', name=m)
        for m in ("legacy.binaryproto", "shaped.binaryproto", "short.binaryproto", "no.binaryproto"))
    net = load_net(tmp_path, layers)
    report = only(inspect_net(net))  # one source, four layers
    means = {u.layer.name: u.mean for u in report.uses}
    m = means["legacy.binaryproto"]
    assert (m.shape, m.legacy, m.count, m.values, m.nonfinite) == ((1, 3, 2, 2), (3, 2, 2), 12, 12, 1)
    assert (m.min, m.max) == (0, 10) and not m.problem
    m = means["shaped.binaryproto"]
    assert m.shape == (3, 2, 2) and m.legacy == (2, 2, 1)  # Caffe's channels() is axis 1
    assert m.channel_means == [4.5, 6.5] and (m.min, m.max) == (0, 11)
    assert "holds 3 values" in means["short.binaryproto"].problem
    assert means["no.binaryproto"].problem == "not found" and means["no.binaryproto"].tried
    assert isinstance(read_blob(tmp_path / "nothing"), str)


# ------------------------------------------------------------------ finding sources

def test_finding_sources(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [(b"0", datum(1, 1, 1, label=0, data=[0]))])
    (tmp_path / "win.txt").write_text("# 0\n")
    net = load_net(tmp_path, (
        data_layer("train_lmdb", backend=None, name="train",
                   extra="include { phase: TRAIN } transform_param { scale: 0.5 }") +
        data_layer("./train_lmdb", backend=None, name="test", extra="include { phase: TEST }") +
        data_layer("gone_lmdb", name="gone") +
        'layer { name: "m" type: "MemoryData" top: "a" top: "b"\n'
        '  memory_data_param { batch_size: 1 channels: 1 height: 1 width: 1 } }\n'
        'layer { name: "w" type: "WindowData" top: "c" top: "e"\n'
        '  window_data_param { source: "win.txt" batch_size: 1 } transform_param { crop_size: 2 } }\n'
        'layer { name: "never" type: "Data" top: "f" top: "g" include { stage: "x" }\n'
        '  data_param { source: "elsewhere" } }\n'))
    sources = find_sources(net)
    assert [(s.kind, s.name) for s in sources] == [
        ("Data", "train_lmdb"), ("Data", "gone_lmdb"), ("WindowData", "win.txt")]
    train = sources[0]
    assert [(u.layer.name, u.phases) for u in train.uses] == [("train", ("TRAIN",)), ("test", ("TEST",))]
    assert train.uses[0].transform.scale == 0.5 and train.uses[0].transform.normalises
    assert not train.uses[1].transform.written and train.uses[1].label_top == "label"
    assert train.found == "lmdb" and train.backend == "LEVELDB" and train.backend_mismatch
    done = []
    reports = inspect_net(net, progress=done.append)
    assert reports[0].status == OK and reports[0].records.checked == 1 == sum(done)
    assert reports[1].status == NOT_FOUND and reports[1].source.tried
    assert reports[2].status == UNSUPPORTED
    done.clear()
    assert inspect_net(net, progress=done.append) is reports  # kept per net
    other = load_net(tmp_path, data_layer("train_lmdb", name="again"))  # another net
    assert inspect_net(other, progress=done.append)[0].records is reports[0].records
    assert done == []  # the reading is shared: nothing read again


def test_a_file_where_a_database_is_expected(tmp_path):
    (tmp_path / "x.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(100))
    net = load_net(tmp_path, data_layer("x.h5"))
    report = only(inspect_net(net))
    assert report.source.found == "hdf5"
    assert report.status == "error" and "HDF5 file" in report.problem


def test_inspect_source_directly(tmp_path):
    write_lmdb(tmp_path / "y_lmdb", [(b"%d" % i, datum(1, 1, 1, label=i, data=[i])) for i in range(3)])
    net = load_net(tmp_path, data_layer("y_lmdb"))
    (source,) = find_sources(net)
    report = inspect_source(source, sample=2)
    assert report.records.checked == 2 and report.sampled
    with pytest.raises(ValueError):
        inspect_source(source, sample=0)


# ------------------------------------------------------------------ first record per label

def test_first_record_of_each_label_on_every_path(monkeypatch):
    """LabelStats.first names the earliest record holding each label, whether the batch
    decoder takes the fast path (templates), hands records over, or parses each one."""
    rng = np.random.default_rng(11)
    pb = caffe_pb2()
    values = []
    for i in range(400):
        kind = i % 5
        if kind == 0:  # another layout: the per-record path
            head = pb.Datum(label=int(rng.integers(0, 40))).SerializeToString()
            values.append(head + datum(1, 2, 2, data=rng.integers(0, 256, 4, dtype=np.uint8)))
        elif kind == 1:  # long tails: np.unique over them
            values.append(datum(1, 2, 2, label=int(rng.integers(-3, 100000)),
                                data=rng.integers(0, 256, 4, dtype=np.uint8)))
        else:  # short tails: the histogram of their last byte
            values.append(datum(1, 2, 2, label=int(rng.integers(0, 40)),
                                data=rng.integers(0, 256, 4, dtype=np.uint8)))
    expected: dict = {}
    for i, value in enumerate(values):
        expected.setdefault(pb.Datum.FromString(value).label, i)

    def firsts(how: str) -> dict:
        if how == "slow":
            monkeypatch.setattr(datum_module, "_template", lambda record, datum_type: None)
        else:
            monkeypatch.undo()
        out = RecordsBuilder()
        decoder = DatumDecoder(out)
        for start in range(0, len(values), 64):
            batch = values[start:start + 64]
            if how == "joined":
                decoder.joined(b"".join(batch), [len(v) for v in batch], Refs(start))
            else:
                decoder.batch(batch, Refs(start))
        labels = out.result(len(values), False).labels
        assert set(labels.first) == set(labels.counts)
        return {value: ref.index for value, ref in labels.first.items()}

    assert firsts("batch") == firsts("joined") == firsts("slow") == expected


def test_first_record_of_each_label_is_bounded_and_merged():
    from protolint.data.model import RecordRef as Ref
    from protolint.data.stats import MAX_LABELS, LabelAccumulator

    early, late = LabelAccumulator(), LabelAccumulator()
    late.add_floats(np.array([5, 7, 5], np.float32), lambda r: Ref(10 + r))
    early.add_floats(np.array([np.nan, 5, 2.5], np.float32), lambda r: Ref(r))
    late.merge(early)  # merged in another order than read
    result = late.result()
    assert {v: r.index for v, r in result.first.items()} == {2.5: 2, 5: 1, 7: 11}
    many = LabelAccumulator()
    many.add_floats(np.arange(MAX_LABELS + 10, dtype=np.float32), lambda r: Ref(r))
    result = many.result()
    assert len(result.first) == len(result.counts) == MAX_LABELS and result.other == 10


def test_first_record_of_each_label_is_named_by_its_key(tmp_path):
    items = [(b"%03d_img" % i, datum(1, 1, 1, label=[3, 1, 3, 0, 1, 2][i], data=[i]))
             for i in range(6)]
    write_lmdb(tmp_path / "fixture" / "l_lmdb", items)
    net = load_net(tmp_path, data_layer("fixture/l_lmdb"))
    labels = only(inspect_net(net)).records.labels  # a full scan reads no key: filled after
    assert labels.first == {0: RecordRef(3, "003_img"), 1: RecordRef(1, "001_img"),
                            2: RecordRef(5, "005_img"), 3: RecordRef(0, "000_img")}


def test_first_record_of_each_label_in_hdf5_files(tmp_path):
    _hdf5_fixture(tmp_path)
    net = load_net(tmp_path, 'layer { name: "h" type: "HDF5Data" top: "data" top: "label"\n'
                             '  hdf5_data_param { source: "fixture/list.txt" batch_size: 2 } }\n')
    h5 = only(inspect_net(net)).hdf5
    assert h5.datasets["label"].labels.first == {
        0: RecordRef(0, "fixture/a.h5 row 0"), 1: RecordRef(1, "fixture/a.h5 row 1"),
        2: RecordRef(2, "fixture/a.h5 row 2"), 1.5: RecordRef(6, "fixture/b.h5 row 0")}
    assert h5.files[1].datasets["label"].labels.first[2] == RecordRef(8, "fixture/b.h5 row 2")


# ------------------------------------------------------------------ sampling an LMDB

def test_sampling_lmdb_with_unnumbered_keys_reads_the_spread_positions(tmp_path):
    items = [(b"img_%05d" % i, datum(1, 1, 1, label=i, data=[0])) for i in range(100)]
    write_lmdb(tmp_path / "fixture" / "u_lmdb", items)
    net = load_net(tmp_path, data_layer("fixture/u_lmdb"))
    rec = only(inspect_net(net, sample=10)).records
    picked = sample_positions(100, 10)
    assert rec.checked == 10 and rec.sampled and rec.total == 100
    assert sorted(rec.labels.counts) == picked
    assert rec.labels.first[picked[3]] == RecordRef(picked[3], "img_%05d" % picked[3])


# ------------------------------------------------------------------ force_color / force_gray

def _grey_png(size=(5, 3)) -> bytes:
    Image = pytest.importorskip("PIL.Image")
    buf = io.BytesIO()
    Image.new("L", size, 7).save(buf, format="PNG")
    return buf.getvalue()


def test_encoded_datums_are_decoded_as_each_layer_asks(tmp_path):
    png = _grey_png()
    write_lmdb(tmp_path / "fixture" / "enc_lmdb",
               [(b"%02d" % i, datum(label=i, data=png, encoded=True)) for i in range(3)])
    net = load_net(tmp_path, (
        data_layer("fixture/enc_lmdb", name="native")
        + data_layer("fixture/enc_lmdb", name="color",
                     extra="transform_param { force_color: true }")
        + data_layer("fixture/enc_lmdb", name="gray",
                     extra="transform_param { force_gray: true }")
        + data_layer("fixture/enc_lmdb", name="both",
                     extra="transform_param { force_color: true force_gray: true }")))
    reports = inspect_net(net)
    assert [[u.layer.name for u in r.uses] for r in reports] == [
        ["native", "both"], ["color"], ["gray"]]
    assert [list(r.records.shapes) for r in reports] == [[(1, 3, 5)], [(3, 3, 5)], [(1, 3, 5)]]
    color = reports[1].records.values
    assert [(c.min, c.max) for c in color.channels] == [(7, 7)] * 3


def test_sources_without_encoded_records_are_read_once_whatever_the_flags(tmp_path, monkeypatch):
    from protolint.data import engine

    write_lmdb(tmp_path / "fixture" / "raw_lmdb",
               [(b"%02d" % i, datum(1, 1, 1, label=i, data=[i])) for i in range(3)])
    reads = []
    real = engine._read
    monkeypatch.setattr(engine, "_read", lambda *a: reads.append(a[0]) or real(*a))
    net = load_net(tmp_path, data_layer("fixture/raw_lmdb", name="a")
                   + data_layer("fixture/raw_lmdb", name="b",
                                extra="transform_param { force_color: true }"))
    reports = inspect_net(net)
    assert len(reports) == 2 and len(reads) == 1
    assert reports[0].records is reports[1].records


# ------------------------------------------------------------------ HDF5: what Caffe loads

def test_hdf5_datasets_without_values_are_not_loadable(tmp_path):
    fixture = tmp_path / "fixture"
    fixture.mkdir()
    with h5py.File(fixture / "ok.h5", "w") as f:
        f["data"] = np.ones((4, 2), np.float32)
        f["label"] = np.zeros(4, np.float32)
    with h5py.File(fixture / "zero_width.h5", "w") as f:  # 5 rows of no values
        f["data"] = np.ones((5, 0), np.float32)
        f["label"] = np.zeros(5, np.float32)
    with h5py.File(fixture / "zero_rows.h5", "w") as f:
        f["data"] = np.ones((0, 2), np.float32)
        f["label"] = np.zeros(0, np.float32)
    (fixture / "list.txt").write_text("fixture/ok.h5 fixture/zero_width.h5 fixture/zero_rows.h5")
    net = load_net(tmp_path, 'layer { name: "h" type: "HDF5Data" top: "data" top: "label"\n'
                             '  hdf5_data_param { source: "fixture/list.txt" batch_size: 2 } }\n')
    h5 = only(inspect_net(net)).hdf5
    ok, width, rows = h5.files
    assert not ok.problem and width.problem and rows.problem
    assert width.datasets["data"].fails == rows.datasets["data"].fails == "empty"
    assert h5.total == h5.checked == 4
    assert h5.datasets["data"].rows == 4 and h5.datasets["label"].labels.total == 4


def test_hdf5_checks_come_in_caffes_order(tmp_path):
    fixture = tmp_path / "fixture"
    fixture.mkdir()
    with h5py.File(fixture / "a.h5", "w") as f:
        f["data"] = np.array(b"text")  # a scalar string: the axes are checked first
        f["label"] = np.zeros(3, np.float32)
    with h5py.File(fixture / "b.h5", "w") as f:
        f["data"] = np.ones((0, 2), np.float32)  # the first top fails before the second
        f["labels"] = np.zeros(3, np.float32)
    with h5py.File(fixture / "c.h5", "w") as f:
        f["data"] = np.ones((3, 2), np.float32)
        f["label"] = np.array([b"a", b"b"])  # a type Caffe refuses, before the rows check
    (fixture / "list.txt").write_text("fixture/a.h5 fixture/b.h5 fixture/c.h5")
    net = load_net(tmp_path, 'layer { name: "h" type: "HDF5Data" top: "data" top: "label"\n'
                             '  hdf5_data_param { source: "fixture/list.txt" batch_size: 2 } }\n')
    a, b, c = only(inspect_net(net)).hdf5.files
    assert a.datasets["data"].fails == "scalar" and "scalar" in a.problem
    assert b.datasets["data"].fails == "empty" and b.datasets["label"].fails == "missing"
    assert "no values" in b.problem
    assert c.datasets["label"].fails == "dtype" and "Unsupported datatype" in c.problem


def test_sample_positions_take_one_record_from_each_stretch():
    picked = sample_positions(1000, 10)
    assert picked == sample_positions(1000, 10)  # the same sample every run
    assert picked[0] == 0  # DataLayer shapes its tops from the first record
    assert [p // 100 for p in picked] == list(range(10))  # one per stretch of 100
    assert sample_positions(10, 10) is None and sample_positions(10, 50) is None  # all
    # Records written in a repeating order (labels 0..4, 0..4, ...) are not all alike in
    # a sample whose size divides the period evenly, as a fixed stride would make them.
    assert len({p % 5 for p in sample_positions(200, 40)}) == 5
