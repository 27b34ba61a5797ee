"""Nothing acknowledged is lost: 10,000 reads while the broker restarts and the server crashes."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from gateway.app import Gateway
from hardware.sim.library import SimLibrary, book_tags
from smartlib.wiring import gateway_settings
from tests.e2e.conftest import stored_tag_reads
from tests.processes import ServerProcess
from tests.sites import demo_site

READS = 10_000


@pytest.mark.slow
def test_ten_thousand_reads_survive_a_broker_restart_and_a_server_crash(
    tmp_path, mosquitto, database_url, monkeypatch
) -> None:
    site, site_file = demo_site(tmp_path)
    library = SimLibrary(site)
    monkeypatch.setenv("SMARTLIB_MQTT_URL", mosquitto.url)
    monkeypatch.setenv("SMARTLIB_OUTBOX_PATH", str(tmp_path / "outbox.sqlite"))
    gateway = Gateway(gateway_settings(site_file, "gw1"))
    server = ServerProcess(
        database_url=database_url, mqtt_url=mosquitto.url, log=tmp_path / "server.log"
    )
    server.start()
    library.start()
    gateway.start()
    uids = book_tags(READS, seed=2024)
    assert len(set(uids)) == READS
    feeder = threading.Thread(target=library.flood, args=("pad-1", uids), kwargs={"rate": 700})
    try:
        feeder.start()
        time.sleep(3)
        mosquitto.stop()  # the broker goes away (and saves its queues) ...
        time.sleep(1.5)
        assert gateway.outbox.pending() > 0  # reads kept coming and wait on disk
        mosquitto.start()  # ... and comes back
        time.sleep(4)
        server.kill()  # a crash: no shutdown code runs, unacknowledged work is redelivered
        time.sleep(1.5)
        server.start()
        feeder.join(60)
        assert library.wait_drained(60), "the pad's reads were never all acknowledged"
        deadline = time.monotonic() + 120
        while gateway.outbox.pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert gateway.outbox.pending() == 0, "events stuck in the gateway's outbox"
        engine = sa.create_engine(database_url)
        with engine.connect() as connection:
            stored = stored_tag_reads(connection, READS)
            distinct_tags = connection.execute(
                sa.text(
                    "SELECT count(DISTINCT CAST(data AS TEXT)) FROM event WHERE kind = 'tag_read'"
                )
            ).scalar()
            low, high, total = connection.execute(
                sa.text("SELECT min(seq), max(seq), count(*) FROM event WHERE gateway = 'gw1'")
            ).one()
        engine.dispose()
        assert stored == READS
        assert distinct_tags == READS  # none duplicated
        assert (low, total) == (1, high)  # seq contiguous: no gap, no repeat
        gateways = server.get("/api/gateways")
        assert gateways[0]["events_missing"] == 0
    finally:
        library.stop()
        feeder.join(5)
        gateway.stop()
        server.stop()
