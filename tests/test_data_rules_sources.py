"""Data rules about the sources themselves (PL301-PL308): found, readable, the right
backend, shapes Caffe's data layers accept. Every fixture is built here in tmp_path, kept
tiny, and checked to be left exactly as it was."""

from __future__ import annotations

import hashlib
import io
import os
import sys
from pathlib import Path

import pytest

from conftest import codes, lint_text
from protolint.catalogue import pages
from protolint.data import clear_cache
from protolint.data.dbs import sample_positions
from protolint.findings import Severity
from protolint.schema import caffe_pb2

np = pytest.importorskip("numpy")
lmdb = pytest.importorskip("lmdb")
h5py = pytest.importorskip("h5py")
Image = pytest.importorskip("PIL.Image")

CODES = [f"PL30{i}" for i in range(1, 9)]


@pytest.fixture(autouse=True)
def _fresh_cache():
    clear_cache()
    yield
    clear_cache()


# ------------------------------------------------------------------ builders

def datum(c=3, h=4, w=4, label=0, data=None, floats=None, encoded=None) -> bytes:
    d = caffe_pb2().Datum(channels=c, height=h, width=w, label=label)
    if encoded is not None:
        d.data = encoded
        d.encoded = True
    elif floats is not None:
        d.float_data.extend(floats)
    else:
        d.data = bytes(data) if data is not None else bytes(range(c * h * w)) if c * h * w < 256 \
            else bytes(i % 251 for i in range(c * h * w))
    return d.SerializeToString()


def write_lmdb(path: Path, values: list[bytes], keys: list[bytes] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for i, value in enumerate(values):
            txn.put(keys[i] if keys else b"%08d" % i, value)
    env.close()
    return path


def write_leveldb(path: Path, values: list[bytes]) -> Path:
    plyvel = pytest.importorskip("plyvel")
    path.parent.mkdir(parents=True, exist_ok=True)
    db = plyvel.DB(str(path), create_if_missing=True)
    for i, value in enumerate(values):
        db.put(b"%08d" % i, value)
    db.close()
    return path


def write_h5(path: Path, **datasets) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        for name, value in datasets.items():
            f[name] = value
    return path


def png_bytes(size=(4, 4), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, 128 if mode == "L" else (10, 20, 30)).save(buf, format="PNG")
    return buf.getvalue()


def write_png(path: Path, size=(4, 4), mode="RGB") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(png_bytes(size, mode))
    return path


def write_mean(path: Path, legacy=None, dims=None, count=None) -> Path:
    blob = caffe_pb2().BlobProto()
    if legacy is not None:
        blob.num, blob.channels, blob.height, blob.width = legacy
        n = legacy[0] * legacy[1] * legacy[2] * legacy[3]
    else:
        blob.shape.dim.extend(dims)
        n = int(np.prod(dims))
    blob.data.extend([1.0] * (n if count is None else count))
    path.write_bytes(blob.SerializeToString())
    return path


def snapshot(root: Path) -> dict:
    """Every file's bytes, size, mode and mtime, and every directory listing, under root."""
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


def lint(tmp_path: Path, text: str, **options):
    """Lint `text` with --data; assert the fixtures under tmp_path are left as they were."""
    net = tmp_path / "example.prototxt"
    if net.exists():
        net.unlink()
    before = snapshot(tmp_path)
    findings = lint_text(tmp_path, text, data=True, **options)
    after = snapshot(tmp_path)
    after.pop(("file", ".", "example.prototxt"))
    after[("dir", ".")].remove("example.prototxt")
    assert after == before, "linting modified a fixture"
    return findings


def of(findings, code):
    return [f for f in findings if f.code == code]


def one(findings, code):
    found = of(findings, code)
    assert len(found) == 1, [(f.code, f.message) for f in findings]
    return found[0]


def example(code: str, section: str) -> str:
    text = pages()[code].example(section)
    assert text is not None, f"{code}: no {section} example"
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def data_layer(source="train_lmdb", backend="LMDB", transform="", batch=4, name="data",
               phase=None, tops=("data", "label")) -> str:
    b = f" backend: {backend}" if backend else ""
    inc = f" include {{ phase: {phase} }}" if phase else ""
    t = f"\n  transform_param {{ {transform} }}" if transform else ""
    top = "".join(f' top: "{x}"' for x in tops)
    return (f'layer {{ name: "{name}" type: "Data"{top}{inc}{t}\n'
            f'  data_param {{ source: "{source}" batch_size: {batch}{b} }} }}\n')


def image_layer(source="list.txt", extra="", transform="", batch=2, name="img") -> str:
    t = f"\n  transform_param {{ {transform} }}" if transform else ""
    return (f'layer {{ name: "{name}" type: "ImageData" top: "data" top: "label"{t}\n'
            f'  image_data_param {{ source: "{source}" batch_size: {batch} {extra} }} }}\n')


def hdf5_layer(source="h5.txt", extra="", tops=("data", "label")) -> str:
    top = "".join(f' top: "{x}"' for x in tops)
    return (f'layer {{ name: "h5" type: "HDF5Data"{top}\n'
            f'  hdf5_data_param {{ source: "{source}" batch_size: 2 }} {extra} }}\n')


# ------------------------------------------------------------------ every code

def test_rules_need_data_and_say_nothing_without_it(tmp_path):
    from protolint.checks import all_rules

    rules = all_rules()
    for code in CODES:
        assert rules[code].needs_data, code
    # broken data everywhere, but --data is off: no finding
    (tmp_path / "train_lmdb").mkdir()
    text = (data_layer("train_lmdb", backend=None, transform='mean_file: "nomean"') +
            hdf5_layer("h5.txt", extra="transform_param { scale: 2 }") +
            image_layer("gone.txt"))
    found = lint_text(tmp_path, text)
    assert not set(codes(found)) & set(CODES)


@pytest.mark.parametrize("code", CODES)
def test_page_severity_matches(code):
    from protolint.checks import all_rules

    assert f"Severity: {all_rules()[code].severity}" in pages()[code].text


# ------------------------------------------------------------------ PL301

def _mnist(tmp_path):
    write_lmdb(tmp_path / "examples" / "mnist" / "mnist_train_lmdb",
               [datum(1, 4, 4, label=i % 2) for i in range(6)])


def test_pl301_page_examples(tmp_path):
    _mnist(tmp_path)
    bad = example("PL301", "Bad")
    f = one(lint(tmp_path, bad), "PL301")
    assert f.severity == Severity.WARNING
    assert f.line == line_of(bad, "source:")
    assert '"mnist_train_lmdb"' in f.message and "looked for" in f.message
    assert str(tmp_path / "mnist_train_lmdb") in f.message  # the places tried are listed
    assert "--root" in f.fix and "directory" in f.message
    assert "PL301" not in codes(lint(tmp_path, example("PL301", "Good")))


def test_pl301_root_finds_the_source(tmp_path):
    data = tmp_path / "elsewhere"
    write_lmdb(data / "train_lmdb", [datum(1, 2, 2)])
    net = tmp_path / "nets"
    net.mkdir()
    text = data_layer("train_lmdb")
    assert "PL301" in codes(lint(net, text))
    clear_cache()
    assert "PL301" not in codes(lint(net, text, roots=[data]))


def test_pl301_mean_file_reported_once_for_two_layers(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 4, 4)])
    text = (data_layer(transform='mean_file: "mean.binaryproto"', phase="TRAIN", name="train") +
            data_layer(transform='mean_file: "mean.binaryproto"', phase="TEST", name="test"))
    f = one(lint(tmp_path, text), "PL301")
    assert f.line == 2 and "mean_file" in tmp_path.joinpath("example.prototxt").read_text(
        ).splitlines()[f.line - 1][f.column - 1:]
    assert '"mean.binaryproto" was not found' in f.message and "File not found" in f.message
    assert [note for _, note in f.related] == ["also read by Data 'test' (TEST)"]


