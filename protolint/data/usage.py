"""How a net uses the sources it reads: which phases hold a data layer, who reads its tops
(as data or as labels), which learned layers the values reach at the scale they were
loaded with, and the record shapes each layer's DataTransformer sees.

Shared by the data rules (PL301-PL316); nothing here reads a file.
"""

from __future__ import annotations

from protolint.data.model import OK


def used_reports(net) -> list:
    """The source reports of `net` (net.data_reports: None without --data) that some
    layer reads."""
    return [r for r in net.data_reports or () if r.uses]


def mean_uses(reports, keep) -> dict[str, list]:
    """The layer uses naming a mean file (use.mean set) that `keep(use)` picks, by mean
    file name, in layer order."""
    found: dict[str, list] = {}
    for report in reports:
        for use in report.uses:
            if use.mean is not None and keep(use):
                found.setdefault(use.mean.name, []).append(use)
    return found


def mean_location(use):
    """Where `use`'s layer names its mean file."""
    return use.layer.location("transform_param.mean_file")


def views_of(net, layer) -> list:
    """The phase views of `net` that include `layer`."""
    return [v for v in net.views if layer in v.layers]


def top_index(layer, top: str) -> int | None:
    tops = list(layer.tops)
    return tops.index(top) if top in tops else None


def reads(net, use, top: str) -> bool:
    """Whether some layer reads `top` of the data layer `use` in some phase."""
    i = top_index(use.layer, top)
    if i is None:
        return False
    return any(v.readers(use.layer, i) for v in views_of(net, use.layer))


LABEL_READERS = ("Accuracy",)  # besides every *Loss layer: bottoms after the first are labels


def label_slot_only(net, use, top: str) -> bool:
    """Whether every layer reading `top` reads it as a label or target (a bottom after the
    first of a loss or Accuracy layer)."""
    i = top_index(use.layer, top)
    if i is None:
        return False
    edges = [e for v in views_of(net, use.layer) for e in v.readers(use.layer, i)]
    return bool(edges) and all(
        e.slot >= 1 and (e.layer.type.endswith("Loss") or e.layer.type in LABEL_READERS)
        for e in edges)


# Layers that pass their input's values on at the same scale (a subset, a copy, a max or
# an average, a reshaping, ReLU of the non-negative part): data reaching a learned layer
# through them arrives at the scale it was loaded with.
SCALE_KEEPING = {"Split", "Concat", "Slice", "Reshape", "Flatten", "Crop", "Pooling",
                 "Dropout", "ReLU", "Tile", "SPP"}
# Layers whose output is the input times learned weights.
LEARNED = {"Convolution", "Deconvolution", "InnerProduct", "RNN", "LSTM"}


def first_learned(view, layer, top: int, limit: int = 32) -> list:
    """The learned layers (Convolution, InnerProduct...) that `layer`'s top `top` reaches
    through layers keeping its scale only (SCALE_KEEPING). A path through anything else
    (BatchNorm, MVN, LRN, Power, Scale, Eltwise, a loss, an unknown type...) is not
    followed: it may rescale the values."""
    found = []
    seen = set()
    todo = [(layer, top)]
    while todo and len(seen) < limit:
        producer, t = todo.pop(0)
        for edge in view.readers(producer, t):
            reader = edge.layer
            if reader.problems:
                continue
            if reader.type in LEARNED:
                if reader not in found:
                    found.append(reader)
            elif reader.type in SCALE_KEEPING:
                if reader.type == "Crop" and edge.slot != 0:
                    continue  # Crop's second bottom only gives the shape
                if reader.index in seen:
                    continue
                seen.add(reader.index)
                todo.extend((reader, j) for j in range(len(reader.tops)))
    return found


def reached(net, use, top: str) -> list:
    """The learned layers `top` of `use` reaches at its loaded scale, over every phase
    (see first_learned)."""
    i = top_index(use.layer, top)
    if i is None:
        return []
    out = []
    for view in views_of(net, use.layer):
        for layer in first_learned(view, use.layer, i):
            if layer not in out:
                out.append(layer)
    return out


def data_inputs(net):
    """(report, top, ValueStats, uses producing it) of every top of the net's inspected
    sources that carries values into the net (not the label top of a Data/ImageData
    layer)."""
    for report in net.data_reports or ():
        if report.status != OK:
            continue
        if report.records is not None:
            uses = [u for u in report.uses if u.data_top]
            for top in dict.fromkeys(u.data_top for u in uses):
                yield report, top, report.records.values, [u for u in uses if u.data_top == top]
        elif report.hdf5 is not None:
            for top, summary in report.hdf5.datasets.items():
                uses = [u for u in report.uses if top in u.tops]
                if uses:
                    yield report, top, summary.values, uses


def other_uses(report, uses=None) -> tuple:
    """Related notes for the data layers after the first (of `uses`, by default all the
    source's) reading the same source."""
    uses = report.uses if uses is None else uses
    return tuple((u.location(), f"{u.layer.type} '{u.layer.name}' ({', '.join(u.phases)}) "
                  "reads the same source") for u in uses[1:])


def shapes_seen(rec, transform) -> tuple[dict, bool]:
    """{(C, H, W): [count, first RecordRef]} of the records (a Records) as a layer with
    this Transform sees them, and whether their channel counts are known.

    The reading already decoded encoded Datums as the layer's DataTransformer does
    (force_color: 3 channels, force_gray: 1, else as stored: see
    Transform.decoding), so these are the records' own shapes, except that a
    transform_param setting both flags on a source holding encoded records leaves the
    channel counts unknown (C is None: Caffe aborts on the pair at the first encoded
    record, which PL235 reports). Records with a non-positive dimension are left out
    (their payload cannot fit them: see Records.size_mismatch)."""
    known = not (transform.force_color and transform.force_gray and rec.storage.get("encoded"))
    out: dict = {}
    for (c, h, w), seen in rec.shapes.items():
        if c <= 0 or h <= 0 or w <= 0:
            continue
        key = (c if known else None, h, w)
        entry = out.get(key)
        if entry is None:
            out[key] = [seen.count, seen.first]
        else:
            entry[0] += seen.count
            if seen.first.index < entry[1].index:
                entry[1] = seen.first
    return out, known


def top_shapes(report, use) -> dict[str, tuple[int, ...]]:
    """The shapes a data layer's tops get from what its source holds, as Caffe shapes
    them from the first record (Data, ImageData: batch x C x H x W, the crop replacing H
    and W; a resize in ImageData is left to shape inference) or from the datasets
    (HDF5Data: batch x one row's shape, when every file agrees). Tops the data cannot
    tell are left out."""
    out: dict[str, tuple[int, ...]] = {}
    batch = use.batch_size
    if batch <= 0:
        return out
    if report.records is not None and use.data_top:
        seen, known = shapes_seen(report.records, use.transform)
        if seen and known:
            (c, h, w), _ = min(seen.items(), key=lambda item: item[1][1].index)
            crop = use.transform.crop_size
            resized = use.options.get("new_height") and use.options.get("new_width")
            if not resized:
                out[use.data_top] = (batch, c, crop or h, crop or w)
        if use.label_top:
            out[use.label_top] = (batch,)
    if report.hdf5 is not None:
        for top in use.tops:
            summary = report.hdf5.datasets.get(top)
            if summary is not None and summary.row_shape is not None:
                out[top] = (batch, *summary.row_shape)
    return out
