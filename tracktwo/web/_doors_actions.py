"""Open doors' changes: each an API route and a form route (see ``_doors_kit.action``), plus
signing up, confirming the address and choosing the language, which need no account.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from tracktwo._i18n import LANGUAGES
from tracktwo.accounts import Account, start_session
from tracktwo.doors import (
    add_manager,
    answer_request,
    confirm_email,
    create_profile,
    decide_profile,
    delete_account,
    flag_profile,
    log_party_activity,
    mark_read,
    rule_on_flag,
    send_confirmation,
    send_request,
    set_language,
    sign_up,
    update_profile,
    withdraw_request,
)
from tracktwo.store import MAX_ID
from tracktwo.web._auth import API_ERRORS, account_of, check_csrf, login_csrf, sources_of
from tracktwo.web._client import client_address
from tracktwo.web._cookies import (
    CSRF_COOKIE,
    keep_language,
    keep_login_csrf,
    keep_session,
    safe_next,
)
from tracktwo.web._data import DataSources
from tracktwo.web._doors_kit import ERRORS, action, router
from tracktwo.web._forms import NewActivity

__all__ = ["router"]

Language = Literal["en", "km"]
assert set(Language.__args__) == set(LANGUAGES)  # type: ignore[attr-defined]
Text = Annotated[str | None, Field(default=None, max_length=5000)]
Short = Annotated[str | None, Field(default=None, max_length=300)]


# -- signing up, confirming, the language -------------------------------------------------------


class SignUp(BaseModel):
    username: str = Field(min_length=2, max_length=80)
    email: str = Field(max_length=320)
    password: str = Field(min_length=1, max_length=500)
    language: Language = "en"


def _start(request: Request, response: Response, made: Account) -> None:
    settings = sources_of(request).settings
    secret, _ = start_session(sources_of(request).registry, made, settings.session_hours)
    keep_session(request, response, secret, settings.session_hours)


@router.get("/signup", include_in_schema=False)
def signup_form(request: Request) -> Response:
    token = login_csrf(request)
    response = request.app.state.templates.TemplateResponse(
        request, "signup.html", {"csrf_token": token, "account": None}
    )
    keep_login_csrf(request, response, token)
    return response


@router.post("/signup", include_in_schema=False)
async def signup(
    request: Request,
    username: Annotated[str, Form(max_length=80)],
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=500)],
    language: Annotated[Language, Form()] = "en",
) -> Response:
    await check_csrf(request, request.cookies.get(CSRF_COOKIE) or "\0")
    sources = sources_of(request)
    made = await run_in_threadpool(
        sign_up, sources.registry, sources.mailer, username, email, password, language,
        client_address(request), sources.settings.signups_per_address,
    )  # fmt: skip
    response = RedirectResponse("/doors?signed_up=1", status_code=303)
    if made is not None:  # None: the address has an account; its owner was told by e-mail
        await run_in_threadpool(_start, request, response, made)
    keep_language(response, language)
    return response


@router.post("/api/signup", status_code=201, summary="Sign up", responses=ERRORS)
def signup_api(request: Request, body: SignUp) -> JSONResponse:
    """A new account, unconfirmed until its owner follows the e-mailed link."""
    sources = sources_of(request)
    sign_up(
        sources.registry, sources.mailer, body.username, body.email, body.password,
        body.language, client_address(request), sources.settings.signups_per_address,
    )  # fmt: skip
    # the same answer when the address has an account already (sign_up mailed its owner)
    return JSONResponse(
        {"account": {"username": body.username, "role": "viewer", "confirmed": False}},
        status_code=201,
    )


@router.get("/confirm", include_in_schema=False)
def confirm_page(request: Request, token: str = "") -> Response:
    """The link in the confirmation e-mail."""
    made = confirm_email(sources_of(request).registry, token[:200])
    return request.app.state.templates.TemplateResponse(
        request, "confirm.html", {"confirmed": made.username, "account": account_of(request)}
    )


class Token(BaseModel):
    token: str = Field(max_length=200)


@router.post("/api/confirm", summary="Confirm an e-mail address", responses=API_ERRORS)
def confirm_api(request: Request, body: Token) -> dict[str, Any]:
    """Spend the token of a confirmation e-mail."""
    made = confirm_email(sources_of(request).registry, body.token)
    return {"account": {"username": made.username, "confirmed": True}}


@action("/account/confirmation", None, "/account?sent=1", summary="Send a new confirmation link")
def resend(sources: DataSources, who: Account, body: None) -> dict[str, Any]:
    """E-mail a new confirmation link (the old one stops working)."""
    return {"mail": send_confirmation(sources.registry, sources.mailer, who.user_id)}


class LanguageChoice(BaseModel):
    language: Language


@action("/account/language", LanguageChoice, "/account", summary="Choose your language")
def language_api(sources: DataSources, who: Account, body: LanguageChoice) -> dict[str, Any]:
    """Pages and e-mails in English (en) or Khmer (km)."""
    set_language(sources.registry, who, body.language)
    return {"language": body.language}


@router.post("/language", include_in_schema=False)
async def language_switch(
    request: Request,
    language: Annotated[Language, Form()],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The header's switcher: a cookie for everyone, and the account's setting when logged in
    (that part needs the session's CSRF token)."""
    found = await run_in_threadpool(account_of, request)
    if found is not None and found.csrf_token is not None:
        await check_csrf(request, found.csrf_token)
        await run_in_threadpool(set_language, sources_of(request).registry, found, language)
    response = RedirectResponse(safe_next(next), status_code=303)
    keep_language(response, language)
    return response


