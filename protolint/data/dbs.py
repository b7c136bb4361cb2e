"""Read-only access to the key-value stores of Caffe's Data layer: LMDB and LevelDB.

Nothing here writes to a source. LMDB is opened with `readonly=True, lock=False`: the
data file is opened read-only and the lock file is neither created nor touched, so a
writer is never blocked (the price: a writer working on the database at the same time
may show this reader inconsistent pages). Values are read as buffers into LMDB's
read-only memory map and copied into the batch right away; a data file shorter than its
meta page says (a truncated copy) is refused before it is mapped. Pages damaged inside a
file of the right length can still crash liblmdb, here as in Caffe: the console command
reads data in a watched child process (protolint.cli), which costs nothing per record,
where reading each source in a child of its own would cost about 40% of a scan (the
child's first writes copy the parent's heap pages). A LevelDB cannot be
opened without writing (LOCK, LOG, a new MANIFEST, maybe a compaction), so `private_copy`
makes a scratch directory that LevelDB may write to as it pleases, hard-linking the
source's table files (immutable once written) and copying the small rest; when linking
fails (another file system, permissions) the tables are copied. Set TMPDIR to a
directory on the source's file system to get links.

Readers yield batches of values (bytes) with the records' positions: all records in key
order, or, with `sample`, one record from each of `sample` equal stretches of the key
order (see sample_positions), first record included. LMDB has no
positional seek: when its keys start with zero-padded numbers running from 0 to
entries - 1 (convert_imageset's "%08d_<file>"), each sampled position is sought by its
number (and the key found must carry it, else the rest is stepped to); otherwise, and
for LevelDB (whose entries are first counted), reaching a sampled position steps the
cursor over every key in between, copying no value, so sampling still costs a walk over
the keys - far less than reading the records, but not nothing.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import struct
import tempfile
from collections import deque
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Iterator

import numpy as np

from protolint.data.datum import Refs, show_key
from protolint.data.model import RecordRef

TARGET_BATCH_BYTES = 2 << 20  # rows of a batch: small enough to stay in the CPU's caches
MAX_BATCH = 4096  # rows
MIN_BATCH = 16


class Unsupported(Exception):
    """The source cannot be read here (a package is missing); the message says which."""


class Truncated(Exception):
    """An LMDB whose data file ends before its last page: the message says by how much."""


_MDB_MAGIC = 0xBEEFC0DE
# Offsets in a meta page (64-bit LMDB, little-endian): a 16-byte page header, then magic
# and version (4 + 4), the map address and size (8 + 8), and two 48-byte database
# records whose first field, in the free-page database's record, is the page size;
# then the last page number used and the transaction id (8 + 8).
_MAGIC_AT, _PSIZE_AT, _LAST_PAGE_AT, _TXNID_AT, _META_END = 16, 40, 136, 144, 152


def check_lmdb_length(path: Path) -> None:
    """Raise Truncated when data.mdb is shorter than its newest meta page says (an
    interrupted copy or download). LMDB reads pages through a memory map, and touching
    a mapped page past the end of the file kills the process with SIGBUS, which no
    Python exception can catch: such a file must not be read at all."""
    with open(path / "data.mdb", "rb") as f:
        size = os.fstat(f.fileno()).st_size
        first = f.read(_META_END)
        magic = struct.unpack_from("<I", first, _MAGIC_AT)[0] if len(first) == _META_END else 0
        if magic != _MDB_MAGIC:
            return  # not an LMDB meta page: lmdb.open reports that itself
        psize = struct.unpack_from("<I", first, _PSIZE_AT)[0]
        if psize < 512 or psize & (psize - 1):
            return  # not a page size LMDB writes: left to lmdb.open
        f.seek(psize)
        second = f.read(_META_END)
    metas = [m for m in (first, second) if len(m) == _META_END
             and struct.unpack_from("<I", m, _MAGIC_AT)[0] == _MDB_MAGIC]
    txnid, last = max((struct.unpack_from("<Q", m, _TXNID_AT)[0],
                       struct.unpack_from("<Q", m, _LAST_PAGE_AT)[0]) for m in metas)
    needed = (last + 1) * psize
    if size < needed:
        raise Truncated(
            f"is a truncated LMDB: its data.mdb holds {size:,} bytes, but its newest "
            f"transaction ({txnid}) uses {last + 1:,} pages of {psize:,} bytes "
            f"({needed:,} bytes), so it was not read")


def batch_rows(record_bytes: int) -> int:
    """Records per batch: about TARGET_BATCH_BYTES, a multiple of 256 when that large
    (the uint8 statistics convert blocks of up to 256 rows at a time)."""
    rows = max(MIN_BATCH, min(MAX_BATCH, TARGET_BATCH_BYTES // max(record_bytes, 1)))
    return rows - rows % 256 if rows >= 256 else rows


def sample_positions(total: int, sample: int | None) -> list[int] | None:
    """The positions a sample of `sample` records reads out of `total`, or None for all:
    one from each of `sample` equal stretches of the key order, at a place drawn with a
    fixed seed (the same sample every run), the first record included (DataLayer shapes
    its tops from it). A fixed stride would line up with data written in a repeating
    order (labels 0, 1, 2, 0, 1, 2, ...) and see one class only."""
    if sample is None or sample >= total:
        return None
    sample = max(sample, 1)
    draw = random.Random(total * 1_000_003 + sample)
    starts = [(i * total) // sample for i in range(sample + 1)]
    return [0] + [start + draw.randrange(end - start)
                  for start, end in zip(starts[1:-1], starts[2:])]


def _fill_keys(keys: Iterator[bytes], refs: list[RecordRef]) -> None:
    """Give `refs` (positions in key order) their keys, from an iterator over all keys
    (bytes, or buffers valid until the next step)."""
    at = -1
    for ref in sorted(refs, key=lambda r: r.index):
        if ref.key is not None:
            continue
        if ref.index > at:
            key = next(islice(keys, ref.index - at - 1, None), None)
            if key is None:
                return
            at = ref.index
            last = show_key(bytes(key))
        ref.key = last


class _Reader:
    total: int | None = None

    def batches(self, sample: int | None) -> Iterator[tuple[list[bytes], Refs]]:
        raise NotImplementedError

    def fill_keys(self, refs: list[RecordRef]) -> None:
        raise NotImplementedError


_primed = False


def prime_allocator() -> None:
    """Allocate and free one 16 MB block, once per process. glibc serves large requests
    with fresh mmap()ed pages (each first touched through a page fault) until freeing
    such a block raises its mmap threshold; after that the batch buffers (a megabyte
    or so, allocated and freed again per batch) are reused from the heap. This halves
    the time of a full scan in a process that has not happened to free a big block
    yet, and changes nothing else."""
    global _primed
    if not _primed:
        _primed = True
        block = bytearray(16 << 20)
        del block


def _scan(values: Iterator[bytes]) -> Iterator[tuple[list[bytes], Refs]]:
    """Batches of about TARGET_BATCH_BYTES of the values."""
    prime_allocator()
    first = next(values, None)
    if first is None:
        return
    rows = batch_rows(len(first))
    batch = [first]
    batch.extend(islice(values, rows - 1))
    start = 0
    while batch:
        yield batch, Refs(start)
        start += len(batch)
        batch = list(islice(values, rows))


_CHUNK = 128  # records joined at a time, while their pages are still in the CPU's cache


def _scan_joined(values: Iterator) -> Iterator[tuple[bytes, list[int], Refs]]:
    """Like _scan, for values that are buffers into a memory map (LMDB with
    buffers=True): each batch comes as its values' bytes joined, and their lengths. The
    values are copied once, a few at a time right after the cursor reads them, instead
    of each into a bytes object of its own and then again into the batch."""
    prime_allocator()
    first = next(values, None)
    if first is None:
        return
    rows = batch_rows(len(first))
    carry = [first]
    start = 0
    while True:
        parts: list[bytes] = []
        lengths: list[int] = []
        while len(lengths) < rows:
            chunk = carry + list(islice(values, min(_CHUNK, rows - len(lengths)) - len(carry)))
            carry = []
            if not chunk:
                break
            lengths += map(len, chunk)
            parts.append(b"".join(chunk))
        if not lengths:
            return
        yield (parts[0] if len(parts) == 1 else b"".join(parts)), lengths, Refs(start)
        start += len(lengths)
        if len(lengths) < rows:
            return


def _batched(found: Iterator[tuple[int, bytes, bytes]]) -> Iterator[tuple[list[bytes], Refs]]:
    """Batches of about TARGET_BATCH_BYTES of the (position, key, value) records found."""
    batch: list[bytes] = []
    batch_keys: list[bytes] = []
    batch_pos: list[int] = []
    rows = None
    for p, key, value in found:
        batch.append(value)
        batch_keys.append(key)
        batch_pos.append(p)
        if rows is None:
            rows = batch_rows(len(value))
        if len(batch) >= rows:
            yield batch, Refs(positions=np.array(batch_pos), keys=batch_keys)
            batch, batch_keys, batch_pos = [], [], []
    if batch:
        yield batch, Refs(positions=np.array(batch_pos), keys=batch_keys)


def _sampled(keys: Iterator[bytes], value_of, positions: list[int]
             ) -> Iterator[tuple[list[bytes], Refs]]:
    """`keys` steps a cursor over every key from the first; `value_of(key)` reads the
    value it is on."""
    def found():
        at = -1
        for p in positions:
            key = next(islice(keys, p - at - 1, None), None)
            if key is None:
                return
            at = p
            key = bytes(key)  # a buffer into LMDB's map: copied (only the keys landed on)
            yield p, key, value_of(key)

    return _batched(found())


_ORDINAL = re.compile(rb"\d+")


def _ordinal_width(cursor, total: int) -> int | None:
    """The width of the zero-padded number the keys start with, when the first key's is
    0 and the last key's total - 1: Caffe's convert_imageset writes "%08d_<file name>"
    keys, whose number is then the record's position in key order."""
    if total == 0 or not cursor.first():
        return None
    first = _ORDINAL.match(bytes(cursor.key()))
    if not cursor.last():
        return None
    last = _ORDINAL.match(bytes(cursor.key()))
    if (first and last and len(first.group()) == len(last.group())
            and int(first.group()) == 0 and int(last.group()) == total - 1):
        return len(first.group())
    return None


