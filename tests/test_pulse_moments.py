"""pair_moments (what pulse runs) against the same sums worked out in pandas, row by row,
from the demo's real events (the shipped ICEWS extract), with the taxonomy's Python twins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tracktwo.pulse._expr import pair_moments
from tracktwo.store import EventStore, events_table
from tracktwo.taxonomy import load_taxonomy


def _by_hand(events: pd.DataFrame, directed: bool) -> pd.DataFrame:
    taxonomy = load_taxonomy()
    pair = {("KHM", "USA"), ("USA", "KHM")}
    countries = zip(events.actor1_country, events.actor2_country, strict=True)
    rows = events[[(a, b) in pair for a, b in countries]]
    rows = rows[~rows.is_reemission.fillna(False).astype(bool)]

    def track(row: pd.Series, n: int) -> str:
        types = [None if pd.isna(row[f"actor{n}_type{i}"]) else row[f"actor{n}_type{i}"]
                 for i in (1, 2, 3)]  # fmt: skip
        return taxonomy.actor_track(row[f"actor{n}_country"], types)

    out = pd.DataFrame({
        "period": pd.to_datetime(rows.event_date).dt.to_period("M").dt.start_time.dt.date,
        "series": [taxonomy.event_track(track(r, 1), track(r, 2)) for _, r in rows.iterrows()],
        "w": rows.num_mentions.fillna(1).clip(lower=1).astype(float).to_numpy(),
        "g": rows.goldstein.to_numpy(),
        "coop": rows.quad_class.isin([1, 2]).to_numpy().astype(int),
    })  # fmt: skip
    keys = ["period", "series"]
    if directed:
        out["direction"] = (rows.actor1_country + "→" + rows.actor2_country).to_numpy()
        keys.append("direction")
    out = out.assign(wg=out.w * out.g, ww=out.w**2, wwg=out.w**2 * out.g, wwgg=(out.w * out.g) ** 2)
    sums = out.groupby(keys, as_index=False).agg(
        events=("w", "size"), sw=("w", "sum"), swg=("wg", "sum"), sww=("ww", "sum"),
        swwg=("wwg", "sum"), swwgg=("wwgg", "sum"), coop=("coop", "sum"),
    )  # fmt: skip
    return sums.sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("directed", [False, True])
def test_pair_moments_equal_the_sums_worked_out_per_event(
    demo_store_home: Path, directed: bool
) -> None:
    with EventStore(demo_store_home) as store:
        got = pair_moments(events_table(store), "KHM", "USA", taxonomy=load_taxonomy(),
                           directed=directed).to_pandas()  # fmt: skip
        events = store.table("events").to_pandas()
    expected = _by_hand(events, directed)
    keys = ["period", "series", *(["direction"] if directed else [])]
    got = got.assign(period=[pd.Timestamp(p).date() for p in got.period])
    got = got.sort_values(keys).reset_index(drop=True)
    assert len(expected) > 10 and len(got) == len(expected)
    assert got[keys].equals(expected[keys])
    assert got.events.tolist() == expected.events.tolist()
    assert got.coop.tolist() == expected.coop.tolist()
    for name in ("sw", "swg", "sww", "swwg", "swwgg"):
        assert got[name].to_numpy() == pytest.approx(expected[name].to_numpy(), rel=1e-12)
