"""Every table of every context, so migrations and tests see one metadata."""

from sqlmodel import SQLModel

from server.auth.models import Account, AuditEntry, SignIn
from server.catalog.models import Item, Record, RecordIsbn
from server.circulation.models import ClosedDay, ClosedWeekday, Fee, Hold, Loan, LoanRuleRow
from server.devices.models import CommandRecord, Device, GatewayRecord
from server.ingest.models import DeadLetter, EventRecord, GatewayStream
from server.patrons.models import Patron, PatronBlock, PatronCard, PatronCategory

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "AuditEntry",
    "ClosedDay",
    "ClosedWeekday",
    "CommandRecord",
    "DeadLetter",
    "Device",
    "EventRecord",
    "Fee",
    "GatewayRecord",
    "GatewayStream",
    "Hold",
    "Item",
    "Loan",
    "LoanRuleRow",
    "Patron",
    "PatronBlock",
    "PatronCard",
    "PatronCategory",
    "Record",
    "RecordIsbn",
    "SignIn",
    "metadata",
]
