"""Where two countries disagree at the UN: the vote measure per issue over recent years.

The op-ed's advice is to "mitigate areas of disagreement and expand areas of cooperation";
the roll calls' issue codes (unvotes: Palestinian conflict, nuclear weapons, arms control,
colonialism, human rights, economic development) say where the pair votes apart. The
dashboard and the briefing show this table over the latest ``years`` years of roll calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from tracktwo._errors import NotFoundError
from tracktwo._i18n import N_
from tracktwo.pulse._vote_measures import vote_issues
from tracktwo.store import EventStore, last_vote_date

__all__ = ["RECENT_YEARS", "VoteIssues", "recent_vote_issues"]

RECENT_YEARS = 15
# the issue names as the pages translate them (tracktwo.pulse._votes.ISSUE_NAMES)
ISSUE_WORDS = (
    N_("Palestinian conflict"), N_("Nuclear weapons and nuclear material"),
    N_("Arms control and disarmament"), N_("Human rights"), N_("Colonialism"),
    N_("Economic development"),
)  # fmt: skip


@dataclass(frozen=True)
class VoteIssues:
    """The per-issue table (vote_issues' columns) and the years it covers."""

    frame: pd.DataFrame
    first_year: int
    last_year: int


def recent_vote_issues(
    store: EventStore, country_a: str, country_b: str, *, years: int = RECENT_YEARS
) -> VoteIssues | None:
    """Agreement per issue over the last ``years`` calendar years of stored roll calls, from
    most to least agreement; None when no votes or no issue codes are stored."""
    if not store.has_tables("roll_calls", "roll_call_issues"):
        return None
    last = last_vote_date(store)
    if last is None:
        return None
    first_year = pd.Timestamp(last).year - years + 1
    try:
        frame = vote_issues(store, country_a, country_b, since=date(first_year, 1, 1))
    except NotFoundError:
        return None
    frame = frame[frame["roll_calls"] > 0].reset_index(drop=True)
    if frame.empty:
        return None
    return VoteIssues(frame, first_year, pd.Timestamp(last).year)
