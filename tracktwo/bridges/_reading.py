"""Reading an import file into records: CSV, JSON (one array) or JSON Lines, optionally
compressed, each record with the line it starts on.

A CSV cell that tracktwo's own export escaped (``'=HYPERLINK(...)``, see :mod:`tracktwo._csv`)
is read back without the ``'``, so an exported CSV imports back exactly.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import json
import lzma
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

from tracktwo._csv import unescape_cell
from tracktwo._errors import FileFormatError

__all__ = ["EXTRA_CELLS", "read_records"]

EXTRA_CELLS = "(extra cells)"  # where csv puts cells beyond the header's columns

_OPENERS: dict[str, Callable[..., IO[Any]]] = {
    "gzip": gzip.open,
    "bzip2": bz2.open,
    "xz": lzma.open,
}
_COMPRESSED_SUFFIXES = {".gz", ".bz2", ".xz"}
# the first bytes say whether a file is compressed; its name may lie (a plain file named .gz)
_MAGIC = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"))


def _compression_of(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(6)
    except FileNotFoundError:
        raise FileFormatError(path, "no such file") from None
    except OSError as exc:
        raise FileFormatError(path, f"cannot read it: {exc}") from None
    return next((name for magic, name in _MAGIC if head.startswith(magic)), None)


def _format_of(path: Path) -> tuple[str, Callable[..., IO[Any]]]:
    """The record format from the name (a compression suffix skipped), the opener from the
    file's first bytes."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED_SUFFIXES:
        suffixes.pop()
    kind = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(
        suffixes[-1] if suffixes else ""
    )
    if kind is None:
        raise FileFormatError(path, "not a .csv, .json or .jsonl file (optionally .gz/.bz2/.xz)")
    compression = _compression_of(path)
    return kind, _OPENERS[compression] if compression else open


def read_records(path: str | os.PathLike[str]) -> list[tuple[int, dict[str, Any]]]:
    """The file's records as (line number, field -> value), empty cells left out."""
    source = Path(path)
    kind, opener = _format_of(source)
    try:
        with opener(source, "rt", encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise FileFormatError(source, "no such file") from None
    except (OSError, UnicodeDecodeError, EOFError, lzma.LZMAError) as exc:
        raise FileFormatError(source, f"cannot read it: {exc}") from None
    reader = {"csv": _csv_records, "json": _json_array_records, "jsonl": _jsonl_records}[kind]
    escaped = kind == "csv"  # only CSV cells are escaped by an export; JSON is read as written
    return [(line, _compact(record, escaped)) for line, record in reader(source, text)]


def _compact(record: dict[str, Any], escaped: bool) -> dict[str, Any]:
    kept = {}
    for name, value in record.items():
        if isinstance(value, str):
            # stripped first, then unescaped: the ' keeps what follows exactly as exported
            value = value.strip()
            value = unescape_cell(value) if escaped else value
        if value not in (None, "", []):
            kept[str(name).strip()] = value
    return kept


def _csv_records(source: Path, text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), restkey=EXTRA_CELLS)
    if not reader.fieldnames:
        raise FileFormatError(source, "empty CSV file: no header line")
    while True:
        line = reader.line_num + 1  # the record's first line (header is line 1)
        row = next(reader, None)
        if row is None:
            return
        yield line, row


def _json_array_records(source: Path, text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    # decode one element at a time so each record keeps the line it starts on
    decoder = json.JSONDecoder()
    position = _skip_space(text, 0)
    if position >= len(text) or text[position] != "[":
        raise FileFormatError(source, "a .json file must hold one array of objects")
    position, line = position + 1, text.count("\n", 0, position) + 1
    done = position
    while True:
        position = _skip_space(text, position, ",")
        if position >= len(text):
            raise FileFormatError(source, "the array is not closed with ]")
        if text[position] == "]":
            return
        line += text.count("\n", done, position)
        try:
            value, done = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise FileFormatError(source, f"line {exc.lineno}: not valid JSON: {exc.msg}") from None
        yield line, _as_object(source, line, value)
        line += text.count("\n", position, done)
        position = done


def _skip_space(text: str, position: int, also: str = "") -> int:
    while position < len(text) and (text[position].isspace() or text[position] in also):
        position += 1
    return position


def _jsonl_records(source: Path, text: str) -> Iterable[tuple[int, dict[str, Any]]]:
    for line, content in enumerate(text.splitlines(), start=1):
        if not content.strip():
            continue
        try:
            value = json.loads(content)
        except json.JSONDecodeError as exc:
            raise FileFormatError(source, f"line {line}: not valid JSON: {exc.msg}") from None
        yield line, _as_object(source, line, value)


def _as_object(source: Path, line: int, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FileFormatError(source, f"line {line}: each record must be a JSON object")
    return value