def test_pl301_lists_of_files(tmp_path):
    (tmp_path / "none.txt").write_text("a.h5\nb.h5\n")
    found = lint(tmp_path, hdf5_layer("none.txt"))
    f = one(found, "PL301")
    assert "none of the 2 HDF5 file(s)" in f.message and '"a.h5"' in f.message
    assert "PL307" not in codes(found)
    (tmp_path / "list.txt").write_text("x.png 0\ny.png 1\n")
    found = lint(tmp_path, image_layer("list.txt"))
    f = one(found, "PL301")
    assert "none of the 2 image(s) listed" in f.message and '"x.png", line 1' in f.message
    assert "PL308" not in codes(found)


def test_pl301_not_for_what_is_found(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 4, 4)])
    write_mean(tmp_path / "mean.binaryproto", legacy=(1, 3, 4, 4))
    assert not of(lint(tmp_path, data_layer(transform='mean_file: "mean.binaryproto"')),
                  "PL301")


# ------------------------------------------------------------------ PL302

def test_pl302_page_examples(tmp_path):
    (tmp_path / "train_lmdb").mkdir()  # the database files were never copied
    bad = example("PL302", "Bad")
    f = one(lint(tmp_path, bad), "PL302")
    assert f.severity == Severity.ERROR and f.line == line_of(bad, "source:")
    assert "neither data.mdb" in f.message and "aborts" in f.message
    (tmp_path / "train_lmdb").rmdir()
    clear_cache()
    write_lmdb(tmp_path / "train_lmdb", [datum(1, 4, 4, label=i % 2) for i in range(4)])
    assert "PL302" not in codes(lint(tmp_path, example("PL302", "Good")))


