"""Every table of every context, so migrations and tests see one metadata."""

from sqlmodel import SQLModel

from server.auth.models import Account, AuditEntry, SignIn
from server.catalog.models import Item, Record, RecordIsbn
from server.devices.models import CommandRecord, Device, GatewayRecord
from server.ingest.models import DeadLetter, EventRecord, GatewayStream
from server.patrons.models import Patron, PatronBlock, PatronCard, PatronCategory

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "AuditEntry",
    "CommandRecord",
    "DeadLetter",
    "Device",
    "EventRecord",
    "GatewayRecord",
    "GatewayStream",
    "Item",
    "Patron",
    "PatronBlock",
    "PatronCard",
    "PatronCategory",
    "Record",
    "RecordIsbn",
    "SignIn",
    "metadata",
]
