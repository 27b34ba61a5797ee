"""Garbage on the serial lines and malformed MQTT messages: rejected, counted, nothing stops."""

from __future__ import annotations

import random
import time

import contracts as c
from contracts.mqtt import new_client
from tests.e2e.conftest import wait_for_devices


def wait_until(predicate, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def tag_reads(server) -> set[str]:
    return {e["data"]["uid"] for e in server.get("/api/events?kind=tag_read&limit=1000")}


def test_garbage_on_the_serial_lines_is_rejected_and_counted(system) -> None:
    library, gateway, server = system
    wait_for_devices(server, "pad-1", "card-1")
    rng = random.Random(3)
    pad, card = library.pads["pad-1"], library.card_readers["card-1"]
    for i in range(50):
        pad.inject_garbage(rng.randbytes(rng.randint(1, 60)) + b"\x00")
        card.inject_garbage(rng.randbytes(rng.randint(1, 30)))
        if i % 10 == 0:
            pad.present(bytes([0xE0, 0x04, 0, 0, 0, 0, 0, i]))
    card.present("00AABBCCDD")
    wanted = {bytes([0xE0, 0x04, 0, 0, 0, 0, 0, i]).hex().upper() for i in range(0, 50, 10)}
    wait_until(lambda: wanted <= tag_reads(server), what="the good reads between the garbage")
    wait_until(
        lambda: (
            "00AABBCCDD" in {e["data"]["card"] for e in server.get("/api/events?kind=card_read")}
        ),
        what="the card read after the garbage",
    )
    stats = gateway.stats()
    assert sum(v for k, v in stats.items() if k.startswith("pad-1.rejected_")) > 0
    assert sum(v for k, v in stats.items() if k.startswith("card-1.rejected_")) > 0
    # the readers stayed connected through it all
    wait_for_devices(server, "pad-1", "card-1")
    assert gateway.readers["pad-1"].stats()["reconnects"] == 0


def test_malformed_mqtt_messages_are_dead_lettered_and_counted(system, mosquitto) -> None:
    library, gateway, server = system
    wait_for_devices(server, "pad-1")
    client, address = new_client("test-intruder", mosquitto.url)
    client.connect(address.host, address.port)
    client.loop_start()
    junk = [
        (c.event_topic("main", "gw1", "tag_read"), b"\x00\xff garbage"),
        (c.event_topic("main", "gw1", "tag_read"), b'{"kind": "tag_read", "data": {}}'),
        (c.event_topic("main", "gw1", "teleport"), b"{}"),
        (c.status_topic("main", "gw1"), b"maybe"),
        (c.command_topic("main", "gw1"), b"not a command"),
    ]
    for topic, payload in junk:
        client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()
    wait_until(lambda: server.metric("smartlib_events_rejected_total") >= 4, what="dead letters")
    reasons = [d["reason"] for d in server.get("/api/dead-letters")]
    assert len(reasons) == 4
    assert any("invalid event" in r for r in reasons)
    wait_until(
        lambda: gateway.link.rejected_commands == 1, what="the gateway to refuse the command"
    )
    # both processes carry on
    assert server.get("/healthz")["status"] == "ok"
    library.pads["pad-1"].present(bytes.fromhex("E004AAAABBBBCCCC"))
    wait_until(lambda: "E004AAAABBBBCCCC" in tag_reads(server), what="a read after the junk")
