"""The patron portal: sign in with card and PIN, see and renew loans, fines, search.

Mobile-first pages of their own (no staff navigation), plain forms that work without
JavaScript. The routes call the same services as /api/portal.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dashboard.i18n import pick_language, translate
from dashboard.pages import render
from server.auth import service as auth
from server.auth.deps import COOKIE as SESSION_COOKIE
from server.auth.deps import requires, token_of
from server.auth.models import Account
from server.auth.permissions import Permission
from server.catalog import service as catalog
from server.circulation import portal_api, service
from server.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/portal", include_in_schema=False)

Searcher = Annotated[Account, Depends(requires(Permission.CATALOG_READ))]


def _zone_time(settings: object, at: datetime) -> datetime:
    return at.astimezone(settings.zone)  # type: ignore[attr-defined]


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    return render(request, "portal_sign_in.html", error=None, card="")


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    session: SessionDep,
    card: Annotated[str, Form(max_length=32)],
    pin: Annotated[str, Form(max_length=12)],
) -> HTMLResponse | RedirectResponse:
    try:
        token, _account = portal_api.sign_in_patron(session, card.strip(), pin.strip())
    except HTTPException as refused:
        error = translate(pick_language(request), "portal.refused", reason=refused.detail)
        return render(request, "portal_sign_in.html", status_code=401, error=error, card=card)
    response = RedirectResponse("/portal", status_code=303)
    ttl = int(auth.SESSION_TTL.total_seconds())
    response.set_cookie(SESSION_COOKIE, token, max_age=ttl, httponly=True, samesite="lax")
    return response


@router.get("", response_class=HTMLResponse)
def home(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    patron: portal_api.OwnPatron,
    renewed: str = "",
    refused: str = "",
) -> HTMLResponse:
    me = portal_api.summary(session, settings, patron)
    return render(
        request,
        "portal.html",
        me=me,
        local=lambda at: _zone_time(settings, at),
        renewed=renewed,
        refused=refused,
    )


@router.post("/renew")
def renew(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    patron: portal_api.OwnPatron,
    barcode: Annotated[str, Form(max_length=32)],
) -> RedirectResponse:
    assert patron.id is not None
    desk = service.Desk(settings.branch, f"patron-{patron.id}", datetime.now(UTC), settings.zone)
    try:
        done = service.renew(session, barcode, desk, patron_id=patron.id)
    except service.CirculationRefused as refusal:
        codes = ",".join(r.code.value for r in refusal.reasons)
        return RedirectResponse(f"/portal?refused={codes}", status_code=303)
    except service.CirculationNotFound:
        return RedirectResponse("/portal?refused=not_on_loan", status_code=303)
    request.app.state.link.publish_live(done.live)
    return RedirectResponse(f"/portal?renewed={done.item.barcode}", status_code=303)


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request, session: SessionDep, account: Searcher, q: str = "", page: int = 1
) -> HTMLResponse:
    found = catalog.find(session, q[:200], page=max(page, 1), per_page=20) if q.strip() else None
    return render(request, "portal_search.html", q=q, found=found, patron_view=True)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep) -> RedirectResponse:
    token = token_of(request)
    if token:
        auth.sign_out(session, token)
    response = RedirectResponse("/portal/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def sign_in_redirect() -> RedirectResponse:
    return RedirectResponse("/portal/sign-in", status_code=303)
