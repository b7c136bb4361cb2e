"""HDF5Data sources: a text file listing HDF5 files, each holding one dataset per top.

As HDF5DataLayer reads them: the list is split on whitespace (`source_file >> line`),
each file opened read-only; for each top in turn (hdf5_load_nd_dataset, util/hdf5.cpp)
the dataset of that name at the file's root (H5LTfind_dataset looks nowhere else) must
exist, have at least one axis and an HDF5 float or integer type (any other class is a
LOG(FATAL)), fit a blob (Blob::Reshape: at most INT_MAX values) and hold values (reading
into a blob of none fails its check "data_"); it is read whole into a float blob (so
doubles are rounded to float32, out-of-range ones become inf). Then every top's first
axis, the batch axis, must equal the first top's (CHECK_EQ). A file failing any of these
aborts Caffe: it is not counted among the rows Caffe can load (HDF5Content.total) and its
values are not read.

Files are opened with h5py `File(path, "r", locking=False)` (no file lock is taken,
so a writer is not blocked); values are read in chunks of rows, never a whole
dataset at once.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np

from protolint.data.dbs import Unsupported, prime_allocator, sample_positions
from protolint.data.model import (DatasetInfo, DatasetSummary, HDF5Content, HDF5File,
                                  RecordRef)
from protolint.data.stats import LabelAccumulator, ValueAccumulator

CHUNK_BYTES = 4 << 20  # rows read from a dataset at a time
INT_MAX = 2**31 - 1

Locate = Callable[[str], tuple[Path | None, list[Path]]]


def open_hdf5(path: Path):
    try:
        import h5py
    except ImportError:
        raise Unsupported("HDF5 not supported (pip install h5py)") from None
    try:
        return h5py.File(path, "r", locking=False)
    except TypeError:  # h5py < 3.5 has no `locking`
        return h5py.File(path, "r")


def _kind(dtype) -> str:
    k = dtype.kind
    if k == "f":
        return "float"
    if k in "iu":
        return "integer"
    if k == "b":
        return "enum"  # h5py stores booleans as an HDF5 enum
    if k in "SUO":
        return "string"
    return "compound"


def list_files(text: bytes) -> list[str]:
    """The file names of an HDF5Data source list, as `source_file >> line` reads them."""
    return text.decode("utf-8", "surrogateescape").split()


def _describe(f, name: str) -> DatasetInfo:
    import h5py

    info = DatasetInfo(name)
    obj = f.get(name) if "/" not in name else None
    if obj is None:
        info.fails = "missing"
        info.problem = f"has no dataset '{name}' (Caffe: Failed to find HDF5 dataset {name})"
        return info
    if not isinstance(obj, h5py.Dataset):
        info.fails = "group"
        info.problem = f"'{name}' is a group, not a dataset"
        return info
    info.shape = tuple(int(d) for d in obj.shape)
    info.dtype = str(obj.dtype)
    info.kind = _kind(obj.dtype)
    size = math.prod(info.shape)
    # In hdf5_load_nd_dataset's order: the number of axes, the type class, the blob's
    # size (Blob::Reshape), reading the values in.
    if len(info.shape) < 1:
        info.fails = "scalar"
        info.problem = f"'{name}' is a scalar: Caffe needs at least one axis (the batch axis)"
    elif info.kind not in ("float", "integer"):
        info.fails = "dtype"
        info.problem = (f"'{name}' holds {info.dtype} ({info.kind}) values: Caffe reads only "
                        f"float and integer datasets (Unsupported datatype class)")
    elif size == 0:
        info.fails = "empty"
        info.problem = (f"'{name}' holds no values (shape {info.shape}): Caffe's blob "
                        f"allocates nothing and reading into it fails (check \"data_\")")
    elif size > INT_MAX:
        info.fails = "huge"
        info.problem = (f"'{name}' holds {size} values: more than a blob can (Blob::Reshape: "
                        f"blob size exceeds INT_MAX)")
    return info


class _Chunks:
    """Row ranges to read from one file: all rows, or the sampled ones."""

    def __init__(self, rows: int, chunk: int, picked: list[int] | None):
        self.rows, self.chunk, self.picked = rows, chunk, picked

    def __iter__(self):
        if self.picked is None:
            for lo in range(0, self.rows, self.chunk):
                yield lo, min(lo + self.chunk, self.rows), None
            return
        i, picked = 0, self.picked
        while i < len(picked):
            j = i + 1
            while j < len(picked) and picked[j] - picked[i] < self.chunk:
                j += 1
            group = picked[i:j]
            lo, hi = group[0], group[-1] + 1
            if hi - lo <= 4 * len(group):
                yield lo, hi, np.array(group) - lo  # read the span, keep these rows
            else:
                yield lo, hi, group  # read just these rows
            i = j


def _values(x: np.ndarray) -> np.ndarray:
    """Rows as Caffe's float blob holds them, shaped (rows, channels, values)."""
    with np.errstate(over="ignore", invalid="ignore"):
        x = np.asarray(x, dtype=np.float32)
    m = x.shape[0]
    if x.ndim >= 3:
        return x.reshape(m, x.shape[1], -1)
    return x.reshape(m, 1, -1)