# -- profiles ------------------------------------------------------------------------------


class ProfileFields(BaseModel):
    name: Short = None
    local_name: Short = None
    kind: Annotated[str | None, Field(default=None, max_length=40)] = None
    country: Annotated[str | None, Field(default=None, max_length=60)] = None
    place: Short = None
    areas_offered: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=20)
    areas_needed: list[Annotated[str, Field(max_length=40)]] | None = Field(None, max_length=20)
    description_en: Text = None
    description_km: Text = None
    website: Short = None
    contact_email: Short = None
    contact_phone: Annotated[str | None, Field(default=None, max_length=40)] = None

    def given(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


@action("/doors/profiles", ProfileFields, "/doors/profiles/{id}", status=201,
        summary="Register a profile")  # fmt: skip
def new_profile(sources: DataSources, who: Account, body: ProfileFields) -> dict[str, Any]:
    """A profile for your organisation or yourself; visible once a moderator approves it."""
    return create_profile(sources.registry, sources.mailer, who, **body.given())


@action("/doors/profiles/{profile_id}", ProfileFields, "/doors/profiles/{id}", method="patch",
        summary="Change a profile you manage", changes=True)  # fmt: skip
def change_profile(
    sources: DataSources, who: Account, body: ProfileFields, profile_id: int
) -> dict[str, Any]:
    """Only the fields given change; an approved profile's actor changes with it."""
    return update_profile(sources.registry, sources.mailer, who, profile_id, **body.given())


class Manager(BaseModel):
    username: str = Field(min_length=2, max_length=80)


@action("/doors/profiles/{profile_id}/managers", Manager, "/doors/profiles/{profile_id}",
        status=201, summary="Add a manager to a profile")  # fmt: skip
def new_manager(sources: DataSources, who: Account, body: Manager, profile_id: int) -> dict:
    """Another confirmed user may then manage the profile too."""
    return add_manager(sources.registry, sources.mailer, who, profile_id, body.username)


class FlagReason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


@action("/doors/profiles/{profile_id}/flags", FlagReason, "/doors/profiles/{profile_id}?flagged=1",
        status=201, summary="Flag a profile as politicised")  # fmt: skip
def new_flag(sources: DataSources, who: Account, body: FlagReason, profile_id: int) -> dict:
    """Report that a profile is a political instrument of a government; a moderator rules."""
    return flag_profile(
        sources.registry,
        sources.mailer,
        who,
        profile_id,
        body.reason,
        sources.settings.flags_per_day,
    )


# -- requests ------------------------------------------------------------------------------


class NewRequest(BaseModel):
    from_profile_id: int = Field(ge=1, le=MAX_ID)
    to_profile_id: int = Field(ge=1, le=MAX_ID)
    channel: str = Field(max_length=40)
    areas: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)
    message: Annotated[str | None, Field(default=None, max_length=3000)] = None