def test_pl302_a_file_or_a_corrupt_database(tmp_path):
    (tmp_path / "data.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(64))
    f = one(lint(tmp_path, data_layer("data.h5")), "PL302")
    assert "HDF5 file, not a database directory" in f.message
    broken = tmp_path / "broken_lmdb"
    broken.mkdir()
    (broken / "data.mdb").write_bytes(b"this is not an lmdb file" * 200)
    f = one(lint(tmp_path, data_layer("broken_lmdb")), "PL302")
    assert "cannot be read" in f.message and "MDB_CHECK" in f.message


@pytest.mark.parametrize("sample", [None, 3])
def test_pl302_truncated_lmdb_is_reported_not_read(tmp_path, sample):
    # Reading the missing pages through LMDB's memory map would kill this very test
    # process with SIGBUS: surviving to the assertions is part of the test.
    write_lmdb(tmp_path / "full_lmdb", [datum(3, 32, 32, label=i % 3) for i in range(400)])
    data = (tmp_path / "full_lmdb" / "data.mdb").read_bytes()
    cut = tmp_path / "train_lmdb"
    cut.mkdir()
    (cut / "data.mdb").write_bytes(data[:len(data) // 2])
    f = one(lint(tmp_path, data_layer(), data_sample=sample), "PL302")
    assert "is a truncated LMDB: its data.mdb holds" in f.message
    assert f"({len(data):,} bytes)" in f.message and "SIGBUS" in f.message
    assert "copy or download the database again" in f.fix
    # the complete database is read as usual
    assert "PL302" not in codes(lint(tmp_path, data_layer("full_lmdb"), data_sample=sample))


def _damage_last_leaf(db: Path) -> None:
    """Point every node of the database's last leaf page 64 KB past the page: past the
    end of the file, where liblmdb's memory map has no data behind it."""
    import struct

    mdb = db / "data.mdb"
    data = bytearray(mdb.read_bytes())
    page = 4096
    leaves = [p for p in range(2, len(data) // page)
              if struct.unpack_from("<H", data, p * page + 10)[0] & 0x02]  # P_LEAF
    last = max(leaves)
    assert (len(data) - last * page) < 0xFFF0  # the nodes land beyond the file
    keys = (struct.unpack_from("<H", data, last * page + 12)[0] - 16) // 2
    for i in range(keys):
        struct.pack_into("<H", data, last * page + 16 + 2 * i, 0xFFF0)
    mdb.write_bytes(bytes(data))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the crash watcher needs fork()")
def test_a_database_that_crashes_liblmdb_is_an_error_naming_it(tmp_path):
    import subprocess

    write_lmdb(tmp_path / "train_lmdb", [datum(1, 8, 8, label=i % 5) for i in range(2000)])
    net = tmp_path / "net.prototxt"
    net.write_text(data_layer() + 'layer { name: "loss" type: "SoftmaxWithLoss" '
                   'bottom: "data" bottom: "label" }\n')
    command = [sys.executable, "-m", "protolint", "lint", "--data", "net.prototxt"]
    intact = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert intact.returncode in (0, 1) and "in 1 file" in intact.stdout  # passed through
    _damage_last_leaf(tmp_path / "train_lmdb")
    crashed = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert crashed.returncode == 2 and crashed.stdout == ""
    assert crashed.stderr.startswith('protolint: error: net.prototxt:2:')
    assert 'Data \'data\' source "train_lmdb"' in crashed.stderr
    assert "crashed (SIGBUS)" in crashed.stderr and "Traceback" not in crashed.stderr


def test_pl302_no_source(tmp_path):
    f = one(lint(tmp_path, 'layer { name: "d" type: "Data" top: "data" top: "label"\n'
                           '  data_param { batch_size: 4 backend: LMDB } }\n'), "PL302")
    assert "names no source" in f.message


def test_pl302_records_that_are_not_datums(tmp_path):
    values = [datum(1, 2, 2) for _ in range(5)]
    values[3] = b"\xff\xff\xff not a datum"
    write_lmdb(tmp_path / "train_lmdb", values, keys=[b"k%d" % i for i in range(5)])
    f = one(lint(tmp_path, data_layer()), "PL302")
    assert "1 record(s)" in f.message and "'k3' (record 3)" in f.message
    assert "all 5 records checked" in f.message and "ParseFromString" in f.message


def test_pl302_encoded_image_that_does_not_decode(tmp_path):
    values = [datum(encoded=png_bytes()), datum(encoded=b"\x89PNG\r\n\x1a\n broken")]
    write_lmdb(tmp_path / "train_lmdb", values)
    f = one(lint(tmp_path, data_layer()), "PL302")
    assert "'00000001' (record 1)" in f.message and "imdecode" in f.message


def test_pl302_mean_files(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 4, 4)])
    (tmp_path / "junk.binaryproto").write_bytes(b"\xff\xff\xff\xff")
    f = one(lint(tmp_path, data_layer(transform='mean_file: "junk.binaryproto"')), "PL302")
    assert "not a BlobProto" in f.message and "ReadProtoFromBinaryFileOrDie" in f.message
    assert f.line == 2  # at transform_param.mean_file
    write_mean(tmp_path / "short.binaryproto", legacy=(1, 3, 4, 4), count=47)
    f = one(lint(tmp_path, data_layer(transform='mean_file: "short.binaryproto"')), "PL302")
    assert "holds 47 values" in f.message and "FromProto" in f.message
    write_mean(tmp_path / "ok.binaryproto", legacy=(1, 3, 4, 4))
    assert not of(lint(tmp_path, data_layer(transform='mean_file: "ok.binaryproto"')), "PL302")


# ------------------------------------------------------------------ PL303

def test_pl303_page_examples(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(1, 4, 4, label=i % 2) for i in range(4)])
    bad = example("PL303", "Bad")
    found = lint(tmp_path, bad)
    f = one(found, "PL303")
    assert not of(found, "PL240")  # the database on disk decides, not its name
    assert f.severity == Severity.ERROR
    assert f.line == line_of(bad, "source:")  # no backend written: at the source
    assert "LEVELDB (Caffe's default)" in f.message and "data.mdb" in f.message
    assert "Failed to open leveldb" in f.message and f.fix == "write `backend: LMDB` in data_param"
    assert "PL303" not in codes(lint(tmp_path, example("PL303", "Good")))


def test_pl303_leveldb_declared_lmdb(tmp_path):
    write_leveldb(tmp_path / "train_leveldb", [datum(1, 2, 2) for _ in range(3)])
    text = data_layer("train_leveldb", backend="LMDB")
    f = one(lint(tmp_path, text), "PL303")
    assert "backend LMDB" in f.message and "No such file or directory" in f.message
    assert text.splitlines()[f.line - 1][f.column - 1:].startswith("backend: LMDB")
    assert "LEVELDB" in f.fix
    assert not of(lint(tmp_path, data_layer("train_leveldb", backend=None)), "PL303")
    assert not of(lint(tmp_path, data_layer("train_leveldb", backend="LEVELDB")), "PL303")


# ------------------------------------------------------------------ PL304

def test_pl304_page_examples(tmp_path):
    (tmp_path / "window_file_train.txt").write_text("# 0\nimg.png\n3\n16\n16\n0\n")
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 16, 16, label=i % 2) for i in range(4)])
    bad = example("PL304", "Bad")
    f = one(lint(tmp_path, bad), "PL304")
    assert f.severity == Severity.INFO and "WindowData" in f.message
    assert "PL304" not in codes(lint(tmp_path, example("PL304", "Good")))


