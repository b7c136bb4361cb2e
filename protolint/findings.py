"""Findings: what a rule reports, where, and how bad it is."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protolint.document import Document


class Severity(enum.IntEnum):
    """error: certain NaN/Inf, abort, or certainly wrong training; warning: likely;
    info: style and deprecation."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    def __str__(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (error, warning or info)") from None


@dataclass(frozen=True)
class Location:
    """A span of a document, as character offsets."""

    doc: Document
    start: int
    end: int

    @property
    def path(self) -> str:
        return self.doc.display

    @property
    def begin(self) -> tuple[int, int]:
        return self.doc.lines.position(self.start)

    @property
    def finish(self) -> tuple[int, int]:
        """The 1-based (line, column) just past the span."""
        return self.doc.lines.position(max(self.end, self.start + 1))


@dataclass(frozen=True)
class Report:
    """What a rule's `check` yields: the engine adds the rule's code and severity."""

    location: Location
    message: str
    fix: str
    related: tuple[tuple[Location, str], ...] = ()


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    severity: Severity
    location: Location
    message: str
    fix: str
    related: tuple[tuple[Location, str], ...] = field(default=())

    @property
    def path(self) -> str:
        return self.location.path

    @property
    def line(self) -> int:
        return self.location.begin[0]

    @property
    def column(self) -> int:
        return self.location.begin[1]

    @property
    def end_line(self) -> int:
        return self.location.finish[0]

    @property
    def end_column(self) -> int:
        return self.location.finish[1]

    def sort_key(self):
        return (self.path, self.location.start, self.code, self.message)
