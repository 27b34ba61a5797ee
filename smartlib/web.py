"""The web application as uvicorn starts it: the server's API plus the dashboard's pages."""

from __future__ import annotations

from fastapi import FastAPI

import dashboard
from server.app import create_app as create_server_app
from server.config import ServerSettings


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    app = create_server_app(settings or ServerSettings())
    dashboard.install(app)
    return app