def test_pl304_missing_package(tmp_path, monkeypatch):
    write_leveldb(tmp_path / "train_leveldb", [datum(1, 2, 2)])
    monkeypatch.setitem(sys.modules, "plyvel", None)  # import plyvel fails
    f = one(lint(tmp_path, data_layer("train_leveldb", backend=None)), "PL304")
    assert "pip install plyvel" in f.message and f.fix.startswith("pip install plyvel")


def test_pl304_images_not_decoded_without_pillow(tmp_path, monkeypatch):
    from protolint.data import imaging

    write_png(tmp_path / "a.png")
    (tmp_path / "list.txt").write_text("a.png 0\nb.png 1\n")
    write_lmdb(tmp_path / "enc_lmdb", [datum(encoded=png_bytes()) for _ in range(3)])
    monkeypatch.setattr(imaging, "available", lambda: False)
    found = lint(tmp_path, image_layer("list.txt") + data_layer("enc_lmdb"))
    messages = sorted(f.message for f in of(found, "PL304"))
    assert len(messages) == 2
    assert "3 of the 3 records checked" in messages[0] and "encoded" in messages[0]
    assert "1 of the 2 records checked" in messages[1] and "pip install pillow" in messages[1]


def test_pl304_silent_when_everything_was_read_even_sampled(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(1, 2, 2) for _ in range(20)])
    assert not of(lint(tmp_path, data_layer(), data_sample=5), "PL304")


# ------------------------------------------------------------------ PL305

def test_pl305_page_examples(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 24, 24, label=i % 2) for i in range(4)])
    bad = example("PL305", "Bad")
    f = one(lint(tmp_path, bad), "PL305")
    assert f.severity == Severity.ERROR and f.line == line_of(bad, "crop_size")
    assert "4 record(s)" in f.message and "crop_size 28" in f.message
    assert "'00000000' (record 0), is 3x24x24" in f.message
    assert '"datum_height >= crop_size" fails (24 vs. 28)' in f.message
    assert "PL305" not in codes(lint(tmp_path, example("PL305", "Good")))


def test_pl305_crop_names_the_first_small_record_and_counts(tmp_path):
    values = [datum(3, 8, 8) for _ in range(10)]
    values[4] = datum(3, 8, 5)
    values[7] = datum(3, 6, 8)
    write_lmdb(tmp_path / "train_lmdb", values)
    f = one(lint(tmp_path, data_layer(transform="crop_size: 7", batch=1)), "PL305")
    assert "2 record(s)" in f.message and "(record 4), is 3x8x5" in f.message
    assert '"datum_width >= crop_size" fails (5 vs. 7)' in f.message
    assert "all 10 records checked" in f.message
    assert not of(lint(tmp_path, data_layer(transform="crop_size: 5", batch=1)), "PL305")
    clear_cache()
    values[sample_positions(10, 5)[2]] = datum(3, 8, 5)  # make sure the sample meets one
    write_lmdb(tmp_path / "sampled_lmdb", values)
    f = one(lint(tmp_path, data_layer("sampled_lmdb", transform="crop_size: 7", batch=1),
                 data_sample=5), "PL305")
    assert "5 of 10 records checked (--data-sample)" in f.message


