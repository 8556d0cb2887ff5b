"""Seeded synthetic GDELT 2.0 export files, built from the real CAMEO lookups.

No raw GDELT rows between Cambodia and the United States ship with tracktwo, so tests,
benchmarks and fetch fixtures generate them here: every row is a well-formed 61-column
GDELT 2.0 record whose event code, QuadClass and Goldstein value come from GDELT's own
lookup tables (tracktwo.taxonomy); actors, dates, counts and URLs are drawn from a seeded
random generator. A share of rows are re-emissions: a copy of an earlier row (new
GLOBALEVENTID, same actors, code and URL) added 15 to 75 minutes later, as GDELT does.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from tracktwo.store import GDELT2_COLUMNS
from tracktwo.taxonomy import load_taxonomy

__all__ = ["ACTORS", "synthetic_gdelt2_frame", "write_synthetic_gdelt2"]

# (actor code, name, country, type1): a mix of official and people-to-people actors
ACTORS: list[tuple[str, str, str, str]] = [
    ("KHM", "CAMBODIA", "KHM", ""),
    ("KHMGOV", "CAMBODIA", "KHM", "GOV"),
    ("KHMMIL", "CAMBODIAN MILITARY", "KHM", "MIL"),
    ("KHMBUS", "CAMBODIAN BUSINESS", "KHM", "BUS"),
    ("KHMEDU", "ROYAL UNIVERSITY", "KHM", "EDU"),
    ("KHMHLH", "MINISTRY OF HEALTH", "KHM", "HLH"),
    ("KHMAGR", "FARMER", "KHM", "AGR"),
    ("KHMOPP", "OPPOSITION", "KHM", "OPP"),
    ("USA", "UNITED STATES", "USA", ""),
    ("USAGOV", "UNITED STATES", "USA", "GOV"),
    ("USAMIL", "PENTAGON", "USA", "MIL"),
    ("USABUS", "COMPANY", "USA", "BUS"),
    ("USAEDU", "UNIVERSITY", "USA", "EDU"),
    ("USANGO", "CHARITY", "USA", "NGO"),
    ("CHNGOV", "CHINA", "CHN", "GOV"),
    ("THAGOV", "THAILAND", "THA", "GOV"),
]


def _event_codes() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    taxonomy = load_taxonomy()
    codes = sorted(c for c in taxonomy.cameo if len(c) >= 3)
    gold = np.array([taxonomy.cameo[c].goldstein for c in codes])
    quad = np.array([taxonomy.cameo[c].quad_class for c in codes])
    return np.array(codes), gold, quad


def synthetic_gdelt2_frame(
    n_rows: int,
    *,
    seed: int = 0,
    start: date = date(2018, 1, 1),
    days: int = 365,
    first_id: int = 1_000_000_000,
    reemission_share: float = 0.09,
) -> pl.DataFrame:
    """``n_rows`` GDELT 2.0 rows as an all-text frame with the 61 GDELT columns."""
    rng = np.random.default_rng(seed)
    codes, gold, quad = _event_codes()
    n_original = max(1, round(n_rows * (1 - reemission_share)))
    a1 = rng.integers(0, len(ACTORS), n_rows)
    a2 = rng.integers(0, len(ACTORS), n_rows)
    ev = rng.integers(0, len(codes), n_rows)
    day = rng.integers(0, days, n_rows)
    minute = rng.integers(0, 24 * 4, n_rows) * 15
    url_id = rng.integers(0, max(1, n_rows // 3), n_rows)
    # re-emissions: copy an earlier original row, published 15-75 minutes later
    copies = np.arange(n_original, n_rows)
    if len(copies):
        src = rng.integers(0, n_original, len(copies))
        for arr in (a1, a2, ev, day, url_id):
            arr[copies] = arr[src]
        minute[copies] = minute[src] + rng.integers(1, 6, len(copies)) * 15
    base = datetime(start.year, start.month, start.day)
    event_day = np.array([base + timedelta(days=int(d)) for d in range(days)])[day]
    added = [
        (d + timedelta(minutes=int(m))).strftime("%Y%m%d%H%M%S")
        for d, m in zip(event_day, minute, strict=True)
    ]
    sqldate = [d.strftime("%Y%m%d") for d in event_day]
    actor = np.array(ACTORS, dtype=object)
    code = codes[ev]
    mentions = rng.integers(1, 30, n_rows)
    empty = [""] * n_rows
    cols: dict[str, object] = dict.fromkeys(GDELT2_COLUMNS, empty)
    cols.update(
        {
            "GLOBALEVENTID": (first_id + np.arange(n_rows)).astype(str),
            "SQLDATE": sqldate,
            "MonthYear": [s[:6] for s in sqldate],
            "Year": [s[:4] for s in sqldate],
            "FractionDate": [f"{int(s[:4]) + int(s[4:6]) / 12:.4f}" for s in sqldate],
            "Actor1Code": actor[a1, 0], "Actor1Name": actor[a1, 1],
            "Actor1CountryCode": actor[a1, 2], "Actor1Type1Code": actor[a1, 3],
            "Actor2Code": actor[a2, 0], "Actor2Name": actor[a2, 1],
            "Actor2CountryCode": actor[a2, 2], "Actor2Type1Code": actor[a2, 3],
            "IsRootEvent": rng.integers(0, 2, n_rows).astype(str),
            "EventCode": code,
            "EventBaseCode": [c[:3] for c in code],
            "EventRootCode": [c[:2] for c in code],
            "QuadClass": quad[ev].astype(str),
            "GoldsteinScale": [f"{g:.1f}" for g in gold[ev]],
            "NumMentions": mentions.astype(str),
            "NumSources": np.minimum(mentions, rng.integers(1, 5, n_rows)).astype(str),
            "NumArticles": mentions.astype(str),
            "AvgTone": np.round(rng.normal(0, 3, n_rows), 6).astype(str),
            "ActionGeo_Type": ["1"] * n_rows,
            "ActionGeo_CountryCode": np.where(rng.random(n_rows) < 0.5, "CB", "US"),
            "DATEADDED": added,
            "SOURCEURL": [f"https://news.example.org/story/{u}" for u in url_id],
        }
    )  # fmt: skip
    return pl.DataFrame(
        {name: pl.Series(name, list(cols[name]), dtype=pl.Utf8) for name in GDELT2_COLUMNS}  # type: ignore[call-overload]
    )


def write_synthetic_gdelt2(
    path: str | Path, n_rows: int, *, seed: int = 0, chunk_rows: int = 500_000, **kwargs: object
) -> Path:
    """Write a GDELT 2.0 export (tab-separated, no header); ``.zip`` zips it like GDELT does."""
    path = Path(path)
    first_id = int(kwargs.pop("first_id", 1_000_000_000))  # type: ignore[call-overload]
    zipped = path.suffix == ".zip"
    inner = path.with_suffix("") if zipped else path
    with open(inner, "wb") as out:
        done = 0
        while done < n_rows:
            take = min(chunk_rows, n_rows - done)
            frame = synthetic_gdelt2_frame(
                take,
                seed=seed + done,
                first_id=first_id + done,
                **kwargs,  # type: ignore[arg-type]
            )
            buffer = io.BytesIO()
            frame.write_csv(buffer, separator="\t", include_header=False, quote_style="never")
            out.write(buffer.getvalue())
            done += take
    if zipped:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(inner, arcname=inner.name)
        inner.unlink()
    return path
