"""Per-gateway broker accounts and ACLs, tried on a real mosquitto run with the generated files."""

from __future__ import annotations

import getpass
import queue
import shlex
import shutil
import signal
import stat
import subprocess
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from contracts.mqtt import new_client
from contracts.topics import (
    GatewayStatus,
    command_topic,
    event_topic,
    events_filter,
    live_topic,
    shared_subscription,
    status_filter,
    status_topic,
)
from hardware.catalogue import GatewaySpec, Site, Zone, dump_site
from smartlib.broker_config import (
    ACL,
    CREDENTIALS,
    PASSWD,
    SERVER_USERNAME,
    Account,
    BrokerAddress,
    BrokerFiles,
    TlsListener,
    certificate_commands,
    gateway_username,
    render_mosquitto_conf,
    write_broker_config,
)
from smartlib.cli import app
from tests.services import Mosquitto, free_port, wait_port
from tests.sites import demo_site

WAIT_S = 3.0


def branch(site: str = "main", gateways: tuple[str, ...] = ("gw-a", "gw-b")) -> Site:
    return Site(
        site=site,
        name="Test branch",
        zones=[Zone(id="hall", name="Hall")],
        gateways=[GatewaySpec(id=g) for g in gateways],
    )


def start_broker(
    files: BrokerFiles, workdir: Path, port: int, tls: TlsListener | None = None
) -> Mosquitto:
    """mosquitto with the generated password file and ACL: the production config, except that
    it listens on a free port, keeps its files under `workdir` and stays the current user."""
    config = render_mosquitto_conf(
        files.directory / PASSWD,
        files.directory / ACL,
        listen=("127.0.0.1", port),
        tls=tls,
        persistence_location=workdir,
        log_file=workdir / "mosquitto.log",
        run_as=getpass.getuser(),
    )
    broker = Mosquitto(workdir, port=port, config=config)
    try:
        broker.start()
    except BaseException:
        broker.stop()  # it may be running and still not listen, e.g. on a bad config
        raise
    return broker


@dataclass
class Deployment:
    files: BrokerFiles
    broker: Mosquitto

    def url(self, username: str) -> str:
        return self.files.url(account_of(self.files, username))

    def gateway(self, gateway: str) -> str:
        return self.url(gateway_username("main", gateway))


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[Deployment]:
    port = free_port()
    files = write_broker_config(
        [branch()], tmp_path / "broker", broker=BrokerAddress("127.0.0.1", port)
    )
    broker = start_broker(files, tmp_path / "mosquitto", port)
    yield Deployment(files, broker)
    broker.stop()


class Client:
    """A paho client made the smartlib way, connected, that keeps what it receives."""

    def __init__(self, url: str, name: str, ca_file: str | None = None) -> None:
        self.client, address = new_client(
            f"test-{name}-{uuid.uuid4().hex[:8]}", url, ca_file=ca_file
        )
        self._connacks: queue.Queue[Any] = queue.Queue()
        self._subacks: queue.Queue[Any] = queue.Queue()
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.dropped = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self._connacks.put(rc)
        self.client.on_disconnect = lambda c, u, f, rc, p: self.dropped.set()
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self._subacks.put(rcs)
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, m.payload))
        # paho sleeps out its reconnect delay before it notices disconnect(): keep it short,
        # so closing a refused or dropped client does not take a second
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=0.1)  # type: ignore[arg-type]
        self.client.connect(address.host, address.port, keepalive=15)
        self.client.loop_start()
        try:
            self.connack = self._connacks.get(timeout=WAIT_S)
        except queue.Empty:
            self.__exit__()
            raise AssertionError(f"no CONNACK from {address.host}:{address.port}") from None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return not self.connack.is_failure

    def subscribe(self, *filters: str) -> None:
        self.client.subscribe([(f, 1) for f in filters])
        self._subacks.get(timeout=WAIT_S)

    def publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        info.wait_for_publish(WAIT_S)
        assert info.is_published(), f"no PUBACK for {topic}"

    def try_publish(self, topic: str, payload: str | bytes, retain: bool = False) -> None:
        """Publish where the ACL may forbid it: mosquitto 2.0 then sends its PUBACK and closes
        the connection (MQTT 3.1.1 has no way to say "refused"), so wait for either."""
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        deadline = time.monotonic() + WAIT_S
        while not (info.is_published() or self.dropped.is_set()):
            assert time.monotonic() < deadline, f"neither PUBACK nor disconnect for {topic}"
            self.dropped.wait(0.01)

    def collect_until(self, topic: str) -> list[tuple[str, bytes]]:
        """Everything received up to and including the first message on `topic`.

        mosquitto delivers one publisher's messages to a subscriber in order, so a message
        refused before this marker would have arrived before it, had it been let through.
        """
        got: list[tuple[str, bytes]] = []
        deadline = time.monotonic() + WAIT_S
        while not got or got[-1][0] != topic:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"nothing on {topic} within {WAIT_S} s; got {got}")
            try:
                got.append(self.messages.get(timeout=remaining))
            except queue.Empty:
                continue
        return got