def test_pl305_mean_file_size(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 8, 8) for _ in range(3)])
    write_mean(tmp_path / "small.binaryproto", legacy=(1, 3, 6, 6))
    write_mean(tmp_path / "full.binaryproto", legacy=(1, 3, 8, 8))
    write_mean(tmp_path / "dims.binaryproto", dims=[3, 8, 8])  # legacy reads 8x8x1
    write_mean(tmp_path / "five.binaryproto", dims=[1, 1, 3, 8, 8])
    f = one(lint(tmp_path, data_layer(transform='crop_size: 6 mean_file: "small.binaryproto"')),
            "PL305")
    assert "is 3x6x6 (CxHxW)" in f.message and "3 record(s)" in f.message
    assert '"datum_height == data_mean_.height()" (8 vs. 6)' in f.message
    assert "full size" in f.message  # even with crop_size
    full = data_layer(transform='crop_size: 6 mean_file: "full.binaryproto"')
    assert not of(lint(tmp_path, full), "PL305")
    f = one(lint(tmp_path, data_layer(transform='mean_file: "dims.binaryproto"')), "PL305")
    assert "is 8x8x1" in f.message and "legacy" in f.message and "(3 vs. 8)" in f.message
    f = one(lint(tmp_path, data_layer(transform='mean_file: "five.binaryproto"')), "PL305")
    assert "5 axes" in f.message and "num_axes() <= 4" in f.message


def test_pl305_mean_value_count(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 4, 4) for _ in range(2)])
    f = one(lint(tmp_path, data_layer(transform="mean_value: 104 mean_value: 117")), "PL305")
    assert "2 mean_value entries" in f.message and "has 3" in f.message
    assert "Specify either 1 mean_value or as many as channels: 3" in f.message
    for ok in ("mean_value: 104", "mean_value: 104 mean_value: 117 mean_value: 123"):
        assert not of(lint(tmp_path, data_layer(transform=ok)), "PL305")


def test_pl305_payload_does_not_fit_shape(tmp_path):
    values = [datum(1, 2, 2), datum(1, 2, 2, data=b"\x01\x02\x03"),
              caffe_pb2().Datum(channels=1, height=2, width=2).SerializeToString()]
    write_lmdb(tmp_path / "train_lmdb", values)
    f = one(lint(tmp_path, data_layer(batch=1)), "PL305")
    assert "2 record(s)" in f.message and "(record 1): 3 data bytes" in f.message
    assert "past its end" in f.message


def test_pl305_one_finding_for_the_train_and_test_layers(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 4, 4)])
    text = (data_layer(transform="crop_size: 5", phase="TRAIN", name="a") +
            data_layer(transform="crop_size: 5", phase="TEST", name="b"))
    f = one(lint(tmp_path, text), "PL305")
    assert f.message.startswith("Data 'a' (TRAIN)")
    assert [n for _, n in f.related] == ["the same for Data 'b' (TEST)"]


def test_pl305_force_color_decodes_grey_images_with_three_channels(tmp_path):
    write_lmdb(tmp_path / "enc_lmdb", [datum(encoded=png_bytes((4, 4), "L")) for _ in range(2)])
    write_mean(tmp_path / "mean.binaryproto", legacy=(1, 3, 4, 4))
    f = one(lint(tmp_path, data_layer("enc_lmdb", transform='mean_file: "mean.binaryproto"')),
            "PL305")
    assert "(1 vs. 3)" in f.message
    assert not of(lint(tmp_path, data_layer(
        "enc_lmdb", transform='mean_file: "mean.binaryproto" force_color: true')), "PL305")


def test_pl305_images_smaller_than_crop(tmp_path):
    write_png(tmp_path / "img" / "a.png", (10, 10))
    write_png(tmp_path / "img" / "b.png", (10, 6))
    (tmp_path / "list.txt").write_text("a.png 0\nb.png 1\n")
    f = one(lint(tmp_path, image_layer(extra='root_folder: "img/"', transform="crop_size: 8",
                                       batch=1)), "PL305")
    assert 'line 2 ("img/b.png"), is 3x6x10' in f.message
    assert '"img_height >= crop_size" fails (6 vs. 8)' in f.message
    # resized images all have new_height x new_width: a crop larger than that is PL212's
    found = lint(tmp_path, image_layer(extra='root_folder: "img/" new_height: 9 new_width: 9',
                                       transform="crop_size: 8", batch=1))
    assert not of(found, "PL305")


# ------------------------------------------------------------------ PL306

def test_pl306_page_examples(tmp_path):
    values = [datum(3, 32, 32, label=0), datum(3, 32, 32, label=1), datum(3, 40, 30, label=0),
              datum(3, 32, 32, label=1), datum(3, 40, 30, label=1)]
    write_lmdb(tmp_path / "train_lmdb", values)
    bad = example("PL306", "Bad")
    f = one(lint(tmp_path, bad), "PL306")
    assert f.severity == Severity.ERROR and f.line == line_of(bad, "source:")
    assert "2 shapes" in f.message
    assert "3x32x32: 3 record(s), first '00000000' (record 0)" in f.message
    assert "3x40x30: 2 record(s), first '00000002' (record 2)" in f.message
    assert "batch of 4" in f.message and "aborts" in f.message
    assert "PL306" not in codes(lint(tmp_path, example("PL306", "Good")))


