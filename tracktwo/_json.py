"""The one JSON-safe conversion of a value, for every JSON, CSV and page tracktwo writes.

Rows reach the CLI, the web API, the briefing and the registry's exports from pandas, numpy,
SQLAlchemy and plain Python, so one cell can be ``float('nan')``, ``pd.NA``, ``pd.NaT``, a
``numpy.int64``, a ``pd.Timestamp`` or a ``datetime.date``. The rules:

* missing (``None``, NaN, ``pd.NA``, ``pd.NaT``) is ``None`` — JSON's null, an empty CSV cell;
* a date is ISO text; a datetime at midnight is the ISO *date* (pandas gives a period start as
  a midnight Timestamp, and "2019-01-01" is what a reader means), any other datetime its full
  ISO text, which ``datetime.fromisoformat`` reads back (so a backup round-trips);
* a numpy scalar is the Python number it holds.

This module sits at the bottom (it imports nothing of tracktwo) so every layer can use it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any

import pandas as pd

__all__ = ["is_missing", "plain"]


def is_missing(value: Any) -> bool:
    """Whether a cell holds no value: None, NaN, ``pd.NA`` or ``pd.NaT``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def plain(value: Any) -> Any:
    """A JSON-ready scalar: missing as None, dates as ISO text, numpy as Python."""
    if is_missing(value):
        return None
    if isinstance(value, datetime):  # pd.Timestamp is a datetime too
        midnight = value.hour == value.minute == value.second == value.microsecond == 0
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return value