def _sought(cursor, positions: list[int], width: int, leftover: list[int]
            ) -> Iterator[tuple[list[bytes], Refs]]:
    """Like _sampled, seeking each position's key ("%0{width}d" % position) instead of
    stepping there. At the first key that does not carry its position's number, stops
    and leaves the positions not read yet in `leftover`."""
    def found():
        for n, p in enumerate(positions):
            prefix = b"%0*d" % (width, p)
            key = bytes(cursor.key()) if cursor.set_range(prefix) else b""
            if not key.startswith(prefix) or key[width:width + 1].isdigit():
                leftover.extend(positions[n:])
                return
            yield p, key, bytes(cursor.value())

    return _batched(found())


class LMDBReader(_Reader):
    """Values come as buffers into LMDB's read-only memory map (the transaction is
    opened with buffers=True): valid while the transaction is, copied before use."""

    def __init__(self, env, txn):
        self.env = env
        self.txn = txn
        self.total = env.stat()["entries"]

    def joined(self, sample):
        """Batches as (joined values, lengths, refs) when reading everything, else None
        (use batches())."""
        if sample_positions(self.total, sample) is not None:
            return None
        return _scan_joined(self.txn.cursor().iternext(keys=False, values=True))

    def batches(self, sample):
        positions = sample_positions(self.total, sample)
        if positions is None:
            for joined, lengths, refs in _scan_joined(
                    self.txn.cursor().iternext(keys=False, values=True)):
                ends = np.cumsum(lengths).tolist()
                yield [joined[e - k:e] for e, k in zip(ends, lengths)], refs
            return
        cursor = self.txn.cursor()
        width = _ordinal_width(cursor, self.total)
        if width is not None:  # keys numbered like convert_imageset's: seek them
            leftover: list[int] = []
            yield from _sought(cursor, positions, width, leftover)
            if not leftover:
                return
            positions = leftover
        # Step from the first key. _ordinal_width and _sought leave the cursor anywhere
        # (on the last key, say), and iternext() starts where the cursor is.
        cursor = self.txn.cursor()
        yield from _sampled(cursor.iternext(keys=True, values=False),
                            lambda key: bytes(cursor.value()), positions)

    def fill_keys(self, refs):
        _fill_keys(self.txn.cursor().iternext(keys=True, values=False), refs)


