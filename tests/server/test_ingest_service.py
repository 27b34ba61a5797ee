"""Ingest on SQLite and PostgreSQL: each event once, gaps visible, bad input kept."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlmodel import Session, select

import contracts as c
from server.db import MIGRATIONS, make_engine, migrate
from server.devices.models import CommandRecord, CommandState, Device
from server.devices.service import queue_command
from server.ingest.models import DeadLetter, EventRecord, GatewayStream
from server.ingest.service import Message, apply_messages


def message(event: c.Event) -> Message:
    return Message(
        c.event_topic(event.site, event.gateway, event.kind), event.model_dump_json().encode()
    )


def tag(seq: int, gateway: str = "gw1", uid: str = "E004") -> c.Event:
    return c.make_event("main", gateway, "pad-1", seq, c.TagRead(uid=uid))


def apply(engine, messages):
    with engine.begin() as connection:
        return apply_messages(connection, messages, datetime.now(UTC))


def test_each_event_is_stored_once_whatever_is_redelivered(engine) -> None:
    events = [tag(seq) for seq in range(1, 6)]
    first = apply(engine, [message(e) for e in events] + [message(events[0])])
    assert len(first.applied) == 5
    assert first.duplicates == 1
    again = apply(engine, [message(e) for e in events[2:]])
    assert again.applied == []
    assert again.duplicates == 3
    with Session(engine) as session:
        assert session.exec(select(sa.func.count()).select_from(EventRecord)).one() == 5
        stream = session.get(GatewayStream, ("main", "gw1"))
        assert (stream.low_seq, stream.high_seq, stream.received, stream.missing) == (1, 5, 5, 0)
        assert stream.duplicates == 4


def test_a_gap_in_seq_is_visible_and_closes_when_the_event_arrives(engine) -> None:
    apply(engine, [message(tag(s)) for s in (1, 2, 5)])
    with Session(engine) as session:
        assert session.get(GatewayStream, ("main", "gw1")).missing == 2
    apply(engine, [message(tag(s)) for s in (3, 4)])
    with Session(engine) as session:
        assert session.get(GatewayStream, ("main", "gw1")).missing == 0


def test_malformed_messages_are_dead_lettered_with_the_reason(engine) -> None:
    good = tag(1)
    wrong_topic = Message(c.event_topic("main", "gw2", "tag_read"), good.model_dump_json().encode())
    result = apply(
        engine,
        [
            Message(c.event_topic("main", "gw1", "tag_read"), b"{not json"),
            Message(c.event_topic("main", "gw1", "tag_read"), b'{"kind": "tag_read"}'),
            Message("smartlib/v1/main/gw1/nonsense", b"{}"),
            Message(c.status_topic("main", "gw1"), b"sleepy"),
            Message(c.event_topic("main", "gw1", "tag_read"), b"\xff\xfe\x00 binary"),
            wrong_topic,
            message(good),
        ],
    )
    assert len(result.applied) == 1
    assert len(result.rejected) == 6
    with Session(engine) as session:
        letters = session.exec(select(DeadLetter).order_by(DeadLetter.id)).all()
    reasons = [letter.reason for letter in letters]
    assert "invalid event" in reasons[0]
    assert "site" in reasons[1]  # the first missing field is named
    assert "unknown smartlib topic" in reasons[2]
    assert "online" in reasons[3]
    assert "came on smartlib/v1/main/gw2" in reasons[5]
    assert letters[4].payload.startswith("\\xff\\xfe")


def test_registry_follows_status_and_events(engine) -> None:
    apply(
        engine,
        [
            Message(c.status_topic("main", "gw1"), b"online"),
            message(
                c.make_event(
                    "main",
                    "gw1",
                    "pad-1",
                    1,
                    c.DeviceStatus(state="online", device_kind="rfid_pad"),
                )
            ),
            message(tag(2)),
            message(
                c.make_event(
                    "main",
                    "gw1",
                    "card-1",
                    3,
                    c.DeviceStatus(state="offline", reason="port failed"),
                )
            ),
        ],
    )
    with Session(engine) as session:
        pad = session.get(Device, ("main", "gw1", "pad-1"))
        card = session.get(Device, ("main", "gw1", "card-1"))
    assert (pad.online, pad.kind, pad.last_event) == (True, "rfid_pad", "tag_read")
    assert (card.online, card.status_reason) == (False, "port failed")


def test_command_ack_answers_the_command(engine) -> None:
    command = c.IdentifyCommand(site="main", gateway="gw1", device="pad-1")
    with Session(engine) as session:
        queue_command(session, command, datetime.now(UTC))
    ack = c.make_event(
        "main", "gw1", "pad-1", 1, c.CommandAck(command_id=command.id, ok=False, reason="busy")
    )
    result = apply(engine, [message(ack)])
    assert result.live[-1]["type"] == "CommandAnswered"
    with Session(engine) as session:
        record = session.get(CommandRecord, command.id)
    assert (record.state, record.reason) == (CommandState.FAILED, "busy")


def test_migrations_are_idempotent(engine) -> None:
    migrate(engine)  # a second server starting on the same database
    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    with engine.connect() as connection:
        version = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert version == head


def test_a_message_the_database_refuses_is_dead_lettered_and_the_rest_stored(tmp_path) -> None:
    from server.config import ServerSettings
    from server.link import ServerLink
    from server.live import LiveHub
    from server.metrics import Metrics

    url = f"sqlite:///{tmp_path / 'refuse.sqlite'}"
    engine = make_engine(url)
    migrate(engine)
    with engine.begin() as connection:  # stands in for any constraint the database enforces
        connection.execute(
            sa.text(
                "CREATE TRIGGER refuse BEFORE INSERT ON event WHEN NEW.seq = 2 "
                "BEGIN SELECT RAISE(ABORT, 'seq 2 refused'); END"
            )
        )
    link = ServerLink(ServerSettings(database_url=url), engine, LiveHub(), Metrics())
    assert link._apply([(message(tag(seq)), 0, 0) for seq in (1, 2, 3)])
    with Session(engine) as session:
        stored = session.exec(select(EventRecord.seq).order_by(EventRecord.seq)).all()
        letters = session.exec(select(DeadLetter)).all()
    assert stored == [1, 3]
    assert len(letters) == 1
    assert "seq 2 refused" in letters[0].reason
    engine.dispose()


def test_the_migrations_build_exactly_the_tables_the_models_describe(engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from server.models import metadata

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = [
            d
            for d in compare_metadata(context, metadata)
            if not (
                d[0] in ("remove_table", "remove_index") and "fts" in str(d[1])
            )  # full-text tables live only in SQL
        ]
    assert differences == []
