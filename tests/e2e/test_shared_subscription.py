"""Two servers on one broker and one PostgreSQL split the events and store each once."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from gateway.app import Gateway
from hardware.sim.library import SimLibrary, book_tags
from smartlib.wiring import gateway_settings
from tests.e2e.conftest import stored_tag_reads
from tests.processes import ServerProcess
from tests.sites import demo_site

READS = 2_000


@pytest.mark.postgres
def test_two_servers_share_the_work_and_store_each_event_once(
    tmp_path, mosquitto, pg_url, monkeypatch
) -> None:
    site, site_file = demo_site(tmp_path)
    library = SimLibrary(site)
    monkeypatch.setenv("SMARTLIB_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("SMARTLIB_OUTBOX_PATH", str(tmp_path / "outbox.sqlite"))
    servers = [
        ServerProcess(
            database_url=pg_url,
            mqtt_url=mosquitto.url,
            instance=name,
            share_group="servers",
            log=tmp_path / f"{name}.log",
        )
        for name in ("server-a", "server-b")
    ]
    gateway = Gateway(gateway_settings(site_file, "gw1"))
    try:
        for server in servers:
            server.start()
        library.start()
        gateway.start()
        library.flood("pad-1", book_tags(READS, seed=99), rate=1000)
        assert library.wait_drained(60)
        engine = sa.create_engine(pg_url)
        with engine.connect() as connection:
            stored = stored_tag_reads(connection, READS)
        engine.dispose()
        assert stored == READS
        ingested = [server.metric("smartlib_events_ingested_total") for server in servers]
        assert all(n > 0 for n in ingested), f"one server did all the work: {ingested}"
        assert sum(server.metric("smartlib_events_duplicate_total") for server in servers) == 0
        # whichever server stores an event, clients of both servers see it live
        extra = book_tags(20, seed=5)
        sockets = [server.live() for server in servers]
        try:
            for uid in extra:
                library.pads["pad-1"].present(uid)
            wanted = {uid.hex().upper() for uid in extra}
            for ws in sockets:
                seen: set[str] = set()
                while seen != wanted:
                    message = json.loads(ws.recv(timeout=10))
                    if (
                        message["type"] == "EventReceived"
                        and message["event"]["kind"] == "tag_read"
                    ):
                        seen.add(message["event"]["data"]["uid"])
        finally:
            for ws in sockets:
                ws.close()
    finally:
        library.stop()
        gateway.stop()
        for server in servers:
            server.stop()
