"""How the data rules (PL301-PL316, and PL240 without --data) name what they report: a
source, its backend, the layer reading it, a record, a shape, and how much of a source
was checked.

Two wordings of "how much was checked" coexist, each kept by the rules that use it:
`records_checked` ("all 1200 records checked", the rules about reading a source,
PL302-PL308) and `checked_text` ("all 1,200 records", the rules about values and labels,
PL309-PL316).
"""

from __future__ import annotations

from typing import Callable, Iterable


def count_text(n) -> str:
    """A count with thousands separators: 1,200."""
    return f"{n:,}"


def checked_text(report) -> str:
    """"all 1,200 records" / "300 records sampled of 50,000 (--data-sample)" / "300 records
    checked" (HDF5: rows)."""
    content = report.records or report.hdf5
    unit = "rows" if report.hdf5 is not None else "records"
    checked = content.checked if content else 0
    total = content.total if content else None
    if content is not None and content.sampled:
        of = f" of {count_text(total)}" if total is not None else ""
        return f"{count_text(checked)} {unit} sampled{of} (--data-sample)"
    if total is not None and total == checked:
        return f"all {count_text(checked)} {unit}"
    return f"{count_text(checked)} {unit} checked"


def records_checked(content, unit: str = "records") -> str:
    """"all 12 records checked" / "3 of 12 records checked (--data-sample)", for a Records
    or HDF5Content (`unit`: "records", "rows", "lines")."""
    if content.sampled:
        return f"{content.checked} of {content.total} {unit} checked (--data-sample)"
    return f"all {content.checked} {unit} checked"


def what(report) -> str:
    """The source as a message names it: "LMDB 'train_lmdb'", "image list 'list.txt'"."""
    kind = {"Data": (report.source.format.upper() if report.source.format in ("lmdb", "leveldb")
                     else "database"),
            "ImageData": "image list", "HDF5Data": "HDF5 list"}.get(report.kind, "source")
    return f"{kind} '{report.name}'"


def what_top(report, top: str) -> str:
    """The source feeding `top`: what(report), with the dataset for an HDF5 list."""
    if report.hdf5 is not None:
        return f"{what(report)}, dataset '{top}'"
    return what(report)


def declared_backend(data_param) -> tuple[str, str, str]:
    """The backend DataLayer opens its source with (LEVELDB when none is written: the
    default in caffe.proto), how the layer says so, and the field to point at."""
    declared = data_param.DB.Name(data_param.backend)
    if data_param.HasField("backend"):
        return declared, f"backend {declared}", "data_param.backend"
    return declared, "no backend, so LEVELDB (Caffe's default)", "data_param.source"


def layer_text(use) -> str:
    """The layer of a LayerUse and its phases: "Data 'data' (TRAIN, TEST)"."""
    return f"{use.layer.type} '{use.layer.name}' ({', '.join(use.phases) or 'no phase'})"


def also_read_by(uses: Iterable, where: Callable | None = None,
                 note: str = "also read by") -> tuple:
    """Related notes for other layers reading a source: (where(use), "also read by Data
    'x' (TEST)") per use; `where` defaults to the use's source field."""
    where = where or (lambda u: u.location())
    return tuple((where(u), f"{note} {layer_text(u)}") for u in uses)


def ref_text(ref, kind: str) -> str:
    """A record: an image list's by its line ("line 3 ("a.png")"), others as RecordRef
    writes itself ("'00000003_a' (record 3)")."""
    if kind == "ImageData":
        return f"line {ref.index + 1} (\"{ref.shown_key}\")"
    return str(ref)


def dims_text(shape) -> str:
    """A shape as CxHxW-style text, "?" for an unknown size, "a scalar" for no axes."""
    return "x".join("?" if d is None else str(d) for d in shape) if shape else "a scalar"
