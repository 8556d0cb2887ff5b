"""The words of "Where the relationship stands": translatable phrases and how they are filled.

A sentence is a ``Phrase``: an English text with ``%(name)s`` placeholders (its gettext msgid,
marked ``N_`` so ``make catalogues`` collects it) and the values that fill them, some of which
are phrases themselves. ``render`` translates from the inside out with any ``translate`` of
``tracktwo._i18n`` (the web's ``_``), so one sentence reads in English or Khmer and its numbers
are formatted once, here. Counts have one text for one and one for more (English needs both;
Khmer has one form and gives both the same translation).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Union

from tracktwo._i18n import N_, Translate

__all__ = [
    "TITLE",
    "Listing",
    "Phrase",
    "count_phrase",
    "english",
    "ordinal",
    "period_noun",
    "period_text",
    "periods_text",
    "sentence",
    "span_text",
    "value_text",
]

TITLE = N_("Where the relationship stands")

Value = Union[str, int, float, "Phrase", "Listing", tuple["Phrase", ...]]


def english(message: str, **values: object) -> str:
    """The translate of English: the msgid itself, filled."""
    return message % values if values else message


@dataclass(frozen=True)
class Phrase:
    """One translatable text and the values of its placeholders."""

    msgid: str
    values: dict[str, Value] = field(default_factory=dict)

    def render(self, translate: Translate | None = None) -> str:
        say = translate or english
        filled = {name: _render_value(value, say) for name, value in self.values.items()}
        return say(self.msgid, **filled)


@dataclass(frozen=True)
class Listing:
    """Phrases shown one after the other, separated by a comma."""

    items: tuple[Phrase, ...]

    def render(self, translate: Translate | None = None) -> str:
        return ", ".join(item.render(translate) for item in self.items)


def _render_value(value: Value, say: Translate) -> object:
    """A placeholder's text: phrases rendered, clauses (a tuple) one after the other."""
    if isinstance(value, Phrase | Listing):
        return value.render(say)
    if isinstance(value, tuple):
        return "".join(part.render(say) for part in value)
    return value


def sentence(phrase: Phrase, translate: Translate | None = None) -> str:
    """A phrase as a sentence: its first letter a capital (a no-op in Khmer)."""
    text = phrase.render(translate)
    return text[:1].upper() + text[1:]


# -- counts: the events, roll calls or days behind a value -------------------------------------

_COUNTS = {
    "events": (N_("%(count)s event"), N_("%(count)s events")),
    "roll calls": (N_("%(count)s roll call"), N_("%(count)s roll calls")),
    "days": (N_("%(count)s day with a score"), N_("%(count)s days with a score")),
}
# the unit as a bare plural noun ("too few events")
UNIT_NOUNS = {"events": N_("events"), "roll calls": N_("roll calls"), "days": N_("days")}


def count_phrase(count: int, unit: str) -> Phrase:
    one, many = _COUNTS[unit]
    return Phrase(one if count == 1 else many, {"count": f"{count:,}"})


# -- periods -------------------------------------------------------------------------------------

_PERIOD_NOUNS = {
    "year": (N_("year"), N_("years")),
    "quarter": (N_("quarter"), N_("quarters")),
    "month": (N_("month"), N_("months")),
}


def period_noun(freq: str, plural: bool) -> Phrase:
    return Phrase(_PERIOD_NOUNS[freq][1 if plural else 0])


def period_text(period: date, freq: str) -> str:
    """2018, 2018 Q3 or 2018-07: how a period is written in a sentence."""
    if freq == "year":
        return str(period.year)
    if freq == "quarter":
        return f"{period.year} Q{(period.month - 1) // 3 + 1}"
    return f"{period.year}-{period.month:02d}"


def span_text(first: date, last: date, freq: str) -> str:
    start, end = period_text(first, freq), period_text(last, freq)
    return start if start == end else f"{start}–{end}"


def periods_text(periods: Sequence[date], freq: str, step: dict[date, date]) -> str:
    """Periods as runs: 2016–2017, 2019–2020 (``step`` maps a period to the next one)."""
    runs: list[tuple[date, date]] = []
    for period in sorted(periods):
        if runs and step.get(runs[-1][1]) == period:
            runs[-1] = (runs[-1][0], period)
        else:
            runs.append((period, period))
    return ", ".join(span_text(first, last, freq) for first, last in runs)


# -- numbers ---------------------------------------------------------------------------------------

# UN vote agreement is a share (0..1) quoted to three decimals, as docs/signals.md does;
# mean Goldstein scores and other signals to two
_DECIMALS = {"votes": 3}


def value_text(value: float, kind: str) -> str:
    return f"{value:.{_DECIMALS.get(kind, 2)}f}"


def ordinal(rank: int) -> Phrase:
    """2nd, 3rd, 11th, 21st: one text per English suffix (Khmer: ទី2 for all of them)."""
    if rank % 100 in (11, 12, 13):
        return Phrase(N_("%(rank)sth"), {"rank": rank})
    suffix = {1: N_("%(rank)sst"), 2: N_("%(rank)snd"), 3: N_("%(rank)srd")}
    return Phrase(suffix.get(rank % 10, N_("%(rank)sth")), {"rank": rank})
