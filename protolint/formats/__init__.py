"""Output formats, one module per format; each has `render(result, out, options)`."""

from __future__ import annotations

import importlib

FORMATS = ("text", "json", "html", "sarif", "github", "junit", "gitlab")


def renderer(name: str):
    return importlib.import_module(f"{__name__}.{name}").render
