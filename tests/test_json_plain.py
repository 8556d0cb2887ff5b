"""The one JSON-safe converter (tracktwo._json): every shell's cells go through it."""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from tracktwo._json import is_missing, plain


@pytest.mark.parametrize("value", [None, float("nan"), np.float64("nan"), pd.NA, pd.NaT])
def test_every_kind_of_missing_is_null(value: object) -> None:
    assert is_missing(value)
    assert plain(value) is None


@pytest.mark.parametrize("value", [0, 0.0, "", False, "nan"])
def test_a_zero_false_or_empty_text_is_a_value(value: object) -> None:
    assert not is_missing(value)
    assert plain(value) == value


def test_dates_are_iso_text_and_a_midnight_is_its_day() -> None:
    assert plain(date(2019, 4, 1)) == "2019-04-01"
    assert plain(pd.Timestamp("2019-01-01")) == "2019-01-01"
    assert plain(datetime(2019, 1, 1)) == "2019-01-01"
    assert plain(datetime(2019, 1, 1, 9, 30, 5)) == "2019-01-01T09:30:05"
    # what a backup writes, datetime.fromisoformat reads back
    assert datetime.fromisoformat(plain(datetime(2020, 2, 29, 23, 59))) == datetime(
        2020, 2, 29, 23, 59
    )


def test_numpy_scalars_become_python_numbers() -> None:
    assert plain(np.int64(7)) == 7 and type(plain(np.int64(7))) is int
    assert plain(np.float32(0.5)) == 0.5 and type(plain(np.float32(0.5))) is float
    assert plain(np.bool_(True)) is True
    row = {k: plain(v) for k, v in {"n": np.int64(3), "x": math.nan, "d": date(2017, 1, 1)}.items()}
    assert json.dumps(row) == '{"n": 3, "x": null, "d": "2017-01-01"}'
