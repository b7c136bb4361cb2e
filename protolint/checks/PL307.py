"""HDF5Data sources Caffe cannot load, or whose files disagree on a top's row size."""

import math

from protolint.data.model import OK
from protolint.data.usage import used_reports
from protolint.data.wording import also_read_by, dims_text, layer_text, records_checked
from protolint.findings import Report, Severity

CODE = "PL307"
NAME = "hdf5-shape-mismatch"
SEVERITY = Severity.ERROR
TARGET = "net"
NEEDS_DATA = True
SUMMARY = ("an HDF5Data file or dataset Caffe cannot load (missing, wrong type, no axes, no "
           "values, rows disagreeing between tops), or files whose rows differ in size")

LOADED = ("Caffe aborts when it loads the file (HDF5DataLayer::LoadHDF5FileData: at set-up "
          "for the first file, later when reading reaches it)")


def _file_problems(report):
    """(key, message, fix) per kind of problem, naming the first file it happens in."""
    files = report.hdf5.files
    found_any = any(f.path is not None for f in files)
    groups: dict[tuple, list] = {}
    for f in files:
        if f.problem == "not found":
            if found_any:  # none found: PL301's warning (probably another directory)
                groups.setdefault(("missing",), []).append((f, None))
            continue
        if f.problem.startswith("cannot be opened"):
            groups.setdefault(("unopenable",), []).append((f, None))
            continue
        bad = [d for d in f.datasets.values() if d.fails]
        if bad:
            d = bad[0]  # Caffe loads the tops in order and stops at the first
            kind = "no-dataset" if d.fails in ("missing", "group") else d.fails
            groups.setdefault((kind, d.name), []).append((f, d))
        elif f.problem:  # the tops' first axes disagree
            groups.setdefault(("rows",), []).append((f, None))
    for key, members in groups.items():
        f, d = members[0]
        more = f" (and {len(members) - 1} more listed file(s))" if len(members) > 1 else ""
        name = f"HDF5 file \"{f.listed}\"{more}"
        kind = key[0]
        if kind == "missing":
            message = (f"{name} listed in \"{report.name}\" was not found, though other "
                       f"listed files were: H5Fopen fails and Caffe aborts (\"Failed opening "
                       f"HDF5 file\") when it reaches the file")
            fix = "remove the file from the list, or put it where the list says"
        elif kind == "unopenable":
            message = (f"{name} {f.problem}: H5Fopen fails and Caffe aborts (\"Failed "
                       f"opening HDF5 file\") when it reaches the file")
            fix = "rewrite the file with h5py (or remove it from the list)"
        elif kind == "no-dataset" and d.fails == "group":
            message = (f"{name}: '{d.name}' is a group, not a dataset: H5LTfind_dataset "
                       f"finds the name, but reading its number of axes fails "
                       f"(hdf5_load_nd_dataset: \"Failed to get dataset ndims\"); {LOADED}")
            fix = (f"store the top's data as a root dataset named '{d.name}' in every "
                   f"listed file")
        elif kind == "no-dataset":
            message = (f"{name} {d.problem.split(' (Caffe')[0]}: hdf5_load_nd_dataset's "
                       f"check \"Failed to find HDF5 dataset {d.name}\" fails (it looks for "
                       f"a dataset of that exact name at the file's root); {LOADED}")
            fix = (f"store the top's data as a root dataset named '{d.name}' in every "
                   f"listed file, or rename the layer's top to the dataset's name")
        elif kind == "scalar":
            message = (f"{name}: dataset '{d.name}' is a scalar: hdf5_load_nd_dataset's check "
                       f"\"ndims >= 1\" fails (a top needs at least the batch axis); {LOADED}")
            fix = "store one row per example along the dataset's first axis"
        elif kind == "dtype":
            message = (f"{name}: dataset '{d.name}' holds {d.dtype} values: "
                       f"hdf5_load_nd_dataset accepts only HDF5 float and integer classes "
                       f"(LOG(FATAL) \"Unsupported datatype class\"); {LOADED}")
            fix = "store the dataset as float32 (or float64, or an integer type)"
        elif kind == "rows":
            message = (f"{name}: {f.problem.split(' (Caffe')[0]}: HDF5DataLayer checks that "
                       f"every top has the first top's number of rows (CHECK_EQ on "
                       f"shape(0)); {LOADED}")
            fix = "give every dataset of a file the same number of rows (one per example)"
        elif kind == "empty":
            message = (f"{name}: dataset '{d.name}' has shape {dims_text(d.shape)}, no values: "
                       f"the Blob it is loaded into allocates no memory, and its check "
                       f"\"data_\" fails when the values are read in; {LOADED}")
            fix = "remove empty files from the list, or fill the dataset"
        else:
            message = (f"{name}: dataset '{d.name}' has shape {dims_text(d.shape)}, "
                       f"{math.prod(d.shape)} values: Blob::Reshape's check \"blob size "
                       f"exceeds INT_MAX\" fails; {LOADED}")
            fix = "split the file into smaller ones (each is loaded whole)"
        yield key, message, fix


def _row_sizes(report):
    """Tops whose rows hold a different number of values in different loadable files."""
    content = report.hdf5
    usable = [f for f in content.files if f.rows is not None and not f.problem]
    if len(usable) < 2:
        return
    for top in content.datasets:
        sizes: dict[int, list] = {}
        for f in usable:
            d = f.datasets.get(top)
            if d is None or d.shape is None:
                continue
            sizes.setdefault(math.prod(d.shape[1:]), []).append((f, d))
        if len(sizes) < 2:
            continue
        first_size, (first_file, first_d) = next(
            (n, members[0]) for n, members in sizes.items())
        other_size, members = next((n, m) for n, m in sizes.items() if n != first_size)
        f, d = members[0]
        ways = ", ".join(f"{n} values in {len(m)} file(s)" for n, m in sizes.items())
        reads = ("past the end of the file's data for the last rows" if other_size < first_size
                 else "only the first part of the file's data")
        yield (("row-size", top),
               f"top '{top}' has rows of different sizes: {ways} "
               f"({records_checked(content, 'rows')}): "
               f"\"{first_file.listed}\" is {dims_text(first_d.shape)} but \"{f.listed}\" is "
               f"{dims_text(d.shape)}. Caffe shapes the top once, from the first file it loads, "
               f"and copies that many values per row from every later file at row x "
               f"{first_size}: rows of {other_size} values are cut at the wrong places, "
               f"mixing neighbouring rows, and it reads {reads} (no check; with shuffle the "
               f"first file is a random one)",
               "give the dataset the same shape (after the first axis) in every listed file")


def _empty_list(report):
    content = report.hdf5
    if content.files or not any("names no HDF5 file" in n for n in content.notes):
        return
    yield (("no-files",),
           f"\"{report.name}\" lists no file: HDF5DataLayer's check \"num_files_ >= 1\" "
           f"(\"Must have at least 1 HDF5 filename listed\") fails at set-up and Caffe aborts",
           "list the HDF5 files, one path per line")


def check(net):
    for report in used_reports(net):
        if report.kind != "HDF5Data":
            continue
        if report.status != OK or report.hdf5 is None:
            continue
        first = report.uses[0]
        for _, message, fix in (*_empty_list(report), *_file_problems(report),
                                *_row_sizes(report)):
            yield Report(
                first.location(),
                f"{layer_text(first)}: {message}",
                fix,
                related=also_read_by(report.uses[1:]),
            )
