"""ImageData sources: a text file of "path label" lines.

As ImageDataLayer reads it: lines as std::getline splits them (on "\\n"; a "\\r" stays
in the line), split at the LAST space: the path before it, the label after it read with
atoi (so "3.7" is 3 and "cat" is 0; a line without a space is its own path and label).
The image file is root_folder + path - string concatenation, so a root_folder without a
trailing "/" glues onto the name - decoded by OpenCV in colour (3 channels, BGR) or
grey by is_color, and resized to new_width x new_height when both are set.

Image files are looked for the way the net's other paths are (net.resolve: the working
directory, the net's directory and its parents, --root); once one is found under some
directory, the next ones are tried there first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

import numpy as np

from protolint.data import imaging
from protolint.data.datum import Refs, RecordsBuilder
from protolint.data.dbs import sample_positions
from protolint.data.model import RecordRef

_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_FLUSH_BYTES = 8 << 20
_PROGRESS_EVERY = 64


def list_lines(text: bytes) -> list[bytes]:
    """The lines std::getline yields."""
    lines = text.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return lines


def atoi(token: str) -> int:
    """C's atoi: leading blanks, a sign, digits; 0 when there are none (int32 wraps)."""
    m = re.match(r"\s*([+-]?\d+)", token)
    if not m:
        return 0
    value = int(m.group(1))
    return (value + 2**31) % 2**32 - 2**31


class FileFinder:
    """Finds files named relative to wherever Caffe runs, remembering the directories
    that worked."""

    def __init__(self, resolve: Callable[[str], Path | None]):
        self.resolve = resolve
        self.bases: list[Path] = []

    def __call__(self, name: str) -> Path | None:
        """The file `name` is, or None; a name the file system refuses to look up (too
        long, a NUL byte) is not found either, as Caffe's open of it fails."""
        try:
            return self._find(name)
        except (OSError, ValueError):
            return None

    def _find(self, name: str) -> Path | None:
        target = Path(name)
        if target.is_absolute():
            return target if target.is_file() else None
        for base in self.bases:
            candidate = base / target
            if candidate.is_file():
                return candidate
        found = self.resolve(name)
        if found is not None and len(target.parts) <= len(found.parts):
            base = found.parents[len(target.parts) - 1]
            if base not in self.bases:
                self.bases.insert(0, base)
                del self.bases[4:]
        return found


def read_image_list(list_path: Path, options: dict, resolve: Callable[[str], Path | None],
                    sample: int | None, progress, out: RecordsBuilder) -> tuple[int, bool]:
    """Check the lines of an image list (all, or `sample` spread over it) into `out`.
    Returns (lines in the list, whether sampled)."""
    lines = list_lines(list_path.read_bytes())
    total = len(lines)
    picked = sample_positions(total, sample)
    rows = range(total) if picked is None else picked
    root = options.get("root_folder", "")
    mode = imaging.COLOR if options.get("is_color", True) else imaging.GRAY
    h, w = options.get("new_height", 0), options.get("new_width", 0)
    size = (w, h) if h > 0 and w > 0 else None
    decoding = imaging.available()
    if not decoding and total:
        out.notes.append("images not decoded: Pillow is not installed (pip install pillow)")
    find = FileFinder(resolve)
    groups: dict[tuple, list[np.ndarray]] = {}
    held = 0
    hinted = False
    pending = 0
    for i in rows:
        raw = lines[i].decode("utf-8", "surrogateescape")
        out.checked += 1
        pos = raw.rfind(" ")
        name, token = (raw[:pos], raw[pos + 1:]) if pos >= 0 else (raw, raw)
        path_text = root + name
        ref = RecordRef(i, path_text)
        if pos < 0:
            out.malformed.add(ref, reason=f"line {i + 1} has no space between a path and a label")
        label = atoi(token)
        out.labels.count(label, 1)
        out.labels.set_first(label, ref)
        if not _INTEGER.fullmatch(token):
            out.labels.non_integer.add(ref, reason=f"label {token.strip()!r} is read as {label}")
        found = find(path_text) if path_text else None
        if found is None:
            out.missing.add(ref, reason="not found")
            if not hinted and root and not root.endswith("/") and find(root + "/" + name):
                hinted = True
                out.notes.append(f"root_folder {root!r} has no trailing '/': Caffe looks for "
                                 f"{path_text!r}, but {root + '/' + name!r} exists")
        elif not decoding:
            out.unchecked += 1
        else:
            try:
                img = imaging.decode(str(found), mode, size)
            except imaging.NotChecked:
                img = None
            if img is None:  # too large to decode here
                out.unchecked += 1
            elif isinstance(img, str):
                out.undecodable.add(ref, reason=img)
            else:
                out.store("uint8")
                out.shape(img.shape, 1, Refs(i, keys=[path_text]), 0)
                groups.setdefault(img.shape, []).append(img.reshape(img.shape[0], -1))
                held += img.nbytes
                if held >= _FLUSH_BYTES or len(groups[img.shape]) >= 4096:
                    _flush(out, groups)
                    held = 0
        pending += 1
        if progress is not None and pending >= _PROGRESS_EVERY:
            progress(pending)
            pending = 0
    _flush(out, groups)
    if progress is not None and pending:
        progress(pending)
    return total, picked is not None


def _flush(out: RecordsBuilder, groups: dict) -> None:
    for arrays in groups.values():
        out.values.add_uint8(np.stack(arrays))
    groups.clear()