def test_pl306_batch_of_one_is_allowed(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [datum(3, 4, 4), datum(3, 5, 5)])
    assert not of(lint(tmp_path, data_layer(batch=1)), "PL306")
    assert of(lint(tmp_path, data_layer(batch=2)), "PL306")


def test_pl306_channels_must_agree_even_with_crop(tmp_path):
    write_lmdb(tmp_path / "enc_lmdb", [datum(encoded=png_bytes((6, 6), "RGB")),
                                       datum(encoded=png_bytes((6, 6), "L"))])
    f = one(lint(tmp_path, data_layer("enc_lmdb", transform="crop_size: 4")), "PL306")
    assert "3 channel(s): 1 record(s)" in f.message and "1 channel(s): 1 record(s)" in f.message
    assert "force_color" in f.fix
    forced = data_layer("enc_lmdb", transform="crop_size: 4 force_color: true")
    assert not of(lint(tmp_path, forced), "PL306")


def test_pl306_image_lists(tmp_path):
    write_png(tmp_path / "img" / "a.png", (8, 8))
    write_png(tmp_path / "img" / "b.png", (8, 6))
    (tmp_path / "list.txt").write_text("a.png 0\nb.png 1\n")
    f = one(lint(tmp_path, image_layer(extra='root_folder: "img/"')), "PL306")
    assert 'first line 2 ("img/b.png")' in f.message and "new_height" in f.fix
    found = lint(tmp_path, image_layer(extra='root_folder: "img/" new_height: 5 new_width: 5'))
    assert not of(found, "PL306")


# ------------------------------------------------------------------ PL307

def _h5_pair(tmp_path, second_width):
    write_h5(tmp_path / "train1.h5", data=np.zeros((8, 10), np.float32),
             label=np.zeros((8, 1), np.float32))
    write_h5(tmp_path / "train2.h5", data=np.ones((8, second_width), np.float32),
             label=np.zeros((8, 1), np.float32))
    (tmp_path / "train_h5.txt").write_text("train1.h5\ntrain2.h5\n")


def test_pl307_page_examples(tmp_path):
    _h5_pair(tmp_path, 12)
    bad = example("PL307", "Bad")
    f = one(lint(tmp_path, bad), "PL307")
    assert f.severity == Severity.ERROR and f.line == line_of(bad, "source:")
    assert "top 'data'" in f.message and '"train1.h5" is 8x10' in f.message
    assert '"train2.h5" is 8x12' in f.message
    assert "10 values in 1 file(s), 12 values in 1 file(s)" in f.message
    for name in ("train1.h5", "train2.h5", "train_h5.txt"):
        (tmp_path / name).unlink()
    clear_cache()
    _h5_pair(tmp_path, 10)
    assert "PL307" not in codes(lint(tmp_path, example("PL307", "Good")))


def test_pl307_same_row_size_in_another_shape_is_fine(tmp_path):
    write_h5(tmp_path / "a.h5", data=np.zeros((4, 12), np.float32), label=np.zeros(4))
    write_h5(tmp_path / "b.h5", data=np.zeros((4, 3, 4), np.float32), label=np.zeros(4))
    (tmp_path / "h5.txt").write_text("a.h5 b.h5")
    assert not of(lint(tmp_path, hdf5_layer()), "PL307")


def test_pl307_files_caffe_cannot_load(tmp_path):
    write_h5(tmp_path / "ok.h5", data=np.zeros((4, 2), np.float32), label=np.zeros(4))
    write_h5(tmp_path / "nolabel.h5", data=np.zeros((4, 2), np.float32), lbl=np.zeros(4))
    write_h5(tmp_path / "strings.h5", data=np.array([b"a", b"b"]), label=np.zeros(2))
    write_h5(tmp_path / "scalar.h5", data=np.float32(1), label=np.zeros(1))
    write_h5(tmp_path / "rows.h5", data=np.zeros((4, 2), np.float32), label=np.zeros(3))
    write_h5(tmp_path / "empty.h5", data=np.zeros((0, 2), np.float32), label=np.zeros(0))
    (tmp_path / "junk.h5").write_bytes(b"not hdf5 at all")
    (tmp_path / "h5.txt").write_text(
        "ok.h5\nnolabel.h5 strings.h5\nscalar.h5\nrows.h5\nempty.h5\njunk.h5\ngone.h5\n")
    found = of(lint(tmp_path, hdf5_layer()), "PL307")
    text = "\n".join(f.message for f in found)
    assert len(found) == 7, text
    assert "\"nolabel.h5\" has no dataset 'label'" in text
    assert "Failed to find HDF5 dataset label" in text
    assert "\"strings.h5\": dataset 'data' holds |S1 values" in text
    assert "Unsupported datatype class" in text
    assert "\"scalar.h5\": dataset 'data' is a scalar" in text
    assert "\"rows.h5\": 'label' has 3 rows but 'data' has 4" in text
    assert "\"empty.h5\": dataset 'data' has shape 0x2, no values" in text
    assert "\"junk.h5\" cannot be opened" in text and "Failed opening HDF5 file" in text
    assert "\"gone.h5\" listed in \"h5.txt\" was not found" in text
    assert "PL301" not in codes(found)


