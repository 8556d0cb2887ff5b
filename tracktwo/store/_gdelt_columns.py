"""GDELT's published column layouts, in file order: the files tracktwo.events reads and the
BigQuery table tracktwo.store._bigquery maps to the canonical schema have the same names.

GDELT exports are tab-separated with no header:
  * GDELT 1.0 daily files: 57 columns until 2013-03-31, 58 from April 2013 (SOURCEURL added);
  * GDELT 2.0 15-minute files: 61 columns (an ADM2 code for each geography).
ICEWS-style files have a header line (see tracktwo.events._icews).
"""

from __future__ import annotations

__all__ = [
    "GDELT1_COLUMNS_57",
    "GDELT1_COLUMNS_58",
    "GDELT2_COLUMNS",
    "GDELT_KEY_COLUMNS",
]

_ACTOR = [
    "Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code",
    "Religion2Code", "Type1Code", "Type2Code", "Type3Code",
]  # fmt: skip
_EVENT = [
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass",
    "GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone",
]  # fmt: skip


def _geo(prefix: str, adm2: bool) -> list[str]:
    cols = ["Type", "FullName", "CountryCode", "ADM1Code"]
    if adm2:
        cols.append("ADM2Code")
    cols += ["Lat", "Long", "FeatureID"]
    return [f"{prefix}Geo_{c}" for c in cols]


_HEAD = ["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"]
_ACTORS = [f"Actor1{c}" for c in _ACTOR] + [f"Actor2{c}" for c in _ACTOR]

GDELT1_COLUMNS_57: list[str] = [
    *_HEAD, *_ACTORS, *_EVENT,
    *_geo("Actor1", False), *_geo("Actor2", False), *_geo("Action", False),
    "DATEADDED",
]  # fmt: skip
GDELT1_COLUMNS_58: list[str] = [*GDELT1_COLUMNS_57, "SOURCEURL"]
GDELT2_COLUMNS: list[str] = [
    *_HEAD, *_ACTORS, *_EVENT,
    *_geo("Actor1", True), *_geo("Actor2", True), *_geo("Action", True),
    "DATEADDED", "SOURCEURL",
]  # fmt: skip

assert len(GDELT1_COLUMNS_57) == 57 and len(GDELT1_COLUMNS_58) == 58
assert len(GDELT2_COLUMNS) == 61

# the columns every GDELT layout shares at the same position (0-based index)
GDELT_KEY_COLUMNS = {name: GDELT2_COLUMNS.index(name) for name in _HEAD + _ACTORS + _EVENT}
