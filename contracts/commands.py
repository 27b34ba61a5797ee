"""Command envelopes, server → gateway. The gateway answers each with a `command_ack` event."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID, uuid4

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter

from contracts.events import CONTRACT_VERSION, utcnow
from contracts.names import Name


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    v: Literal[1] = CONTRACT_VERSION
    id: UUID = Field(default_factory=uuid4)
    ts: AwareDatetime = Field(default_factory=utcnow)
    site: Name
    gateway: Name
    device: Name


class IdentifyParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    seconds: float = Field(default=3.0, gt=0, le=60)


class IdentifyCommand(_Command):
    """Make a device show itself (blink, beep) so a person can find it."""

    action: Literal["identify"] = "identify"
    params: IdentifyParams = IdentifyParams()


Command = Annotated[IdentifyCommand, Field(discriminator="action")]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)


def parse_command(raw: bytes | str) -> Command:
    """Validate one JSON command; raises pydantic.ValidationError with a clear message."""
    return COMMAND_ADAPTER.validate_json(raw)
