"""The pages people use: librarian dashboard (and later kiosk, portal, security console)."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dashboard import pages

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the dashboard's pages and static files on a server app."""
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
