"""Every table of every context, so migrations and tests see one metadata."""

from sqlmodel import SQLModel

from server.devices.models import CommandRecord, Device, GatewayRecord
from server.ingest.models import DeadLetter, EventRecord, GatewayStream

metadata = SQLModel.metadata

__all__ = [
    "CommandRecord",
    "DeadLetter",
    "Device",
    "EventRecord",
    "GatewayRecord",
    "GatewayStream",
    "metadata",
]
