"""Data inspection: read the files a net's data layers name and summarise what is in them.

Rules about the data itself (NaN pixels, labels beyond num_output, raw 0-255 values fed
without scale or mean, datum sizes against crop_size and the mean file, HDF5 shapes
against the net's, sources that do not exist or cannot be opened...) read the reports
this package builds. Importing it needs nothing beyond protolint; reading needs numpy,
and per format lmdb, plyvel (LevelDB), h5py, Pillow (images): a missing one turns into a
report saying so (status UNSUPPORTED, or `Records.unchecked` for images), never an
exception.

Public API
----------

inspect_net(net, sample=None, progress=None) -> list[SourceReport]
    Every source of `net`'s data layers (Data, ImageData, HDF5Data, WindowData; layers no
    phase includes are skipped), in layer order, each read once even when several layers
    or phases use it (layers decoding it differently - ImageData's is_color and resizing,
    Data's force_color/force_gray - get a source each, as Caffe feeds them different
    records). The reports are kept per net and `sample` (every rule asking gets
    the same objects) and the readings per file version and `sample` (other nets naming
    the same file share them); clear_cache() forgets both. `sample=N` checks at most N
    records spread over the source (one from each of N equal stretches: see
    dbs.sample_positions, and dbs.py for what it costs on each backend) instead of all;
    `progress(n)` is called with each number of records just checked (an increment, like
    click's ProgressBar.update).

find_sources(net) -> list[DataSource]
    Just the sources, found on disk (no records read), with the layers using them.

inspect_source(source, sample=None, progress=None) -> SourceReport
expected_records(source, sample=None) -> int | None   (a progress bar's length, cheaply)
read_blob(path) -> Blob | str; mean_report(name, path, tried) -> MeanReport

What a SourceReport holds (model.py documents every field)
----------------------------------------------------------

report.source: DataSource - kind (layer type), name (as written), path (None: not
    found; `tried` lists where it was looked for), backend (Data: declared, "LEVELDB"
    by default) and found ("lmdb", "leveldb", "hdf5", "file", "directory": what is
    really there; `backend_mismatch`), and `uses`: LayerUse per layer reading it
    (layer, phases, tops, batch_size, transform: Transform(scale, mean_file,
    mean_value, crop_size, mirror, force_color, force_gray), mean: MeanReport for a
    mean_file (shape, legacy (C, H, W) as Caffe compares it, nonfinite, min, max,
    channel_means, problem), options).
report.status / report.problem: OK, NOT_FOUND, NO_SOURCE, UNSUPPORTED (missing package,
    WindowData), ERROR (cannot be opened: corrupt, not a database...).
report.records: Records (Data, ImageData) - total, checked, sampled; shapes
    {(C, H, W): ShapeCount(count, first)}; storage {"uint8"|"float"|"encoded"|"empty":
    n}; values: ValueStats (per-channel min/max/mean/std, nan/posinf/neginf and
    first_nonfinite, integral, constant); labels: LabelStats (counts per value, first
    record per value, non_integer, nonfinite, missing, min/max, share()); undecodable,
    size_mismatch, missing (image files), malformed (list lines): Tally(count, first few
    records, why); unchecked; notes.
report.hdf5: HDF5Content (HDF5Data) - files: HDF5File per listed file (path, problem,
    rows, datasets {top: DatasetInfo(shape, dtype, kind, problem, fails, values,
    labels)}, others); datasets {top: DatasetSummary(shapes without the batch axis -> files,
    dtypes, rows, values, labels)}; total (rows of the files Caffe can load), checked,
    sampled.
report.values(top) / report.labels(top): the ValueStats / LabelStats feeding a top.
Records are named by RecordRef(index in Caffe's reading order, key).

As Caffe reads them (BVLC caffe: data_layer.cpp, data_transformer.cpp, db_lmdb.cpp,
db_leveldb.cpp, image_data_layer.cpp, hdf5_data_layer.cpp, util/hdf5.cpp, io.cpp,
blob.cpp): a Datum's pixels are `data` when it is non-empty, else `float_data`, laid
out C x H x W; an encoded Datum is decoded first (unchanged channels unless
force_color/force_gray); the label is the int32 `label` (0 when absent). A mean file is
compared through Blob's legacy channels()/height()/width(). Image list lines split at
their last space, labels read with atoi, files named root_folder + path. HDF5 lists split
on whitespace; datasets are read whole as float (float or integer HDF5 types only), the
first axis is the batch axis and must agree across tops (checked in Caffe's order: see
hdf5.py). Statistics: stats.py.

What the data rules share about the nets reading the sources (nothing read from disk):
usage.py (who reads a source's tops, where its values go, the shapes each layer sees),
labels.py (the classifiers reading its labels, K, ignore labels), wording.py (how the
rules name sources, layers, records and how much was checked).
"""

from protolint.data.blob import Blob, mean_report, read_blob
from protolint.data.engine import clear_cache, expected_records, inspect_net, inspect_source
from protolint.data.model import (ERROR, NO_SOURCE, NOT_FOUND, OK, UNSUPPORTED, ChannelStats,
                                  DatasetInfo, DatasetSummary, DataSource, HDF5Content,
                                  HDF5File, LabelStats, LayerUse, MeanReport, RecordRef, Records,
                                  ShapeCount, SourceReport, Tally, Transform, ValueStats)
from protolint.data.sources import DATA_LAYERS, find_sources

__all__ = [
    "inspect_net", "inspect_source", "find_sources", "expected_records", "clear_cache",
    "read_blob", "mean_report", "Blob",
    "SourceReport", "DataSource", "LayerUse", "Transform", "MeanReport", "Records",
    "ValueStats", "ChannelStats", "LabelStats", "ShapeCount", "Tally", "RecordRef",
    "HDF5Content", "HDF5File", "DatasetInfo", "DatasetSummary", "DATA_LAYERS",
    "OK", "NOT_FOUND", "NO_SOURCE", "UNSUPPORTED", "ERROR",
]
