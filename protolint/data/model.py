"""What inspecting a data source finds: plain dataclasses the rules read.

Everything here is a finished result: built once by the readers (see stats.py for the
streaming accumulators behind ValueStats and LabelStats) and shared between every net
and rule that asks for the same source, so treat it as read-only.

Positions are always `RecordRef`s: the record's 0-based position in the order Caffe
reads the source (key order of an LMDB/LevelDB, line order of an image list, row order
of the HDF5 files one after the other) and a key to show (the database key, the image
path, "file.h5 row 12").
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

if TYPE_CHECKING:
    from protolint.net import Layer

SHOWN = 5  # offending records kept of each kind (the rest are only counted)

# How an image is decoded (imaging.decode): as stored (cv::imdecode's IMREAD_UNCHANGED),
# in colour (3 channels) or grey (1 channel).
NATIVE, COLOR, GRAY = "native", "color", "gray"


@dataclass(slots=True)
class RecordRef:
    """One record of a source: its position in Caffe's reading order and its key."""

    index: int
    key: Optional[str] = None  # DB key (decoded for display), image path, or "file row N"

    @property
    def shown_key(self) -> str | None:
        """The key as messages show it: cut in the middle beyond 80 characters (a
        corrupt list line can be thousands long)."""
        key = self.key
        if key is None or len(key) <= 80:
            return key
        return key[:50] + "…" + key[-29:]

    def __str__(self) -> str:
        if self.key is None:
            return f"record {self.index}"
        return f"{self.shown_key!r} (record {self.index})"


@dataclass
class Tally:
    """Records of one kind (undecodable, missing, ...): how many, and the first few in
    reading order (at most SHOWN) with what was wrong with each (`why`)."""

    count: int = 0
    first: list[RecordRef] = field(default_factory=list)
    why: dict[int, str] = field(default_factory=dict)  # record index -> explanation

    def add(self, ref: RecordRef, count: int = 1, reason: str = "") -> None:
        self.count += count
        if len(self.first) >= SHOWN and ref.index >= self.first[-1].index:
            return
        if any(r.index == ref.index for r in self.first):
            return
        self.first.append(ref)
        self.first.sort(key=lambda r: r.index)
        for dropped in self.first[SHOWN:]:
            self.why.pop(dropped.index, None)
        del self.first[SHOWN:]
        if reason and any(r is ref for r in self.first):
            self.why[ref.index] = reason

    def __bool__(self) -> bool:
        return self.count > 0

    @property
    def example(self) -> RecordRef | None:
        """The first offending record."""
        return self.first[0] if self.first else None

    @property
    def reason(self) -> str:
        """What is wrong with the first offending record ("" when not said)."""
        return self.why.get(self.first[0].index, "") if self.first else ""


@dataclass
class ShapeCount:
    """A record shape (C, H, W) as Caffe's DataTransformer sees it, how many checked
    records have it and the first of them."""

    shape: tuple[int, int, int]
    count: int
    first: RecordRef


@dataclass
class ChannelStats:
    """Statistics of one channel's finite values (mean/std are population statistics
    computed from float64 sums; for uint8 data they are exact)."""

    count: int  # finite values
    min: float
    max: float
    mean: float
    std: float


@dataclass
class ValueStats:
    """The values of the checked records (pixels, float_data, an HDF5 dataset as float32,
    which is how Caffe holds them).

    `channels[c]` covers channel c of every record that has one (records differing in
    channel count each contribute their own channels; HDF5: channel = axis 1 of a
    dataset with 3 or more axes, else one channel for everything). `nonfinite` counts
    NaN and +-inf values; `first_nonfinite` is the first record holding one.
    `integral` says every finite value is a whole number (always true for uint8)."""

    channels: list[ChannelStats] = field(default_factory=list)
    dtype: str = ""  # "uint8" (Datum.data, images), "float32" (float_data, HDF5), "" (none seen)
    nan: int = 0
    posinf: int = 0
    neginf: int = 0
    first_nonfinite: RecordRef | None = None
    integral: bool = True
    records: int = 0  # records whose values were counted

    @property
    def nonfinite(self) -> int:
        return self.nan + self.posinf + self.neginf

    @property
    def count(self) -> int:
        return sum(c.count for c in self.channels)

    @property
    def min(self) -> float | None:
        return min((c.min for c in self.channels if c.count), default=None)

    @property
    def max(self) -> float | None:
        return max((c.max for c in self.channels if c.count), default=None)

    @property
    def mean(self) -> float | None:
        n = self.count
        return sum(c.mean * c.count for c in self.channels) / n if n else None

    @property
    def std(self) -> float | None:
        """The population standard deviation over all channels together."""
        n = self.count
        if not n:
            return None
        mean = self.mean
        m2 = sum(c.count * (c.std ** 2 + (c.mean - mean) ** 2) for c in self.channels)
        return math.sqrt(max(m2 / n, 0.0))

    @property
    def constant(self) -> bool:
        """Every finite value checked is the same number (and there was at least one)."""
        return self.count > 0 and self.min == self.max


