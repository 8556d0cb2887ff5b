"""Small public data extracts shipped with tracktwo (sources and licences in SOURCES.md).

``dataset_path("un_votes_khm_usa.csv.gz")`` gives the file's path inside the installed package,
so commands and tests work without any download.

A foundation, not part of ``tracktwo.demo``, although the demo reads most of these files: the
bridges and match loaders and a registry migration read them too, so it must sit below those
packages (under ``demo/`` they would import upward, from the demo that is built on them).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from tracktwo._errors import NotFoundError

__all__ = ["dataset_names", "dataset_path"]

# documentation and notices, not data
_NOT_DATA = {"__init__.py", "SOURCES.md", "NOTICE.txt"}


def _folder() -> Path:
    return Path(str(resources.files("tracktwo.datasets")))


def dataset_names() -> list[str]:
    """Names of the shipped data files, sorted."""
    return sorted(
        entry.name
        for entry in _folder().iterdir()
        if entry.is_file() and entry.name not in _NOT_DATA and not entry.name.endswith(".pyc")
    )


def dataset_path(name: str) -> Path:
    """Path of a shipped data file; NotFoundError (listing the names) when there is none."""
    path = _folder() / name
    if name in _NOT_DATA or not path.is_file():
        raise NotFoundError(f"no shipped dataset {name!r}; there are: {', '.join(dataset_names())}")
    return path
