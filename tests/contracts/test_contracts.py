"""The wire contract: topics, envelopes, validation messages and JSON Schema export."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import contracts as c
from contracts.schema import json_schemas, write_schemas


def test_topics_round_trip() -> None:
    topic = c.event_topic("main", "gw1", "tag_read")
    assert topic == "smartlib/v1/main/gw1/events/tag_read"
    assert c.parse_topic(topic) == c.Topic("main", "gw1", "events", "tag_read")
    assert c.parse_topic(c.command_topic("main", "gw1")) == c.Topic("main", "gw1", "commands")
    assert c.parse_topic(c.status_topic("main", "gw1")) == c.Topic("main", "gw1", "status")
    assert (
        c.shared_subscription("servers", c.events_filter())
        == "$share/servers/smartlib/v1/+/+/events/#"
    )


@pytest.mark.parametrize(
    "topic",
    [
        "smartlib/v1/main/gw1",
        "other/v1/main/gw1/status",
        "smartlib/v1/Main/gw1/status",
        "smartlib/v1/main/gw1/events",
        "smartlib/v1/main/gw1/status/extra",
        "smartlib/v2/main/gw1/status",
    ],
)
def test_bad_topics_are_refused_with_a_reason(topic: str) -> None:
    with pytest.raises(ValueError, match=r"topic|site|gateway"):
        c.parse_topic(topic)


def test_names_that_would_break_a_topic_are_refused() -> None:
    for bad in ("a/b", "+", "#", "", "UPPER", "-lead"):
        with pytest.raises(ValueError, match="invalid gateway"):
            c.command_topic("main", bad)


def test_event_round_trip_keeps_every_field() -> None:
    event = c.make_event("main", "gw1", "pad-1", 42, c.TagRead(uid="E0040102030405", rssi=-40))
    again = c.parse_event(event.model_dump_json())
    assert again == event
    assert isinstance(again, c.TagReadEvent)
    assert again.v == c.CONTRACT_VERSION
    assert again.ts.utcoffset() is not None


def test_unknown_kind_names_the_known_ones() -> None:
    body = {
        "site": "main",
        "gateway": "gw1",
        "device": "x",
        "seq": 1,
        "kind": "teleport",
        "data": {},
    }
    with pytest.raises(ValidationError) as error:
        c.parse_event(json.dumps(body))
    assert "teleport" in str(error.value)
    assert "tag_read" in str(error.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"data": {"uid": "not hex"}}, "uid"),
        ({"seq": -1}, "seq"),
        ({"ts": "2026-01-01T00:00:00"}, "ts"),  # no timezone: refused, not guessed
        ({"site": "a/b"}, "site"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_bodies_fail_naming_the_field(change: dict, field: str) -> None:
    event = json.loads(
        c.make_event("main", "gw1", "pad-1", 1, c.TagRead(uid="AB")).model_dump_json()
    )
    event.update(change)
    with pytest.raises(ValidationError) as error:
        c.parse_event(json.dumps(event))
    assert field in str(error.value)


@given(st.binary(max_size=200))
def test_garbage_never_raises_anything_but_validation_error(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        c.parse_event(raw)


def test_command_and_ack() -> None:
    command = c.IdentifyCommand(site="main", gateway="gw1", device="pad-1")
    assert c.parse_command(command.model_dump_json()) == command
    ack = c.make_event(
        "main", "gw1", "pad-1", 7, c.CommandAck(command_id=command.id, ok=False, reason="busy")
    )
    assert c.parse_event(ack.model_dump_json()).data.command_id == command.id
    with pytest.raises(ValidationError, match="action"):
        c.parse_command(
            json.dumps(
                {
                    "site": "main",
                    "gateway": "gw1",
                    "device": "x",
                    "action": "explode",
                    "id": str(uuid4()),
                }
            )
        )


def test_json_schema_export(tmp_path) -> None:
    schemas = json_schemas()
    assert set(schemas) == {"event", "command", "command_ack"}
    event_schema = json.dumps(schemas["event"])
    for kind in c.EVENT_DATA:
        assert kind in event_schema
    written = write_schemas(tmp_path)
    assert all(json.loads(p.read_text()) for p in written)