def account_of(files: BrokerFiles, username: str) -> Account:
    return next(a for a in files.accounts if a.username == username)


def test_a_gateways_events_reach_the_servers_also_through_a_shared_subscription(
    deployment: Deployment,
) -> None:
    server_url = deployment.url(SERVER_USERNAME)
    event = event_topic("main", "gw-a", "tag_read")
    status = status_topic("main", "gw-a")
    with (
        Client(server_url, "server1") as server,
        Client(server_url, "server2") as shared,
        Client(deployment.gateway("gw-a"), "gw-a") as gateway,
    ):
        assert server.connected
        assert shared.connected
        assert gateway.connected
        server.subscribe(events_filter(), status_filter(), live_topic())
        shared.subscribe(shared_subscription("servers", events_filter()))

        gateway.publish(status, GatewayStatus.ONLINE, retain=True)
        gateway.publish(event, b'{"seq": 1}')
        assert server.collect_until(event) == [(status, b"online"), (event, b'{"seq": 1}')]
        assert shared.collect_until(event) == [(event, b'{"seq": 1}')]

        server.publish(live_topic(), b"[]")
        assert server.collect_until(live_topic())[-1] == (live_topic(), b"[]")


def test_a_gateway_cannot_speak_for_another(deployment: Deployment) -> None:
    own_event = event_topic("main", "gw-a", "tag_read")
    with (
        Client(deployment.url(SERVER_USERNAME), "server") as server,
        Client(deployment.gateway("gw-a"), "gw-a") as gateway_a,
        Client(deployment.gateway("gw-b"), "gw-b") as gateway_b,
    ):
        server.subscribe(events_filter(), status_filter())
        gateway_b.subscribe(command_topic("main", "gw-b"))

        forgeries = [
            (event_topic("main", "gw-b", "tag_read"), b"forged event"),
            (status_topic("main", "gw-b"), GatewayStatus.OFFLINE.encode()),
            (command_topic("main", "gw-b"), b"forged command"),
        ]
        for topic, payload in forgeries:
            with Client(deployment.gateway("gw-a"), "gw-a-forging") as forger:
                forger.try_publish(topic, payload, retain=topic.endswith("/status"))
        gateway_a.publish(own_event, b"marker")

        assert server.collect_until(own_event) == [(own_event, b"marker")]
        server.publish(command_topic("main", "gw-b"), b"real command")
        assert gateway_b.collect_until(command_topic("main", "gw-b")) == [
            (command_topic("main", "gw-b"), b"real command")
        ]


def test_a_gateway_reads_its_own_commands_and_nothing_else(deployment: Deployment) -> None:
    with (
        Client(deployment.url(SERVER_USERNAME), "server") as server,
        Client(deployment.gateway("gw-a"), "gw-a") as gateway_a,
        Client(deployment.gateway("gw-b"), "gw-b") as gateway_b,
    ):
        gateway_a.subscribe(
            command_topic("main", "gw-b"), command_topic("main", "gw-a"), events_filter(), "#"
        )
        gateway_b.subscribe(command_topic("main", "gw-b"))

        gateway_b.publish(event_topic("main", "gw-b", "tag_read"), b"b's event")
        server.publish(command_topic("main", "gw-b"), b"for b")
        server.publish(command_topic("main", "gw-a"), b"for a")

        assert gateway_b.collect_until(command_topic("main", "gw-b"))[-1][1] == b"for b"
        assert gateway_a.collect_until(command_topic("main", "gw-a")) == [
            (command_topic("main", "gw-a"), b"for a")
        ]


@pytest.mark.parametrize("who", ["unknown user", "wrong password", "anonymous"])
def test_strangers_cannot_connect(deployment: Deployment, who: str) -> None:
    port = deployment.broker.port
    url = {
        "unknown user": f"mqtt://gw-main-gw-z:whatever@127.0.0.1:{port}",
        "wrong password": f"mqtt://{gateway_username('main', 'gw-a')}:wrong@127.0.0.1:{port}",
        "anonymous": f"mqtt://127.0.0.1:{port}",
    }[who]
    with Client(url, "stranger") as stranger:
        assert stranger.connack.is_failure
        assert stranger.connack == "Not authorized"


