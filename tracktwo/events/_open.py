"""Open an event file whatever its packaging: plain, ``.gz`` or ``.zip``.

Compressed files are unpacked, streaming, into a temporary plain file, so the readers see
one layout and a truncated archive fails before any row is stored.
"""

from __future__ import annotations

import gzip
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tracktwo._errors import FileFormatError

__all__ = ["first_line", "plain_file"]

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"
_CHUNK = 1 << 20


def _magic(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(4)


def _unzip(path: Path, target: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            if len(members) != 1:
                raise FileFormatError(
                    path, f"a zip with {len(members)} files; expected one event file inside"
                )
            with archive.open(members[0]) as source, target.open("wb") as out:
                shutil.copyfileobj(source, out, _CHUNK)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise FileFormatError(path, f"truncated or corrupt zip ({exc})") from exc


def _gunzip(path: Path, target: Path) -> None:
    try:
        with gzip.open(path, "rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, _CHUNK)
    except (gzip.BadGzipFile, zlib.error, EOFError) as exc:
        raise FileFormatError(path, f"truncated or corrupt gzip ({exc})") from exc


@contextmanager
def plain_file(path: Path, scratch: Path) -> Iterator[Path]:
    """Yield a plain-text path for ``path``, unpacking .gz/.zip into ``scratch`` first."""
    if not path.exists():
        raise FileFormatError(path, "no such file")
    if path.is_dir():
        raise FileFormatError(path, "is a folder, not an event file")
    magic = _magic(path)
    if not magic.startswith(_GZIP_MAGIC) and not magic.startswith(_ZIP_MAGIC):
        yield path
        return
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        target = Path(folder) / "events.txt"
        if magic.startswith(_ZIP_MAGIC):
            _unzip(path, target)
        else:
            _gunzip(path, target)
        yield target


def first_line(path: Path, shown_as: Path) -> str:
    """The first non-blank line, decoded as UTF-8 (a failure names the file)."""
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                try:
                    return raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError as exc:
                    raise FileFormatError(
                        shown_as, f"not UTF-8 text (byte {exc.start} of the first line)"
                    ) from exc
    raise FileFormatError(shown_as, "empty file: no event rows")