@action("/doors/requests", NewRequest, "/doors/requests/{id}", status=201, summary="Ask a partner")
def new_request(sources: DataSources, who: Account, body: NewRequest) -> dict[str, Any]:
    """Ask an approved profile across the border, on behalf of one you manage."""
    return send_request(
        sources.registry,
        sources.mailer,
        who,
        body.from_profile_id,
        body.to_profile_id,
        body.channel,
        body.areas,
        body.message,
        sources.settings.rules,
    )


class Answer(BaseModel):
    decision: Literal["accept", "decline"]


@action("/doors/requests/{request_id}/answer", Answer, "/doors/requests/{id}",
        summary="Answer a request", changes=True)  # fmt: skip
def answer(sources: DataSources, who: Account, body: Answer, request_id: int) -> dict[str, Any]:
    """Accept (an active tie enters the registry) or decline a request to your profile."""
    return answer_request(
        sources.registry, sources.mailer, who, request_id, body.decision == "accept"
    )


@action("/doors/requests/{request_id}/withdraw", None, "/doors/requests/{id}",
        summary="Withdraw a request")  # fmt: skip
def withdraw(sources: DataSources, who: Account, body: None, request_id: int) -> dict[str, Any]:
    """Take back a request of yours that is still waiting."""
    return withdraw_request(sources.registry, who, request_id)


class PartyActivity(NewActivity):  # the dashboard's activity, logged by a party to the tie
    pass


@action("/doors/ties/{tie_id}/activities", PartyActivity, "/ties/{tie_id}", status=201,
        summary="Log an activity on your tie", changes=True)  # fmt: skip
def party_activity(sources: DataSources, who: Account, body: PartyActivity, tie_id: int) -> dict:
    """For the managers of either side's profile: a visit, exchange, project ... on the tie."""
    return log_party_activity(
        sources.registry,
        who,
        tie_id,
        body.activity_date,
        body.kind,
        body.participants,
        body.note,
    )


# -- moderation ----------------------------------------------------------------------------


class ProfileDecision(BaseModel):
    decision: Literal["approve", "reject"]
    reason: Annotated[str | None, Field(default=None, max_length=2000)] = None


@action("/moderation/profiles/{profile_id}", ProfileDecision, "/moderation",
        summary="Approve or reject a profile", changes=True)  # fmt: skip
def decide(sources: DataSources, who: Account, body: ProfileDecision, profile_id: int) -> dict:
    """For moderators: approval writes the profile's actor into the registry."""
    return decide_profile(
        sources.registry, sources.mailer, who, profile_id, body.decision == "approve", body.reason
    )


class FlagRuling(BaseModel):
    outcome: Literal["upheld", "dismissed", "cleared"]
    reason: str = Field(min_length=1, max_length=2000)
    funded_by: Annotated[str | None, Field(default=None, max_length=60)] = None
    stance: Literal["hostile", "aligned"] | None = None


@action("/moderation/flags/{flag_id}", FlagRuling, "/moderation", summary="Rule on a flag",
        changes=True)  # fmt: skip
def rule(sources: DataSources, who: Account, body: FlagRuling, flag_id: int) -> dict[str, Any]:
    """For moderators: an upheld flag sets the actor's politicisation fields."""
    return rule_on_flag(
        sources.registry,
        sources.mailer,
        who,
        flag_id,
        body.outcome,
        body.reason,
        body.funded_by,
        body.stance,
    )


# -- inbox and account ---------------------------------------------------------------------


class ReadMark(BaseModel):
    notification_id: int | None = Field(default=None, ge=1, le=MAX_ID)


@action("/inbox/read", ReadMark, "/inbox", summary="Mark inbox entries read")
def read(sources: DataSources, who: Account, body: ReadMark) -> dict[str, Any]:
    """One entry, or all of them without ``notification_id``."""
    return {"marked": mark_read(sources.registry, who, body.notification_id)}


class Deletion(BaseModel):
    password: str = Field(min_length=1, max_length=500)


@action("/account/delete", Deletion, "/?deleted=1", summary="Delete your account", changes=True)
def delete(sources: DataSources, who: Account, body: Deletion) -> dict[str, Any]:
    """Deletes your account and personal data; ties stay, anonymised. Wrong passwords count
    for the login limit: after a few, 429 for a while (your logins stay open)."""
    return delete_account(sources.registry, who, body.password, sources.settings.login_limit)
