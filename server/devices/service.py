"""Use cases of the devices context: the registry kept from events, and commands to devices."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from contracts import Command, CommandAckEvent, DeviceStatusEvent, Event, HeartbeatEvent
from server.devices.models import CommandRecord, CommandState, Device, GatewayRecord
from server.ingest.models import GatewayStream
from server.sql import greatest, insert_for

DEVICES = Device.__table__  # type: ignore[attr-defined]
GATEWAYS = GatewayRecord.__table__  # type: ignore[attr-defined]
COMMANDS = CommandRecord.__table__  # type: ignore[attr-defined]

Live = list[dict[str, Any]]


class SeenThrottle:
    """Last-seen times are for people to read: write them at most once a second per device.

    Status changes, heartbeats and command answers are always written; this only spares
    the database an update per batch for devices that are simply busy.
    """

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self._written: dict[tuple[str, str, str], float] = {}

    def due(self, key: tuple[str, str, str], clock: float) -> bool:
        last = self._written.get(key)
        if last is not None and clock - last < self.every_s:
            return False
        self._written[key] = clock
        return True


def apply_events(
    connection: Connection,
    events: Sequence[Event],
    now: datetime,
    throttle: SeenThrottle | None = None,
) -> Live:
    """Keep the registry in step with newly stored events; return live-stream messages."""
    clock = time.monotonic()
    live: Live = []
    seen: dict[tuple[str, str, str], Event] = {}
    for event in events:
        key = (event.site, event.gateway, event.device)
        if key not in seen or event.ts > seen[key].ts:
            seen[key] = event
        if isinstance(event, DeviceStatusEvent):
            _set_device_status(connection, event)
            live.append(
                {
                    "type": "DeviceStatusChanged",
                    "site": event.site,
                    "gateway": event.gateway,
                    "device": event.device,
                    "online": event.data.state == "online",
                    "reason": event.data.reason,
                    "kind": event.data.device_kind,
                }
            )
        elif isinstance(event, HeartbeatEvent):
            _heartbeat(connection, event)
        elif isinstance(event, CommandAckEvent):
            live += _command_answered(connection, event, now)
    for (site, gateway, device), event in seen.items():
        if throttle is not None and not throttle.due((site, gateway, device), clock):
            continue
        statement = insert_for(connection, DEVICES).values(
            site=site,
            gateway=gateway,
            device=device,
            online=True,
            status_reason="",
            last_seen=event.ts,
            last_event=event.kind,
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["site", "gateway", "device"],
                set_={
                    "last_seen": greatest(DEVICES.c.last_seen, statement.excluded.last_seen),
                    "last_event": event.kind,
                },
            )
        )
        _touch_gateway(connection, site, gateway, event.ts)
    return live


def set_gateway_status(
    connection: Connection, site: str, gateway: str, online: bool, now: datetime
) -> Live:
    statement = insert_for(connection, GATEWAYS).values(
        site=site, gateway=gateway, online=online, status_at=now, stats={}
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["site", "gateway"], set_={"online": online, "status_at": now}
        )
    )
    return [{"type": "GatewayStatusChanged", "site": site, "gateway": gateway, "online": online}]


def _set_device_status(connection: Connection, event: DeviceStatusEvent) -> None:
    online = event.data.state == "online"
    values = {"online": online, "status_reason": event.data.reason, "status_at": event.ts}
    if event.data.device_kind:
        values["kind"] = event.data.device_kind
    statement = insert_for(connection, DEVICES).values(
        site=event.site,
        gateway=event.gateway,
        device=event.device,
        last_seen=event.ts,
        last_event=event.kind,
        **values,
    )
    # an older status arriving late must not undo a newer one
    newer = sa.or_(DEVICES.c.status_at.is_(None), DEVICES.c.status_at <= event.ts)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["site", "gateway", "device"], set_=values, where=newer
        )
    )


def _heartbeat(connection: Connection, event: HeartbeatEvent) -> None:
    if event.device == event.gateway:
        _touch_gateway(connection, event.site, event.gateway, event.ts)
        connection.execute(
            sa.update(GATEWAYS)
            .where(GATEWAYS.c.site == event.site, GATEWAYS.c.gateway == event.gateway)
            .values(uptime_s=event.data.uptime_s, stats=event.data.stats)
        )
    elif event.data.firmware:
        statement = insert_for(connection, DEVICES).values(
            site=event.site,
            gateway=event.gateway,
            device=event.device,
            online=True,
            status_reason="",
            last_seen=event.ts,
            last_event=event.kind,
            firmware=event.data.firmware,
        )
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=["site", "gateway", "device"], set_={"firmware": event.data.firmware}
            )
        )


def _touch_gateway(connection: Connection, site: str, gateway: str, ts: datetime) -> None:
    statement = insert_for(connection, GATEWAYS).values(
        site=site, gateway=gateway, online=True, last_seen=ts, stats={}
    )
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=["site", "gateway"],
            set_={"last_seen": greatest(GATEWAYS.c.last_seen, statement.excluded.last_seen)},
        )
    )


def _command_answered(connection: Connection, event: CommandAckEvent, now: datetime) -> Live:
    state = CommandState.DONE if event.data.ok else CommandState.FAILED
    done = connection.execute(
        sa.update(COMMANDS)
        .where(
            COMMANDS.c.id == event.data.command_id,
            COMMANDS.c.state.in_([CommandState.PENDING, CommandState.SENT]),
        )
        .values(state=state, answered_at=now, reason=event.data.reason)
    ).rowcount
    if not done:
        return []
    return [
        {
            "type": "CommandAnswered",
            "id": str(event.data.command_id),
            "state": state,
            "reason": event.data.reason,
            "device": event.device,
        }
    ]


# commands ---------------------------------------------------------------------------------


def queue_command(session: Session, command: Command, now: datetime) -> CommandRecord:
    """Store a command; the dispatcher publishes it and retries until the gateway answers."""
    record = CommandRecord(
        id=command.id,
        site=command.site,
        gateway=command.gateway,
        device=command.device,
        action=command.action,
        payload=command.model_dump_json(),
        created_at=now,
        next_attempt_at=now,
    )
    session.add(record)
    session.commit()
    session.refresh(record)
    return record


def dispatch_due_commands(
    connection: Connection,
    now: datetime,
    publish: Callable[[CommandRecord], None],
    *,
    retry_after: timedelta,
    attempts: int,
) -> Live:
    """Publish commands that are due; give up on those out of attempts. One server claims each."""
    live: Live = []
    due = connection.execute(
        sa.select(COMMANDS)
        .where(
            COMMANDS.c.state.in_([CommandState.PENDING, CommandState.SENT]),
            COMMANDS.c.next_attempt_at <= now,
        )
        .limit(100)
    ).all()
    for row in due:
        if row.attempts >= attempts:
            changed = connection.execute(
                sa.update(COMMANDS)
                .where(
                    COMMANDS.c.id == row.id,
                    COMMANDS.c.attempts == row.attempts,
                    COMMANDS.c.state.in_([CommandState.PENDING, CommandState.SENT]),
                )
                .values(
                    state=CommandState.UNANSWERED,
                    answered_at=now,
                    reason=f"no answer from gateway {row.gateway} after {row.attempts} tries",
                )
            ).rowcount
            if changed:
                live.append(
                    {
                        "type": "CommandAnswered",
                        "id": str(row.id),
                        "state": CommandState.UNANSWERED,
                        "device": row.device,
                        "reason": f"no answer after {row.attempts} tries",
                    }
                )
            continue
        claimed = connection.execute(
            sa.update(COMMANDS)
            .where(COMMANDS.c.id == row.id, COMMANDS.c.attempts == row.attempts)
            .values(
                attempts=row.attempts + 1,
                state=CommandState.SENT,
                next_attempt_at=now + retry_after * (2**row.attempts),
            )
        ).rowcount
        if claimed:
            publish(CommandRecord.model_validate(row._asdict()))
    return live


# queries ----------------------------------------------------------------------------------


def list_gateways(session: Session) -> list[tuple[GatewayRecord, GatewayStream | None]]:
    gateways = session.exec(
        select(GatewayRecord).order_by(GatewayRecord.site, GatewayRecord.gateway)
    ).all()
    streams = {(s.site, s.gateway): s for s in session.exec(select(GatewayStream)).all()}
    return [(g, streams.get((g.site, g.gateway))) for g in gateways]


def list_devices(session: Session) -> list[Device]:
    return list(
        session.exec(select(Device).order_by(Device.site, Device.gateway, Device.device)).all()
    )


def get_command(session: Session, command_id: Any) -> CommandRecord | None:
    return session.get(CommandRecord, command_id)
