"""The tables each dashboard page offers as a download (``_downloads``): where a table's
rows sit in the page's dict, and its columns, in the CSV's order.

``tests/test_web_downloads.py`` checks every table here against the rows its JSON twin
returns, so a column a view adds is not silently left out of the CSV.
"""

from __future__ import annotations

from tracktwo.doors import PROFILE_FIELDS
from tracktwo.web._actors_view import ACTOR_COLUMNS
from tracktwo.web._downloads import Table
from tracktwo.web._views import PULSE_COLUMNS, TIE_COLUMNS

__all__ = [
    "ACTORS_TABLES",
    "ACTOR_TABLES",
    "COMPARE_TABLES",
    "DOORS_TABLES",
    "MODERATION_LOG_TABLES",
    "NETWORK_TABLES",
    "OVERVIEW_TABLES",
    "PAIRS_TABLES",
    "PARTNERS_TABLES",
    "RECOMMENDATION_TABLES",
    "REQUESTS_TABLES",
    "SCORECARD_TABLES",
    "SUGGESTION_TABLES",
    "TIES_TABLES",
    "TIE_TABLES",
]

_SUMMARY = ("series label kind total_n latest_period latest_value latest_n latest_rank "
            "eligible_periods latest_eligible latest_partial all_time_low_period "
            "all_time_low_value all_time_low_n all_time_high_period all_time_high_value "
            "record_lows record_lows_short change_points")  # fmt: skip
PAIRS_TABLES = (Table.of("pairs", "pairs", "a.code a.name b.code b.name events ties"),)
OVERVIEW_TABLES = (
    Table.of("tracks", "tracks", _SUMMARY),
    Table.of("signals", "signals", _SUMMARY),
    Table.of("vote_issues", "vote_issues.rows", "issue_code issue roll_calls value ci_low ci_high"),
    Table.of("pulse", "pulse", PULSE_COLUMNS),
    Table.of("signal_series", "signal_series", PULSE_COLUMNS),
)
COMPARE_TABLES = (Table.of("compare", "rows", "period partner partner_name series series_label "
                           "events per_100k value ci_low ci_high coop_share "
                           "outside_official_share is_partial"),)  # fmt: skip
SCORECARD_TABLES = (
    Table.of("by_track", "by_track", "track label ties share"),
    Table.of("by_year", "by_year", "year at ties_active ties_dormant ties_ended ties_proposed "
             "actors_a actors_b kind_entropy kind_effective_number kind_hhi area_entropy "
             "area_effective_number area_hhi neutral_area_share ties_with_unknown_area "
             "people_to_people_share busiest_share ties_kept_without_official "
             "actors_kept_without_official ties_kept_without_politicised "
             "actors_kept_without_politicised components components_without_official "
             "components_without_politicised busiest_actors"),
    Table.of("declined", "scorecard.declined", "tie_id actor_a actor_b channel declined_on reason"),
)  # fmt: skip
NETWORK_TABLES = (
    Table.of("nodes", "nodes", "id name country ties"),
    Table.of("edges", "edges", "id source target channel track status"),
)
RECOMMENDATION_TABLES = (Table.of(
    "recommendations", "items", "rank model_rank source.id source.name source.label "
    "source.kind source.ties candidate_id name label admin1 admin1_name population country "
    "kind score percentile top chance intercept explanation why components also_for"),)  # fmt: skip
ACTORS_TABLES = (Table.of("actors", "items", ACTOR_COLUMNS),)
ACTOR_TABLES = (
    Table.of("ties", "ties", TIE_COLUMNS),
    Table.of("diaspora", "diaspora", "id origin_country country geography level figure measure "
             "year year_basis source source_url via"),
)  # fmt: skip
TIES_TABLES = (Table.of("ties", "items", TIE_COLUMNS),)
TIE_TABLES = (Table.of("activities", "activities",
                       "id tie_id activity_date kind participants note created_at"),)  # fmt: skip

# open doors (``_doors_pages``): a profile, a request, a moderation decision
_PROFILE = ("id", "actor_id", "status", *PROFILE_FIELDS, "created_at", "updated_at",
            "approved_at", "contact_shown")  # fmt: skip
_REQUEST = ("id from_profile_id from_profile from_country to_profile_id to_profile to_country "
            "channel areas message status created_at expires_at answered_at tie_id")  # fmt: skip
DOORS_TABLES = (Table.of("profiles", "me.profiles", _PROFILE),)
PARTNERS_TABLES = (Table.of("partners", "items", _PROFILE),)
SUGGESTION_TABLES = (Table.of(
    "suggestions", "items", (*RECOMMENDATION_TABLES[0].columns, "profile_id")),)  # fmt: skip
REQUESTS_TABLES = (Table.of("incoming", "incoming", _REQUEST),
                   Table.of("outgoing", "outgoing", _REQUEST))  # fmt: skip
MODERATION_LOG_TABLES = (Table.of("moderation_log", "items", "id decided_at moderator action "
                                  "profile_id profile flag_id outcome reason"),)  # fmt: skip
