"""The dashboard's pages and their JSON twins, declared once.

``@page(path, template)`` registers the function twice: ``GET /api<path>`` returns its dict as
JSON (in the OpenAPI description), ``GET <path>`` renders ``template`` with the same dict, plus
what ``charts`` adds for the eye (server-drawn SVG). The function itself only parses its
parameters and calls one view.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from tracktwo.accounts import Account
from tracktwo.store import MAX_ID
from tracktwo.web import _charts
from tracktwo.web._actors_view import MAX_PER_PAGE, PER_PAGE, actors_view
from tracktwo.web._auth import API_ERRORS, BEARER, reader, sources_of
from tracktwo.web._compare_view import compare_view
from tracktwo.web._downloads import Table, chosen_table, csv_response, downloadable, table_csv
from tracktwo.web._match_views import network_view, recommendations_view
from tracktwo.web._tables import (
    ACTOR_TABLES,
    ACTORS_TABLES,
    COMPARE_TABLES,
    NETWORK_TABLES,
    OVERVIEW_TABLES,
    PAIRS_TABLES,
    RECOMMENDATION_TABLES,
    SCORECARD_TABLES,
    TIE_TABLES,
    TIES_TABLES,
)
from tracktwo.web._views import (
    actor_view,
    overview_view,
    pairs_view,
    scorecard_view,
    tie_view,
    ties_view,
)

__all__ = ["router"]

router = APIRouter()
Country = Annotated[str, Path(min_length=2, max_length=60, description="ISO3 code, e.g. KHM")]
Reader = Annotated[Account | None, Depends(reader)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]
# a whole list at once (a download of every row) is allowed up to MAX_PER_PAGE rows
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE, description="rows a page (default 50)")]
ActorId = Annotated[int, Path(ge=1, le=MAX_ID)]
TieId = Annotated[int, Path(ge=1, le=MAX_ID)]
Charts = Callable[[Request, dict[str, Any]], dict[str, Any]]


def page(
    path: str, template: str, charts: Charts | None = None, tables: Sequence[Table] = (),
    **api: Any,
) -> Callable:  # fmt: skip
    """Register ``view`` as the page ``path`` and its JSON twin; with ``tables``, the twin
    also answers ``?format=csv&table=NAME`` (``_downloads``)."""

    def register(view: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        @functools.wraps(view)
        async def as_json(*args: Any, **kwargs: Any) -> Response:
            # a twin depends on its URL, the data version and the day (effective statuses):
            # a repeated request is answered from the cache on the event loop, encoded once
            request: Request = kwargs["request"]
            chosen = chosen_table(tables, kwargs)
            sources = sources_of(request)
            kind = "json" if chosen is None else "csv"
            key = (kind, request.url.path, request.url.query, date.today())
            body: bytes | None = sources.peek(key)
            if body is None:
                body = await run_in_threadpool(
                    sources.cached, key, lambda: _encode(view(*args, **kwargs), chosen)
                )
            if chosen is not None:
                return csv_response(body, request.url.path, chosen.name)
            return Response(body, media_type="application/json")

        if tables:  # the twin's signature gains format and table (in OpenAPI too)
            as_json.__signature__ = downloadable(view, tables)  # type: ignore[attr-defined]

        @functools.wraps(view)
        def as_html(*args: Any, **kwargs: Any) -> Response:
            request: Request = kwargs["request"]
            data = view(*args, **kwargs)
            extra = charts(request, data) if charts else {}
            context = {**data, **extra, "account": request.state.account}
            return request.app.state.templates.TemplateResponse(request, template, context)

        router.get("/api" + (path if path != "/" else "/pairs"), response_class=JSONResponse,
                   dependencies=[BEARER], responses=API_ERRORS, **api)(as_json)  # fmt: skip
        router.get(path, response_class=HTMLResponse, include_in_schema=False)(as_html)
        return view

    return register


def _encode(data: dict[str, Any], table: Table | None) -> bytes:
    """The twin's body: the page's public data as JSON, or one table of it as CSV."""
    if table is not None:
        return table_csv(data, table)
    public = {k: v for k, v in data.items() if not k.startswith("_")}  # frames: the charts'
    return json.dumps(public, ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()  # fmt: skip


def _overview_charts(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    sources = sources_of(request)
    a, b = data["a"]["code"], data["b"]["code"]
    events, signals = data["_frames"]

    def draw() -> dict[str, Any]:
        title = f"{data['a']['name']}–{data['b']['name']}: pulse by track (mean Goldstein)"
        return {"pulse_svg": _charts.pulse_svg(events, title),
                "signals_svg": _charts.signals_svg(signals)}  # fmt: skip

    return sources.cached(("overview-charts", a, b, data["freq"], date.today()), draw)


def _scorecard_charts(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    key = ("scorecard-chart", data["a"]["code"], data["b"]["code"], date.today())
    return sources_of(request).cached(key, lambda: {"trend_svg": _charts.trend_svg(data["_trend"])})


def _network_chart(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    key = ("network-chart", data["a"]["code"], data["b"]["code"], date.today())
    draw = lambda: {"network_svg": _charts.network_svg(data["nodes"], data["edges"])}  # noqa: E731
    return sources_of(request).cached(key, draw)


@page("/", "pairs.html", tables=PAIRS_TABLES, summary="Country pairs with events or ties")
def pairs(request: Request, who: Reader) -> dict[str, Any]:
    """Every country pair in the event store or the registry, the busiest first."""
    return pairs_view(sources_of(request))


@page(
    "/pairs/{a}/{b}",
    "overview.html",
    _overview_charts,
    OVERVIEW_TABLES,
    summary="Overview of a country pair",
)
def overview(
    request: Request, a: Country, b: Country, who: Reader,
    freq: Literal["year", "quarter", "month"] = "year",
) -> dict[str, Any]:  # fmt: skip
    """The pulse by track with 95% intervals, record lows and change points; UN voting
    agreement and other signals; the scorecard's headline figures."""
    return overview_view(sources_of(request), a, b, freq)