@dataclass
class LabelStats:
    """Label values of the checked records.

    `counts` maps each label value to its number of records: an int for a whole number,
    a float for any other finite value (so 1 and 1.5 stay apart). Only the first
    MAX_LABELS distinct values are kept; records with further values count in
    `other`. `first` names, for each value in `counts`, the first record (in reading
    order, among those checked) holding it. `missing` counts Datums without a label
    field (Caffe reads label 0)."""

    counts: dict = field(default_factory=dict)
    first: dict = field(default_factory=dict)  # value -> RecordRef, for the values in counts
    other: int = 0
    total: int = 0  # labels seen, including non-finite ones
    non_integer: Tally = field(default_factory=Tally)  # finite, not whole (HDF5), or not an integer token (image list)
    nonfinite: Tally = field(default_factory=Tally)  # NaN or +-inf
    missing: int = 0
    min: float | None = None  # over finite labels
    max: float | None = None

    @property
    def distinct(self) -> int:
        return len(self.counts)

    def share(self) -> list[tuple[object, int, float]]:
        """(label, count, fraction of the labelled records), most frequent first: the
        class-balance summary."""
        total = sum(self.counts.values()) + self.other
        return [(k, n, n / total) for k, n in
                sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0]))] if total else []


@dataclass
class Records:
    """What reading the records of a Data (LMDB/LevelDB) or ImageData source found.

    `total` is the number of records in the source (database entries, list lines), None
    when unknown; `checked` how many were read, `sampled` whether that was a spread-out
    subset (see inspect_net's `sample`). `storage` counts the records by how they hold
    their values: "uint8" (Datum.data raw pixels, or a decoded image), "float"
    (Datum.float_data), "encoded" (Datum.data is a JPEG/PNG file; also counted under the
    decoded "uint8"), "empty" (neither data nor float_data)."""

    total: int | None = None
    checked: int = 0
    sampled: bool = False
    shapes: dict[tuple[int, int, int], ShapeCount] = field(default_factory=dict)
    storage: dict[str, int] = field(default_factory=dict)
    values: ValueStats = field(default_factory=ValueStats)
    labels: LabelStats = field(default_factory=LabelStats)
    undecodable: Tally = field(default_factory=Tally)  # not a Datum / image not decodable
    size_mismatch: Tally = field(default_factory=Tally)  # len(data) != C*H*W, or C/H/W <= 0
    missing: Tally = field(default_factory=Tally)  # ImageData: files not found
    malformed: Tally = field(default_factory=Tally)  # ImageData: lines without "path label"
    unchecked: int = 0  # records whose values could not be checked here (no Pillow)
    notes: list[str] = field(default_factory=list)

    @property
    def shape(self) -> tuple[int, int, int] | None:
        """The one record shape, when every checked record has the same."""
        return next(iter(self.shapes)) if len(self.shapes) == 1 else None

    @property
    def first_shape(self) -> tuple[int, int, int] | None:
        """The shape of the first record read: the one Caffe sizes the top blob from."""
        found = min(self.shapes.values(), key=lambda s: s.first.index, default=None)
        return found.shape if found else None


@dataclass
class DatasetInfo:
    """One dataset of one HDF5 file, as HDF5DataLayer loads it (a dataset per top)."""

    name: str
    shape: tuple[int, ...] | None = None  # None: missing or not a dataset
    dtype: str = ""  # numpy's name ("float32", "int64", ...)
    kind: str = ""  # "float", "integer" (both accepted by Caffe), or what Caffe refuses
    problem: str = ""  # why Caffe cannot load it ("" when it can)
    # Which of Caffe's checks fails, the first in its order: "missing", "group" (not a
    # dataset), "scalar" (no axis), "dtype" (neither float nor integer), "huge" (more
    # than INT_MAX values), "empty" (no values); "" when none.
    fails: str = ""
    values: ValueStats = field(default_factory=ValueStats)
    labels: LabelStats | None = None  # for datasets with one value per row


