"""The gateway's MQTT link: publishes the outbox with QoS 1 and receives commands.

Each stored event is handed to paho once per process; paho keeps it until the broker's
PUBACK and resends it after a reconnect by itself. Only on that PUBACK does the row
leave the outbox, so a crash at any point republishes, and the server's dedup by event
id absorbs the repeat.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from contracts import Command, GatewayStatus, command_topic, parse_command, status_topic
from contracts.mqtt import new_client
from gateway.outbox import Outbox

log = logging.getLogger(__name__)


class MqttLink:
    def __init__(
        self,
        outbox: Outbox,
        broker_url: str,
        on_command: Callable[[Command], None],
        *,
        window: int = 1000,
    ) -> None:
        self.outbox = outbox
        self.site, self.gateway = outbox.site, outbox.gateway
        self._on_command = on_command
        self._window = window
        self._wake = threading.Condition()
        self._stopping = False
        self._acked: collections.deque[int] = collections.deque()  # mids, from paho's thread
        self._inflight: dict[int, int] = {}  # mid -> seq
        self._last_handed = 0
        self.connected = threading.Event()
        self.published = 0
        self.rejected_commands = 0
        self.client, self.address = new_client(
            f"smartlib-gw-{self.site}-{self.gateway}", broker_url, clean_session=False
        )
        self.client.max_inflight_messages_set(window)
        self.client.will_set(
            status_topic(self.site, self.gateway), GatewayStatus.OFFLINE, qos=1, retain=True
        )
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_publish = self._puback
        self.client.on_message = self._message
        self._thread = threading.Thread(target=self._publish_loop, name="outbox-publisher")

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=15)
        self.client.loop_start()
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Say `offline` (retained), then disconnect; unpublished events stay in the outbox."""
        if self.connected.is_set():
            info = self.client.publish(
                status_topic(self.site, self.gateway), GatewayStatus.OFFLINE, qos=1, retain=True
            )
            with contextlib.suppress(RuntimeError, ValueError):
                info.wait_for_publish(timeout)
        with self._wake:
            self._stopping = True
            self._wake.notify_all()
        self._thread.join(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def wake(self) -> None:
        """New events are in the outbox."""
        with self._wake:
            self._wake.notify_all()

    # paho's network thread -------------------------------------------------------------

    def _connected(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        if rc.is_failure:
            log.warning("broker refused the connection: %s", rc)
            return
        log.info("connected to broker %s:%s", self.address.host, self.address.port)
        client.subscribe(command_topic(self.site, self.gateway), qos=1)
        client.publish(
            status_topic(self.site, self.gateway), GatewayStatus.ONLINE, qos=1, retain=True
        )
        self.connected.set()

    def _disconnected(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        self.connected.clear()
        if not self._stopping:
            log.warning("lost the broker (%s); events wait in the outbox", rc)

    def _puback(self, client: mqtt.Client, userdata: Any, mid: int, rc: Any, props: Any) -> None:
        self._acked.append(mid)
        self.wake()

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            command = parse_command(message.payload)
        except ValidationError as error:
            self.rejected_commands += 1
            log.warning("rejected a malformed command on %s: %s", message.topic, error)
            return
        if (command.site, command.gateway) != (self.site, self.gateway):
            self.rejected_commands += 1
            log.warning(
                "rejected command %s addressed to %s/%s", command.id, command.site, command.gateway
            )
            return
        self._on_command(command)

    # the publisher thread --------------------------------------------------------------

    def _publish_loop(self) -> None:
        while True:
            with self._wake:
                while not self._stopping and not self._acked and not self._has_room_and_work():
                    self._wake.wait(1.0)
                if self._stopping:
                    return
            self._settle_acks()
            room = self._window - len(self._inflight)
            if room <= 0:
                continue
            for seq, topic, payload in self.outbox.after(self._last_handed, room):
                info = self.client.publish(topic, payload, qos=1)
                self._inflight[info.mid] = seq
                self._last_handed = seq

    def _has_room_and_work(self) -> bool:
        return len(self._inflight) < self._window and self.outbox.last_seq > self._last_handed

    def _settle_acks(self) -> None:
        done = []
        while self._acked:
            mid = self._acked.popleft()
            seq = self._inflight.pop(mid, None)
            if seq is not None:  # None: the status message, not an outbox row
                done.append(seq)
        if done:
            self.outbox.delete(done)
            self.published += len(done)