def test_pl307_empty_list_and_transform_param_left_to_pl235(tmp_path):
    (tmp_path / "h5.txt").write_text("\n \n")
    f = one(lint(tmp_path, hdf5_layer()), "PL307")
    assert "lists no file" in f.message and "num_files_ >= 1" in f.message
    write_h5(tmp_path / "a.h5", data=np.zeros((4, 2), np.float32), label=np.zeros(4))
    (tmp_path / "h5.txt").write_text("a.h5\n")
    clear_cache()
    text = hdf5_layer(extra="transform_param { scale: 0.5 }")
    found = lint(tmp_path, text)
    # Decided by the settings alone: the static rule reports it, once, with or without data.
    assert [x.code for x in found].count("PL307") == 0
    f = one(found, "PL235")
    assert "does not transform data" in f.message
    assert text.splitlines()[f.line - 1][f.column - 1:].startswith("transform_param")


# ------------------------------------------------------------------ PL308

def _images(tmp_path):
    write_png(tmp_path / "images" / "cat.png", (4, 4))
    write_png(tmp_path / "images" / "dog.png", (4, 4))
    (tmp_path / "train.txt").write_text("cat.png 0\ndog.png 1\n")


def test_pl308_page_examples(tmp_path):
    _images(tmp_path)
    bad = example("PL308", "Bad")
    found = lint(tmp_path, bad)
    f = one(found, "PL308")
    assert f.severity == Severity.ERROR and f.line == line_of(bad, "root_folder")
    assert "'imagescat.png'" in f.message and "'images/cat.png' exists" in f.message
    assert "Could not load" in f.message and f.fix == "end root_folder with '/'"
    assert "PL301" not in codes(found)
    assert "PL308" not in codes(lint(tmp_path, example("PL308", "Good")))


def test_pl308_some_images_missing_or_broken(tmp_path):
    _images(tmp_path)
    (tmp_path / "images" / "bad.png").write_bytes(b"not a png")
    (tmp_path / "train.txt").write_text("cat.png 0\nfox.png 1\ndog.png 1\nbad.png 0\nemu.png 1\n")
    found = of(lint(tmp_path, image_layer("train.txt", 'root_folder: "images/"')), "PL308")
    assert len(found) == 2
    missing, broken = sorted(found, key=lambda f: "decoded" in f.message)
    assert "2 image(s)" in missing.message and '"images/fox.png" on line 2' in missing.message
    assert "all 5 lines checked" in missing.message
    assert '"images/bad.png" on line 4' in broken.message and "cannot be decoded" in broken.message


def test_pl308_tab_separated_list(tmp_path):
    _images(tmp_path)
    (tmp_path / "train.txt").write_text("cat.png\t0\ndog.png\t1\n")
    found = lint(tmp_path, image_layer("train.txt", 'root_folder: "images/"'))
    f = one(found, "PL308")  # the labels finding is folded into this one
    assert "no space" in f.message and "whole line" in f.message and "PL301" not in codes(found)


def test_pl308_labels_that_are_not_integers(tmp_path):
    _images(tmp_path)
    (tmp_path / "train.txt").write_text("cat.png 0\ndog.png 2.7\ncat.png cat\n")
    f = one(lint(tmp_path, image_layer("train.txt", 'root_folder: "images/"', batch=1)), "PL308")
    assert "2 line(s)" in f.message and "line 2" in f.message
    assert "label '2.7' is read as 2" in f.message and "atoi" in f.message


def test_pl308_empty_list(tmp_path):
    (tmp_path / "train.txt").write_text("")
    f = one(lint(tmp_path, image_layer("train.txt")), "PL308")
    assert "is empty" in f.message and "File is empty" in f.message


def test_pl308_names_the_file_system_refuses_are_missing_and_shown_shortened(tmp_path):
    _images(tmp_path)
    long_name = "x" * 5000 + ".png"  # beyond NAME_MAX: looking it up raises OSError
    (tmp_path / "train.txt").write_bytes(
        b"cat.png 0\n" + long_name.encode() + b" 1\nbad\x00name.png 1\n")
    f = one(lint(tmp_path, image_layer("train.txt", 'root_folder: "images/"')), "PL308")
    assert "2 image(s)" in f.message and "were not found" in f.message
    assert "line 2" in f.message and "…" in f.message and len(f.message) < 1000


def test_pl308_silent_on_a_good_list(tmp_path):
    _images(tmp_path)
    found = lint(tmp_path, image_layer("train.txt", 'root_folder: "images/"'))
    assert not set(codes(found)) & set(CODES)


# ------------------------------------------------------------------ decoding as each layer asks

def test_pl306_force_gray_on_colour_records_mixed_with_raw_ones(tmp_path):
    # raw 3-channel records and encoded colour images: force_gray decodes the images to 1
    # channel, the raw records keep 3
    write_lmdb(tmp_path / "mix_lmdb", [datum(3, 6, 6), datum(encoded=png_bytes((6, 6), "RGB"))])
    f = one(lint(tmp_path, data_layer("mix_lmdb", transform="crop_size: 4 force_gray: true")),
            "PL306")
    assert "3 channel(s): 1 record(s)" in f.message and "1 channel(s): 1 record(s)" in f.message
    clear_cache()
    colour = data_layer("mix_lmdb", transform="crop_size: 4 force_color: true")
    assert not of(lint(tmp_path, colour), "PL306")


