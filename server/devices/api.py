"""HTTP routes of the devices context: the registry and commands to devices."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request, status
from pydantic import BaseModel
from sqlmodel import select

from contracts import IdentifyCommand, IdentifyParams, Name
from server.auth.deps import requires
from server.auth.permissions import Permission
from server.deps import SessionDep
from server.devices import service
from server.devices.models import CommandRecord, CommandState, Device

router = APIRouter(prefix="/api", tags=["devices"])
READ = [Depends(requires(Permission.DEVICES_READ))]


class GatewayPublic(BaseModel):
    site: str
    gateway: str
    online: bool
    status_at: datetime | None
    last_seen: datetime | None
    uptime_s: float | None
    events_received: int
    events_missing: int
    duplicates: int
    high_seq: int | None
    stats: dict[str, Any]


class DevicePublic(BaseModel):
    site: str
    gateway: str
    device: str
    kind: str | None
    online: bool
    status_reason: str
    last_seen: datetime | None
    last_event: str | None
    firmware: str | None


class CommandPublic(BaseModel):
    id: uuid.UUID
    site: str
    gateway: str
    device: str
    action: str
    state: CommandState
    attempts: int
    created_at: datetime
    answered_at: datetime | None
    reason: str


@router.get("/gateways", response_model=list[GatewayPublic], dependencies=READ)
def gateways(session: SessionDep) -> list[GatewayPublic]:
    return [
        GatewayPublic(
            **gateway.model_dump(),
            events_received=stream.received if stream else 0,
            events_missing=stream.missing if stream else 0,
            duplicates=stream.duplicates if stream else 0,
            high_seq=stream.high_seq if stream else None,
        )
        for gateway, stream in service.list_gateways(session)
    ]


@router.get("/devices", response_model=list[DevicePublic], dependencies=READ)
def devices(session: SessionDep) -> list[Device]:
    return service.list_devices(session)


@router.post(
    "/devices/{site}/{gateway}/{device}/identify",
    response_model=CommandPublic,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[Depends(requires(Permission.DEVICES_COMMAND))],
)
def identify(
    site: Name,
    gateway: Name,
    device: Name,
    session: SessionDep,
    request: Request,
    params: IdentifyParams | None = None,
) -> CommandRecord:
    """Ask a device to show itself (blink, beep). Answered when the gateway acks."""
    known = session.exec(
        select(Device).where(
            Device.site == site, Device.gateway == gateway, Device.device == device
        )
    ).first()
    if known is None and device != gateway:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {site}/{gateway}/{device}")
    command = IdentifyCommand(
        site=site, gateway=gateway, device=device, params=params or IdentifyParams()
    )
    record = service.queue_command(session, command, datetime.now(UTC))
    request.app.state.link.commands_waiting()
    return record


@router.get("/commands/{command_id}", response_model=CommandPublic, dependencies=READ)
def command(command_id: uuid.UUID, session: SessionDep) -> CommandRecord:
    record = service.get_command(session, command_id)
    if record is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no command {command_id}")
    return record
