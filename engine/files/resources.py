"""The files the app ships (icons, example designs, data), in the checkout and when installed.

The repository keeps them in ``resources/`` at its top level; a wheel installs that folder as
the package data of ``engine.resources`` (pyproject.toml maps the one onto the other), so an
installed app finds them with ``importlib.resources`` wherever it runs from.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["resource_dir", "resource_path", "example_path", "resolve_design"]

_PACKAGE = "engine"
_INSTALLED = "resources"                                  # engine/resources/ in site-packages
_CHECKOUT = Path(__file__).resolve().parents[2] / "resources"


def resource_dir() -> Path:
    """The folder holding ``icons/``, ``examples/`` and ``data/``."""
    installed = resources.files(_PACKAGE).joinpath(_INSTALLED)
    if installed.is_dir():
        return Path(str(installed))
    return _CHECKOUT


def resource_path(*parts: str) -> Path:
    """A shipped file, e.g. ``resource_path("data", "house_prices.csv")``."""
    return resource_dir().joinpath(*parts)


def example_path(name: str) -> Path:
    """The shipped example design ``name`` (``house_prices`` → examples/house_prices.json)."""
    return resource_path("examples", f"{name}.json")


def resolve_design(spec):
    """A design the user named: a file that exists, or else the bare name of a shipped example.

    A name that looks like a path (it has a folder or ends in .json) is returned unchanged, so
    that a mistyped file is reported as missing rather than taken for an example.
    """
    path = Path(spec)
    if path.exists() or len(path.parts) != 1 or path.suffix:
        return spec
    example = example_path(str(spec))
    if not example.is_file():
        return spec
    return str(example) if isinstance(spec, str) else example
