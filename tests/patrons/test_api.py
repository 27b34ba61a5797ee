"""The patrons API over HTTP: 422s that name the field, 409 for a taken card, no PIN hash out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.config import ServerSettings
from smartlib.web import create_app

PASSWORD = "a password for tests"
ADA = {
    "name": "Ada Lovelace",
    "category": "adult",
    "home_branch": "main",
    "email": "ada@example.org",
    "phone": "+44 20 7946 0958",
    "cards": ["0004123456"],
    "pin": "1815",
}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    # no broker needed: the link keeps retrying in the background until the app stops
    settings = ServerSettings(database_url=database_url, mqtt_url="mqtt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        with Session(client.app.state.engine) as session:
            for username, role in (("ada", Role.ADMIN), ("lin", Role.LIBRARIAN)):
                ensure_account(session, username, PASSWORD, role, datetime.now(UTC))
        client.headers["Authorization"] = f"Bearer {token(client, 'lin')}"
        yield client


def token(client: TestClient, username: str) -> str:
    response = client.post("/api/auth/sign-in", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return response.json()["token"]


def as_admin(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(client, 'ada')}"}


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "ada@"}, "email", "not a valid email address"),
        ({"phone": "12"}, "phone", "not a valid phone number"),
        ({"name": ""}, "name", "name is required"),
        ({"birth_date": "2999-01-01"}, "birth_date", "cannot be in the future"),
        ({"birth_date": "yesterday"}, "birth_date", "valid date"),
        ({"expires_on": "2000-01-01"}, "expires_on", "must be after the registration"),
        ({"cards": ["12"]}, "cards", "4 to 32 letters or digits"),
        ({"pin": "12345678901"}, "pin", "PIN must be 4 to 8 digits"),
        ({"category": "wizard"}, "category", "unknown category"),
        ({"home_branch": "Main Branch"}, "home_branch", "pattern"),
    ],
)
def test_a_bad_field_answers_422_naming_it(client, change, field, message) -> None:
    response = client.post("/api/patrons", json=ADA | change)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert error["loc"][-1] == field
    assert message in error["msg"]


def test_a_patron_is_created_read_changed_and_never_shows_its_pin_hash(client) -> None:
    created = client.post("/api/patrons", json=ADA)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["phone"] == "+442079460958"
    assert body["pin_set"] is True
    assert [c["number"] for c in body["cards"]] == ["0004123456"]
    patron_id = body["id"]
    changed = client.patch(f"/api/patrons/{patron_id}", json={"email": None, "pin": "2222"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["email"] is None
    bad = client.patch(f"/api/patrons/{patron_id}", json={"expires_on": "2001-01-01"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "expires_on"]
    empty = client.patch(f"/api/patrons/{patron_id}", json={"name": None})
    assert empty.status_code == 422
    everything = [
        client.get(f"/api/patrons/{patron_id}").text,
        client.get("/api/patrons?q=ada").text,
        client.get(f"/api/patrons/{patron_id}/export", headers=as_admin(client)).text,
        client.get("/api/audit?entity=patron", headers=as_admin(client)).text,
    ]
    for text in everything:
        assert "argon2" not in text
        assert "pin_hash" not in text
        assert "2222" not in text
        assert "1815" not in text
    assert client.get("/api/patrons/999").status_code == 404


def test_a_card_already_issued_answers_409_naming_cards(client) -> None:
    assert client.post("/api/patrons", json=ADA).status_code == 201
    again = client.post("/api/patrons", json=ADA | {"name": "Someone Else"})
    assert again.status_code == 409
    [error] = again.json()["detail"]
    assert error["loc"] == ["body", "cards"]
    assert "already belongs to patron" in error["msg"]
    twice = client.post("/api/patrons", json=ADA | {"cards": ["1111", "1111"]})
    assert twice.status_code == 422
    assert twice.json()["detail"][0]["loc"][-1] == "cards"


def test_cards_and_blocks_over_http(client) -> None:
    patron_id = client.post("/api/patrons", json=ADA).json()["id"]
    added = client.post(f"/api/patrons/{patron_id}/cards", json={"number": "e004-aaaa"})
    assert (added.status_code, added.json()["number"]) == (201, "E004AAAA")
    retired = client.post(f"/api/patrons/{patron_id}/cards/0004123456/retire", json={})
    assert retired.json()["retired_reason"] == "lost"
    assert client.post(f"/api/patrons/{patron_id}/cards/0004123456/retire").status_code == 409
    assert client.post(f"/api/patrons/{patron_id}/cards/77777777/retire").status_code == 404
    block = client.post(f"/api/patrons/{patron_id}/blocks", json={"reason": "damaged a book"})
    assert block.status_code == 201
    assert client.post(f"/api/patrons/{patron_id}/blocks", json={"reason": ""}).status_code == 422
    blocks = client.get(f"/api/patrons/{patron_id}").json()["blocks"]
    assert [(b["kind"], b["reason"]) for b in blocks] == [("manual", "damaged a book")]
    block_id = block.json()["id"]
    lifted = client.post(f"/api/patrons/{patron_id}/blocks/{block_id}/lift")
    assert lifted.json()["lifted_by"] == "lin"
    assert client.get(f"/api/patrons/{patron_id}").json()["blocks"] == []


def test_export_and_erase_need_the_privacy_permission(client) -> None:
    patron_id = client.post("/api/patrons", json=ADA).json()["id"]
    assert client.get(f"/api/patrons/{patron_id}/export").status_code == 403
    assert client.post(f"/api/patrons/{patron_id}/anonymise").status_code == 403
    exported = client.get(f"/api/patrons/{patron_id}/export", headers=as_admin(client))
    assert exported.json()["patron"]["name"] == "Ada Lovelace"
    erased = client.post(f"/api/patrons/{patron_id}/anonymise", headers=as_admin(client))
    assert erased.status_code == 200
    assert (erased.json()["name"], erased.json()["email"]) == ("", None)
    assert erased.json()["category"] == "adult"
    again = client.post(f"/api/patrons/{patron_id}/anonymise", headers=as_admin(client))
    assert again.status_code == 409
    assert client.get("/api/patrons").json()["total"] == 0


def test_categories_over_http(client) -> None:
    codes = [c["code"] for c in client.get("/api/patron-categories").json()]
    assert "adult" in codes
    made = client.post(
        "/api/patron-categories",
        json={"code": "senior", "name": "Senior", "needs_pin": False, "card_validity_days": 1825},
    )
    assert made.status_code == 201, made.text
    assert client.post("/api/patron-categories", json=made.json()).status_code == 409
    bad = client.post("/api/patron-categories", json={"code": "X", "name": "x"})
    assert bad.json()["detail"][0]["loc"][-1] == "code"
    changed = client.patch("/api/patron-categories/senior", json={"needs_pin": True})
    assert changed.json()["needs_pin"] is True
    assert client.patch("/api/patron-categories/nope", json={}).status_code == 404


@pytest.mark.parametrize(
    "query", ["page=0", "per_page=1000", "per_page=abc", "q=" + "x" * 300, "page=-1"]
)
def test_bad_search_parameters_get_a_4xx(client, query) -> None:
    response = client.get(f"/api/patrons?{query}")
    assert response.status_code == 422
    assert response.json()["detail"]
