"""End to end: simulator → pty/TCP → gateway → mosquitto → server → database → WebSocket."""

from __future__ import annotations

import time

from tests.e2e.conftest import receive_until, wait_for_devices


def test_a_tag_on_the_pad_reaches_a_websocket_client(system) -> None:
    library, _gateway, server = system
    with server.live() as ws:
        library.pads["pad-1"].present(bytes.fromhex("E004015012345678"))
        message = receive_until(
            ws, lambda m: m["type"] == "EventReceived" and m["event"]["kind"] == "tag_read"
        )
    event = message["event"]
    assert event["data"]["uid"] == "E004015012345678"
    assert (event["site"], event["gateway"], event["device"]) == ("main", "gw1", "pad-1")
    stored = server.get("/api/events?kind=tag_read")
    assert [e["data"]["uid"] for e in stored] == ["E004015012345678"]


def test_a_patron_card_and_device_states_reach_the_server(system) -> None:
    library, _gateway, server = system
    with server.live() as ws:
        library.card_readers["card-1"].present("0A1B2C3D4E")
        message = receive_until(
            ws, lambda m: m["type"] == "EventReceived" and m["event"]["kind"] == "card_read"
        )
    assert message["event"]["data"]["card"] == "0A1B2C3D4E"
    # held for three frames, debounced to one presentation
    time.sleep(0.3)
    assert len(server.get("/api/events?kind=card_read")) == 1
    devices = wait_for_devices(server, "pad-1", "card-1")
    assert devices["pad-1"]["kind"] == "rfid_pad"
    assert devices["card-1"]["kind"] == "card_reader"
    gateways = server.get("/api/gateways")
    assert gateways[0]["online"] is True


def test_identify_command_is_carried_out_and_acknowledged(system) -> None:
    library, _gateway, server = system
    wait_for_devices(server, "pad-1", "card-1")
    command = server.post("/api/devices/main/gw1/pad-1/identify")
    assert command["state"] == "pending"
    deadline = time.monotonic() + 10
    while (state := server.get(f"/api/commands/{command['id']}"))["state"] in ("pending", "sent"):
        assert time.monotonic() < deadline, f"command stuck: {state}"
        time.sleep(0.05)
    assert state["state"] == "done", state
    assert library.pads["pad-1"].identified == 1
    # the card reader cannot identify itself, and says so
    failed = server.post("/api/devices/main/gw1/card-1/identify")
    deadline = time.monotonic() + 10
    while (state := server.get(f"/api/commands/{failed['id']}"))["state"] in ("pending", "sent"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert state["state"] == "failed"
    assert "not supported" in state["reason"]