def test_pl305_each_layer_judged_by_its_own_decoding(tmp_path):
    write_lmdb(tmp_path / "enc_lmdb", [datum(encoded=png_bytes((4, 4), "L")) for _ in range(2)])
    text = (data_layer("enc_lmdb", transform="mean_value: 1 mean_value: 2 mean_value: 3",
                       phase="TRAIN", name="a")
            + data_layer("enc_lmdb", phase="TEST", name="b",
                         transform="mean_value: 1 mean_value: 2 mean_value: 3 force_color: true"))
    f = one(lint(tmp_path, text), "PL305")
    assert f.message.startswith("Data 'a' (TRAIN): 3 mean_value entries") and not f.related


def test_pl307_a_file_fails_at_its_first_top_in_caffes_order(tmp_path):
    write_h5(tmp_path / "ok.h5", data=np.zeros((4, 2), np.float32), label=np.zeros(4))
    # 'data' has no values and 'label' is missing: Caffe reads 'data' first
    write_h5(tmp_path / "empty.h5", data=np.zeros((3, 0), np.float32), lbl=np.zeros(3))
    (tmp_path / "h5.txt").write_text("ok.h5 empty.h5")
    f = one(lint(tmp_path, hdf5_layer()), "PL307")  # one: no rows to compare with ok.h5's
    assert "\"empty.h5\": dataset 'data' has shape 3x0, no values" in f.message


def test_pl301_one_finding_for_layers_decoding_a_missing_source_differently(tmp_path):
    text = (data_layer("gone_lmdb", phase="TRAIN", name="a", transform="force_color: true")
            + data_layer("gone_lmdb", phase="TEST", name="b"))
    f = one(lint(tmp_path, text), "PL301")
    assert [n for _, n in f.related] == ["also read by Data 'b' (TEST)"]


def test_the_data_tells_shape_inference_what_the_files_cannot(tmp_path):
    """With --data the records' shapes feed shape inference: a 4x4 LMDB under a 5x5
    convolution aborts Caffe (PL212), which the files alone cannot show."""
    write_lmdb(tmp_path / "train_lmdb", [datum(1, 4, 4, label=0) for _ in range(3)])
    text = (data_layer("train_lmdb") +
            'layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" '
            "convolution_param { num_output: 2 kernel_size: 5 } }\n")
    assert "PL212" not in [f.code for f in lint_text(tmp_path, text)]
    clear_cache()
    found = one(lint(tmp_path, text), "PL212")
    assert "conv" in found.message


def test_hdf5_label_rows_meet_the_loss_checks(tmp_path):
    """HDF5 labels with two values per row against one prediction per row: Caffe's
    SoftmaxWithLoss check on the label count fails, found with the datasets' shapes."""
    write_h5(tmp_path / "a.h5", data=np.zeros((4, 3), np.float32), label=np.zeros((4, 2)))
    (tmp_path / "h5.txt").write_text("a.h5\n")
    text = (hdf5_layer() +
            'layer { name: "fc" type: "InnerProduct" bottom: "data" top: "fc" '
            "inner_product_param { num_output: 5 } }\n"
            'layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" }\n')
    assert "PL212" not in [f.code for f in lint_text(tmp_path, text)]
    clear_cache()
    found = one(lint(tmp_path, text), "PL212")
    assert "loss" in found.message


def test_pl302_an_empty_database(tmp_path):
    write_lmdb(tmp_path / "train_lmdb", [])
    f = one(lint(tmp_path, data_layer("train_lmdb")), "PL302")
    assert "holds no records" in f.message and "first record" in f.message
    write_leveldb(tmp_path / "train_leveldb", [])
    f = one(lint(tmp_path, data_layer("train_leveldb", backend=None)), "PL302")
    assert "holds no records" in f.message


def test_pl308_images_opencv_cannot_read_and_images_too_large_to_check(tmp_path, monkeypatch):
    Image = pytest.importorskip("PIL.Image")
    from protolint.data import imaging

    Image.new("RGB", (4, 4)).save(tmp_path / "a.gif")
    write_png(tmp_path / "b.png")
    (tmp_path / "list.txt").write_text("a.gif 0\nb.png 1\n")
    f = one(lint(tmp_path, image_layer()), "PL308")
    assert "a GIF file: OpenCV" in f.message
    # Over Pillow's decompression-bomb limit but under OpenCV's: not checked, no error.
    write_png(tmp_path / "big.png", size=(30, 30))
    (tmp_path / "list.txt").write_text("big.png 0\nb.png 1\n")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    clear_cache()
    assert not of(lint(tmp_path, image_layer()), "PL308")
    # Over OpenCV's limit too: Caffe gets no image.
    monkeypatch.setattr(imaging, "OPENCV_MAX_PIXELS", 500)
    clear_cache()
    f = one(lint(tmp_path, image_layer()), "PL308")
    assert "30x30 pixels, more than OpenCV reads" in f.message
