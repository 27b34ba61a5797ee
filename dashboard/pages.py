"""Dashboard pages, server-rendered with Jinja2; live updates come over /ws/live."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from dashboard.i18n import COOKIE, LANGUAGES, catalogue, pick_language, translate
from server.auth import service as auth
from server.auth.deps import COOKIE as SESSION_COOKIE
from server.auth.deps import requires, token_of
from server.auth.models import Account
from server.auth.permissions import Permission, Role, allowed
from server.circulation import feed
from server.deps import SessionDep
from server.devices import service as devices
from server.ingest.api import recent_events

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)

DevicesReader = Annotated[Account, Depends(requires(Permission.DEVICES_READ))]


def may(account: Account | None) -> Callable[[str], bool]:
    """For templates: `may("audit.read")`, whether the signed-in account holds a permission."""

    def check(permission: str) -> bool:
        return account is not None and allowed(Role(account.role), Permission(permission))

    return check


def render(
    request: Request,
    name: str,
    *,
    account: Account | None = None,
    status_code: int = 200,
    **context: object,
) -> HTMLResponse:
    language = pick_language(request, request.app.state.settings.default_language)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": language,
            "languages": LANGUAGES,
            "account": account,
            "may": may(account),
            "t": lambda key, **values: translate(language, key, **values),
            "strings_json": json.dumps(catalogue(language), ensure_ascii=False),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


def _safe_next(target: str | None) -> str:
    # only paths on this site: a sign-in link must not send people elsewhere
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def sign_in_redirect(request: Request) -> RedirectResponse:
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(path)}", status_code=303)


@router.get("/", response_class=HTMLResponse)
def devices_page(request: Request, session: SessionDep, account: DevicesReader) -> HTMLResponse:
    circulates = allowed(Role(account.role), Permission.CIRCULATE)
    return render(
        request,
        "devices.html",
        account=account,
        gateways=devices.list_gateways(session),
        devices=devices.list_devices(session),
        events=recent_events(session, limit=30, kind=None),
        circulation=feed.recent(session) if circulates else None,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "sign_in.html", next=_safe_next(next), error=None, username="")


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> HTMLResponse | RedirectResponse:
    try:
        token, _account = auth.sign_in(session, username, password, datetime.now(UTC))
    except auth.SignInRefused as refused:
        language = pick_language(request)
        return render(
            request,
            "sign_in.html",
            status_code=401,
            next=_safe_next(next),
            username=username,
            error=translate(language, "sign_in.refused", reason=str(refused)),
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(auth.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep) -> RedirectResponse:
    token = token_of(request)
    if token:
        auth.sign_out(session, token)
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{language}")
def switch_language(language: str, request: Request) -> RedirectResponse:
    """Back to the page the person was on, now in `language`."""
    referer = urlsplit(request.headers.get("referer", ""))
    back = "/"
    if referer.netloc == request.url.netloc:
        back = _safe_next(referer.path + (f"?{referer.query}" if referer.query else ""))
    response = RedirectResponse(back, status_code=303)
    if language in LANGUAGES:
        response.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response
