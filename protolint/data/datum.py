"""Reading batches of serialized Datum records (the values of a Data layer's LMDB or
LevelDB) into a Records summary.

Parsing each record with protobuf and copying its pixels costs more than reading it from
the database, so records are decoded a batch at a time, in numpy, whenever they follow
a layout already seen ("template"): a serialized Datum is a sequence of fields, and

    record = head fields + payload field (data or packed float_data) + tail fields

parses exactly like the head, the payload and the tail parsed on their own and merged
(protobuf's concatenation rule). Records of a batch with the same length whose bytes up
to the payload's value equal the template's have the same head (so channels, height,
width) and their payload at the same offset; only their few tail bytes (the label
varint, usually) can differ, and each distinct tail is parsed once with protobuf. So a
batch costs one join, one comparison of each record's header bytes (as one void value),
a 256-bin histogram of the tails' last byte (np.unique when tails differ in more) and
the statistics themselves. Anything else - other layouts, encoded images, tails that
set data/float_data, undecodable bytes - takes the per-record path with protobuf, which
gives the same answers (tests/test_data_sources.py checks it), only slower. Encoded
images are decoded the way the reading layer's DataTransformer decodes them: as stored,
or in colour / grey under transform_param force_color / force_gray (`mode`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from google.protobuf.message import DecodeError

from protolint.data import imaging
from protolint.data.model import NATIVE, SHOWN, RecordRef, Records, ShapeCount, Tally
from protolint.data.stats import LabelAccumulator, ValueAccumulator
from protolint.schema import caffe_pb2

_TEMPLATES_PER_LENGTH = 4
_TAIL_CACHE = 4096


def show_key(key: bytes) -> str:
    return key.decode("utf-8", "backslashreplace")


class Refs:
    """Names the rows of one batch as records: their positions in the source (`start` +
    row, or `positions[row]`) and keys, when known (a full scan reads values only, which
    is faster; the reader fills in the keys of the records a result keeps at the end)."""

    __slots__ = ("start", "positions", "keys")

    def __init__(self, start: int = 0, positions=None, keys=None):
        self.start = start
        self.positions = positions
        self.keys = keys

    def index(self, row: int) -> int:
        return self.start + row if self.positions is None else int(self.positions[row])

    def __call__(self, row: int) -> RecordRef:
        key = self.keys[row] if self.keys is not None else None
        if isinstance(key, bytes):
            key = show_key(key)
        return RecordRef(self.index(row), key)


class RecordsBuilder:
    """Accumulates a Records summary (Data and ImageData sources)."""

    def __init__(self):
        self.values = ValueAccumulator()
        self.labels = LabelAccumulator()
        self.shapes: dict[tuple[int, int, int], ShapeCount] = {}
        self.storage: dict[str, int] = {}
        self.undecodable = Tally()
        self.size_mismatch = Tally()
        self.missing = Tally()
        self.malformed = Tally()
        self.checked = 0
        self.unchecked = 0
        self.notes: list[str] = []

    def shape(self, shape: tuple[int, int, int], n: int, refs, row: int) -> None:
        """`n` records of this shape, the first of them row `row` of a batch (`refs`)."""
        seen = self.shapes.get(shape)
        if seen is None:
            self.shapes[shape] = ShapeCount(shape, n, refs(row))
        else:
            seen.count += n
            if refs.index(row) < seen.first.index:
                seen.first = refs(row)

    def store(self, kind: str, n: int = 1) -> None:
        self.storage[kind] = self.storage.get(kind, 0) + n

    def result(self, total: int | None, sampled: bool) -> Records:
        return Records(
            total=total, checked=self.checked, sampled=sampled,
            shapes=dict(sorted(self.shapes.items(), key=lambda kv: kv[1].first.index)),
            storage=self.storage, values=self.values.result(), labels=self.labels.result(),
            undecodable=self.undecodable, size_mismatch=self.size_mismatch,
            missing=self.missing, malformed=self.malformed,
            unchecked=self.unchecked, notes=self.notes,
        )


# ---------------------------------------------------------------- wire format

def _varint(buf: bytes, i: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def wire_fields(buf: bytes) -> list[tuple[int, int, int, int, int]]:
    """(field number, wire type, start, value start, value end) of each field."""
    out = []
    i = 0
    n = len(buf)
    while i < n:
        start = i
        tag, i = _varint(buf, i)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            vstart = i
            _, i = _varint(buf, i)
        elif wire == 2:
            length, vstart = _varint(buf, i)
            i = vstart + length
        elif wire == 1:
            vstart, i = i, i + 8
        elif wire == 5:
            vstart, i = i, i + 4
        else:
            raise ValueError(f"wire type {wire}")
        if i > n:
            raise ValueError("truncated field")
        out.append((number, wire, start, vstart, i))
    return out


@dataclass
class _Template:
    header: np.ndarray  # the record's bytes up to the payload's value, as one void value
    vstart: int
    vend: int
    kind: str  # "uint8" (data) or "float" (packed float_data)
    head: object  # the Datum the head fields parse to
    count: int  # payload values
    tails: dict  # tail bytes -> _Tail


@dataclass
class _Tail:
    ok: bool  # False: take these records the per-record way
    shape: tuple[int, int, int] = (0, 0, 0)
    label: int = 0
    labelled: bool = False


def _template(record: bytes, datum_type) -> _Template | None:
    """The layout of `record` when it can serve as a template (raw data or packed
    float_data, one payload field), else None."""
    try:
        fields = wire_fields(record)
        datum = datum_type.FromString(record)
    except (ValueError, DecodeError):
        return None
    if datum.encoded:
        return None
    data = [f for f in fields if f[0] == 4]
    floats = [f for f in fields if f[0] == 6]
    if datum.data:
        if len(data) != 1 or floats:
            return None
        payload, kind = data[0], "uint8"
        count = payload[4] - payload[3]
    elif len(datum.float_data):
        if len(floats) != 1 or floats[0][1] != 2 or any(f[4] > f[3] for f in data):
            return None
        payload, kind = floats[0], "float"
        count = (payload[4] - payload[3]) // 4
    else:
        return None
    _, _, start, vstart, vend = payload
    try:
        head = datum_type.FromString(record[:start])
    except DecodeError:
        return None
    header = np.frombuffer(record[:vstart], dtype=_void(vstart)).copy()
    return _Template(header, vstart, vend, kind, head, count, {})


def _void(size: int) -> np.dtype:
    return np.dtype((np.void, size))


def _same(columns: np.ndarray) -> np.ndarray:
    """Per row of a (rows, k) uint8 view with contiguous rows: whether its k bytes equal
    the first row's (compared as one void value each: far faster than k columns)."""
    values = columns.view(_void(columns.shape[1]))[:, 0]
    return values == values[0]


