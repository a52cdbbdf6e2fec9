"""Where the bundled files are: ``resources/`` of a source checkout, or the installed ``bpgui._bundled``
package of a (non-editable) install."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def resources_dir() -> Path:
    try:
        from importlib.resources import files

        path = Path(str(files("bpgui._bundled")))
        if (path / "examples").is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """The path of a bundled file, e.g. ``resource_path("examples", "xor.json")``."""
    return resources_dir().joinpath(*parts)


def example_paths() -> dict[str, Path]:
    """Bundled example networks by name (file stem), sorted."""
    return {p.stem: p for p in sorted(resource_path("examples").glob("*.json"))}
