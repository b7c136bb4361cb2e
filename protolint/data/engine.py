"""Inspecting sources: dispatch by format, the cache of readings, progress."""

from __future__ import annotations

import os
import weakref
from collections import OrderedDict
from pathlib import Path
from typing import Callable

from protolint.data.model import (COLOR, ERROR, GRAY, NATIVE, NO_SOURCE, NOT_FOUND, OK,
                                  UNSUPPORTED, DataSource, RecordRef, Records, SourceReport)
from protolint.data.sources import find_sources

Progress = Callable[[int], None]

_CACHE: OrderedDict = OrderedDict()  # readings, per file version and sample
_CACHE_SIZE = 32
_NETS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # net -> {sample: reports}


def clear_cache() -> None:
    """Forget every reading and every net's reports (the next inspection looks at the
    files again)."""
    _CACHE.clear()
    _NETS.clear()


def _signature(path: Path) -> tuple:
    """What changes when a source changes: its files' sizes and modification times."""
    try:
        if path.is_dir():
            return tuple(sorted((e.name, e.stat().st_mtime_ns, e.stat().st_size)
                                for e in os.scandir(path) if e.is_file()))
        st = path.stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return ()


def _decoding(source: DataSource) -> str:
    """How a Data source's encoded images are decoded (its uses share it: find_sources)."""
    return source.uses[0].transform.decoding if source.uses else NATIVE


def _key(source: DataSource, sample: int | None, decoding: str | None = None) -> tuple:
    """The reading's cache key; Data sources' readings differ by `decoding` (by default
    the source's own)."""
    path = source.path
    key = (source.kind, source.format, str(path), _signature(path), sample)
    if source.kind == "Data":
        key += (decoding or _decoding(source),)
    elif source.kind == "ImageData":
        u = source.uses[0].options
        key += (source.origin, u["root_folder"], u["is_color"], u["new_height"], u["new_width"])
    elif source.kind == "HDF5Data":
        key += (source.origin, source.tops)
    return key


def inspect_net(net, sample: int | None = None, progress: Progress | None = None
                ) -> list[SourceReport]:
    """Find and inspect every data source of `net` (see protolint.data). The reports are
    kept per net and `sample`: every rule asking again gets the same objects."""
    try:
        per_net = _NETS.setdefault(net, {})
    except TypeError:  # not weakly referenceable: no per-net cache
        per_net = {}
    reports = per_net.get(sample)
    if reports is None:
        reports = per_net[sample] = [inspect_source(s, sample, progress)
                                     for s in find_sources(net)]
    return reports


def inspect_source(source: DataSource, sample: int | None = None,
                   progress: Progress | None = None) -> SourceReport:
    """Inspect one source (each file is read once per version and `sample`: later calls
    answer from a cache)."""
    report = SourceReport(source)
    if not source.name:
        report.status, report.problem = NO_SOURCE, "no source is set (Caffe fails to open \"\")"
        return report
    if source.path is None:
        report.status, report.problem = NOT_FOUND, f"{source.name} not found"
        return report
    if source.kind == "WindowData":
        report.status, report.problem = UNSUPPORTED, "WindowData window files are not inspected"
        return report
    if sample is not None and sample < 1:
        raise ValueError(f"sample must be at least 1, not {sample}")
    key = _key(source, sample)
    cached = _CACHE.get(key)
    if cached is None:
        cached = _read(source, sample, progress)
        _CACHE[key] = cached
        records = cached[2]
        if source.kind == "Data" and not (records and records.storage.get("encoded")):
            for decoding in (NATIVE, COLOR, GRAY):  # no encoded record: decoded alike
                _CACHE.setdefault(_key(source, sample, decoding), cached)
            _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    report.status, report.problem, report.records, report.hdf5 = cached
    return report


def _read(source: DataSource, sample, progress) -> tuple:
    try:
        import numpy  # noqa: F401
    except ImportError:
        return UNSUPPORTED, "data inspection needs numpy (pip install numpy)", None, None
    from protolint.data.dbs import Truncated, Unsupported

    try:
        if source.kind == "Data":
            return _read_db(source, sample, progress)
        if source.kind == "ImageData":
            return _read_images(source, sample, progress)
        return _read_hdf5(source, sample, progress)
    except Unsupported as exc:
        return UNSUPPORTED, str(exc), None, None
    except Truncated as exc:
        return ERROR, str(exc), None, None
    except Exception as exc:  # noqa: BLE001 - a broken source is a finding, not a crash
        return ERROR, f"cannot be read ({type(exc).__name__}: {exc})", None, None