def _tail(t: _Template, tail: bytes, datum_type) -> _Tail:
    try:
        d = datum_type.FromString(tail)
    except DecodeError:
        return _Tail(False)
    if d.HasField("data") or len(d.float_data) or (d.HasField("encoded") and d.encoded) or (
            t.head.encoded and not d.HasField("encoded")):
        return _Tail(False)
    h = t.head
    shape = tuple(getattr(d if d.HasField(f) else h, f) for f in ("channels", "height", "width"))
    labelled = d.HasField("label") or h.HasField("label")
    label = d.label if d.HasField("label") else h.label
    return _Tail(True, shape, label, labelled)


class DatumDecoder:
    """Feeds batches of serialized Datums into a RecordsBuilder, decoding encoded images
    in `mode` (imaging.NATIVE, COLOR or GRAY: see Transform.decoding)."""

    def __init__(self, out: RecordsBuilder, mode: str = NATIVE):
        self.out = out
        self.mode = mode
        self.datum_type = caffe_pb2().Datum
        self.templates: dict[int, list[_Template]] = {}
        self.can_decode = imaging.available()

    def batch(self, values: list[bytes], refs: Refs) -> None:
        """One batch of serialized Datums, in reading order."""
        if values:
            self.joined(b"".join(values), list(map(len, values)), refs, values)

    def joined(self, joined: bytes, lengths: list[int], refs: Refs,
               values: list[bytes] | None = None) -> None:
        """One batch given as its records' bytes one after the other and their lengths
        (`values`, the records themselves, when at hand)."""
        n = len(lengths)
        if n == 0:
            return
        self.out.checked += n
        slow: list[np.ndarray] = []
        if lengths.count(lengths[0]) == n:
            self._group(joined, lengths[0], _arange(n), refs, slow)
        else:
            sizes = np.array(lengths, dtype=np.int64)
            ends = np.cumsum(sizes).tolist()
            if values is None:
                values = [joined[e - k:e] for e, k in zip(ends, lengths)]
            order = np.argsort(sizes, kind="stable")
            cuts = np.flatnonzero(np.diff(sizes[order])) + 1
            for rows in np.split(order, cuts):
                length = int(sizes[rows[0]])
                self._group(b"".join([values[i] for i in rows.tolist()]), length, rows, refs, slow)
        if slow:
            rows = np.sort(np.concatenate(slow))
            if values is None:  # all of one length
                size = lengths[0]
                picked = [joined[r * size:(r + 1) * size] for r in rows.tolist()]
            else:
                picked = [values[i] for i in rows.tolist()]
            self._slow([bytes(v) for v in picked], rows, refs)

    # ------------------------------------------------------------ fast path

    def _group(self, joined: bytes, length: int, rows: np.ndarray, refs: Refs,
               slow: list[np.ndarray]) -> None:
        """Records `rows` of the batch, all `length` bytes long, joined."""
        m = len(rows)
        if length == 0:
            slow.append(rows)
            return
        arr = np.frombuffer(joined, dtype=np.uint8).reshape(m, length)
        templates = self.templates.setdefault(length, [])
        left: np.ndarray | None = None  # rows of arr still to place (None: all)
        made = 0
        i = 0
        while True:
            if i < len(templates):
                t = templates[i]
                i += 1
            else:
                if made or len(templates) >= _TEMPLATES_PER_LENGTH:
                    break
                made += 1
                r = 0 if left is None else int(left[0])
                t = _template(arr[r].tobytes(), self.datum_type)
                if t is None:
                    break
                templates.append(t)
                i += 1
            part = arr if left is None else arr[left]
            match = part[:, :t.vstart].view(_void(t.vstart))[:, 0] == t.header
            if match.all():
                self._apply(t, part, rows if left is None else rows[left], refs, slow)
                return
            if match.any():
                local = np.flatnonzero(match) if left is None else left[match]
                self._apply(t, arr[local], rows[local], refs, slow)
                left = np.flatnonzero(~match) if left is None else left[~match]
        slow.append(rows if left is None else rows[left])

    def _tails(self, t: _Template, part: np.ndarray):
        """The distinct tails of the rows of `part` (bytes after the payload), how many
        rows have each, and a function giving each row's tail number."""
        m, length = part.shape
        width = length - t.vend
        if width == 0:
            return [b""], [m], lambda: np.zeros(m, dtype=np.intp)
        tail = part[:, t.vend:]
        last = tail[:, -1]
        if width == 1 or _same(tail[:, :-1]).all():
            # Tails differing in their last byte only (a label below 128, say): a 256-bin
            # histogram instead of sorting.
            hist = np.bincount(last, minlength=256)
            seen = np.flatnonzero(hist)
            lead = tail[0, :-1].tobytes()

            def inverse():
                lookup = np.zeros(256, dtype=np.intp)
                lookup[seen] = np.arange(len(seen))
                return lookup[last]

            return [lead + bytes((v,)) for v in seen.tolist()], hist[seen].tolist(), inverse
        if width <= 8:
            packed = np.zeros((m, 8), dtype=np.uint8)
            packed[:, :width] = tail
            found, inv, counts = np.unique(packed.view("<u8").ravel(), return_inverse=True,
                                           return_counts=True)
            tails = [v.to_bytes(8, "little")[:width] for v in found.tolist()]
        else:
            found, inv, counts = np.unique(tail, axis=0, return_inverse=True, return_counts=True)
            tails = [bytes(v) for v in found]
        return tails, counts.tolist(), lambda: inv.ravel()

    def _apply(self, t: _Template, part: np.ndarray, rows: np.ndarray, refs: Refs,
               slow: list[np.ndarray]) -> None:
        """Records `rows` (their bytes: `part`) laid out like template `t`."""
        tails, counts, inverse = self._tails(t, part)
        infos = []
        for tail in tails:
            info = t.tails.get(tail)
            if info is None:
                if len(t.tails) >= _TAIL_CACHE:
                    t.tails.clear()
                info = t.tails[tail] = _tail(t, tail, self.datum_type)
            infos.append(info)
        by_shape: dict[tuple[int, int, int], list[int]] = {}
        for u, info in enumerate(infos):
            if info.ok:
                by_shape.setdefault(info.shape, []).append(u)
        inv = None
        if len(by_shape) != 1 or len(by_shape[next(iter(by_shape))]) != len(infos):
            inv = inverse()
            bad = [u for u, info in enumerate(infos) if not info.ok]
            if bad:
                slow.append(rows[np.isin(inv, bad)])
        out = self.out
        start = refs.index(int(rows.min()))  # no row of `rows` comes before it
        firsts = None  # the first row of each tail, worked out when a label needs it
        for shape, members in by_shape.items():
            if len(members) == len(infos):
                sel, srows = part, rows
            else:
                mask = np.isin(inv, members)
                sel, srows = part[mask], rows[mask]
            k = len(srows)
            out.store(t.kind, k)
            out.shape(shape, k, refs, int(srows[0]))
            for u in members:
                info = infos[u]
                out.labels.count(info.label, counts[u])
                if out.labels.wants_first(info.label, start):
                    if firsts is None:
                        if inv is None:
                            inv = inverse()
                        firsts = np.unique(inv, return_index=True)[1]
                    out.labels.set_first(info.label, refs(int(rows[firsts[u]])))
                if not info.labelled:
                    out.labels.missing += counts[u]
            c, h, w = shape
            if c <= 0 or h <= 0 or w <= 0 or c * h * w != t.count:
                why = _mismatch(shape, t.count, t.kind)
                for j, r in enumerate(srows[:SHOWN].tolist()):
                    out.size_mismatch.add(refs(r), k if j == 0 else 0, why)
                continue
            payload = sel[:, t.vstart:t.vend]
            if t.kind == "uint8":
                out.values.add_uint8(payload.reshape(k, c, h * w))
            else:
                floats = np.ascontiguousarray(payload).view("<f4").reshape(k, c, h * w)
                out.values.add_float(floats, lambda r, s=srows: refs(int(s[r])))

    # ------------------------------------------------------------ per record

    def _slow(self, values: list[bytes], rows: np.ndarray, refs: Refs) -> None:
        out = self.out
        d = self.datum_type()
        uint8: dict[tuple, tuple[list, list]] = {}
        floats: dict[tuple, tuple[list, list]] = {}
        for value, row in zip(values, rows.tolist()):
            try:
                d.ParseFromString(value)
            except DecodeError as exc:
                out.undecodable.add(refs(row), reason=f"not a Datum ({exc})")
                continue
            out.labels.count(d.label, 1)
            if out.labels.wants_first(d.label, refs.index(row)):
                out.labels.set_first(d.label, refs(row))
            if not d.HasField("label"):
                out.labels.missing += 1
            if d.encoded:
                out.store("encoded")
                if not self.can_decode:
                    out.unchecked += 1
                    continue
                try:
                    img = imaging.decode(d.data, self.mode)
                except imaging.NotChecked:
                    out.unchecked += 1
                    continue
                if isinstance(img, str):
                    out.undecodable.add(refs(row), reason=f"encoded image {img}")
                    continue
                out.store("uint8")
                shape = img.shape
                out.shape(shape, 1, refs, row)
                _collect(uint8, shape, img.reshape(shape[0], -1), row)
                continue
            shape = (d.channels, d.height, d.width)
            c, h, w = shape
            if d.data:
                out.store("uint8")
                out.shape(shape, 1, refs, row)
                if c <= 0 or h <= 0 or w <= 0 or c * h * w != len(d.data):
                    out.size_mismatch.add(refs(row), reason=_mismatch(shape, len(d.data), "uint8"))
                    continue
                _collect(uint8, shape, np.frombuffer(d.data, dtype=np.uint8).reshape(c, -1), row)
            elif len(d.float_data):
                out.store("float")
                out.shape(shape, 1, refs, row)
                n = len(d.float_data)
                if c <= 0 or h <= 0 or w <= 0 or c * h * w != n:
                    out.size_mismatch.add(refs(row), reason=_mismatch(shape, n, "float"))
                    continue
                _collect(floats, shape, np.array(d.float_data, dtype=np.float32).reshape(c, -1), row)
            else:
                out.store("empty")
                out.shape(shape, 1, refs, row)
                out.size_mismatch.add(refs(row), reason="neither data nor float_data")
        for shape, (arrays, which) in uint8.items():
            out.values.add_uint8(np.stack(arrays))
        for shape, (arrays, which) in floats.items():
            out.values.add_float(np.stack(arrays), lambda r, w=which: refs(w[r]))


_aranges: dict[int, np.ndarray] = {}


def _arange(n: int) -> np.ndarray:
    found = _aranges.get(n)
    if found is None:
        if len(_aranges) > 64:
            _aranges.clear()
        found = _aranges[n] = np.arange(n)
        found.flags.writeable = False
    return found


def _collect(groups: dict, shape: tuple, array: np.ndarray, row: int) -> None:
    arrays, rows = groups.setdefault(shape, ([], []))
    arrays.append(array)
    rows.append(row)


def _mismatch(shape: tuple[int, int, int], count: int, kind: str) -> str:
    c, h, w = shape
    field = "data bytes" if kind == "uint8" else "float_data values"
    if c <= 0 or h <= 0 or w <= 0:
        return f"channels {c}, height {h}, width {w} (Caffe needs them positive) with {count} {field}"
    return f"{count} {field} for channels x height x width = {c}x{h}x{w} = {c * h * w}"
