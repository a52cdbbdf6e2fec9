"""Bundled files (example networks, icons, the .desktop file), installed as the package ``bpgui.resources`` so
that a non-editable install finds them."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """The path of a bundled file, e.g. ``resource_path("examples", "xor.json")``."""
    return Path(str(files(__name__).joinpath(*parts)))


def example_paths() -> dict[str, Path]:
    """Bundled example networks by name (file stem), sorted."""
    folder = resource_path("examples")
    return {p.stem: p for p in sorted(folder.glob("*.json"))}
