"""Where the bundled `proto/` and `rules/` directories live.

In a source checkout or an editable install they are the repository's top-level
directories; a built wheel carries them inside the package as `protolint/_bundled/`.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The directory `name` ("proto" or "rules") shipped with protolint."""
    for candidate in (_PACKAGE / "_bundled" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"protolint is installed without its {name}/ directory")