@dataclass
class HDF5File:
    """One file named in an HDF5Data source list."""

    listed: str  # as written in the list
    path: Path | None
    tried: list[Path] = field(default_factory=list)
    problem: str = ""  # not found, cannot be opened, a top's dataset failing, rows disagree
    rows: int | None = None  # first axis of the first top's dataset
    datasets: dict[str, DatasetInfo] = field(default_factory=dict)  # per top name
    others: list[str] = field(default_factory=list)  # other names at the file's root


@dataclass
class DatasetSummary:
    """One top name over the files of the list that Caffe can load (found, opened, all
    tops present and agreeing on their number of rows)."""

    name: str
    shapes: dict[tuple[int, ...], int] = field(default_factory=dict)  # shape minus first axis -> files
    dtypes: dict[str, int] = field(default_factory=dict)  # dtype -> files
    rows: int = 0
    values: ValueStats = field(default_factory=ValueStats)
    labels: LabelStats | None = None

    @property
    def row_shape(self) -> tuple[int, ...] | None:
        """The shape of one row (the dataset's shape without its first axis), when all
        files agree."""
        return next(iter(self.shapes)) if len(self.shapes) == 1 else None


@dataclass
class HDF5Content:
    """What reading an HDF5Data source list and its files found."""

    files: list[HDF5File] = field(default_factory=list)
    datasets: dict[str, DatasetSummary] = field(default_factory=dict)  # per top name
    total: int | None = None  # rows of the files Caffe can load (no `problem`: every top's
    # dataset present, with axes, float or integer, of 1 to INT_MAX values, rows agreeing)
    checked: int = 0
    sampled: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class MeanReport:
    """A transform_param.mean_file: a BlobProto, as Blob::FromProto loads it.

    `legacy` is (channels, height, width) as the DataTransformer compares them with the
    datum's: Caffe's legacy accessors, which pad missing axes with 1 (a mean written
    with shape {dim: 3 dim: 32 dim: 32} has channels() 32, height() 32, width() 1!);
    None with more than 4 axes (Caffe aborts). `problem` is set when the file is missing,
    unreadable, or its value count disagrees with its shape (a FromProto CHECK)."""

    name: str
    path: Path | None
    tried: list[Path] = field(default_factory=list)
    problem: str = ""
    shape: tuple[int, ...] | None = None
    legacy: tuple[int, int, int] | None = None
    count: int | None = None  # values the shape asks for
    values: int = 0  # values the file holds
    nonfinite: int = 0
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    channel_means: list[float] = field(default_factory=list)  # over legacy channels


@dataclass(frozen=True)
class Transform:
    """A layer's transform_param, defaults filled in as Caffe reads them."""

    scale: float = 1.0
    mean_file: str | None = None
    mean_value: tuple[float, ...] = ()
    crop_size: int = 0
    mirror: bool = False
    force_color: bool = False
    force_gray: bool = False
    written: bool = False  # the layer writes a transform_param at all

    @property
    def decoding(self) -> str:
        """How the DataTransformer decodes an encoded Datum: COLOR with force_color (3
        channels), GRAY with force_gray (1), NATIVE (as stored) otherwise. With both set
        Caffe aborts at the first encoded record (its check "cannot set both force_color
        and force_gray"); NATIVE here."""
        if self.force_color == self.force_gray:
            return NATIVE
        return COLOR if self.force_color else GRAY

    @property
    def normalises(self) -> bool:
        """Whether values are scaled or centred at all (scale != 1 or a mean)."""
        return self.scale != 1.0 or self.mean_file is not None or bool(self.mean_value)


@dataclass
class LayerUse:
    """One data layer reading a source: the layer, the phase views it is in, its tops
    (data first, then label for Data/ImageData/WindowData; one per dataset for
    HDF5Data), batch size, transformation and its mean file."""

    layer: Layer
    field: str  # where the source is written, e.g. "data_param.source"
    phases: tuple[str, ...]
    tops: tuple[str, ...]
    batch_size: int
    transform: Transform
    mean: MeanReport | None = None
    options: dict = field(default_factory=dict)  # backend, root_folder, is_color, new_height...

    def location(self):
        return self.layer.location(self.field)

    @property
    def data_top(self) -> str | None:
        return self.tops[0] if self.tops else None

    @property
    def label_top(self) -> str | None:
        """The label top of a Data/ImageData/WindowData layer (None for HDF5Data)."""
        if self.layer.type == "HDF5Data":
            return None
        return self.tops[1] if len(self.tops) > 1 else None


