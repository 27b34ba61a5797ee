"""The pages people use: librarian dashboard (and later kiosk, portal, security console)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.responses import Response

from dashboard import (
    accounts,
    audit,
    catalog,
    circulation,
    pages,
    patrons,
    portal,
    reports,
    rules_pages,
)

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the dashboard's pages and static files on a server app."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(patrons.router)
    app.include_router(catalog.router)
    app.include_router(reports.router)
    app.include_router(accounts.router)
    app.include_router(audit.router)
    app.include_router(circulation.router)
    app.include_router(rules_pages.router)
    app.include_router(portal.router)

    @app.exception_handler(HTTPException)
    async def pages_sign_in_first(request: Request, error: HTTPException) -> Response:
        # A person on a page is sent to sign in; programs on /api get the JSON answer.
        if not request.url.path.startswith(("/api/", "/static/")):
            if error.status_code == 401:
                if request.url.path.startswith("/portal"):
                    return portal.sign_in_redirect()
                return pages.sign_in_redirect(request)
            if error.status_code == 403:
                return pages.render(request, "forbidden.html", status_code=403, role=error.detail)
        return await http_exception_handler(request, error)
