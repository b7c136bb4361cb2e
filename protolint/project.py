"""Everything one lint run reads: documents (each file once), nets and solvers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from protolint.config import Config
from protolint.document import NET, SOLVER, UNKNOWN, Document
from protolint.net import Net
from protolint.solver import Solver, search_paths
from protolint.textformat import MESSAGE, Field

PROTOTXT_SUFFIXES = (".prototxt",)


STDIN = "-"  # the path that names standard input


def expand(paths: list[str], stdin_name: str | None = None) -> list[tuple[Path, str]]:
    """Files to lint, each with the path to show: a file as given, a directory as every
    *.prototxt below it (hidden directories skipped), in a stable order; `-` is standard
    input, shown and placed as `stdin_name` when given. A directory yields only regular
    files (not a dangling link, a FIFO or a socket that happens to end in .prototxt); a
    path named on its own is read whatever it is (`<(git show ...)` is a pipe). Raises
    FileNotFoundError for a path that does not exist."""
    out: list[tuple[Path, str]] = []
    for given in paths:
        p = Path(given)
        if given == STDIN:
            out.append((Path(stdin_name or STDIN), stdin_name or STDIN))
        elif p.is_dir():
            found = []
            for dirpath, dirnames, filenames in os.walk(p):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(path for path in (os.path.join(dirpath, f) for f in filenames
                                               if f.endswith(PROTOTXT_SUFFIXES))
                             if os.path.isfile(path))
            out.extend((Path(f), f) for f in sorted(found))
        elif p.exists():
            out.append((p, given))
        else:
            raise FileNotFoundError(given)
    return out


class Project:
    def __init__(self, cwd: Path | None = None, roots: list[Path] | None = None,
                 input_shapes: dict[str, tuple[int, ...]] | None = None,
                 configure: Callable[[Path], Config] | None = None,
                 supplied: dict[Path, bytes] | None = None):
        self.cwd = (cwd or Path.cwd()).resolve()
        # Texts given instead of read from disk (standard input), by resolved path.
        self.supplied = supplied or {}
        self.roots = [r.resolve() for r in roots or []]
        self.input_shapes = input_shapes or {}
        self.configure = configure  # the configuration for a file, set on each document
        self.documents: dict[Path, Document] = {}
        self.nets: list[Net] = []
        self.solvers: list[Solver] = []
        self._file_nets: dict[Path, Net] = {}
        self._inline_nets: dict[tuple[Path, int], Net] = {}
        self._solver_docs: set[Path] = set()
        self.given: dict[Path, str] = {}

    def expect(self, files: list[tuple[Path, str]]) -> None:
        """Remember how the command line names these files, for any order of loading."""
        for path, display in files:
            self.given.setdefault(path.resolve(), display)

    def display(self, path: Path) -> str:
        """A path relative to the working directory when below it, else absolute."""
        try:
            return str(path.relative_to(self.cwd))
        except ValueError:
            return str(path)

    def document(self, path: Path, display: str | None = None) -> Document:
        """Read a file once (raises OSError when it cannot be read)."""
        key = path.resolve()
        doc = self.documents.get(key)
        if doc is None:
            shown = display or self.given.get(key) or self.display(key)
            data = self.supplied.get(key)
            doc = (Document.read(path, shown) if data is None
                   else Document.decode(path, shown, data))
            if self.configure is not None:
                doc.config = self.configure(path)
            self.documents[key] = doc
        return doc

    def lint_file(self, path: Path, display: str) -> Document:
        """A file named on the command line: a net is linted in TRAIN and TEST, a solver
        together with the nets it uses."""
        doc = self.document(path, display)
        if doc.kind == NET:
            self._net_of(doc).default_states()
        elif doc.kind == SOLVER:
            self._solver_of(doc)
        return doc

    def _solver_of(self, doc: Document) -> None:
        key = doc.path.resolve()
        if key not in self._solver_docs:
            self._solver_docs.add(key)
            self.solvers.append(Solver(doc, self))

    def _net_of(self, doc: Document) -> Net:
        key = doc.path.resolve()
        net = self._file_nets.get(key)
        if net is None:
            net = Net(doc, doc.message, doc.tree.root, upgrade=True,
                      resolve=lambda name: self.resolve(name, doc.path)[0],
                      locate=lambda name: self.locate(name, doc.path),
                      input_shapes=self.input_shapes)
            self._file_nets[key] = net
            self.nets.append(net)
        return net

    def inline_net(self, doc: Document, f: Field) -> Net | None:
        """A net written inside a solver (`net_param { ... }`); Caffe does not upgrade it."""
        if f.kind != MESSAGE:
            return None
        key = (doc.path.resolve(), f.start)
        net = self._inline_nets.get(key)
        if net is None:
            param = getattr(doc.message, f.name)
            if f.name.startswith("test_"):
                index = [g.start for g in doc.tree.root.all(f.name) if g.kind == MESSAGE].index(f.start)
                param = param[index]
            net = Net(doc, param, f.value, upgrade=False,
                      resolve=lambda name: self.resolve(name, doc.path)[0],
                      locate=lambda name: self.locate(name, doc.path),
                      input_shapes=self.input_shapes)
            self._inline_nets[key] = net
            self.nets.append(net)
        return net

    def resolve(self, name: str, owner: Path) -> tuple[Path | None, list[Path]]:
        """The file a path written in `owner` refers to (see search_paths), or None, and
        every place tried."""
        candidates = search_paths(name, self.cwd, owner.resolve().parent, self.roots)
        return next((c for c in candidates if c.is_file()), None), candidates

    def locate(self, name: str, owner: Path) -> tuple[Path | None, list[Path]]:
        """Like resolve, for a path that may name a directory (an LMDB or LevelDB)."""
        candidates = search_paths(name, self.cwd, owner.resolve().parent, self.roots)
        return next((c for c in candidates if c.exists()), None), candidates

    def net_file(self, name: str, solver_path: Path) -> tuple[Net | None, list[str], str]:
        """Find and load a net file a solver names: (net, places searched, problem); a
        net that loads has searched just the place it was found at."""
        candidate, candidates = self.resolve(name, solver_path)
        if candidate is None:
            return None, [str(c) for c in candidates], "not found"
        try:
            doc = self.document(candidate)
        except OSError as exc:
            return None, [str(candidate)], f"cannot be read: {exc.strerror or exc}"
        if doc.syntax_error is not None:
            return None, [str(candidate)], "does not parse (see its own findings)"
        if doc.kind == SOLVER:
            return None, [str(candidate)], "is a solver file, not a net"
        if doc.kind == UNKNOWN:
            return None, [str(candidate)], "is not a Caffe net"
        return self._net_of(doc), [str(candidate)], ""
