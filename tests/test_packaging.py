"""A non-editable install (as CI makes) ships exactly the packages pyproject.toml lists: every folder of bpgui
with Python modules must be listed, or the installed app fails to import it."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    folders = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bpgui").rglob("__init__.py")}
    assert folders - listed == set()


def test_every_resource_folder_is_shipped():
    """Each folder of resources/ (examples, lessons, icons) is in the bundled package's data."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["bpgui._bundled"]
    shipped = {pattern.split("/")[0] for pattern in data if "/" in pattern}
    folders = {p.name for p in (ROOT / "resources").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders - shipped == set()
