"""Backup and restore on real SQLite and PostgreSQL: every row back, a snapshot under load."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

import contracts as c
from server.auth.permissions import Role
from server.auth.service import create_account, sign_in
from server.db import MIGRATIONS, make_engine, migrate
from server.devices.service import queue_command
from server.ingest.service import Message, apply_messages
from server.models import metadata
from smartlib.backup import BackupError, backup, find_pg_tool, manifest_path, restore
from tests.processes import ServerProcess
from tests.services import create_pg_database, drop_pg_database

BATCH = 25  # events the writer commits per transaction
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


@pytest.fixture
def source(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def target_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same kind of server."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'smartlib.sqlite'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


# --- filling a database ----------------------------------------------------------------


def tag_message(gateway: str, seq: int, uid: str = "E0040001") -> Message:
    event = c.make_event("main", gateway, "pad-1", seq, c.TagRead(uid=uid))
    return Message(c.event_topic("main", gateway, "tag_read"), event.model_dump_json().encode())


def fill(engine: Engine) -> dict[str, str]:
    """Rows in every table: through the services where we know them, generically elsewhere.

    Returns the tables left empty, with the reason.
    """
    with engine.begin() as connection:
        messages = [tag_message("gw1", seq, uid=f"E004{seq:04d}") for seq in range(1, 41)]
        messages += [
            Message(c.status_topic("main", "gw1"), b"online"),
            Message(c.event_topic("main", "gw1", "tag_read"), b"{not json"),
        ]
        apply_messages(connection, messages, NOW)
    with Session(engine) as session:
        for n in range(3):
            create_account(
                session,
                username=f"librarian{n}",
                password="a long enough password",
                role=Role.LIBRARIAN,
                display_name=f"Librarian {n}",
                actor="test",
                now=NOW,
            )
        sign_in(session, "librarian0", "a long enough password", NOW)
        queue_command(session, c.IdentifyCommand(site="main", gateway="gw1", device="pad-1"), NOW)
    with engine.begin() as connection:
        return _fill_unknown_tables(connection)


def _fill_unknown_tables(connection: Connection) -> dict[str, str]:
    """Tables this test does not know (later contexts): three rows made from their columns.

    The tables come from the database itself, so a context whose migration has landed is
    covered even before its models are in `server.models`.
    """
    skipped: dict[str, str] = {}
    reflected = sa.MetaData()
    reflected.reflect(connection)
    for table in reflected.sorted_tables:
        if table.name == "alembic_version":
            continue
        if connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one():
            continue
        try:
            rows = [_generic_row(connection, table, n) for n in range(3)]
            with connection.begin_nested():
                connection.execute(table.insert(), rows)
        except (sa.exc.SQLAlchemyError, LookupError, ValueError, TypeError) as error:
            skipped[table.name] = str(error).splitlines()[0]
    return skipped


def _generic_row(connection: Connection, table: sa.Table, n: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in table.columns:
        if (column.primary_key and column.autoincrement is True) or _is_serial(table, column):
            continue
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            values = connection.execute(sa.select(target)).scalars().all()
            if not values:
                raise LookupError(f"{target.table.name} has no rows to refer to")
            row[column.name] = values[n % len(values)]
            continue
        row[column.name] = _value(table, column, n)
    return row


def _is_serial(table: sa.Table, column: sa.Column) -> bool:
    keys = list(table.primary_key.columns)
    return keys == [column] and isinstance(column.type, sa.Integer) and column.autoincrement != 0


def _value(table: sa.Table, column: sa.Column, n: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.TypeDecorator):
        kind = kind.impl_instance if hasattr(kind, "impl_instance") else kind.impl
    if isinstance(kind, sa.Enum):
        return kind.enums[n % len(kind.enums)]
    if isinstance(kind, sa.Boolean):
        return n % 2 == 0
    if isinstance(kind, sa.Integer):
        return 1000 + n
    if isinstance(kind, sa.String):
        text = f"{table.name}-{column.name}-{n}"
        return text[-kind.length :] if kind.length else text
    if isinstance(kind, sa.DateTime):
        return NOW + timedelta(minutes=n)
    if isinstance(kind, sa.Date):
        return date(2026, 1, 1) + timedelta(days=n)
    if isinstance(kind, sa.Float):
        return n + 0.5
    if isinstance(kind, sa.Numeric):
        return Decimal(n) + Decimal("0.25")
    if isinstance(kind, sa.Uuid):
        return uuid.uuid4()
    if isinstance(kind, sa.JSON):
        return {"n": n}
    if isinstance(kind, sa.LargeBinary):
        return bytes([n, 0, 255])
    if column.nullable:
        return None
    raise TypeError(f"no sample value for {table.name}.{column.name} ({column.type})")


# --- reading a database back -----------------------------------------------------------


def all_rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the database holds (alembic_version too), in key order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            reflected = sa.MetaData()
            reflected.reflect(connection)
            rows = {}
            for table in reflected.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                query = sa.select(table).order_by(*order)
                rows[table.name] = [tuple(row) for row in connection.execute(query)]
            return rows
    finally:
        engine.dispose()


def key(row: tuple[Any, ...]) -> str:
    return json.dumps(row, default=str, sort_keys=True)


# --- the tests -------------------------------------------------------------------------


def test_a_quiet_database_comes_back_row_for_row(
    source: Engine, database_url: str, target_url: str, tmp_path: Path
) -> None:
    skipped = fill(source)
    before = all_rows(database_url)
    holding = {name for name, rows in before.items() if rows}
    assert {t.name for t in metadata.sorted_tables} <= set(before)
    assert set(before) - holding == set(skipped), skipped  # every other table has rows

    manifest = backup(database_url, tmp_path / "library.backup")
    assert manifest.revision == HEAD
    assert manifest.tables == {
        name: len(rows) for name, rows in before.items() if name != "alembic_version"
    }
    saved = json.loads(manifest_path(tmp_path / "library.backup").read_text())
    assert saved["sha256"] == manifest.sha256

    result = restore(target_url, tmp_path / "library.backup")
    assert (result.revision_in_backup, result.revision_now) == (HEAD, HEAD)
    restored = all_rows(target_url)
    assert set(restored) == set(before)
    for name in before:
        assert restored[name] == before[name], f"table {name} differs"
    assert all_rows(database_url) == before  # the backup changed nothing

    # The restored database carries on: keys and sequences continue past the old rows.
    engine = make_engine(target_url)
    try:
        with Session(engine) as session:
            account = create_account(
                session,
                username="newcomer",
                password="a long enough password",
                role=Role.PATRON,
                actor="test",
                now=NOW,
            )
        assert account.id == max(row[0] for row in before["account"]) + 1
    finally:
        engine.dispose()


class Writer(threading.Thread):
    """Commits batches of BATCH events, one transaction each, until told to stop."""

    def __init__(self, url: str) -> None:
        super().__init__(name="event-writer")
        self.url = url
        self.committed = 0
        self.error: BaseException | None = None
        self.halt = threading.Event()
        self.progressed = threading.Condition()

    def run(self) -> None:
        engine = make_engine(self.url)
        try:
            while not self.halt.is_set():
                first = self.committed * BATCH + 1
                batch = [tag_message("writer", seq) for seq in range(first, first + BATCH)]
                with engine.begin() as connection:
                    apply_messages(connection, batch, datetime.now(UTC))
                with self.progressed:
                    self.committed += 1
                    self.progressed.notify_all()
        except BaseException as error:
            self.error = error
        finally:
            engine.dispose()

    def wait_for(self, batches: int, timeout: float = 30) -> None:
        with self.progressed:
            reached = self.progressed.wait_for(
                lambda: self.committed >= batches or self.error is not None, timeout
            )
        assert self.error is None, f"the writer failed: {self.error!r}"
        assert reached, f"the writer is stuck at {self.committed} batches"


@pytest.fixture
def writer(database_url: str, source: Engine) -> Iterator[Writer]:
    thread = Writer(database_url)
    thread.start()
    yield thread
    thread.halt.set()
    thread.join(30)
    assert not thread.is_alive(), "the writer did not stop"


def test_a_backup_taken_while_events_pour_in_is_one_snapshot(
    source: Engine, database_url: str, target_url: str, tmp_path: Path, writer: Writer
) -> None:
    fill(source)
    writer.wait_for(3)
    seen: dict[str, int] = {}

    def progress(done: int, total: int) -> None:
        # Hold the backup open after its first step until the writer has committed more.
        if "start" not in seen:
            seen["start"] = writer.committed
            writer.wait_for(writer.committed + 4)
            seen["held"] = writer.committed

    before = writer.committed
    manifest = backup(database_url, tmp_path / "busy.backup", progress=progress, pages_per_step=4)
    at_end = writer.committed
    writer.halt.set()
    writer.join(30)
    assert writer.error is None
    assert seen["held"] >= seen["start"] + 4  # the writer did commit during the backup

    final = all_rows(database_url)
    restore(target_url, tmp_path / "busy.backup")
    restored = all_rows(target_url)

    # Every batch is all there or not there at all, and they form a prefix: no half commit.
    engine = make_engine(target_url)
    try:
        with engine.connect() as connection:
            seqs = connection.execute(sa.text("SELECT seq FROM event WHERE gateway = 'writer'"))
            per_batch = Counter((seq - 1) // BATCH for (seq,) in seqs)
            counted = connection.execute(
                sa.text("SELECT received FROM gateway_stream WHERE gateway = 'writer'")
            ).scalar_one()
    finally:
        engine.dispose()
    batches = len(per_batch)
    assert set(per_batch.values()) == {BATCH}
    assert sorted(per_batch) == list(range(batches))
    # The snapshot is the state when the backup began: none of the batches committed while
    # it was held open got in.
    assert before <= batches <= seen["start"] < seen["held"] <= at_end
    # The per-gateway counter was caught in the same transaction as the events it counts.
    assert counted == batches * BATCH

    counts = {name: len(rows) for name, rows in restored.items() if name != "alembic_version"}
    assert counts == manifest.tables
    # Rows the writer never touches are exact; the events are the source's own rows.
    for name in restored:
        if name in ("event", "gateway_stream", "gateway", "device"):
            continue
        assert restored[name] == final[name], f"table {name} differs"
    source_events = {key(row) for row in final["event"]}
    assert all(key(row) in source_events for row in restored["event"])


def test_a_database_with_rows_is_only_replaced_with_force(
    source: Engine, database_url: str, target_url: str, tmp_path: Path
) -> None:
    fill(source)
    backup(database_url, tmp_path / "library.backup")
    other = make_engine(target_url)
    try:
        migrate(other)
        with Session(other) as session:
            create_account(
                session,
                username="someone-else",
                password="a long enough password",
                role=Role.ADMIN,
                actor="test",
                now=NOW,
            )
    finally:
        other.dispose()
    kept = all_rows(target_url)

    with pytest.raises(BackupError, match=r"not empty: account \(1\).*--force"):
        restore(target_url, tmp_path / "library.backup")
    assert all_rows(target_url) == kept

    restore(target_url, tmp_path / "library.backup", force=True)
    assert all_rows(target_url) == all_rows(database_url)


def test_a_damaged_backup_is_refused_before_anything_is_touched(
    source: Engine, database_url: str, target_url: str, tmp_path: Path
) -> None:
    fill(source)
    good = tmp_path / "library.backup"
    backup(database_url, good)
    data = good.read_bytes()

    def damaged(name: str, content: bytes, manifest: bool = True) -> Path:
        path = tmp_path / name
        path.write_bytes(content)
        if manifest:
            shutil.copy(manifest_path(good), manifest_path(path))
        return path

    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xFF
    cases = {
        "truncated": (damaged("truncated.backup", data[: len(data) // 2]), "truncated"),
        "flipped": (damaged("flipped.backup", bytes(flipped)), "corrupt"),
        "no manifest": (damaged("lonely.backup", data, manifest=False), "missing"),
    }
    for what, (path, reason) in cases.items():
        with pytest.raises(BackupError, match=reason):
            restore(target_url, path)
        assert all_rows(target_url) == {}, f"{what}: the target was touched"


def test_an_older_backup_is_migrated_to_the_current_schema(
    database_url: str, target_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            command.upgrade(config, "0002")
        with engine.begin() as connection:
            apply_messages(connection, [tag_message("gw1", seq) for seq in range(1, 11)], NOW)
    finally:
        engine.dispose()
    backup(database_url, tmp_path / "old.backup")

    result = restore(target_url, tmp_path / "old.backup")
    assert (result.revision_in_backup, result.revision_now) == ("0002", HEAD)
    assert result.tables["event"] == 10
    assert {t.name for t in metadata.sorted_tables} <= set(result.tables)


def test_a_backup_cannot_go_into_the_other_kind_of_database(
    source: Engine, database_url: str, tmp_path: Path
) -> None:
    backup(database_url, tmp_path / "library.backup")
    other = (
        "postgresql://nobody@127.0.0.1:1/none"
        if database_url.startswith("sqlite")
        else f"sqlite:///{tmp_path / 'x.sqlite'}"
    )
    with pytest.raises(BackupError, match="restore it into a"):
        restore(other, tmp_path / "library.backup")


def test_a_missing_pg_dump_names_the_package_to_install(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="postgresql-client"):
        find_pg_tool("pg_dump", bin_glob=str(tmp_path / "*" / "bin"))


def smartlib(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SMARTLIB_DATABASE_URL": url}
    env.pop("SMARTLIB_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "smartlib", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_commands_back_up_a_running_server_and_restore_it(
    database_url: str, target_url: str, tmp_path: Path, mosquitto
) -> None:
    server = ServerProcess(
        database_url=database_url, mqtt_url=mosquitto.url, log=tmp_path / "server.log"
    )
    try:
        server.start()
        engine = make_engine(database_url)
        try:
            fill(engine)
        finally:
            engine.dispose()
        made = smartlib(
            "backup", "--out", str(tmp_path / "out" / "library.backup"), url=database_url
        )
        assert made.returncode == 0, made.stderr
        assert "schema revision" in made.stdout
    finally:
        server.stop()
    source_rows = all_rows(database_url)
    backup_file = tmp_path / "out" / "library.backup"

    loaded = smartlib("restore", str(backup_file), url=target_url)
    assert loaded.returncode == 0, loaded.stderr
    assert "event" in loaded.stdout
    assert "40" in loaded.stdout
    restored = all_rows(target_url)
    # The server goes on working the command queue after the backup; these it leaves alone.
    for name in ("account", "audit", "event", "dead_letter", "alembic_version"):
        assert restored[name] == source_rows[name], f"table {name} differs"
    manifest = json.loads(manifest_path(backup_file).read_text())
    assert {n: len(r) for n, r in restored.items() if n != "alembic_version"} == manifest["tables"]

    again = smartlib("restore", str(backup_file), url=target_url)
    assert again.returncode == 1
    assert "not empty" in again.stderr
    assert "--force" in again.stderr

    broken = tmp_path / "out" / "broken.backup"
    broken.write_bytes(backup_file.read_bytes()[:-100])
    shutil.copy(manifest_path(backup_file), manifest_path(broken))
    refused = smartlib("restore", "--force", str(broken), url=target_url)
    assert refused.returncode == 1
    assert "truncated" in refused.stderr
    assert "Traceback" not in refused.stderr

    forced = smartlib("restore", "--force", str(backup_file), url=target_url)
    assert forced.returncode == 0, forced.stderr
