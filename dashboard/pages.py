"""Dashboard pages, server-rendered with Jinja2; live updates come over /ws/live."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from dashboard.i18n import COOKIE, LANGUAGES, catalogue, pick_language, translate
from server.deps import SessionDep
from server.devices import service as devices
from server.ingest.api import recent_events

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, **context: object) -> HTMLResponse:
    language = pick_language(request, request.app.state.settings.default_language)
    response = templates.TemplateResponse(
        request,
        name,
        {
            "lang": language,
            "languages": LANGUAGES,
            "t": lambda key, **values: translate(language, key, **values),
            "strings_json": json.dumps(catalogue(language), ensure_ascii=False),
            **context,
        },
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
def devices_page(request: Request, session: SessionDep) -> HTMLResponse:
    return render(
        request,
        "devices.html",
        gateways=devices.list_gateways(session),
        devices=devices.list_devices(session),
        events=recent_events(session, limit=30, kind=None),
    )


@router.get("/lang/{language}")
def switch_language(language: str, request: Request) -> RedirectResponse:
    target = request.headers.get("referer") or "/"
    response = RedirectResponse(target, status_code=303)
    if language in LANGUAGES:
        response.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, samesite="lax")
    return response
