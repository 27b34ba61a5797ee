"""The baseline for bench/circulation.py: a bare FastAPI endpoint doing one lookup.

Served by uvicorn exactly as `smartlib server` is, on the same database, so the
difference between the two is what circulation itself costs. `BARE_DATABASE_URL` names
the database. Run by the benchmark: `uvicorn bench.bare:create --factory`.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from fastapi import FastAPI, HTTPException

from server.db import make_engine


def create() -> FastAPI:
    engine = make_engine(os.environ["BARE_DATABASE_URL"])
    app = FastAPI()
    query = sa.text("SELECT id, status FROM item WHERE barcode = :barcode")

    @app.post("/lookup/{barcode}")
    def lookup(barcode: str) -> dict[str, object]:
        with engine.connect() as connection:
            row = connection.execute(query, {"barcode": barcode}).first()
        if row is None:
            raise HTTPException(404, "no such item")
        return {"id": row.id, "status": row.status}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
