"""The patron portal: sign in with card and PIN, see and renew loans, fines, search.

Mobile-first pages of their own (no staff navigation), plain forms that work without
JavaScript. The routes call the same services as /api/portal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from dashboard.i18n import pick_language, translate
from dashboard.pages import render
from server.auth import service as auth
from server.auth.deps import COOKIE as SESSION_COOKIE
from server.auth.deps import requires, token_of
from server.auth.models import Account
from server.auth.permissions import Permission
from server.catalog import service as catalog
from server.circulation import holds, portal_api, service
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
    held: str = "",
    cancelled: str = "",
    refused: str = "",
) -> HTMLResponse:
    me = portal_api.summary(session, settings, patron)
    return render(
        request,
        "portal.html",
        me=me,
        local=lambda at: _zone_time(settings, at),
        renewed=renewed,
        held=held,
        cancelled=cancelled,
        refused=refused,
    )


@router.post("/renew")
def renew(
    request: Request,
    session: SessionDep,
    patron: portal_api.OwnPatron,
    desk: portal_api.OwnDesk,
    barcode: Annotated[str, Form(max_length=32)],
) -> RedirectResponse:
    return _act(
        request, lambda: service.renew(session, barcode, desk, patron_id=patron.id), "renewed"
    )


@router.post("/holds")
def place_hold(
    request: Request,
    session: SessionDep,
    patron: portal_api.OwnPatron,
    desk: portal_api.OwnDesk,
    record_id: Annotated[int, Form(gt=0, le=2_147_483_647)],
) -> RedirectResponse:
    assert patron.id is not None
    return _act(request, lambda: holds.place_hold(session, patron.id, record_id, desk), "held")


@router.post("/holds/{hold_id}/cancel")
def cancel_hold(
    request: Request,
    session: SessionDep,
    patron: portal_api.OwnPatron,
    desk: portal_api.OwnDesk,
    hold_id: Annotated[int, Path(gt=0, le=2_147_483_647)],
) -> RedirectResponse:
    return _act(
        request, lambda: holds.cancel_hold(session, hold_id, desk, patron_id=patron.id), "cancelled"
    )


def _act(request: Request, action: Callable[[], Any], done_as: str) -> RedirectResponse:
    """Do it, publish what changed, and go back to the patron's page saying how it went."""
    try:
        done = action()
    except service.CirculationRefused as refusal:
        codes = ",".join(r.code.value for r in refusal.reasons)
        return RedirectResponse(f"/portal?refused={codes}", status_code=303)
    except service.CirculationNotFound:
        return RedirectResponse("/portal?refused=not_yours", status_code=303)
    request.app.state.link.publish_live(done.live)
    return RedirectResponse(f"/portal?{done_as}={quote(done.title)}", status_code=303)


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
