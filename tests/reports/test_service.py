"""The report queries on SQLite and PostgreSQL: exact figures from a library of known contents."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.reports import service
from tests.reports.seed import (
    BY_BRANCH,
    BY_CATEGORY,
    BY_STATUS,
    COLLECTION,
    ITEMS,
    NEW_IN_30_DAYS,
    TOTAL,
    seed,
)

NOW = datetime(2025, 3, 15, 12, 30, tzinfo=UTC)


def figures(counts: service.PatronCounts) -> tuple[int, int, int, int]:
    return (counts.patrons, counts.expired, counts.blocked, counts.anonymised)


def test_an_empty_library_reports_zeros_in_every_status(session: Session) -> None:
    report = service.collection(session)
    assert report.rows == []
    assert report.total == 0
    assert report.statuses[:2] == ["available", "on_loan"]
    assert set(report.by_status.values()) == {0}
    assert service.new_items(session, *service.window(None, None, NOW.date())).total == 0
    people = service.patrons(session, NOW.date())
    assert figures(people.total) == (0, 0, 0, 0)
    assert [c.key for c in people.by_category] == ["adult", "child", "staff", "student"]


def test_the_collection_by_branch_type_and_status(session: Session) -> None:
    seed(session, NOW)
    report = service.collection(session)
    assert [(r.home_branch, r.item_type) for r in report.rows] == list(COLLECTION)
    for row in report.rows:
        expected = COLLECTION[(row.home_branch, row.item_type)]
        assert {s: n for s, n in row.counts.items() if n} == expected
        assert list(row.counts) == report.statuses  # every column, zeros included
        assert row.total == sum(expected.values())
    assert report.by_status == BY_STATUS
    assert report.by_branch == {"east": 3, "main": 4}
    assert report.by_type == {"book": 6, "dvd": 1}
    assert report.total == len(ITEMS) == 7


def test_new_items_in_the_last_30_days_newest_first_and_paged(session: Session) -> None:
    ids = seed(session, NOW)
    since, until = service.window(None, None, NOW.date())
    assert (since, until) == (date(2025, 2, 14), date(2025, 3, 15))
    found = service.new_items(session, since, until)
    assert found.total == 4
    assert [i.barcode for i in found.items] == NEW_IN_30_DAYS
    first = found.items[0]
    assert (first.title, first.home_branch, first.item_type, first.status) == (
        "Dune",
        "east",
        "book",
        "available",
    )
    assert first.item_id == ids["B0005"]
    assert first.created_at == NOW
    second = service.new_items(session, since, until, page=2, per_page=3)
    assert [i.barcode for i in second.items] == ["B0007"]
    assert (second.total, second.pages) == (4, 2)
    everything = service.new_items(session, date(2024, 1, 1), NOW.date())
    assert everything.total == 7
    exported = list(service.each_new_item(session, since, until))
    assert [i.barcode for i in exported] == NEW_IN_30_DAYS[::-1]  # oldest first


def test_a_day_is_a_utc_day_and_both_ends_are_included(session: Session) -> None:
    detail = catalog.create_record(session, RecordIn(title="Edges"), [], actor="lin", now=NOW)
    assert detail.record.id is not None
    beijing = timezone(timedelta(hours=8))
    added = {
        "E1": datetime(2025, 3, 1, 0, 0, tzinfo=UTC),  # first instant of the first day
        "E2": datetime(2025, 3, 31, 23, 59, 59, 999999, tzinfo=UTC),  # last of the last
        "E3": datetime(2025, 4, 1, 0, 0, tzinfo=UTC),  # the day after
        "E4": datetime(2025, 3, 1, 7, 0, tzinfo=beijing),  # 28 February in UTC
    }
    for barcode, when in added.items():
        catalog.add_item(session, detail.record.id, ItemIn(barcode=barcode), actor="lin", now=when)
    found = service.new_items(session, date(2025, 3, 1), date(2025, 3, 31))
    assert [i.barcode for i in found.items] == ["E2", "E1"]
    one_day = service.new_items(session, date(2025, 2, 28), date(2025, 2, 28))
    assert [i.barcode for i in one_day.items] == ["E4"]


def test_a_window_that_makes_no_sense_is_refused_not_crashed_on() -> None:
    with pytest.raises(service.ReportInvalid, match="after until") as refused:
        service.window(date(2025, 3, 2), date(2025, 3, 1), NOW.date())
    assert (refused.value.field, refused.value.code) == ("since", "order")
    with pytest.raises(service.ReportInvalid) as refused:
        service.window(None, date.max, NOW.date())
    assert (refused.value.field, refused.value.code) == ("until", "range")
    assert service.window(None, date(1, 1, 5), NOW.date()) == (date.min, date(1, 1, 5))


def test_patrons_by_category_and_branch_with_expired_blocked_and_anonymised(
    session: Session,
) -> None:
    seed(session, NOW)
    report = service.patrons(session, NOW.date())
    assert {c.key: figures(c) for c in report.by_category} == BY_CATEGORY
    assert {b.key: figures(b) for b in report.by_branch} == BY_BRANCH
    assert figures(report.total) == TOTAL
    assert report.category_names["adult"] == "Adult"
    # a day later Ada's card, which expires today, has expired too
    tomorrow = service.patrons(session, NOW.date() + timedelta(days=1))
    assert figures(tomorrow.total) == (5, 3, 2, 1)
