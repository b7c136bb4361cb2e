"""The data sources a net reads: each data layer's source field, found on disk.

Data, ImageData, HDF5Data and WindowData name files; MemoryData, Input, Python and
DummyData do not. A layer that no phase view includes is skipped (Caffe never builds
it). Layers naming the same file (the TRAIN and TEST copies of a data layer, say)
share one DataSource, so the file is read once - unless they decode it differently,
as Caffe then feeds them different records: ImageData layers by is_color, new_height
and new_width, Data layers by how their transform_param decodes encoded images
(Transform.decoding: force_color, force_gray).

Paths are found like the net's other paths (net.resolve: relative to the working
directory, then the net file's directory and its parents, then --root). A database is a
directory, which net.resolve (files only) does not find: it is looked for through its
marker file, data.mdb for LMDB and CURRENT for LevelDB, which also tells what the
directory really is whatever backend the layer declares.
"""

from __future__ import annotations

from pathlib import Path

from protolint.data.blob import mean_report
from protolint.data.model import DataSource, LayerUse, MeanReport, Transform

DATA_LAYERS = {
    "Data": "data_param",
    "ImageData": "image_data_param",
    "HDF5Data": "hdf5_data_param",
    "WindowData": "window_data_param",
}
NO_FILE_LAYERS = ("MemoryData", "Input", "Python", "DummyData")

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def tried_paths(net, name: str) -> list[Path]:
    """Every place `name` was looked for. Uses `net.locate(name) -> (path, tried)` when
    the net offers it (it knows the project's working directory and --root dirs);
    otherwise rebuilds the search from this process's working directory and the net's
    directory (without --root)."""
    locate = getattr(net, "locate", None)
    if callable(locate):
        try:
            return list(locate(name)[1])
        except (TypeError, ValueError, IndexError, OSError):  # another signature: ours
            pass
    from protolint.solver import search_paths

    owner = Path(net.doc.path).resolve().parent
    return search_paths(name, Path.cwd(), owner, [])


def locate_file(net, name: str) -> tuple[Path | None, list[Path]]:
    """(the file `name` refers to, or None; the places tried when not found)."""
    if not name:
        return None, []
    found = net.resolve(name)
    if found is not None:
        return found, []
    return None, tried_paths(net, name)


def what_is(path: Path) -> str:
    """"lmdb", "leveldb", "directory", "hdf5" or "file"."""
    if path.is_dir():
        if (path / "data.mdb").is_file():
            return "lmdb"
        if (path / "CURRENT").is_file():
            return "leveldb"
        return "directory"
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return "file"
    return "hdf5" if head == HDF5_SIGNATURE else "file"


def locate_db(net, name: str, backend: str) -> tuple[Path | None, str | None, list[Path]]:
    """(directory, what it is, places tried) for a Data layer's source."""
    if not name:
        return None, None, []
    base = name.rstrip("/") or name
    markers = [("data.mdb", "lmdb"), ("CURRENT", "leveldb")]
    if backend != "LMDB":
        markers.reverse()
    for marker, kind in markers:
        found = net.resolve(f"{base}/{marker}")
        if found is not None:
            return found.parent, kind, []
    found = net.resolve(name)
    if found is not None:
        return found, what_is(found), []
    tried = tried_paths(net, name)
    for candidate in tried:
        if candidate.is_dir():
            return candidate, "directory", tried
    return None, None, tried


def transform_of(param) -> Transform:
    t = param.transform_param
    return Transform(
        scale=t.scale,
        mean_file=t.mean_file if t.HasField("mean_file") else None,
        mean_value=tuple(t.mean_value),
        crop_size=t.crop_size,
        mirror=t.mirror,
        force_color=t.force_color,
        force_gray=t.force_gray,
        written=param.HasField("transform_param"),
    )


def _options(layer) -> dict:
    p = layer.param
    kind = layer.type
    if kind == "Data":
        q = p.data_param
        return {"backend": q.DB.Name(q.backend), "batch_size": q.batch_size,
                "rand_skip": q.rand_skip}
    if kind == "ImageData":
        q = p.image_data_param
        return {"root_folder": q.root_folder, "is_color": q.is_color,
                "new_height": q.new_height, "new_width": q.new_width,
                "shuffle": q.shuffle, "batch_size": q.batch_size, "rand_skip": q.rand_skip}
    if kind == "HDF5Data":
        q = p.hdf5_data_param
        return {"batch_size": q.batch_size, "shuffle": q.shuffle}
    q = p.window_data_param
    return {"batch_size": q.batch_size}


def find_sources(net) -> list[DataSource]:
    """The sources of `net`'s data layers, in the order the layers come, each with the
    layers (and phases) reading it and their transformations' mean files read."""
    views = net.views
    sources: dict[tuple, DataSource] = {}
    means: dict[str, MeanReport] = {}
    for layer in net.layers:
        field_name = DATA_LAYERS.get(layer.type)
        if field_name is None:
            continue
        phases = tuple(v.phase_name for v in views if layer in v.layers)
        if views and not phases:
            continue
        param = getattr(layer.param, field_name)
        name = param.source
        options = _options(layer)
        backend = options.get("backend")
        if layer.type == "Data":
            path, found, tried = locate_db(net, name, backend)
        else:
            path, tried = locate_file(net, name)
            found = what_is(path) if path is not None else None
        where = str(path) if path is not None else name
        transform = transform_of(layer.param)
        if layer.type == "Data":
            key = (layer.type, where, backend)
            if found in ("lmdb", "leveldb"):  # records to decode: as this layer does
                key += (transform.decoding,)
        elif layer.type == "ImageData":
            key = (layer.type, where, options["root_folder"], options["is_color"],
                   options["new_height"], options["new_width"])
        else:
            key = (layer.type, where)
        source = sources.get(key)
        if source is None:
            source = sources[key] = DataSource(
                layer.type, name, path, tried, backend, found,
                resolve=net.resolve, locate=lambda n, net=net: locate_file(net, n),
                origin=str(Path(net.doc.path).resolve().parent))
        mean = None
        if transform.mean_file is not None:
            mean = means.get(transform.mean_file)
            if mean is None:
                mean = means[transform.mean_file] = mean_report(
                    transform.mean_file, *locate_file(net, transform.mean_file))
        source.uses.append(LayerUse(
            layer=layer, field=f"{field_name}.source", phases=phases,
            tops=tuple(layer.tops), batch_size=options["batch_size"],
            transform=transform, mean=mean, options=options))
    return list(sources.values())
