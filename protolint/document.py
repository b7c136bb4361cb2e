"""One prototxt file: its text, located tree, kind and `caffe_pb2` message."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Iterator

from protolint import messages
from protolint.config import Config
from protolint.findings import Location, Report
from protolint.schema import caffe_pb2
from protolint.textformat import LineIndex, Message, ParseError, Tree, parse

NET, SOLVER, UNKNOWN = "net", "solver", "unknown"


@cache
def _kind_fields() -> tuple[frozenset[str], frozenset[str]]:
    pb = caffe_pb2()
    net = {f.name for f in pb.NetParameter.DESCRIPTOR.fields}
    solver = {f.name for f in pb.SolverParameter.DESCRIPTOR.fields}
    return frozenset(net - solver), frozenset(solver - net)


def detect_kind(root: Message) -> str:
    """Net or solver, from the top-level field names: Caffe files carry no header, and
    names like `train_val.prototxt` say nothing reliable."""
    net_only, solver_only = _kind_fields()
    names = {f.name for f in root.fields}
    net_votes = len(names & net_only)
    solver_votes = len(names & solver_only)
    if net_votes == solver_votes == 0:
        return UNKNOWN
    if net_votes == solver_votes:
        return NET if names & {"layer", "layers"} else SOLVER
    return NET if net_votes > solver_votes else SOLVER


class Document:
    """A parsed file. `syntax_error` is set when the text could not be parsed at all;
    otherwise `tree` holds the located tree and, for a net or solver, `message` the
    protobuf message with the fields Caffe's parser would reject left out (`problems`)."""

    def __init__(self, path: Path, display: str, text: str,
                 undecodable: dict[int, int] | None = None):
        self.path = path
        self.display = display
        self.text = text
        self.lines = LineIndex(text)
        self.tree: Tree | None = None
        self.syntax_error: ParseError | None = None
        self.kind = UNKNOWN
        self.message = None
        self.problems: list[messages.Problem] = []
        self.config = Config()  # the configuration that applies to this file
        self._parse(undecodable or {})

    def _parse(self, undecodable: dict[int, int]) -> None:
        try:
            self.tree = parse(self.text)
        except ParseError as exc:
            byte = undecodable.get(exc.start)
            if byte is not None:  # the tokenizer stopped at a byte that is not UTF-8
                exc = ParseError(
                    f"byte 0x{byte:02x} is not UTF-8 text (a binary file, or text in "
                    "another encoding): Caffe's parser takes such bytes only inside "
                    "comments and strings", exc.start)
            self.syntax_error = exc
            return
        self.kind = detect_kind(self.tree.root)
        pb = caffe_pb2()
        if self.kind == NET:
            self.message = pb.NetParameter()
        elif self.kind == SOLVER:
            self.message = pb.SolverParameter()
        else:
            return
        self.problems = messages.fill(self.tree.root, self.message)

    def location(self, start: int, end: int) -> Location:
        return Location(self, start, end)

    def problem_reports(self, kind: str, fix: str) -> Iterator[Report]:
        """A Report for each parse problem of `kind` (see messages.py); a close spelling,
        when there is one, is offered as the fix instead of `fix`."""
        for problem in self.problems:
            if problem.kind == kind:
                hint = f"did you mean `{problem.suggestions[0]}`?" if problem.suggestions else fix
                yield Report(self.location(problem.start, problem.end), problem.message, hint)

    @classmethod
    def read(cls, path: Path, display: str) -> Document:
        """Load a file (raises OSError when it cannot be read)."""
        return cls.decode(path, display, path.read_bytes())

    @classmethod
    def decode(cls, path: Path, display: str, data: bytes) -> Document:
        """A document from bytes (a file's, or standard input's). Bytes that are not
        UTF-8 become U+FFFD, one character each: protobuf's C++ tokenizer, which Caffe
        uses, lets any byte through in a comment or a string (a GBK comment is common),
        and stops with an error at one anywhere else, as the tokenizer here does at
        U+FFFD (the error then names the byte)."""
        try:
            return cls(path, display, data.decode("utf-8"))
        except UnicodeDecodeError:
            escaped = data.decode("utf-8", errors="surrogateescape")
            undecodable = {i: ord(c) - 0xDC00 for i, c in enumerate(escaped)
                           if "\udc80" <= c <= "\udcff"}
            text = "".join("\ufffd" if i in undecodable else c for i, c in enumerate(escaped))
            return cls(path, display, text, undecodable)
