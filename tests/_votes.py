"""UN vote agreement of Cambodia and the United States worked out from the shipped CSV files
with plain pandas, for the tests that check tracktwo's own figure against it."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

import tracktwo

DATASETS = Path(tracktwo.__file__).parent / "datasets"


def khm_usa_agreement_by_year() -> pd.DataFrame:
    """Per year: ``mean`` (1 same vote, 0.5 one of them abstained, 0 yes against no) and
    ``size`` (the roll calls both voted on)."""
    with gzip.open(DATASETS / "un_votes.csv.gz", "rt", encoding="utf-8") as handle:
        votes = pd.read_csv(handle, keep_default_na=False)
    calls = pd.read_csv(DATASETS / "un_roll_calls.csv.gz").set_index("rcid")
    khm = votes[votes["country_code"] == "KH"].set_index("rcid")["vote"].rename("khm")
    usa = votes[votes["country_code"] == "US"].set_index("rcid")["vote"].rename("usa")
    both = pd.concat([khm, usa], axis=1, join="inner")
    differ = both["khm"] != both["usa"]
    score = (~differ) * 1.0 + (differ & (both == "abstain").any(axis=1)) * 0.5
    years = pd.to_datetime(calls["date"]).dt.year.reindex(score.index)
    return score.groupby(years).agg(["mean", "size"])
