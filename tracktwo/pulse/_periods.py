"""Calendar periods the pulse is reported in: month, quarter or year.

A period is named by its first day (2019-04-01 is the second quarter of 2019), in Python
(`period_start`) and in Ibis expressions (`period_expr`), so every engine groups alike.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ibis

from tracktwo._errors import InputError

__all__ = [
    "FREQS",
    "MONTHS_IN",
    "check_range",
    "period_expr",
    "period_name",
    "period_start",
    "to_dates",
    "validate_freq",
    "within",
]

FREQS = ("month", "quarter", "year")

# months in one period of each frequency
MONTHS_IN = {"month": 1, "quarter": 3, "year": 12}

# Ibis / SQL truncation units
_TRUNCATE_UNIT = {"month": "M", "quarter": "Q", "year": "Y"}


def validate_freq(freq: str) -> str:
    """Return ``freq`` lower-cased, or raise InputError naming the allowed values."""
    chosen = str(freq).strip().lower()
    if chosen not in FREQS:
        raise InputError(f"frequency {freq!r} is not one of {', '.join(FREQS)}")
    return chosen


def period_start(d: date, freq: str) -> date:
    """The first day of the month, quarter or year that contains ``d``."""
    chosen = validate_freq(freq)
    if chosen == "month":
        return d.replace(day=1)
    if chosen == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(d.year, 1, 1)


def period_expr(day: Any, freq: str) -> Any:
    """An Ibis date expression: the first day of the period containing ``day``."""
    return day.truncate(_TRUNCATE_UNIT[validate_freq(freq)])


def to_dates(column: Any) -> Any:
    """A pandas column of timestamps as plain ``datetime.date`` objects (how tracktwo prints)."""
    return [value.date() if hasattr(value, "date") else value for value in column]


def check_range(since: date | None, until: date | None) -> None:
    """Refuse a date range that ends before it starts."""
    if since is not None and until is not None and until < since:
        raise InputError(f"the end date {until} is before the start date {since}")


def within(day: Any, since: date | None, until: date | None) -> Any:
    """An Ibis boolean: ``day`` lies in [since, until] (either end may be open)."""
    condition = ibis.literal(True)
    if since is not None:
        condition = condition & (day >= since)
    if until is not None:
        condition = condition & (day <= until)
    return condition


def period_name(period: date, freq: str) -> str:
    """How a period is written for a reader: 2019, 2019 Q2 or 2019-04."""
    if freq == "year":
        return str(period.year)
    if freq == "quarter":
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    return period.isoformat()[:7]
