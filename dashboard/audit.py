"""The audit log page for administrators: who changed what and when, filtered and paged.

Entries keep their changes as services wrote them: a `*.changed` entry holds `[old, new]`
per field, other entries the values they recorded; `changes_of` reads both for the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dashboard.i18n import pick_language, translate
from dashboard.pages import render
from server.auth import service
from server.auth.deps import requires
from server.auth.models import Account, AuditEntry
from server.auth.permissions import Permission
from server.deps import SessionDep

router = APIRouter(include_in_schema=False)

Auditor = Annotated[Account, Depends(requires(Permission.AUDIT_READ))]
Filter = Annotated[str, Query(max_length=128)]
PER_PAGE = 50
# where an entity's own page is, for a link from its entries
PAGES = {
    "account": "/accounts/{}",
    "patron": "/patrons/{}",
    "record": "/catalog/records/{}",
    "item": "/catalog/items/{}",
}


@dataclass(frozen=True)
class Change:
    """One field of an entry: `old → new` when `changed`, else just the value recorded."""

    field: str
    new: Any
    old: Any = None
    changed: bool = False


def changes_of(entry: AuditEntry) -> list[Change]:
    found = []
    for field, value in (entry.changes or {}).items():
        if entry.action.endswith(".changed") and isinstance(value, list) and len(value) == 2:
            found.append(Change(field, value[1], value[0], changed=True))
        else:
            found.append(Change(field, value))
    return found


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    session: SessionDep,
    account: Auditor,
    actor: Filter = "",
    entity: Filter = "",
    entity_id: Filter = "",
    since: Filter = "",
    until: Filter = "",
    page: int = 1,
) -> HTMLResponse:
    """`since` and `until` are days (UTC), both included."""
    typed = {
        "actor": actor.strip(),
        "entity": entity.strip(),
        "entity_id": entity_id.strip(),
        "since": since.strip(),
        "until": until.strip(),
    }
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for field in ("since", "until"):
        try:
            days[field] = _day(typed[field])
        except ValueError:
            days[field] = None
            errors[field] = translate(pick_language(request), "audit.bad_date")
    first, last = days["since"], days["until"]
    if first and last and last < first:
        errors["until"] = translate(pick_language(request), "audit.until_before_since")
    found = service.AuditPage([], 0, 1, PER_PAGE)
    if not errors:
        found = service.audit_log(
            session,
            actor=typed["actor"] or None,
            entity=typed["entity"] or None,
            entity_id=typed["entity_id"] or None,
            since=datetime.combine(first, time(), UTC) if first else None,
            before=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
            page=max(1, min(page, 1_000_000)),
            per_page=PER_PAGE,
        )
    return render(
        request,
        "audit.html",
        account=account,
        status_code=422 if errors else 200,
        found=found,
        entries=[(entry, changes_of(entry), PAGES.get(entry.entity)) for entry in found.entries],
        typed=typed,
        errors=errors,
        filters={k: v for k, v in typed.items() if v},
    )
