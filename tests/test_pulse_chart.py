"""Tests of tracktwo.pulse._chart: files written, readable, of the right kind."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pandas as pd
import pytest

from tracktwo._errors import InputError
from tracktwo.pulse._chart import pulse_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TITLE = "Cambodia – United States pulse"


def _series() -> pd.DataFrame:
    """Two tracks over four quarters; flags set by hand from the values."""
    periods = pd.to_datetime(["2020-01-01", "2020-04-01", "2020-07-01", "2020-10-01"])
    official = [2.0, 1.0, -3.0, -1.0]  # record lows at 1 and 2; all-time low at 2
    people = [4.0, 4.5, 3.0, 5.0]  # record low at 2; all-time low at 2
    frame = pd.DataFrame(
        {
            "period": list(periods) * 2,
            "series": ["official"] * 4 + ["people"] * 4,
            "events": [10, 12, 30, 8, 5, 7, 6, 9],
            "value": official + people,
            "coop_share": [0.7, 0.6, 0.2, 0.4, 0.9, 0.95, 0.8, 1.0],
            # official 1.0 confirmed (ci_high 1.5 < 2.0), -3.0 confirmed; people 3.0 tentative
            # (ci_high 3.5 is not below 4.0); the last official quarter (8 events) ineligible
            "record_low": ["", "confirmed", "confirmed", "", "", "", "tentative", ""],
            "is_partial": [False] * 8,
            "is_eligible": [True, True, True, False, True, True, True, True],
            "is_change_point": [False, False, True, False, False, False, False, False],
            "is_all_time_low": [False, False, True, False, False, False, True, False],
            "is_all_time_high": [True, False, False, False, False, False, False, True],
        }
    )
    frame["ci_low"] = frame["value"] - 0.5
    frame["ci_high"] = frame["value"] + 0.5
    return frame


def _signals() -> pd.DataFrame:
    periods = pd.to_datetime(["2020-01-01", "2020-04-01", "2020-07-01", "2020-10-01"])
    return pd.DataFrame(
        {
            "period": list(periods) * 2,
            "series": ["UN vote agreement"] * 4 + ["GDELT daily score"] * 4,
            "value": [0.6, 0.55, 0.4, 0.5, 1.0, 0.5, -2.0, 0.0],
            "record_low": ["", "tentative", "tentative", "", "", "tentative", "tentative", ""],
            # UN votes' last quarter partial: drawn as a lone hollow point
            "is_partial": [False, False, False, True] + [False] * 4,
            "is_eligible": [True, True, True, False] + [True] * 4,
            "is_change_point": [False, False, True, False, False, False, False, False],
        }
    )


def _svg_text(path: Path) -> str:
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    return " ".join(text for element in root.iter() for text in [element.text] if text)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"  # the first chunk, right after its 4-byte length
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_svg_has_title_and_legend(tmp_path: Path) -> None:
    written = pulse_chart(_series(), tmp_path / "pulse.svg", title=TITLE)
    assert written == tmp_path / "pulse.svg"
    text = _svg_text(written)
    assert TITLE in text
    assert "Track" in text and "official" in text and "people" in text
    assert "Mean Goldstein (mention-weighted)" in text


def test_png_has_signature_and_plausible_size(tmp_path: Path) -> None:
    written = pulse_chart(_series(), str(tmp_path / "pulse.png"), title=TITLE)
    width, height = _png_size(written)
    # An 800 x 300 plot plus axes, title and legend, drawn at scale 2.
    assert 1600 <= width <= 2400
    assert 600 <= height <= 1200


def test_signals_add_a_panel_below(tmp_path: Path) -> None:
    alone = pulse_chart(_series(), tmp_path / "alone.png", title=TITLE)
    with_signals = pulse_chart(_series(), tmp_path / "both.png", title=TITLE, signals=_signals())
    alone_width, alone_height = _png_size(alone)
    width, height = _png_size(with_signals)
    # Two signal panels of 120 units each (plus spacing) at scale 2: at least 480 px taller.
    assert height >= alone_height + 480
    assert abs(width - alone_width) < 200
    text = _svg_text(pulse_chart(_series(), tmp_path / "both.svg", title=TITLE, signals=_signals()))
    assert "UN vote agreement" in text and "GDELT daily score" in text


def test_dates_as_python_dates_are_accepted(tmp_path: Path) -> None:
    frame = _series()
    frame["period"] = frame["period"].dt.date
    assert pulse_chart(frame, tmp_path / "dates.svg", title=TITLE).stat().st_size > 0


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    for name in ["pulse.pdf", "pulse.jpeg", "pulse"]:
        with pytest.raises(InputError, match=r"\.svg or \.png"):
            pulse_chart(_series(), tmp_path / name, title=TITLE)
    assert list(tmp_path.iterdir()) == []


def test_missing_column_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="ci_low"):
        pulse_chart(_series().drop(columns="ci_low"), tmp_path / "x.svg", title=TITLE)
    with pytest.raises(InputError, match="is_change_point"):
        signals = _signals().drop(columns="is_change_point")
        pulse_chart(_series(), tmp_path / "x.svg", title=TITLE, signals=signals)


def test_empty_series_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no rows"):
        pulse_chart(_series().iloc[:0], tmp_path / "x.svg", title=TITLE)


def test_periods_without_a_value_are_drawn_as_gaps(tmp_path: Path) -> None:
    frame = _series()
    frame.loc[1, ["value", "ci_low", "ci_high", "coop_share"]] = float("nan")
    frame.loc[1, "events"] = 0
    written = pulse_chart(frame, tmp_path / "gap.svg", title=TITLE)
    assert TITLE in _svg_text(written)
