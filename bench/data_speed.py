"""Data inspection speed against the I/O floor, measured in one run.

Generates, in a temporary directory, an LMDB of 100,000 Datums (1 x 28 x 28 uint8
pixels, labels 0-9) and an HDF5 file of the same records (data (100000, 1, 28, 28)
float32, label (100000,) float32), and a net reading each (a Data layer with backend
LMDB, an HDF5Data layer). Then prints records per second for

  - protolint's inspection of each source (protolint.data.find_sources and
    inspect_source, cache cleared before every run: finding the source on disk, every
    record's shape, per-channel
    min/max/mean/std, non-finite values and label counts);
  - the I/O floor: a plain Python loop that only reads every key and value with the
    lmdb package (`for key, value in cursor: pass`); for HDF5, reading both datasets
    with h5py in chunks of 16,384 rows (for context: there is no Python loop to compare
    with);
  - the ratio protolint / floor (target for LMDB: <= 2).

Each figure is the best of several repetitions, protolint and its floor run alternately
(the machine may be shared). Run:
python bench/data_speed.py [--records N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import h5py
import lmdb
import numpy as np

from protolint.data import OK, clear_cache, find_sources, inspect_source
from protolint.project import Project
from protolint.schema import caffe_pb2

NET = """name: "bench"
layer {{ name: "mnist" type: "Data" top: "data" top: "label"
  data_param {{ source: "{lmdb}" backend: LMDB batch_size: 64 }}
  transform_param {{ scale: 0.00390625 }} }}
layer {{ name: "h5" type: "HDF5Data" top: "h5data" top: "h5label"
  hdf5_data_param {{ source: "{h5list}" batch_size: 64 }} }}
"""


def generate(root: Path, n: int) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(n, 784), dtype=np.uint8)
    labels = np.arange(n) % 10
    db = root / "train_lmdb"
    env = lmdb.open(str(db), map_size=1 << 32)
    datum = caffe_pb2().Datum(channels=1, height=28, width=28)
    with env.begin(write=True) as txn:
        for i in range(n):
            datum.data = pixels[i].tobytes()
            datum.label = int(labels[i])
            txn.put(b"%08d" % i, datum.SerializeToString())
    env.close()
    h5 = root / "train.h5"
    with h5py.File(h5, "w") as f:
        f.create_dataset("h5data", data=pixels.reshape(n, 1, 28, 28).astype(np.float32) / 255)
        f.create_dataset("h5label", data=labels.astype(np.float32))
    (root / "train_h5.txt").write_text(f"{h5}\n")
    return db, h5


def floor_lmdb(db: Path) -> int:
    env = lmdb.open(str(db), readonly=True, lock=False)
    count = 0
    with env.begin() as txn:
        for _key, _value in txn.cursor():
            count += 1
    env.close()
    return count


def floor_hdf5(h5: Path) -> int:
    with h5py.File(h5, "r") as f:
        data, label = f["h5data"], f["h5label"]
        rows = data.shape[0]
        for lo in range(0, rows, 16384):
            data[lo:lo + 16384]
            label[lo:lo + 16384]
    return rows


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def race(ours, floor, repeat: int) -> tuple[float, float, object, object]:
    """Best times of `ours` and `floor`, run alternately so that both see the same
    machine (it may be shared): (ours, floor, their last results)."""
    t_ours = t_floor = float("inf")
    for _ in range(repeat):
        t, floor_result = timed(floor)
        t_floor = min(t_floor, t)
        t, our_result = timed(ours)
        t_ours = min(t_ours, t)
    return t_ours, t_floor, our_result, floor_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = args.records
    root = Path(tempfile.mkdtemp(prefix="protolint-bench-"))
    try:
        start = time.perf_counter()
        db, h5 = generate(root, n)
        print(f"generated {n:,} records in {time.perf_counter() - start:.1f} s under {root}")
        net_file = root / "net.prototxt"
        net_file.write_text(NET.format(lmdb=db.name, h5list="train_h5.txt"))
        project = Project(cwd=root)
        project.lint_file(net_file, net_file.name)
        (net,) = project.nets

        def ours(kind):
            def run():
                clear_cache()
                (source,) = [s for s in find_sources(net) if s.kind == kind]
                report = inspect_source(source)
                assert report.status == OK, report.problem
                return report
            return run

        floor_lmdb(db), floor_hdf5(h5), ours("Data")(), ours("HDF5Data")()  # warm caches
        rows = []
        t_ours, t_floor, report, count = race(ours("Data"), lambda: floor_lmdb(db), args.repeat)
        assert count == n and report.records.checked == n
        rows.append(("LMDB", t_ours, t_floor, "lmdb key/value loop"))
        t_ours, t_floor, report, count = race(ours("HDF5Data"), lambda: floor_hdf5(h5),
                                              args.repeat)
        assert count == n and report.hdf5.checked == n
        rows.append(("HDF5", t_ours, t_floor, "h5py chunked read"))
        for name, t_ours, t_floor, floor_name in rows:
            print(f"{name}: protolint {n / t_ours:12,.0f} records/s ({t_ours * 1000:6.1f} ms)   "
                  f"floor ({floor_name}) {n / t_floor:12,.0f} records/s ({t_floor * 1000:6.1f} ms)"
                  f"   ratio {t_ours / t_floor:.2f}" + ("  (target <= 2)" if name == "LMDB" else ""))
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