def _compare_chart(request: Request, data: dict[str, Any]) -> dict[str, Any]:
    partners = tuple(p["code"] for p in data["partners"])
    key = ("compare-chart", data["focal"]["code"], partners, data["freq"], data["by"])
    title = f"{data['focal']['name']} beside its partners: mean Goldstein and events"
    draw = lambda: {"compare_svg": _charts.compare_svg(data["_frame"], title)}  # noqa: E731
    return sources_of(request).cached(key, draw)


@page(
    "/pairs/{a}/{b}/compare",
    "compare.html",
    _compare_chart,
    COMPARE_TABLES,
    summary="Compare partners",
)
def compare(
    request: Request, a: Country, b: Country, who: Reader,
    freq: Literal["year", "quarter", "month"] = "year",
    by: Literal["none", "track"] = "none",
    partners: Annotated[
        str | None, Query(max_length=200, description="e.g. CHN,VNM (default: the busiest)")
    ] = None,
) -> dict[str, Any]:  # fmt: skip
    """The pair's first country beside the second and its busiest partners (or ``partners``),
    per period: events, per 100,000 events of the source, mean Goldstein with its 95% interval,
    cooperative share and the share outside the official track."""
    return compare_view(sources_of(request), a, b, freq=freq, by=by, partners=partners)


@page(
    "/pairs/{a}/{b}/scorecard",
    "scorecard.html",
    _scorecard_charts,
    SCORECARD_TABLES,
    summary="Scorecard",
)
def scorecard(request: Request, a: Country, b: Country, who: Reader) -> dict[str, Any]:
    """Today's scorecard of the ties between the two countries, and year by year."""
    return scorecard_view(sources_of(request), a, b)


@page(
    "/pairs/{a}/{b}/network",
    "network.html",
    _network_chart,
    NETWORK_TABLES,
    summary="Network of ties",
)
def network(request: Request, a: Country, b: Country, who: Reader) -> dict[str, Any]:
    """The actors tied across the two countries (nodes) and their ties (edges)."""
    return network_view(sources_of(request), a, b)


@page(
    "/pairs/{a}/{b}/recommendations",
    "recommendations.html",
    tables=RECOMMENDATION_TABLES,
    summary="Recommendations",
)
def recommendations(
    request: Request, a: Country, b: Country, who: Reader,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:  # fmt: skip
    """Recommended new partners in B for an actor of A, each with the contribution of every
    score component; without ``actor_id``, the best partner of A's most connected actors."""
    return recommendations_view(sources_of(request), a, b, actor_id, k)


@page("/actors", "actors.html", tables=ACTORS_TABLES, summary="Search actors")
def actors(
    request: Request, who: Reader,
    country: Annotated[str | None, Query(max_length=60)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    area: Annotated[str | None, Query(max_length=40)] = None,
    q: Annotated[str | None, Query(max_length=200, description="any of the names")] = None,
    sort: Annotated[Literal["id", "name", "ties"], Query(description="ties: most first")] = "id",
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> dict[str, Any]:  # fmt: skip
    """Actors by country, kind and area of cooperation, or by name, each with its admin
    region and number of ties; 50 a page. ``facets``: the countries, kinds and areas the
    registry holds, with their numbers of actors."""
    return actors_view(sources_of(request), country=country, kind=kind, area=area, q=q,
                       sort=sort, page=page, per_page=per_page)  # fmt: skip


@page("/actors/{actor_id}", "actor.html", tables=ACTOR_TABLES, summary="One actor with its ties")
def actor(request: Request, actor_id: ActorId, who: Reader) -> dict[str, Any]:
    """An actor, its ties (with their effective status) and their activities."""
    return actor_view(sources_of(request), actor_id)


@page("/ties", "ties.html", tables=TIES_TABLES, summary="List ties")
def ties(
    request: Request, who: Reader,
    a: Annotated[str | None, Query(max_length=60)] = None,
    b: Annotated[str | None, Query(max_length=60)] = None,
    status: Literal["active", "dormant", "ended", "proposed", "declined"] | None = None,
    page: PageNumber = 1,
    per_page: PerPage = PER_PAGE,
) -> dict[str, Any]:  # fmt: skip
    """Ties touching country ``a`` (and ``b``), by effective status today; 50 a page."""
    return ties_view(sources_of(request), a=a, b=b, status=status, page=page,
                     per_page=per_page)  # fmt: skip


@page("/ties/{tie_id}", "tie.html", tables=TIE_TABLES, summary="One tie with its activity log")
def tie(request: Request, tie_id: TieId, who: Reader) -> dict[str, Any]:
    """A tie, both actors, its effective status and its activity log."""
    return tie_view(sources_of(request), tie_id)


@router.get("/pairs/go", include_in_schema=False)
def pair_picker(
    request: Request, who: Reader,
    a: Annotated[str, Query(max_length=60)], b: Annotated[str, Query(max_length=60)],
) -> Response:  # fmt: skip
    """The picker's form: any two countries, by code or English name."""
    from fastapi.responses import RedirectResponse

    from tracktwo.bridges import country_pair

    first, second = country_pair(a, b, sources_of(request).taxonomy)
    return RedirectResponse(f"/pairs/{first}/{second}", status_code=303)
