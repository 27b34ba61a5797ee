"""Circulation over HTTP: 201 with the due date, 409 with every reason, overrides by role."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from server.auth.permissions import Role
from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.patrons import service as patrons
from tests.conftest import ApiClient

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def seed(api: ApiClient) -> None:
    with Session(api.app.state.engine) as session:
        for card in ("0000000001", "0000000002"):
            patrons.create_patron(
                session,
                name=f"Reader {card}",
                category="adult",
                home_branch="main",
                actor="lin",
                now=NOW,
                cards=[card],
            )
        catalog.create_record(
            session,
            RecordIn(title="Dune"),
            [ItemIn(barcode="B1"), ItemIn(barcode="REF1", item_type="reference")],
            actor="lin",
            now=NOW,
        )


def test_checkout_renew_and_return(api: ApiClient) -> None:
    seed(api)
    lent = api.post("/api/circulation/checkout", json={"card": "0000000001", "barcode": "B1"})
    assert lent.status_code == 201, lent.text
    body = lent.json()
    assert (body["title"], body["barcode"], body["renewals"]) == ("Dune", "B1", 0)
    renewed = api.post("/api/circulation/renew", json={"barcode": "B1"})
    assert renewed.status_code == 200, renewed.text
    assert renewed.json()["renewals"] == 1
    back = api.post("/api/circulation/checkin", json={"barcode": "B1"})
    assert back.status_code == 200, back.text
    assert back.json()["item_status"] == "available"
    assert back.json()["route_to"] == "main"
    assert back.json()["loan"]["returned_at"] is not None
    again = api.post("/api/circulation/checkin", json={"barcode": "B1"})
    assert again.json()["loan"] is None  # not on loan: just routed


def test_refusals_are_409_with_codes_and_only_staff_may_override(api: ApiClient) -> None:
    seed(api)
    refused = api.post("/api/circulation/checkout", json={"card": "0000000001", "barcode": "REF1"})
    assert refused.status_code == 409
    assert refused.json()["detail"]["reasons"][0]["code"] == "not_for_loan"
    override = {
        "card": "0000000001",
        "barcode": "REF1",
        "overrides": ["not_for_loan"],
        "override_reason": "overnight loan for a class",
    }
    kiosk = api.as_role(Role.KIOSK)
    assert api.post("/api/circulation/checkout", json=override, headers=kiosk).status_code == 403
    lent = api.post("/api/circulation/checkout", json=override)
    assert lent.status_code == 201, lent.text
    assert lent.json()["overridden"][0]["code"] == "not_for_loan"
    plain = {"card": "0000000002", "barcode": "B1"}
    assert api.post("/api/circulation/checkout", json=plain, headers=kiosk).status_code == 201


def test_unknown_and_malformed_requests(api: ApiClient) -> None:
    seed(api)
    unknown = api.post("/api/circulation/checkout", json={"card": "9999999999", "barcode": "B1"})
    assert unknown.status_code == 404
    assert "no patron holds card" in unknown.json()["detail"]
    assert api.post("/api/circulation/checkin", json={"barcode": "NOPE"}).status_code == 404
    assert api.post("/api/circulation/checkout", json={"card": ""}).status_code == 422
    bad_code = {"barcode": "B1", "overrides": ["because"], "override_reason": "x"}
    assert api.post("/api/circulation/renew", json=bad_code).status_code == 422
    security = api.as_role(Role.SECURITY)
    assert (
        api.post("/api/circulation/checkin", json={"barcode": "B1"}, headers=security).status_code
        == 403
    )
