"""How every smartlib MQTT client connects: broker URLs and the socket options all clients set.

Imports paho-mqtt, so only processes that talk MQTT (gateway, server, tools) import it.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt

DEFAULT_PORTS = {"mqtt": 1883, "mqtts": 8883}


class BrokerAddress(NamedTuple):
    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_broker_url(url: str) -> BrokerAddress:
    """`mqtt://[user[:password]@]host[:port]` or `mqtts://...`; raise ValueError if not."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(
            f"broker URL must look like mqtt://host:1883 or mqtts://host:8883, not {url!r}"
        )
    return BrokerAddress(
        host=parts.hostname,
        port=parts.port or DEFAULT_PORTS[parts.scheme],
        tls=parts.scheme == "mqtts",
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def _nodelay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    # Without TCP_NODELAY, Nagle's algorithm and delayed ACKs hold a QoS 1 round trip for
    # tens of milliseconds; alarms and gate decisions cannot wait that long per hop.
    if isinstance(sock, socket.socket):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def new_client(
    client_id: str,
    broker_url: str,
    *,
    clean_session: bool = True,
    manual_ack: bool = False,
    ca_file: str | None = None,
) -> tuple[mqtt.Client, BrokerAddress]:
    """A paho client (MQTT 3.1.1) configured the smartlib way, not yet connected."""
    address = parse_broker_url(broker_url)
    client = mqtt.Client(
        mqtt.CallbackAPIVersion.VERSION2,
        client_id=client_id,
        clean_session=clean_session,
        protocol=mqtt.MQTTv311,
        manual_ack=manual_ack,
    )
    client.on_socket_open = _nodelay
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set(ca_certs=ca_file, cert_reqs=ssl.CERT_REQUIRED)
    client.reconnect_delay_set(min_delay=1, max_delay=10)
    return client, address
