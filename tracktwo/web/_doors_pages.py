"""Open doors' pages, each with its JSON twin: the doors home, the partner search, a profile,
suggestions for a profile, requests, the inbox, the account, and the moderators' queue and log.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select

from tracktwo._errors import NotAllowedError
from tracktwo._i18n import N_
from tracktwo.accounts import Account
from tracktwo.bridges import DOORS_TRACKS, Actor, load_vocabulary
from tracktwo.doors import (
    FLAG_OUTCOMES,
    Profile,
    account_details,
    approved_by_country,
    export_account,
    get_profile,
    get_request,
    inbox,
    moderation_log,
    moderation_queue,
    my_profiles,
    my_requests,
    search_profiles,
    unread,
)
from tracktwo.web._auth import reader, sources_of
from tracktwo.web._doors_kit import Id, Member, personal_page, router
from tracktwo.web._match_views import recommendations_view
from tracktwo.web._tables import (
    DOORS_TABLES,
    MODERATION_LOG_TABLES,
    PARTNERS_TABLES,
    REQUESTS_TABLES,
    SUGGESTION_TABLES,
)

__all__ = ["form_choices"]

Reader = Annotated[Account | None, Depends(reader)]
Word = Annotated[str | None, Query(max_length=200)]


def form_choices(request: Request) -> dict[str, Any]:
    """What the profile, request and flag forms offer: people-to-people kinds, areas (neutral
    ones first), channels and countries."""
    sources = sources_of(request)
    vocabulary = load_vocabulary()
    order = {"neutral": 0, "sensitive": 1, "political": 2}
    areas = sorted(
        (a for a in sources.taxonomy.areas.values() if a.name != "unspecified"),
        key=lambda a: (order.get(a.sensitivity, 3), a.name),
    )
    return {
        "kinds": [
            (k, vocabulary.labels.get(k, k))
            for k, track in vocabulary.kinds.items()
            if track in DOORS_TRACKS
        ],
        "areas": [{"name": a.name, "label": a.label, "sensitivity": a.sensitivity} for a in areas],
        "area_labels": {a.name: a.label for a in areas},
        "kind_labels": dict(vocabulary.labels),
        "channels": list(vocabulary.channels),
        "countries": sorted(sources.taxonomy.countries.iso3_to_name.items(), key=lambda c: c[1]),
        "outcomes": FLAG_OUTCOMES,
    }


@personal_page(
    "/doors", "doors.html", DOORS_TABLES, summary="Open doors: your profiles and requests"
)
def doors_home(request: Request, who: Reader) -> dict[str, Any]:
    """Approved profiles by country; for a logged-in person, their profiles, requests and
    unread inbox entries too."""
    registry = sources_of(request).registry
    page: dict[str, Any] = {"approved_by_country": approved_by_country(registry), "me": None}
    if who is not None:
        page["me"] = {
            "username": who.username,
            "confirmed": who.confirmed,
            "profiles": my_profiles(registry, who),
            "requests": my_requests(registry, who) if who.confirmed else None,
            "unread": unread(registry, who),
        }
    return page


@personal_page(
    "/doors/partners", "partners.html", PARTNERS_TABLES, summary="Search approved profiles"
)
def partners(
    request: Request,
    who: Reader,
    country: Annotated[str | None, Query(max_length=3)] = None,
    area: Annotated[str | None, Query(max_length=40)] = None,
    q: Word = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    """Approved profiles, by country, area (offered or needed), kind and a word."""
    rows = search_profiles(sources_of(request).registry, country, area, q, kind)
    return {
        "items": rows,
        "country": country,
        "area": area,
        "q": q,
        "kind": kind,
        **form_choices(request),
    }


def _askers(request: Request, who: Account | None, profile: dict[str, Any]) -> list[dict]:
    """The viewer's approved profiles in another country: who could ask this one."""
    if who is None or not who.confirmed or profile["status"] != "approved":
        return []
    return [
        p
        for p in my_profiles(sources_of(request).registry, who)
        if p["status"] == "approved" and p["country"] != profile["country"]
    ]


@personal_page("/doors/profiles/{profile_id}", "profile.html", summary="One profile")
def profile(request: Request, profile_id: Id, who: Reader) -> dict[str, Any]:
    """An approved profile (or, for its managers and the moderators, a pending one); its
    contact details only for its managers and the other side of an accepted request."""
    shown = get_profile(sources_of(request).registry, profile_id, who)
    return {"profile": shown, "askers": _askers(request, who, shown), **form_choices(request)}


@personal_page("/doors/profiles/{profile_id}/edit", "profile_form.html", summary="Edit form")
def profile_edit(request: Request, profile_id: Id, who: Member) -> dict[str, Any]:
    """A profile as its manager edits it."""
    shown = get_profile(sources_of(request).registry, profile_id, who)
    if not shown["managed"]:
        raise NotAllowedError(f"profile_id: you do not manage profile {profile_id}")
    return {"profile": shown, **form_choices(request)}


@personal_page("/doors/new-profile", "profile_form.html", summary="New profile form")
def profile_new(request: Request, who: Member) -> dict[str, Any]:
    """The empty form for a new profile."""
    return {"profile": None, **form_choices(request)}