@contextmanager
def open_lmdb(path: Path, sample: int | None = None):
    try:
        import lmdb
    except ImportError:
        raise Unsupported("LMDB not supported (pip install lmdb)") from None
    check_lmdb_length(path)
    env = lmdb.open(str(path), readonly=True, lock=False, subdir=True, create=False,
                    readahead=sample is None, max_dbs=0, max_spare_txns=0)
    try:
        txn = env.begin(write=False, buffers=True)
        try:
            yield LMDBReader(env, txn)
        finally:
            txn.abort()
    finally:
        env.close()


# ------------------------------------------------------------------ LevelDB

_NUMBERED = re.compile(r"^(\d+)\.(log|ldb|sst)$")


def private_copy(src: Path, scratch: Path) -> dict[str, int]:
    """Make `scratch` (an empty directory) a LevelDB that LevelDB may write to without
    touching `src`: table files hard-linked when safe (else copied), CURRENT, MANIFEST
    and logs copied. Returns how many files were linked and copied.

    A table is linked only when its number is below the oldest log's (or, with no log,
    the MANIFEST's): every file LevelDB creates on opening the copy gets a larger
    number, so it can never open a linked file for writing. Other tables (a crash's
    leftovers, tables newer than the log) are copied."""
    names = os.listdir(src)
    logs = [int(m.group(1)) for m in map(_NUMBERED.match, names) if m and m.group(2) == "log"]
    manifest = None
    try:
        current = (src / "CURRENT").read_text(encoding="ascii", errors="replace").strip()
        if current.startswith("MANIFEST-") and current[9:].isdigit():
            manifest = int(current[9:])
    except OSError:
        pass
    limit = min(logs) if logs else (manifest if manifest is not None else -1)
    done = {"linked": 0, "copied": 0}
    can_link = True
    for name in names:
        source = src / name
        m = _NUMBERED.match(name)
        if not (m or name == "CURRENT" or name.startswith("MANIFEST-")) or not source.is_file():
            continue  # LOCK, LOG, LOG.old and anything else: LevelDB does not need them
        target = scratch / name
        if m and m.group(2) != "log" and int(m.group(1)) < limit and can_link:
            try:
                os.link(source, target)
                done["linked"] += 1
                continue
            except OSError:
                can_link = False  # another file system, or not allowed: copy from now on
        shutil.copyfile(source, target)
        done["copied"] += 1
    return done


class LevelDBReader(_Reader):
    def __init__(self, db):
        self.db = db
        self.total = None

    def batches(self, sample):
        if sample is not None:
            counter = deque(enumerate(self.db.iterator(include_value=False), 1), maxlen=1)
            self.total = counter[0][0] if counter else 0
            positions = sample_positions(self.total, sample)
            if positions is not None:
                yield from _sampled(self.db.iterator(include_value=False), self.db.get, positions)
                return
        count = 0
        for batch, refs in _scan(self.db.iterator(include_key=False)):
            count += len(batch)
            yield batch, refs
        self.total = count

    def fill_keys(self, refs):
        _fill_keys(self.db.iterator(include_value=False), refs)


@contextmanager
def open_leveldb(path: Path):
    try:
        import plyvel
    except ImportError:
        raise Unsupported("LevelDB not supported (pip install plyvel)") from None
    scratch = Path(tempfile.mkdtemp(prefix="protolint-leveldb-"))
    try:
        private_copy(path, scratch)
        db = plyvel.DB(str(scratch), create_if_missing=False, max_open_files=100)
        try:
            yield LevelDBReader(db)
        finally:
            db.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