def _read_db(source: DataSource, sample, progress) -> tuple:
    from protolint.data.datum import DatumDecoder, RecordsBuilder
    from protolint.data.dbs import open_leveldb, open_lmdb

    found = source.found
    if found == "directory":
        return ERROR, (f"{source.name} is a directory with neither data.mdb (LMDB) nor "
                       "CURRENT (LevelDB)"), None, None
    if found not in ("lmdb", "leveldb"):
        what = "an HDF5 file" if found == "hdf5" else "a file"
        return ERROR, (f"{source.name} is {what}, not a database directory (a Data layer reads "
                       "an LMDB or LevelDB directory)"), None, None
    builder = RecordsBuilder()
    decoder = DatumDecoder(builder, _decoding(source))
    opener = open_lmdb(source.path, sample) if found == "lmdb" else open_leveldb(source.path)
    with opener as reader:
        joined = reader.joined(sample) if found == "lmdb" else None
        if joined is not None:  # the fastest way through a whole LMDB
            for data, lengths, refs in joined:
                decoder.joined(data, lengths, refs)
                if progress is not None:
                    progress(len(lengths))
        else:
            for values, refs in reader.batches(sample):
                decoder.batch(values, refs)
                if progress is not None:
                    progress(len(values))
        total = reader.total
        records = builder.result(total, sample is not None and total is not None
                                 and sample < total)
        reader.fill_keys([r for r in _refs(records) if r.key is None])
    if not records.checked and not records.total:
        return ERROR, f"{source.name} holds no records", None, None
    return OK, "", records, None


def _read_images(source: DataSource, sample, progress) -> tuple:
    from protolint.data.datum import RecordsBuilder
    from protolint.data.imagelist import read_image_list

    builder = RecordsBuilder()
    total, sampled = read_image_list(source.path, source.uses[0].options, source.resolve,
                                     sample, progress, builder)
    if total == 0:
        builder.notes.append("the list is empty (Caffe's check fails: File is empty)")
    return OK, "", builder.result(total, sampled), None


def _read_hdf5(source: DataSource, sample, progress) -> tuple:
    from protolint.data.hdf5 import read_hdf5_list

    content = read_hdf5_list(source.path, source.tops, source.locate, sample, progress)
    return OK, "", None, content


def _refs(records: Records) -> list[RecordRef]:
    """Every record a Records result names."""
    out = [s.first for s in records.shapes.values()]
    for tally in (records.undecodable, records.size_mismatch, records.missing,
                  records.malformed, records.labels.non_integer, records.labels.nonfinite):
        out.extend(tally.first)
    if records.values.first_nonfinite is not None:
        out.append(records.values.first_nonfinite)
    out.extend(records.labels.first.values())
    return out


def expected_records(source: DataSource, sample: int | None = None) -> int | None:
    """How many records inspecting `source` will check (for a progress bar's length),
    found cheaply; None when unknown without reading it (a LevelDB, a broken source)."""
    total = None
    path = source.path
    try:
        if path is None or source.kind == "WindowData":
            return 0
        if source.kind == "Data" and source.found == "lmdb":
            import lmdb

            env = lmdb.open(str(path), readonly=True, lock=False, subdir=True, create=False)
            try:
                total = env.stat()["entries"]
            finally:
                env.close()
        elif source.kind == "ImageData":
            from protolint.data.imagelist import list_lines

            total = len(list_lines(path.read_bytes()))
        elif source.kind == "HDF5Data":
            from protolint.data.hdf5 import list_files, open_hdf5

            total = 0
            first = source.tops[0] if source.tops else None
            for name in list_files(path.read_bytes()):
                found, _ = source.locate(name)
                if found is None or first is None:
                    continue
                with open_hdf5(found) as f:
                    obj = f.get(first)
                    total += obj.shape[0] if obj is not None and getattr(obj, "shape", ()) else 0
    except Exception:  # noqa: BLE001 - only an estimate
        return None
    if total is None:
        return None
    return min(total, sample) if sample is not None else total