def _other_country(request: Request, shown: dict[str, Any]) -> str | None:
    """The country, other than the profile's, with the most approved profiles."""
    counts = approved_by_country(sources_of(request).registry)
    counts.pop(shown["country"], None)
    return max(counts, key=lambda country: counts[country]) if counts else None


def _politicised_ids(request: Request, ids: list[int]) -> set[int]:
    with sources_of(request).registry.read() as session:
        actors = session.scalars(select(Actor).where(Actor.id.in_(ids))).all()
        return {a.id for a in actors if a.politicised}


def _profile_of_actor(request: Request, ids: list[int]) -> dict[int, int]:
    with sources_of(request).registry.read() as session:
        rows = session.execute(
            select(Profile.actor_id, Profile.id).where(
                Profile.actor_id.in_(ids), Profile.status == "approved"
            )
        ).all()
    return {int(actor): int(profile) for actor, profile in rows}


@personal_page(
    "/doors/profiles/{profile_id}/suggestions",
    "suggestions.html",
    SUGGESTION_TABLES,
    summary="Suggested partners for a profile",
)
def suggestions(
    request: Request,
    profile_id: Id,
    who: Member,
    country: Annotated[str | None, Query(max_length=3)] = None,
    k: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    """tracktwo's recommended partners for the profile's actor in ``country`` (by default the
    country with most approved profiles), each explained; politicised actors are left out."""
    shown = get_profile(sources_of(request).registry, profile_id, who)
    if not shown["managed"]:
        raise NotAllowedError(f"profile_id: you do not manage profile {profile_id}")
    if shown["actor_id"] is None:
        raise NotAllowedError(
            "profile_id: suggestions come once a moderator approves the profile", "not_approved"
        )
    other = (country or "").upper() or _other_country(request, shown)
    page: dict[str, Any] = {
        "profile": shown,
        "country": other,
        "items": [],
        "missing": [],
        "left_out": 0,
    }
    if other is None:
        page["missing"].append(N_("No approved profile in another country yet."))
        return page
    found = recommendations_view(
        sources_of(request), shown["country"], other, shown["actor_id"], k * 2
    )
    page["missing"] += found["missing"]
    ids = [item["candidate_id"] for item in found["items"]]
    politicised, profiles = _politicised_ids(request, ids), _profile_of_actor(request, ids)
    kept = [item for item in found["items"] if item["candidate_id"] not in politicised]
    page["left_out"] = len(found["items"]) - len(kept)
    page["items"] = [
        {**item, "profile_id": profiles.get(item["candidate_id"])} for item in kept[:k]
    ]
    return page


@personal_page(
    "/doors/requests", "requests.html", REQUESTS_TABLES, summary="Your partnership requests"
)
def requests(request: Request, who: Member) -> dict[str, Any]:
    """Requests to and from the profiles you manage, newest first."""
    return my_requests(sources_of(request).registry, who)


@personal_page("/doors/requests/{request_id}", "request.html", summary="One request")
def one_request(request: Request, request_id: Id, who: Member) -> dict[str, Any]:
    """A request between a profile you manage and another; the other side's contact details
    once accepted."""
    return {
        "item": get_request(sources_of(request).registry, who, request_id),
        **form_choices(request),
    }


@personal_page("/inbox", "inbox.html", summary="Your inbox")
def inbox_page(request: Request, who: Member) -> dict[str, Any]:
    """The newest 100 entries, in your language."""
    return {"items": inbox(sources_of(request).registry, who)}


@personal_page("/account", "account.html", summary="Your account")
def account_page(request: Request, who: Member) -> dict[str, Any]:
    """Your account: e-mail, language, confirmation; export and deletion."""
    registry = sources_of(request).registry
    return {"me": account_details(registry, who), "profiles": len(my_profiles(registry, who))}


@personal_page("/moderation", "moderation.html", summary="Moderation queue")
def moderation(request: Request, who: Member) -> dict[str, Any]:
    """Pending profiles and open flags, oldest first: for moderators."""
    return {**moderation_queue(sources_of(request).registry, who), **form_choices(request)}


@personal_page(
    "/moderation/log", "moderation_log.html", MODERATION_LOG_TABLES, summary="Moderation log"
)
def moderation_history(request: Request, who: Member) -> dict[str, Any]:
    """Every moderation decision, newest first: who, when, what and why. For admins."""
    return {"items": moderation_log(sources_of(request).registry, who)}


@router.get("/account/export", include_in_schema=False)
def export_download(request: Request, who: Member) -> Response:
    """Everything about you as a JSON file (the same as ``GET /api/account/export``)."""
    data = jsonable_encoder(export_account(sources_of(request).registry, who))
    return JSONResponse(
        data,
        headers={"content-disposition": f'attachment; filename="tracktwo-{who.username}.json"'},
    )


@router.get("/api/account/export", summary="Export your data", responses={})
def export_api(request: Request, who: Member) -> Response:
    """Everything tracktwo holds about you: account, profiles, requests, flags, inbox."""
    return JSONResponse(jsonable_encoder(export_account(sources_of(request).registry, who)))
