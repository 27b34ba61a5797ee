"""Operations routes: health, Prometheus metrics and the live stream."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from server.auth.deps import websocket_account
from server.auth.permissions import Permission

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
    """Every change any server applies, as JSON messages, oldest first."""
    hub = websocket.app.state.hub
    with Session(websocket.app.state.engine) as session:
        account = websocket_account(websocket, session, Permission.EVENTS_READ)
    if account is None:
        # 1008: policy violation; browsers get here without a session cookie
        await websocket.close(code=1008, reason="sign in with an account that may read events")
        return
    await websocket.accept()
    queue = hub.subscribe()
    sender = asyncio.create_task(_send(websocket, queue))
    try:
        while True:  # the client sends nothing we need; reading notices when it leaves
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(queue)
        sender.cancel()


async def _send(websocket: WebSocket, queue: asyncio.Queue[str | None]) -> None:
    try:
        while (text := await queue.get()) is not None:
            await websocket.send_text(text)
        await websocket.close(code=1013, reason="too slow or server stopping")
    except (WebSocketDisconnect, RuntimeError, OSError):
        pass  # the client left; the receiving side cleans up