def test_running_it_again_keeps_the_passwords_and_adds_new_gateways(tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "broker"
    first = write_broker_config([branch()], out, broker=BrokerAddress("127.0.0.1", port))
    assert stat.S_IMODE((out / CREDENTIALS).stat().st_mode) == 0o600
    broker = start_broker(first, tmp_path / "mosquitto", port)
    try:
        grown = write_broker_config(
            [branch(gateways=("gw-a", "gw-b", "gw-c"))],
            out,
            broker=BrokerAddress("127.0.0.1", port),
        )
        assert grown.added == (gateway_username("main", "gw-c"),)
        assert set(first.accounts) < set(grown.accounts)  # same usernames, same passwords
        saved = tomllib.loads((out / CREDENTIALS).read_text())
        for account in grown.accounts:
            assert saved[account.username]["mqtt_url"] == grown.url(account)

        # as an operator does after re-running it: mosquitto reads the files again on SIGHUP
        assert broker.process is not None
        broker.process.send_signal(signal.SIGHUP)
        old_url = first.url(account_of(first, gateway_username("main", "gw-a")))
        with Client(old_url, "gw-a-old-url") as deployed:
            assert deployed.connected
        new_url = grown.url(account_of(grown, gateway_username("main", "gw-c")))
        deadline = time.monotonic() + WAIT_S
        while True:
            with Client(new_url, "gw-c") as newcomer:
                if newcomer.connected or time.monotonic() > deadline:
                    break
            time.sleep(0.05)
        assert newcomer.connected, "the reloaded broker does not know the new gateway"
    finally:
        broker.stop()

    shrunk = write_broker_config([branch()], out, broker=BrokerAddress("127.0.0.1", port))
    assert shrunk.kept == (gateway_username("main", "gw-c"),)
    assert set(shrunk.accounts) == set(grown.accounts)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_gateways_connect_over_tls_with_the_certificates_the_config_explains(
    tmp_path: Path,
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    tls = TlsListener(
        port=free_port(),
        cafile=certs / "ca.crt",
        certfile=certs / "server.crt",
        keyfile=certs / "server.key",
    )
    for command in certificate_commands("127.0.0.1", tls):
        subprocess.run(shlex.split(command), cwd=certs, check=True, capture_output=True)
    plain = free_port()
    files = write_broker_config(
        [branch()], tmp_path / "broker", broker=BrokerAddress("127.0.0.1", tls.port, tls=True)
    )
    broker = start_broker(files, tmp_path / "mosquitto", plain, tls=tls)
    try:
        wait_port(tls.port)
        event = event_topic("main", "gw-a", "tag_read")
        server_url = BrokerAddress("127.0.0.1", plain).url(files.server)
        gateway_url = files.url(files.gateways[0])
        assert gateway_url.startswith(f"mqtts://{gateway_username('main', 'gw-a')}:")
        with (
            Client(server_url, "server") as server,
            Client(gateway_url, "gw-a", ca_file=str(tls.cafile)) as gateway,
        ):
            assert gateway.connected
            server.subscribe(events_filter())
            gateway.publish(event, b"over tls")
            assert server.collect_until(event) == [(event, b"over tls")]
    finally:
        broker.stop()


runner = CliRunner()


def test_the_command_writes_the_files_and_prints_each_gateways_url(tmp_path: Path) -> None:
    _demo, demo_file = demo_site(tmp_path)
    north_file = tmp_path / "north.yaml"
    dump_site(branch("north", ("desk",)), north_file)
    out = tmp_path / "broker"
    args = ["broker-config", "--site-file", str(demo_file), "--site-file", str(north_file)]
    result = runner.invoke(app, [*args, "--out", str(out), "--host", "broker.example.org"])
    assert result.exit_code == 0, result.output
    saved = tomllib.loads((out / CREDENTIALS).read_text())
    for username in (gateway_username("main", "gw1"), gateway_username("north", "desk")):
        url = saved[username]["mqtt_url"]
        assert url.startswith(f"mqtt://{username}:")
        assert url.endswith("@broker.example.org:1883")
        assert f"SMARTLIB_MQTT_URL={url}" in result.output
    for name in (CREDENTIALS, PASSWD, ACL, "mosquitto.conf"):
        assert f"wrote {out.resolve() / name}" in result.output
    config = (out / "mosquitto.conf").read_text()
    assert "allow_anonymous false" in config
    assert "listener 8883" in config

    again = runner.invoke(app, [*args, "--out", str(out), "--tls", "--host", "broker.example.org"])
    assert again.exit_code == 0, again.output
    url = tomllib.loads((out / CREDENTIALS).read_text())[gateway_username("north", "desk")]
    assert url["password"] == saved[gateway_username("north", "desk")]["password"]
    assert url["mqtt_url"].endswith("@broker.example.org:8883")
    assert url["mqtt_url"].startswith("mqtts://")


def test_the_command_says_what_is_wrong(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _demo, demo_file = demo_site(tmp_path)
    out = str(tmp_path / "broker")
    missing = runner.invoke(
        app, ["broker-config", "--site-file", str(tmp_path / "nope.yaml"), "--out", out]
    )
    assert missing.exit_code == 2
    assert "nope.yaml does not exist" in missing.output

    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    no_tool = runner.invoke(app, ["broker-config", "--site-file", str(demo_file), "--out", out])
    assert no_tool.exit_code == 2
    assert "mosquitto_passwd" in no_tool.output
    assert "Debian package 'mosquitto'" in no_tool.output
