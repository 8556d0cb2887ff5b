"""Control characters in event files: the lines holding them are quarantined, never stored.

A NUL, an escape or a backspace inside a field is never data: it garbles what a terminal,
a CSV export or a chart label shows, and a NUL cuts C strings short. Any of U+0000-U+0008,
U+000B, U+000C, U+000E-U+001F, U+007F, and a carriage return that does not end a line,
sends the line to quarantine with a reason naming the field and the character. The tab
separates fields and CRLF line ends are read as line ends.

GDELT files are scanned as bytes before DuckDB reads them (UTF-8 never uses these bytes
inside a multi-byte character): one fast pass that deletes the forbidden bytes and compares
lengths, checks the text is UTF-8 and counts the lines (so a batch knows a file's size,
and refuses a file that is not text, before it reads any of it). Only a file that holds
such bytes is read again line by line and copied with those lines blank, so DuckDB reads
the rest and every line keeps its number.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tracktwo._errors import FileFormatError
from tracktwo.events._quarantine import QuarantinedRow

__all__ = ["control_reason", "visible", "without_control_lines"]

# the bytes that are never allowed (CR is handled apart: it may end a line)
_FORBIDDEN = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_CONTROL_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r]")
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x0D: "CR",
          0x1B: "ESC", 0x7F: "DEL"}  # fmt: skip
_CHUNK = 1 << 22


def _describe(char: str) -> str:
    code = ord(char)
    name = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")


def visible(text: str) -> str:
    """``text`` with each control character (tab aside) written as ``\\xNN``: quarantine
    rows are shown in terminals and pages, where an escape would act."""
    return _CONTROL_TEXT.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def control_reason(
    text: str, columns: Sequence[str], split: Callable[[str], list[str]]
) -> str | None:
    """Why the line ``text`` (without its line end) is refused, or None if it is clean.

    ``split`` cuts it into fields and ``columns`` names them; a line that cannot be split
    (a CR inside a quoted field, say) is refused without a field name.
    """
    found = _CONTROL_TEXT.search(text)
    if found is None:
        return None
    character = _describe(found.group())
    try:
        fields = split(text)
    except Exception:  # the reason is known already; only the field's name is missing
        return f"control character {character}"
    for position, field in enumerate(fields):
        if _CONTROL_TEXT.search(field):
            name = columns[position] if position < len(columns) else f"{position + 1}"
            return f"field {name}: control character {character}"
    return f"control character {character}"


def _scan(path: Path, shown_as: str) -> tuple[bool, int]:
    """(whether a line of ``path`` may hold a control character, its number of lines), in
    one pass by chunks: byte deletion for the control characters (True sends the file to
    the exact line-by-line pass), a streaming UTF-8 decode (FileFormatError naming the
    first line that is not UTF-8), and a count of line ends."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    may_hold = False
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if not may_hold:
                may_hold = len(chunk.translate(None, _FORBIDDEN)) != len(chunk)
            if not may_hold and b"\r" in chunk:
                if chunk.endswith(b"\r"):  # is it a CRLF cut in two? read on to know
                    chunk += handle.read(1)
                may_hold = b"\r" in chunk.replace(b"\r\n", b"").removesuffix(b"\r")
            _decode(decoder, chunk, lines, shown_as)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    _decode(decoder, b"", lines, shown_as, final=True)
    if lines == 0 or last != b"\n":
        lines += 1  # the last line, without an end
    return may_hold, lines


def _decode(
    decoder: codecs.IncrementalDecoder,
    chunk: bytes,
    lines: int,
    shown_as: str,
    *,
    final: bool = False,
) -> None:
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError as exc:
        number = lines + chunk.count(b"\n", 0, max(exc.start, 0)) + 1
        raise FileFormatError(shown_as, f"not UTF-8 text (line {number})") from exc


def _line_text(raw: bytes, number: int, shown_as: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FileFormatError(shown_as, f"not UTF-8 text (line {number})") from exc
    return text.removesuffix("\n").removesuffix("\r")


def _line_end(raw: bytes) -> bytes:
    for end in (b"\r\n", b"\n"):
        if raw.endswith(end):
            return end
    return b""  # the last line, without an end


def _blank_copy(
    path: Path, target: Path, columns: Sequence[str], shown_as: str
) -> list[QuarantinedRow]:
    """Copy ``path`` to ``target`` with the lines holding control characters left empty
    (so every other line keeps its number); return those lines as quarantine rows."""
    rows: list[QuarantinedRow] = []
    with path.open("rb") as source, target.open("wb") as out:
        for number, raw in enumerate(source, start=1):
            text = _line_text(raw, number, shown_as)
            reason = control_reason(text, columns, lambda line: line.split("\t"))
            if reason is None:
                out.write(raw)
                continue
            rows.append(QuarantinedRow(number, reason, visible(text)))
            # the line's own end: DuckDB refuses a file mixing LF and CRLF ends
            out.write(_line_end(raw))
    return rows


@contextmanager
def without_control_lines(
    path: Path, scratch: Path, columns: Sequence[str], shown_as: str
) -> Iterator[tuple[Path, list[QuarantinedRow], int]]:
    """Yield (a file to read, the quarantined lines, the number of lines) for the
    tab-separated ``path``: ``path`` itself when it is clean, else a copy in ``scratch``
    with those lines blank. FileFormatError when it is not UTF-8 text."""
    may_hold, lines = _scan(path, shown_as)
    if not may_hold:
        yield path, [], lines
        return
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch) as folder:
        target = Path(folder) / "without-control.tsv"
        rows = _blank_copy(path, target, columns, shown_as)
        yield (target if rows else path), rows, lines
