"""The loan rule matrix and the opening calendar as librarians edit them on the dashboard."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from server.auth.models import AuditEntry
from server.auth.permissions import Role
from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.circulation import service
from server.circulation.rules import DEFAULT_RULES, LoanRule, RuleKey
from server.patrons import service as patrons
from tests.conftest import ApiClient

OSLO = ZoneInfo("Europe/Oslo")
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a 28-day loan is due Mon 21 Dec
ROW = {
    "branch": "*",
    "category": "*",
    "item_type": "dvd",
    "for_loan": "on",
    "loan_days": "10",
    "renewals": "2",
    "max_items": "4",
    "fine_per_day": "1.50",
    "fine_cap": "",
    "grace_days": "1",
}


def matrix(api: ApiClient):
    with Session(api.app.state.engine) as session:
        return service.rule_matrix(session)


def audited(api: ApiClient, prefix: str) -> list[AuditEntry]:
    with Session(api.app.state.engine) as session:
        return list(
            session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.action).startswith(prefix))
                .order_by(col(AuditEntry.id))
            ).all()
        )


def error_beside(html: str, field: str) -> str:
    found = re.search(
        rf'<small class="error" id="[^"]*error-{field}" data-field="{field}">([^<]*)<', html
    )
    assert found, f"no error shown beside {field}"
    return unescape(found.group(1))


def test_the_matrix_is_shown_with_any_and_the_rule_that_applies(api: ApiClient) -> None:
    page = api.get("/circulation/rules")
    assert page.status_code == 200
    for key in DEFAULT_RULES.rules:
        assert f'data-key="{key.branch}/{key.category}/{key.item_type}"' in page.text
    assert "<em>any</em>" in page.text
    which = api.get("/circulation/rules?branch=main&category=child&item_type=dvd")
    assert 'id="match" data-key="*/child/dvd"' in which.text
    assert 'class="matched"' in which.text
    assert "7 days, 1 renewals" in which.text
    chinese = api.get("/circulation/rules?lang=zh-CN")
    assert "借阅规则" in chinese.text
    assert "<em>任意</em>" in chinese.text
    assert api.get("/circulation/rules", headers=api.as_role(Role.SECURITY)).status_code == 403
    kiosk = api.as_role(Role.KIOSK)
    assert api.post("/circulation/rules/edit", data=ROW, headers=kiosk).status_code == 403


def test_a_changed_row_changes_the_matrix_and_is_audited(api: ApiClient) -> None:
    changed = api.post("/circulation/rules/edit", data=ROW, follow_redirects=False)
    assert changed.status_code == 303, changed.text
    rule = matrix(api).rules[RuleKey(item_type="dvd")]
    assert rule == LoanRule(
        loan_days=10,
        renewals=2,
        max_items=4,
        fine_per_day_cents=150,
        fine_cap_cents=None,
        grace_days=1,
        holds_block_renewal=False,  # its box was left unticked
    )
    [entry] = audited(api, "loan_rule.")
    assert (entry.action, entry.actor, entry.entity_id) == (
        "loan_rule.changed",
        "test-librarian",
        "*/*/dvd",
    )
    assert entry.changes["before"]["loan_days"] == 7
    assert entry.changes["rule"]["loan_days"] == 10


def test_rows_are_added_and_removed_but_never_the_default(api: ApiClient) -> None:
    new = ROW | {"branch": "east", "category": "student", "item_type": "book"}
    assert api.post("/circulation/rules/add", data=new, follow_redirects=False).status_code == 303
    key = RuleKey("east", "student", "book")
    assert matrix(api).rules[key].loan_days == 10
    twice = api.post("/circulation/rules/add", data=new)
    assert twice.status_code == 422
    assert "exists" in error_beside(twice.text, "branch")
    gone = api.post("/circulation/rules/remove", data=new, follow_redirects=False)
    assert gone.status_code == 303
    assert key not in matrix(api).rules
    default = {"branch": "*", "category": "*", "item_type": "*"}
    refused = api.post("/circulation/rules/remove", data=default)
    assert refused.status_code == 422
    assert "cannot be removed" in refused.text
    assert RuleKey() in matrix(api).rules
    assert [e.action for e in audited(api, "loan_rule.")] == [
        "loan_rule.added",
        "loan_rule.removed",
    ]
    missing = {"branch": "nowhere", "category": "*", "item_type": "*"}
    assert api.post("/circulation/rules/remove", data=missing).status_code == 404


def test_bad_values_are_refused_beside_their_inputs(api: ApiClient) -> None:
    for field, value, message in (
        ("loan_days", "-1", "greater than or equal to 0"),
        ("loan_days", "0", "at least one day"),
        ("renewals", "many", "valid integer"),
        ("fine_per_day", "abc", "valid integer"),
        ("fine_cap", "0.001", "valid integer"),
        ("max_items", "99999999999", "less than or equal to"),
    ):
        answer = api.post("/circulation/rules/edit", data=ROW | {field: value})
        assert answer.status_code == 422, (field, value, answer.text[:300])
        assert message in error_beside(answer.text, field), field
        assert f'value="{value}"' in answer.text  # what was typed stays in its box
    bad_key = api.post("/circulation/rules/add", data=ROW | {"branch": "a b"})
    assert bad_key.status_code == 422
    assert "code" in error_beside(bad_key.text, "branch")
    assert matrix(api) == DEFAULT_RULES
    assert audited(api, "loan_rule.") == []


def seed_loanable(api: ApiClient) -> None:
    with Session(api.app.state.engine) as session:
        patrons.create_patron(
            session,
            name="Reader",
            category="adult",
            home_branch="main",
            actor="lin",
            now=MONDAY,
            cards=["P0001"],
            expires_on=date(2099, 1, 1),
        )
        catalog.create_record(
            session,
            RecordIn(title="Dune"),
            [ItemIn(barcode=b) for b in ("B1", "B2", "B3")],
            actor="lin",
            now=MONDAY,
        )


def due_day(api: ApiClient, barcode: str) -> date:
    with Session(api.app.state.engine) as session:
        done = service.checkout(
            session, "P0001", barcode, service.Desk("main", "lin", MONDAY, OSLO)
        )
        return done.loan.due_at.astimezone(OSLO).date()


def test_closed_days_and_weekdays_move_due_dates(api: ApiClient) -> None:
    seed_loanable(api)
    holiday = {"branch": "main", "day": "2026-12-21", "reason": "Staff training"}
    added = api.post("/circulation/calendar/days", data=holiday, follow_redirects=False)
    assert added.status_code == 303, added.text
    assert due_day(api, "B1") == date(2026, 12, 22)
    tuesdays = {"branch": "*", "closed_2": "on"}  # Wednesday (0 is Monday)
    assert (
        api.post(
            "/circulation/calendar/weekdays", data=tuesdays, follow_redirects=False
        ).status_code
        == 303
    )
    tuesdays = {"branch": "*", "closed_1": "on"}  # Tuesday instead
    assert (
        api.post(
            "/circulation/calendar/weekdays", data=tuesdays, follow_redirects=False
        ).status_code
        == 303
    )
    assert due_day(api, "B2") == date(2026, 12, 23)
    gone = api.post("/circulation/calendar/days/remove", data=holiday, follow_redirects=False)
    assert gone.status_code == 303
    assert due_day(api, "B3") == date(2026, 12, 21)
    assert [e.action for e in audited(api, "c")] == [
        "closed_day.added",
        "calendar.weekdays_changed",
        "calendar.weekdays_changed",
        "closed_day.removed",
    ]
    assert audited(api, "calendar.")[-1].changes == {"closed_weekdays": [[2], [1]]}


def test_the_calendar_page_shows_the_next_days_and_refuses_a_week_all_closed(
    api: ApiClient,
) -> None:
    today = datetime.now(UTC).date()  # the server's zone is UTC here
    soon = today + timedelta(days=3)
    holiday = {"branch": "*", "day": soon.isoformat(), "reason": "Spring Festival"}
    assert (
        api.post("/circulation/calendar/days", data=holiday, follow_redirects=False).status_code
        == 303
    )
    page = api.get("/circulation/calendar?branch=main")
    assert page.status_code == 200
    assert f'data-day="{soon.isoformat()}" data-open="no"' in page.text
    assert f'data-day="{today.isoformat()}" data-open="yes"' in page.text
    assert page.text.count('data-open="') == 30
    assert "Spring Festival" in page.text
    twice = api.post("/circulation/calendar/days", data=holiday)
    assert twice.status_code == 422
    assert "already closed" in error_beside(twice.text, "day")
    bad_day = api.post("/circulation/calendar/days", data=holiday | {"day": "someday"})
    assert bad_day.status_code == 422
    assert "YYYY-MM-DD" in error_beside(bad_day.text, "day")
    every_day = {"branch": "main"} | {f"closed_{d}": "on" for d in range(7)}
    refused = api.post("/circulation/calendar/weekdays", data=every_day)
    assert refused.status_code == 422
    assert "open at least one" in refused.text
    with Session(api.app.state.engine) as session:
        assert service.calendars(session, today).of("main").closed_weekdays == frozenset()
    assert "日历" in api.get("/circulation/calendar?lang=zh-CN").text
    assert api.get("/circulation/calendar", headers=api.as_role(Role.SECURITY)).status_code == 403
