"""Operations routes: health, Prometheus metrics and the live stream."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    """200 when the database answers; says whether the broker is connected too."""
    state = request.app.state
    try:
        with state.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as error:
        database = f"unavailable: {type(error).__name__}"
    broker = "connected" if state.link.connected.is_set() else "disconnected"
    ok = database == "ok"
    return JSONResponse(
        {"status": "ok" if ok else "degraded", "database": database, "broker": broker},
        status_code=200 if ok else 503,
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    state = request.app.state
    state.metrics.live_clients.set(state.hub.clients)
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)


@router.websocket("/ws/live")
async def live(websocket: WebSocket) -> None:
    """Every change any server applies, as JSON messages, newest last."""
    hub = websocket.app.state.hub
    await websocket.accept()
    queue = hub.subscribe()
    receiver = asyncio.create_task(_drain(websocket))
    try:
        while True:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver}, return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                return
            text = getter.result()
            if text is None:
                await websocket.close(code=1013, reason="too slow or server stopping")
                return
            await websocket.send_text(text)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(queue)
        receiver.cancel()


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the client sends, so a closed socket is noticed."""
    try:
        while True:
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