def read_hdf5_list(list_path: Path, tops: tuple[str, ...], locate: Locate,
                   sample: int | None, progress) -> HDF5Content:
    """Describe every listed file (one open at a time), then read the values of those
    Caffe can load: all rows, or `sample` rows spread over all of them."""
    prime_allocator()
    content = HDF5Content()
    names = list_files(list_path.read_bytes())
    if not names:
        content.notes.append("the list names no HDF5 file (Caffe's check \"num_files_ >= 1\" fails)")
        content.total = 0
        return content
    for listed in names:
        path, tried = locate(listed)
        entry = HDF5File(listed, path, tried)
        content.files.append(entry)
        if path is None:
            entry.problem = "not found"
            continue
        try:
            handle = open_hdf5(path)
        except OSError as exc:
            entry.problem = f"cannot be opened as an HDF5 file ({exc})"
            continue
        with handle:
            for top in tops:
                entry.datasets[top] = _describe(handle, top)
            entry.others = sorted(k for k in handle.keys() if k not in entry.datasets)
        first = entry.datasets[tops[0]] if tops else None
        if first is not None and first.shape:
            entry.rows = first.shape[0]
        disagree = [d for d in entry.datasets.values()
                    if d.shape and entry.rows is not None and d.shape[0] != entry.rows]
        failing = [d for d in entry.datasets.values() if d.problem]
        if failing:  # Caffe loads the tops in order, and compares their rows after
            entry.problem = failing[0].problem
        elif disagree:
            entry.problem = (f"'{disagree[0].name}' has {disagree[0].shape[0]} rows but "
                             f"'{first.name}' has {entry.rows} (Caffe's check that every "
                             "top has the first top's number of rows fails)")
    _read_values(content, tops, sample, progress)
    return content


def _readable(entry: HDF5File) -> list[DatasetInfo]:
    return [d for d in entry.datasets.values()
            if not d.problem and d.shape is not None and d.shape[0] == entry.rows]


def _read_file(content, entry, handle, datasets, accs, labels, chunks, offset, progress):
    """Read the chunks of rows of one file's datasets into their accumulators; rows are
    named by their position over all files (`offset` + row) and "file row N"."""
    opened = {d.name: handle[d.name] for d in datasets}  # h5py lookups are slow
    for lo, hi, keep in chunks:
        if keep is None:
            row_of = lo.__add__
            read = slice(lo, hi)
        elif isinstance(keep, list):
            row_of = keep.__getitem__
            read = keep
        else:
            row_of = (keep + lo).tolist().__getitem__
            read = slice(lo, hi)
        done = 0
        for d in datasets:
            x = opened[d.name][read]
            if keep is not None and not isinstance(keep, list):
                x = x[keep]
            values = _values(x)
            done = values.shape[0]

            def ref_of(r, row_of=row_of, listed=entry.listed):
                return RecordRef(offset + row_of(r), f"{listed} row {row_of(r)}")

            accs[d.name].add_float(values, ref_of)
            if d.name in labels:
                labels[d.name].add_floats(values.reshape(-1), ref_of)
        content.checked += done
        if progress is not None and done:
            progress(done)


def _read_values(content: HDF5Content, tops, sample, progress) -> None:
    usable = [e for e in content.files if e.rows is not None and not e.problem]
    total = sum(e.rows for e in usable)
    content.total = total
    picked = sample_positions(total, sample)
    content.sampled = picked is not None
    summaries = {top: DatasetSummary(top) for top in tops}
    merged_values = {top: ValueAccumulator() for top in tops}
    merged_labels: dict[str, LabelAccumulator] = {}
    offset = 0
    cursor = 0  # into picked
    for entry in usable:
        rows = entry.rows
        mine = None
        if picked is not None:
            end = cursor
            while end < len(picked) and picked[end] < offset + rows:
                end += 1
            mine = [p - offset for p in picked[cursor:end]]
            cursor = end
        datasets = _readable(entry)
        for d in entry.datasets.values():
            if d.shape is not None:
                s = summaries[d.name]
                s.shapes[d.shape[1:]] = s.shapes.get(d.shape[1:], 0) + 1
                s.dtypes[d.dtype] = s.dtypes.get(d.dtype, 0) + 1
                s.rows += d.shape[0]
        row_bytes = max((4 * math.prod(d.shape[1:]) for d in datasets), default=4)
        chunk = max(1, CHUNK_BYTES // max(row_bytes, 1))
        accs = {d.name: ValueAccumulator() for d in datasets}
        labels = {d.name: LabelAccumulator() for d in datasets if math.prod(d.shape[1:]) == 1}
        if mine == []:
            datasets = []
        if datasets:
            with open_hdf5(entry.path) as handle:
                _read_file(content, entry, handle, datasets, accs, labels,
                           _Chunks(rows, chunk, mine), offset, progress)
        for d in datasets:
            d.values = accs[d.name].result()
            merged_values[d.name].merge(accs[d.name])
            if d.name in labels:
                d.labels = labels[d.name].result()
                merged_labels.setdefault(d.name, LabelAccumulator()).merge(labels[d.name])
        offset += rows
    for top, s in summaries.items():
        s.values = merged_values[top].result()
        if top in merged_labels:
            s.labels = merged_labels[top].result()
    content.datasets = summaries
