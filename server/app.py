"""The FastAPI application factory: database, MQTT link, live stream and routers."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from server import ops
from server.auth import api as auth_api
from server.catalog import api as catalog_api
from server.circulation import api as circulation_api
from server.circulation import holds_api, portal_api
from server.circulation import lookup_api as circulation_lookup_api
from server.config import ServerSettings
from server.db import make_engine, migrate
from server.devices import api as devices_api
from server.ingest import api as ingest_api
from server.jobs import Jobs
from server.link import ServerLink
from server.live import LiveHub
from server.metrics import Metrics
from server.patrons import api as patrons_api
from server.reports import api as reports_api

log = logging.getLogger(__name__)


def create_app(settings: ServerSettings) -> FastAPI:
    engine = make_engine(settings.database_url)
    hub = LiveHub()
    metrics = Metrics()
    link = ServerLink(settings, engine, hub, metrics)
    jobs = Jobs([holds_api.expiry_job(settings, engine, link)])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate, engine)
        hub.attach(asyncio.get_running_loop())
        link.start()
        jobs.start()
        # Everything made so far lives as long as the process: keep it out of the
        # collector's full passes, which otherwise pause ingest for tens of milliseconds.
        gc.freeze()
        log.info("server %s ready", settings.instance)
        try:
            yield
        finally:
            await jobs.stop()
            hub.close()
            await asyncio.to_thread(link.stop)
            engine.dispose()

    app = FastAPI(title="smartlib", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.hub = hub
    app.state.metrics = metrics
    app.state.link = link
    app.include_router(ops.router)
    app.include_router(auth_api.router)
    app.include_router(devices_api.router)
    app.include_router(ingest_api.router)
    app.include_router(patrons_api.router)
    for refusal in patrons_api.REFUSALS:
        app.add_exception_handler(refusal, patrons_api.answer_refusal)
    app.include_router(circulation_api.router)
    app.include_router(holds_api.router)
    app.include_router(circulation_lookup_api.router)
    for refusal in circulation_api.REFUSALS:
        app.add_exception_handler(refusal, circulation_api.answer_refusal)
    app.include_router(portal_api.router)
    app.include_router(catalog_api.router)
    for refusal in catalog_api.REFUSALS:
        app.add_exception_handler(refusal, catalog_api.answer_refusal)
    app.include_router(reports_api.router)
    return app
