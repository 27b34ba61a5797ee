"""The server's MQTT link: ingest worker, live-stream relay and command dispatcher.

Events are acknowledged to the broker only after their transaction commits (paho's
manual ack, persistent session), so a server killed at any moment gets them again.
With `share_group` set, servers subscribe with `$share/...` and split the events.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from contracts import command_topic, events_filter, live_topic, shared_subscription, status_filter
from contracts.mqtt import new_client
from server.config import ServerSettings
from server.devices.models import CommandRecord
from server.devices.service import SeenThrottle, dispatch_due_commands
from server.ingest.service import IngestResult, Message, apply_messages, dead_letter
from server.live import LiveHub
from server.metrics import Metrics

log = logging.getLogger(__name__)


class ServerLink:
    def __init__(
        self, settings: ServerSettings, engine: Engine, hub: LiveHub, metrics: Metrics
    ) -> None:
        self.settings = settings
        self.engine = engine
        self.hub = hub
        self.metrics = metrics
        self._inbox: queue.Queue[tuple[Message, int, int] | None] = queue.Queue()
        self._stop = threading.Event()
        self._commands_due = threading.Event()
        self.connected = threading.Event()
        self._live_topic = live_topic()
        self._throttle = SeenThrottle()
        self.client, self.address = new_client(
            f"smartlib-server-{settings.instance}",
            settings.mqtt_url,
            clean_session=False,
            manual_ack=True,
        )
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._connected
        self.client.on_disconnect = self._disconnected
        self.client.on_message = self._message
        self._threads = [
            threading.Thread(target=self._ingest_loop, name="ingest"),
            threading.Thread(target=self._command_loop, name="command-dispatch"),
        ]

    def start(self) -> None:
        self.client.connect_async(self.address.host, self.address.port, keepalive=15)
        self.client.loop_start()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._commands_due.set()
        self._inbox.put(None)
        for thread in self._threads:
            thread.join(10)
        self.client.disconnect()
        self.client.loop_stop()

    def commands_waiting(self) -> None:
        """A command was queued: publish it now rather than at the next tick."""
        self._commands_due.set()

    # paho's network thread ---------------------------------------------------------------

    def _connected(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        if rc.is_failure:
            log.warning("broker refused the connection: %s", rc)
            return
        events = events_filter()
        if self.settings.share_group:
            events = shared_subscription(self.settings.share_group, events)
        client.subscribe([(events, 1), (status_filter(), 1), (self._live_topic, 0)])
        log.info(
            "connected to broker %s:%s, subscribed to %s",
            self.address.host,
            self.address.port,
            events,
        )
        self.metrics.broker_connected.set(1)
        self.connected.set()

    def _disconnected(
        self, client: mqtt.Client, userdata: Any, flags: Any, rc: Any, props: Any
    ) -> None:
        self.connected.clear()
        self.metrics.broker_connected.set(0)
        if not self._stop.is_set():
            log.warning("lost the broker (%s); reconnecting", rc)

    def _message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if message.topic == self._live_topic:
            self._relay_live(message.payload)
            if message.qos:
                client.ack(message.mid, message.qos)
            return
        self._inbox.put((Message(message.topic, message.payload), message.mid, message.qos))

    # the ingest thread -------------------------------------------------------------------

    def _ingest_loop(self) -> None:
        batch: list[tuple[Message, int, int]] = []
        while True:
            if not batch:
                item = self._inbox.get()
                if item is None:
                    return
                batch.append(item)
                while len(batch) < self.settings.ingest_batch:
                    try:
                        item = self._inbox.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self._inbox.put(None)
                        break
                    batch.append(item)
            if self._apply(batch):
                batch = []
            elif self._stop.wait(1.0):
                return  # not acknowledged: the broker delivers them again after restart

    def _apply(self, batch: list[tuple[Message, int, int]]) -> bool:
        messages = [m for m, _, _ in batch]
        now = datetime.now(UTC)
        try:
            result = self._store(messages, now)
        except (IntegrityError, DataError) as error:
            # Something in the batch is refused by the database itself: store the messages
            # one by one so the bad one is dead-lettered and the rest go through.
            log.warning("database refused a batch (%s); applying one by one", error.orig)
            result = IngestResult()
            try:
                for message in messages:
                    result.merge(self._store_or_dead_letter(message, now))
            except SQLAlchemyError as retry_error:
                return self._failed(len(batch), retry_error)
        except SQLAlchemyError as error:
            return self._failed(len(batch), error)
        for _, mid, qos in batch:
            if qos:
                self.client.ack(mid, qos)
        self.metrics.batches.inc()
        self.metrics.ingested.inc(len(result.applied))
        self.metrics.duplicates.inc(result.duplicates)
        if result.rejected:
            self.metrics.rejected.inc(len(result.rejected))
            for topic, reason in result.rejected[:3]:
                log.warning("dead-lettered a message on %s: %s", topic, reason)
        self.publish_live(result.live)
        return True

    def _store(self, messages: list[Message], now: datetime) -> IngestResult:
        with self.engine.begin() as connection:
            return apply_messages(connection, messages, now, self._throttle)

    def _store_or_dead_letter(self, message: Message, now: datetime) -> IngestResult:
        try:
            return self._store([message], now)
        except (IntegrityError, DataError) as error:
            reason = f"database refused it: {str(error.orig).splitlines()[0]}"
            with self.engine.begin() as connection:
                dead_letter(connection, message, reason, now)
            return IngestResult(rejected=[(message.topic, reason)])

    def _failed(self, count: int, error: SQLAlchemyError) -> bool:
        self.metrics.ingest_errors.inc()
        log.error("could not store %d message(s), will retry: %s", count, error)
        return False

    def publish_live(self, messages: list[dict[str, Any]]) -> None:
        """To this server's live clients at once, and through the broker to the others'."""
        if not messages:
            return
        texts = [json.dumps(m, separators=(",", ":"), default=str) for m in messages]
        self.hub.deliver_threadsafe(texts)
        origin = json.dumps(self.settings.instance)
        payload = f'{{"from":{origin},"messages":[{",".join(texts)}]}}'
        self.client.publish(self._live_topic, payload, qos=0)

    def _relay_live(self, payload: bytes) -> None:
        """Another server's changes, for this server's clients."""
        try:
            body = json.loads(payload)
            if body["from"] == self.settings.instance:
                return  # ours, already delivered
            texts = [json.dumps(m, separators=(",", ":")) for m in body["messages"]]
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed live message")
            return
        self.hub.deliver_threadsafe(texts)

    # the command dispatcher ----------------------------------------------------------------

    def _command_loop(self) -> None:
        retry = timedelta(seconds=self.settings.command_retry_s)
        while not self._stop.is_set():
            self._commands_due.wait(0.5)
            self._commands_due.clear()
            if not self.connected.is_set():
                continue
            try:
                with self.engine.begin() as connection:
                    live = dispatch_due_commands(
                        connection,
                        datetime.now(UTC),
                        self._publish_command,
                        retry_after=retry,
                        attempts=self.settings.command_attempts,
                    )
                self.publish_live(live)
            except SQLAlchemyError as error:
                log.error("command dispatch failed, will retry: %s", error)
                time.sleep(1)

    def _publish_command(self, record: CommandRecord) -> None:
        self.client.publish(command_topic(record.site, record.gateway), record.payload, qos=1)
        log.info(
            "sent command %s %s to %s/%s (try %d)",
            record.id,
            record.action,
            record.gateway,
            record.device,
            record.attempts,
        )
