"""Report pages for librarians: the collection, new items and patrons, printable as they are.

The figures come from server/reports; each table links to its CSV export under
/api/reports, and the print stylesheet leaves only the tables on paper.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dashboard.i18n import pick_language, translate
from dashboard.pages import render
from server.auth.deps import requires
from server.auth.models import Account
from server.auth.permissions import Permission
from server.deps import SessionDep
from server.reports import service

router = APIRouter(include_in_schema=False)

Reader = Annotated[Account, Depends(requires(Permission.REPORTS_READ))]
Day = Annotated[str, Query(max_length=40)]
PER_PAGE = 50


def _day(text: str) -> date | None:
    text = text.strip()
    return date.fromisoformat(text) if text else None


def _category_label(language: str, code: str, name: str) -> str:
    """The category's name in the page's language; a librarian's own category, as named."""
    key = f"patrons.category.{code}"
    text = translate(language, key)
    return name if text == key else text


@router.get("/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    account: Reader,
    since: Day = "",
    until: Day = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    language = pick_language(request, request.app.state.settings.default_language)
    now = datetime.now(UTC)
    errors: dict[str, str] = {}
    days: dict[str, date | None] = {}
    for field, text in (("since", since), ("until", until)):
        try:
            days[field] = _day(text)
        except ValueError:
            errors[field] = translate(language, "reports.error.date")
    found = None
    if not errors:
        try:
            first, last = service.window(days["since"], days["until"], now.date())
            found = service.new_items(session, first, last, page=page, per_page=PER_PAGE)
        except service.ReportInvalid as error:
            errors[error.field] = translate(language, f"reports.error.{error.code}")
    people = service.patrons(session, now.date())
    typed = {"since": since, "until": until}
    if found is not None:
        typed = {"since": found.since.isoformat(), "until": found.until.isoformat()}
    return render(
        request,
        "reports.html",
        account=account,
        status_code=422 if errors else 200,
        generated=now,
        collection=service.collection(session),
        found=found,
        people=people,
        category_labels={
            c.key: _category_label(language, c.key, people.category_names.get(c.key, c.key))
            for c in people.by_category
        },
        typed=typed,
        errors=errors,
    )
