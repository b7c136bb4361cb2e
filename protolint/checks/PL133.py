"""A snapshot_prefix in a directory that does not exist where the solver runs."""

import os
from pathlib import Path

from protolint.findings import Report, Severity

CODE = "PL133"
NAME = "snapshot-directory-missing"
SEVERITY = Severity.WARNING
TARGET = "solver"
SUMMARY = ("snapshot_prefix names a directory that does not exist where the train net was "
           "found: Caffe aborts at start-up, or after the last iteration losing the run")


def _when(param) -> str | None:
    """When Caffe first writes a snapshot file, and what failing to then costs."""
    if param.snapshot > 0:
        return ("Solver::Init's CheckSnapshotWritePermissions cannot create its probe file "
                "there and aborts before the first iteration (\"Cannot write to snapshot "
                "prefix\")")
    if param.snapshot_after_train:
        check = ("net.cpp's \"Couldn't open ... to save weights\""
                 if param.snapshot_format == param.HDF5
                 else "WriteProtoToBinaryFile's CHECK")
        return ("with `snapshot` 0 the first file written is the final snapshot `caffe "
                "train` takes (snapshot_after_train): after the last iteration it cannot be "
                f"opened, {check} fails, and the weights of the whole run are lost")
    return None  # nothing is ever written


def _shown(directory: Path) -> str:
    """A directory relative to the working directory when below it."""
    try:
        below = directory.relative_to(Path.cwd())
    except ValueError:
        return str(directory)
    return f"{below}/" if below.parts else "the working directory"


def check(solver):
    param = solver.param
    if not param.HasField("snapshot_prefix"):
        return  # derived from the solver file's own path, whose directory exists
    prefix = param.snapshot_prefix
    folder = os.path.dirname(prefix)  # "snapshots/" and "snapshots/net" write into snapshots
    if not folder:
        return  # the directory Caffe runs in
    when = _when(param)
    if when is None:
        return
    if os.path.isabs(prefix):
        base = None
        if not any(u.role == "train" and u.net is not None and not u.net.inline
                   for u in solver.uses):
            return  # no train net file here: this may not be the machine it runs on
    else:
        base = solver.run_directory
        if base is None:
            return  # where Caffe runs is unknown: nothing to check against
    root = base or Path()  # joined with an absolute path, it is that path
    if (root / prefix).is_dir() or (root / folder).is_dir():
        return  # an existing directory is written into (UpgradeSnapshotPrefixProperty)
    where = "on this machine"
    if base is not None:
        where = (f"in {_shown(base)}, where the train net was found (Caffe opens both "
                 "relative to the directory it runs in)")
    yield Report(
        solver.location("snapshot_prefix"),
        f"snapshot_prefix \"{prefix}\" writes into the directory \"{folder}\", which does not "
        f"exist {where}: {when}",
        f"create it before training (`mkdir -p {folder}`: git keeps no empty directory, so a "
        "fresh clone lacks it), or point snapshot_prefix at an existing directory",
    )
