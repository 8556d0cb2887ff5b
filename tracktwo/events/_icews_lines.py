"""An ICEWS file as batches of numbered lines, and lines cut into fields, with polars.

Lines keep the rules of the per-row reader they replace: a line ends at LF; its trailing CRs
and LFs are dropped; a line that Python's ``str.strip`` leaves empty is skipped (its number
is used up); a file that is not UTF-8 fails naming the first bad line. Comma-separated lines
are cut as Python's ``csv.reader`` cuts one line (excel dialect, not strict), by a regular
expression that polars runs on every line at once.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import polars as pl

from tracktwo._errors import FileFormatError

__all__ = [
    "BATCH_BYTES",
    "BATCH_LINES",
    "CONTROL",
    "WHITESPACE",
    "cut_fields",
    "line_batches",
    "nonblank",
]

# ~200,000 ICEWS rows of 80 bytes; a batch is read, parsed and handed on before the next
BATCH_BYTES = 16 << 20
_BOM = "\ufeff".encode()
BATCH_LINES = 200_000
# what Python's str.isspace() calls whitespace: str.strip() and str.split() cut on these
# (Rust's, used by polars' strip_chars(), lacks U+001C..U+001F)
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_BLANK = "^[" + WHITESPACE + "]*$"
# the characters of tracktwo.events._control: a line holding one is quarantined
CONTROL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F\r]"
# one field of a comma-separated line, after the comma that opens it (a "," is put before
# the line): quoted ("" is a quote, an unclosed quote runs to the end, text after the
# closing quote is kept, as csv.reader does when not strict), plain, or empty
_CSV_FIELD = r',(?:"(?:[^"]|"")*(?:"[^,]*)?|[^",][^,]*)?'
_QUOTED = r'(?s)^"(?P<inside>(?:[^"]|"")*)(?:"(?P<after>.*))?$'


def _frame(lines: pl.Series, first: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "line": pl.int_range(first, first + lines.len(), eager=True, dtype=pl.Int64),
            "text": lines.str.strip_chars_end("\r\n"),
        }
    )


def _fast_lines(block: bytes, first: int) -> pl.DataFrame | None:
    """The block's lines cut by polars' CSV reader (one field a line, read in parallel), or
    None where that could differ from the rules: then the block is decoded by Python."""
    # a NUL would cut a line in two; a BOM opening a later block would be dropped
    if b"\x00" in block or (first > 1 and block.startswith(_BOM)):
        return None
    try:
        lines = pl.read_csv(
            block, separator="\x00", quote_char=None, has_header=False,
            infer_schema=False, new_columns=["text"],
        )  # fmt: skip
    except pl.exceptions.PolarsError:  # not UTF-8, above all: the slow path names the line
        return None
    if lines.height != block.count(b"\n") + (not block.endswith(b"\n")):
        return None  # a line lost or added: never seen, but the numbers must hold
    text = pl.col("text").fill_null("")  # an empty line is null to the CSV reader
    if b"\r" in block:  # polars drops the CR of a CRLF only; the rules drop every one
        text = text.str.strip_chars_end("\r\n")
    return lines.select(line=pl.int_range(first, first + lines.height, dtype=pl.Int64), text=text)


def _decoded_lines(
    block: bytes, first: int, shown_as: str
) -> tuple[pl.DataFrame, FileFormatError | None]:
    """The block decoded by Python. At a byte that is not UTF-8: the lines before its line
    (handed on first, as a line-by-line read did) and the error naming that line."""
    failure: FileFormatError | None = None
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut = block.rfind(b"\n", 0, exc.start) + 1
        number = first + block.count(b"\n", 0, cut)
        failure = FileFormatError(shown_as, f"not UTF-8 text (line {number})")
        text = block[:cut].decode("utf-8")
    lines = pl.Series([text]).str.split("\n").explode()
    if text.endswith("\n") or not text:  # the empty piece after the last LF
        lines = lines.head(-1)
    return _frame(lines, first), failure


def _text_batches(path: Path, shown_as: str) -> Iterator[pl.DataFrame]:
    """Read ~BATCH_BYTES at a time, up to a line end; cut the whole block at once."""
    first = 1
    with path.open("rb") as handle:
        while block := handle.read(BATCH_BYTES):
            if not block.endswith(b"\n"):
                block += handle.readline()
            lines = _fast_lines(block, first)
            failure = None
            if lines is None:
                lines, failure = _decoded_lines(block, first, shown_as)
            yield lines
            if failure is not None:
                raise failure
            first += block.count(b"\n")


def _list_batches(lines: Iterable[str]) -> Iterator[pl.DataFrame]:
    """Lines given as text (header first), BATCH_LINES at a time."""
    items = iter(lines)
    first = 1
    while chunk := list(islice(items, BATCH_LINES)):
        yield _frame(pl.Series(chunk, dtype=pl.String), first)
        first += len(chunk)


def line_batches(source: Iterable[str] | os.PathLike[str], shown_as: str) -> Iterator[pl.DataFrame]:
    """Frames of (line: 1-based number, text: the line without its end), blank lines kept."""
    if isinstance(source, os.PathLike):
        return _text_batches(Path(source), shown_as)
    return _list_batches(source)


def nonblank(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(~pl.col("text").str.contains(_BLANK))


def _unquoted(field: pl.Expr) -> pl.Expr:
    """A csv field's value: quotes dropped and "" read as " when it starts with a quote."""
    parts = field.str.extract_groups(_QUOTED)
    inside = parts.struct.field("inside").str.replace_all('""', '"', literal=True)
    value = pl.concat_str([inside, parts.struct.field("after").fill_null("")])
    return pl.when(field.str.starts_with('"')).then(value).otherwise(field)


def cut_fields(text: pl.Expr, delimiter: str, count: int) -> list[pl.Expr]:
    """The field count (``n``) and the first ``count`` fields (``f0``...; null where the line
    has fewer) of every line, cut as the per-row reader cut them."""
    if delimiter == "\t":
        # splitn's last part holds the rest of the line: the first ``count`` are exact
        parts = text.str.splitn("\t", count + 1)
        found = text.str.count_matches("\t", literal=True) + 1
        fields = [parts.struct.field(f"field_{i}") for i in range(count)]
    else:
        pieces = (pl.lit(",") + text).str.extract_all(_CSV_FIELD)
        found = pieces.list.len()
        fields = [
            _unquoted(pieces.list.get(i, null_on_oob=True).str.slice(1)) for i in range(count)
        ]
    return [found.alias("n"), *(f.alias(f"f{i}") for i, f in enumerate(fields))]
