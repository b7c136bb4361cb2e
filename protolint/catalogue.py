"""The rule catalogue: `rules/<CODE>.md`, one page per rule.

A page starts with `# CODE name`, then a `Severity: ...` line, then sections; the
`## Bad` and `## Good` sections each hold one ```prototxt example, which the tests lint.
A block fenced as ```prototxt NAME is a file the example names (a solver's net), which
the tests write beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from protolint.resources import bundled

_SECTION = re.compile(r"^## +(.+?)\s*$", re.M)
_FENCE = re.compile(r"```prototxt\n(.*?)```", re.S)
_BESIDE = re.compile(r"```prototxt +([\w./-]+)\n(.*?)```", re.S)


@dataclass(frozen=True)
class Page:
    code: str
    text: str

    @property
    def title(self) -> str:
        return self.text.splitlines()[0].lstrip("# ").strip()

    def section(self, name: str) -> str:
        """The text of `## name`, up to the next section."""
        parts = _SECTION.split(self.text)
        for title, body in zip(parts[1::2], parts[2::2]):
            if title.lower() == name.lower():
                return body.strip()
        return ""

    def example(self, name: str) -> str | None:
        """The prototxt example of section `name` (Bad or Good)."""
        m = _FENCE.search(self.section(name))
        return m.group(1) if m else None

    def beside(self, name: str) -> dict[str, str]:
        """The files the example of section `name` names, by file name."""
        return dict(_BESIDE.findall(self.section(name)))


@cache
def pages() -> dict[str, Page]:
    found = {}
    for path in sorted(bundled("rules").glob("*.md")):
        found[path.stem] = Page(path.stem, path.read_text(encoding="utf-8"))
    return found
