"""Event envelopes, gateway → server, one typed `data` body per kind.

Every event carries a globally unique `id` (the idempotency key), a UTC `ts`, where it
comes from (`site`, `gateway`, `device`), its `kind`, a per-gateway monotonically
increasing `seq` and a typed `data` body. An unknown kind or a bad body fails validation
with pydantic's message naming the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from contracts.names import Name

CONTRACT_VERSION = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


class EventData(BaseModel):
    """Base of every event body; `KIND` names the event kind it belongs to."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    KIND: ClassVar[str]


class TagRead(EventData):
    """An RFID tag seen by a reader (pad, gate, wand)."""

    KIND: ClassVar[str] = "tag_read"
    uid: str = Field(pattern=r"^[0-9A-F]{2,64}$", description="tag UID, upper-case hex")
    antenna: int = Field(default=0, ge=0, le=255)
    rssi: int | None = Field(default=None, ge=-128, le=127)


class CardRead(EventData):
    """A patron card presented to a card reader."""

    KIND: ClassVar[str] = "card_read"
    card: str = Field(pattern=r"^[0-9A-Z]{4,32}$", description="card number as the reader gives it")


class Heartbeat(EventData):
    """A device says it is alive (and, after a reboot, what it runs)."""

    KIND: ClassVar[str] = "heartbeat"
    uptime_s: float = Field(ge=0)
    firmware: str | None = Field(default=None, max_length=64)
    rebooted: bool = False
    stats: dict[str, int] = Field(
        default_factory=dict, description="counters, e.g. rejected frames"
    )


class DeviceStatus(EventData):
    """A device became reachable or unreachable from its gateway."""

    KIND: ClassVar[str] = "device_status"
    state: Literal["online", "offline"]
    reason: str = Field(default="", max_length=200)
    device_kind: str | None = Field(default=None, max_length=32)


class CommandAck(EventData):
    """The gateway's answer to a Command: done, or failed with the reason."""

    KIND: ClassVar[str] = "command_ack"
    command_id: UUID
    ok: bool
    reason: str = Field(default="", max_length=200)


class _Envelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    v: Literal[1] = CONTRACT_VERSION
    id: UUID = Field(default_factory=uuid4)
    ts: AwareDatetime = Field(default_factory=utcnow)
    site: Name
    gateway: Name
    device: Name
    seq: int = Field(ge=0, description="per-gateway, monotonically increasing")


class TagReadEvent(_Envelope):
    kind: Literal["tag_read"] = "tag_read"
    data: TagRead


class CardReadEvent(_Envelope):
    kind: Literal["card_read"] = "card_read"
    data: CardRead


class HeartbeatEvent(_Envelope):
    kind: Literal["heartbeat"] = "heartbeat"
    data: Heartbeat


class DeviceStatusEvent(_Envelope):
    kind: Literal["device_status"] = "device_status"
    data: DeviceStatus


class CommandAckEvent(_Envelope):
    kind: Literal["command_ack"] = "command_ack"
    data: CommandAck


Event = Annotated[
    TagReadEvent | CardReadEvent | HeartbeatEvent | DeviceStatusEvent | CommandAckEvent,
    Field(discriminator="kind"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)

# kind -> (body model, envelope model)
EVENT_DATA: dict[str, tuple[type[EventData], type[_Envelope]]] = {
    cls.model_fields["data"].annotation.KIND: (cls.model_fields["data"].annotation, cls)  # type: ignore[union-attr]
    for cls in (TagReadEvent, CardReadEvent, HeartbeatEvent, DeviceStatusEvent, CommandAckEvent)
}


def make_event(
    site: str,
    gateway: str,
    device: str,
    seq: int,
    data: EventData,
    *,
    id: UUID | None = None,
    ts: datetime | None = None,
) -> Event:
    """Wrap a body in the envelope of its kind."""
    _, envelope = EVENT_DATA[data.KIND]
    extra = {k: v for k, v in (("id", id), ("ts", ts)) if v is not None}
    return envelope(site=site, gateway=gateway, device=device, seq=seq, data=data, **extra)  # type: ignore[return-value]


def parse_event(raw: bytes | str) -> Event:
    """Validate one JSON event; raises pydantic.ValidationError with a clear message."""
    return EVENT_ADAPTER.validate_json(raw)