# SourceReport.status values
OK = "ok"  # read (what was found is in records/hdf5)
NOT_FOUND = "not-found"  # the source path names nothing (see source.tried)
NO_SOURCE = "no-source"  # the layer names no source at all
UNSUPPORTED = "unsupported"  # cannot be read here: a missing package, WindowData
ERROR = "error"  # found but cannot be opened or read (problem says why)


@dataclass
class DataSource:
    """A source file a net's data layers read, as the net names it.

    `path` is where it was found (a directory for LMDB/LevelDB), None when not found;
    `tried` the places looked at. `backend` is what data_param declares (Data layers:
    "LEVELDB", Caffe's default, or "LMDB"); `found` what is really there: "lmdb" (a
    directory with data.mdb), "leveldb" (a directory with CURRENT), "hdf5", "file",
    "directory", or None. A Data source with found "lmdb" and backend "LEVELDB" is
    the classic mistake: Caffe cannot open it."""

    kind: str  # "Data", "ImageData", "HDF5Data", "WindowData"
    name: str
    path: Path | None = None
    tried: list[Path] = field(default_factory=list)
    backend: str | None = None
    found: str | None = None
    uses: list[LayerUse] = field(default_factory=list)
    # How the net finds the files the source names in turn (image files, HDF5 files):
    resolve: Callable[[str], Path | None] | None = field(default=None, repr=False, compare=False)
    locate: Callable[[str], tuple[Path | None, list[Path]]] | None = field(
        default=None, repr=False, compare=False)
    origin: str = field(default="", repr=False, compare=False)  # the net file's directory

    @property
    def format(self) -> str:
        """How the source is read: "lmdb", "leveldb", "image-list", "hdf5-list",
        "window-file"."""
        if self.kind == "Data":
            if self.found in ("lmdb", "leveldb"):
                return self.found
            return (self.backend or "LEVELDB").lower()
        return {"ImageData": "image-list", "HDF5Data": "hdf5-list"}.get(self.kind, "window-file")

    @property
    def backend_mismatch(self) -> bool:
        """A Data source whose directory is another backend's than the one declared."""
        return (self.kind == "Data" and self.found in ("lmdb", "leveldb")
                and self.found != (self.backend or "LEVELDB").lower())

    @property
    def tops(self) -> tuple[str, ...]:
        """Every top the uses feed, in order (for HDF5Data: the datasets read)."""
        return tuple(dict.fromkeys(t for u in self.uses for t in u.tops))


@dataclass
class SourceReport:
    """One source of a net and what inspecting it found.

    `records` is set for Data and ImageData sources that were read, `hdf5` for HDF5Data
    ones; `status` says whether it was read (see OK, NOT_FOUND, ...) and `problem`
    why not, in words fit for a message."""

    source: DataSource
    status: str = OK
    problem: str = ""
    records: Records | None = None
    hdf5: HDF5Content | None = None

    @property
    def kind(self) -> str:
        return self.source.kind

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def path(self) -> Path | None:
        return self.source.path

    @property
    def uses(self) -> list[LayerUse]:
        return self.source.uses

    @property
    def checked(self) -> int:
        content = self.records or self.hdf5
        return content.checked if content else 0

    @property
    def sampled(self) -> bool:
        content = self.records or self.hdf5
        return bool(content and content.sampled)

    def values(self, top: str) -> ValueStats | None:
        """The values feeding top `top`: a Data/ImageData layer's first top, an HDF5
        dataset of that name; None otherwise or when not read."""
        if self.records is not None:
            if any(u.data_top == top for u in self.uses):
                return self.records.values
            return None
        if self.hdf5 is not None and top in self.hdf5.datasets:
            return self.hdf5.datasets[top].values
        return None

    def labels(self, top: str) -> LabelStats | None:
        """The labels feeding top `top`: a Data/ImageData layer's second top, an HDF5
        dataset with one value per row; None otherwise or when not read."""
        if self.records is not None:
            if any(u.label_top == top for u in self.uses):
                return self.records.labels
            return None
        if self.hdf5 is not None and top in self.hdf5.datasets:
            return self.hdf5.datasets[top].labels
        return None
