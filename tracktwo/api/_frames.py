"""The three kinds of table the notebook API returns, and the dates it accepts."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

from tracktwo._errors import InputError

if TYPE_CHECKING:
    import polars
    import pyarrow

__all__ = ["DATE_COLUMNS", "as_arrow", "as_pandas", "as_polars", "day", "with_datetimes"]

# the date columns of the frames tracktwo's functions return, made datetime64 for notebooks
DATE_COLUMNS = ("period", "at", "first_date", "last_date", "start_date", "end_date")


def with_datetimes(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its date columns (Python ``date`` objects) as datetime64, so pandas,
    polars, Arrow and Parquet see dates rather than opaque objects; the index reset."""
    frame = frame.reset_index(drop=True)
    for column in DATE_COLUMNS:
        if column in frame.columns and not pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = pd.to_datetime(frame[column])
    return frame


def as_pandas(frame: pd.DataFrame) -> pd.DataFrame:
    return frame


def as_polars(frame: pd.DataFrame) -> polars.DataFrame:
    import polars  # only for the tables asked for as polars

    return polars.from_pandas(frame)


def as_arrow(frame: pd.DataFrame) -> pyarrow.Table:
    import pyarrow

    return pyarrow.Table.from_pandas(frame, preserve_index=False)


def day(value: date | str | None, name: str) -> date | None:
    """A day given as a ``date``, a ``datetime`` or text ``YYYY-MM-DD``; a clear error naming
    the argument otherwise."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(str(value), "%Y-%m-%d").date()
    except ValueError:
        raise InputError(f"{name}={value!r} is not a date like '2019-01-31'") from None
