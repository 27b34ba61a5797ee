"""Ingest benchmark: how fast and how promptly events go from a gateway into the database.

Measures, in one run, and prints next to the targets (it never fails on time):

- baseline: raw paho-mqtt QoS 1 publish → subscribe throughput through a mosquitto with
  the production settings (one publisher here, one subscriber in a child process);
- ingest: a gateway outbox + MQTT link → broker → `smartlib server` → database, events/s,
  on SQLite and on PostgreSQL, and the ratio to the baseline; also the full path from a
  simulated RFID pad on a pty through a `smartlib gateway` process;
- latency: event creation at the gateway → `EventReceived` on the server's /ws/live, at a
  steady 1,000 events/s;
- memory: resident set size of the gateway process and of the server process.

Run from the repository root:
`.venv/bin/python bench/ingest.py [--events N] [--quick] [--skip-postgres]`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
from websockets.sync.client import connect

from contracts import TagRead, event_topic, make_event
from contracts.mqtt import new_client
from gateway.link import MqttLink
from gateway.outbox import Outbox

REPO = Path(__file__).resolve().parents[1]
SITE = "main"
PAD = "pad-1"
INGESTED = "smartlib_events_ingested_total"
POLL_S = 0.05
MB = 1024 * 1024
# The gateway's debouncer (window DEBOUNCE_S, the site file's default) degrades past 4,096
# distinct tags within its window, so one full-path flood stays below that.
FULL_PATH_MAX = 4000
DEBOUNCE_S = 2.0

TARGET_RATIO = 0.5
TARGET_P99_MS = 10.0
TARGET_GATEWAY_MB = 60.0
TARGET_SERVER_MB = 300.0


def say(text: str = "") -> None:
    print(text, flush=True)


def tag_uid(prefix: int, n: int) -> str:
    """A distinct 8-byte UID (upper-case hex) for each (prefix, n)."""
    return f"E0{prefix:02X}{n:012X}"


def sample_payload() -> bytes:
    """One tag-read event exactly as a gateway publishes it."""
    event = make_event(SITE, "gw1", PAD, 123_456, TagRead(uid=tag_uid(1, 42), rssi=-40))
    return event.model_dump_json().encode()


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not ordered:
        return math.nan
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# processes and cleanup ----------------------------------------------------------------------


class Janitor:
    """Everything started is registered here: each job runs once, whatever is left at exit."""

    def __init__(self) -> None:
        self._jobs: dict[int, tuple[str, Callable[[], object]]] = {}
        self._next = 0

    def add(self, what: str, job: Callable[[], object]) -> int:
        self._next += 1
        self._jobs[self._next] = (what, job)
        return self._next

    def done(self, key: int) -> None:
        entry = self._jobs.get(key)
        if entry is None:
            return
        what, job = entry
        try:
            job()
        except Exception as error:
            say(f"  ! cleaning up {what} failed: {type(error).__name__}: {error}")
        self._jobs.pop(key, None)

    def close(self) -> None:
        for key in sorted(self._jobs, reverse=True):
            self.done(key)


def stop_popen(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stop_child(process: multiprocessing.process.BaseProcess) -> None:
    if process.is_alive():
        process.terminate()
        process.join(5)
    if process.is_alive():
        process.kill()
        process.join()


@contextlib.contextmanager
def output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout/stderr (and so a child's started inside) to a file."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    try:
        with open(path, "ab") as log:
            os.dup2(log.fileno(), 1)
            os.dup2(log.fileno(), 2)
        yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def start_broker(workdir: Path, janitor: Janitor) -> tuple[Any, int]:
    from tests.services import Mosquitto

    broker = Mosquitto(workdir)
    key = janitor.add(f"mosquitto on port {broker.port}", broker.stop)
    with output_to(workdir / "mosquitto.out"):  # its warning about running as root
        broker.start()
    return broker, key


class RssSampler(threading.Thread):
    """Resident set size of some processes, now and the peak sampled every 200 ms."""

    def __init__(self) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self._processes: dict[str, psutil.Process] = {}
        self.peak: dict[str, int] = {}
        self._halt = threading.Event()

    def watch(self, name: str, pid: int) -> None:
        self._processes[name] = psutil.Process(pid)

    def rss(self, name: str) -> int | None:
        try:
            value = self._processes[name].memory_info().rss
        except (KeyError, psutil.Error):
            return None
        self.peak[name] = max(self.peak.get(name, 0), value)
        return value

    def run(self) -> None:
        while not self._halt.wait(0.2):
            for name in list(self._processes):
                self.rss(name)

    def stop(self) -> None:
        self._halt.set()


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


# the raw baseline ---------------------------------------------------------------------------


def _raw_subscriber(url: str, topic: str, count: int, timeout: float, out: Any) -> None:
    """Child process: subscribe with QoS 1, count, report the time of the last message."""
    client, address = new_client(f"bench-raw-sub-{os.getpid()}", url)
    subscribed, finished = threading.Event(), threading.Event()
    state = {"count": 0, "last": 0.0}

    def on_subscribe(*_args: Any) -> None:
        subscribed.set()

    def on_message(_client: Any, _userdata: Any, _message: Any) -> None:
        state["count"] += 1
        state["last"] = time.time()
        if state["count"] >= count:
            finished.set()

    client.on_subscribe = on_subscribe
    client.on_message = on_message
    client.connect(address.host, address.port, keepalive=30)
    client.loop_start()
    client.subscribe(topic, qos=1)
    if not subscribed.wait(10):
        out.put(("error", "no SUBACK within 10 s"))
    else:
        out.put(("ready",))
        finished.wait(timeout)
        out.put(("done", state["count"], state["last"]))
    client.disconnect()
    client.loop_stop()


def raw_once(url: str, count: int, payload: bytes, janitor: Janitor) -> tuple[float, str]:
    """N QoS 1 messages as fast as paho takes them; rate = N / (first publish → last received)."""
    topic = event_topic(SITE, "raw", "tag_read")
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    timeout = max(60.0, count / 500)
    child = context.Process(
        target=_raw_subscriber, args=(url, topic, count, timeout, out), daemon=True
    )
    child.start()
    key = janitor.add("raw subscriber", lambda: stop_child(child))
    publisher, address = new_client("bench-raw-pub", url)
    publisher.max_inflight_messages_set(1000)
    connected = threading.Event()
    publisher.on_connect = lambda *_args: connected.set()
    try:
        message = out.get(timeout=30)
        if message[0] != "ready":
            raise RuntimeError(f"raw subscriber: {message[1]}")
        publisher.connect(address.host, address.port, keepalive=30)
        publisher.loop_start()
        if not connected.wait(10):
            raise RuntimeError("raw publisher did not connect")
        started = time.time()
        for _ in range(count):
            publisher.publish(topic, payload, qos=1)
        handed = time.time() - started
        _, received, last = out.get(timeout=timeout + 10)
        if received < count:
            rate = received / (time.time() - started)
            return rate, f"TIMED OUT: {received}/{count} received within {timeout:.0f} s"
        elapsed = last - started
        return count / elapsed, f"{count:,} in {elapsed:.2f} s, publish calls took {handed:.2f} s"
    finally:
        publisher.disconnect()
        publisher.loop_stop()
        child.join(5)
        janitor.done(key)


# the smartlib path --------------------------------------------------------------------------


def wait_metric(server: Any, target: float, timeout: float) -> tuple[float, float]:
    """Poll /metrics until the ingested counter reaches `target`: (value, monotonic time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = server.metric(INGESTED)
        now = time.monotonic()
        if value >= target or now >= deadline:
            return value, now
        time.sleep(POLL_S)


def wait_metric_quiet(server: Any, quiet_s: float = 0.5, timeout: float = 15) -> float:
    """The ingested counter once it has not moved for `quiet_s`."""
    deadline = time.monotonic() + timeout
    value = server.metric(INGESTED)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(POLL_S)
        current = server.metric(INGESTED)
        if current != value:
            value, since = current, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
    return value


def outbox_ingest_once(
    server: Any, url: str, workdir: Path, count: int, prefix: int
) -> tuple[float, str]:
    """Pre-fill an outbox with N tag reads, start its MQTT link, time until all are stored."""
    gateway = "bench-ingest"
    outbox = Outbox(workdir / f"outbox-{gateway}.sqlite", SITE, gateway)
    for start in range(0, count, 250):
        stop = min(count, start + 250)
        outbox.append([(PAD, TagRead(uid=tag_uid(prefix, n))) for n in range(start, stop)])
    link = MqttLink(outbox, url, lambda _command: None)
    base = server.metric(INGESTED)
    timeout = max(60.0, count / 200)
    started = time.monotonic()
    link.start()
    try:
        value, ended = wait_metric(server, base + count, timeout)
    finally:
        link.stop()
        outbox.close()
    stored, elapsed = value - base, ended - started
    note = f"{stored:,.0f} in {elapsed:.2f} s"
    if stored < count:
        note += f", TIMED OUT with {count - stored:,.0f} not stored"
    return stored / elapsed, note


def wait_online(server: Any, gateway: str, device: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            for row in server.get("/api/devices"):
                if (row["gateway"], row["device"], row["online"]) == (gateway, device, True):
                    return
        time.sleep(0.1)
    raise TimeoutError(f"{gateway}/{device} did not come online within {timeout:.0f} s")


def measure_full_path(
    server: Any,
    url: str,
    workdir: Path,
    count: int,
    repeats: int,
    janitor: Janitor,
    sampler: RssSampler,
) -> tuple[list[float], list[str], int | None]:
    """Simulated pad → pty → `smartlib gateway` process → broker → server; and gateway RSS.

    Each run floods the pad with `count` new tags at once; its node sends them as fast as
    the gateway acknowledges them.
    """
    from hardware.sim.library import SimLibrary
    from tests.sites import demo_site

    site, site_file = demo_site(workdir)
    library = SimLibrary(site)
    library.start()
    keys = [janitor.add("simulator", library.stop)]
    env = {
        **os.environ,
        "SMARTLIB_MQTT_URL": url,
        "SMARTLIB_OUTBOX_PATH": str(workdir / "gateway-outbox.sqlite"),
    }
    env.pop("SMARTLIB_CONFIG", None)
    log = open(workdir / "gateway.log", "ab")  # noqa: SIM115 - the janitor closes it
    keys.append(janitor.add("gateway log", log.close))
    command = [sys.executable, "-m", "smartlib", "gateway", "--site-file", str(site_file)]
    process = subprocess.Popen(
        [*command, "--gateway", "gw1"], env=env, cwd=REPO, stdout=log, stderr=log
    )
    keys.append(janitor.add("gateway process", lambda: stop_popen(process)))
    rates: list[float] = []
    notes: list[str] = []
    try:
        sampler.watch("gateway", process.pid)
        wait_online(server, "gw1", PAD)
        ended = 0.0
        for run in range(repeats):
            # let the previous run's tags leave the gateway's debounce window first
            time.sleep(max(0.0, ended + DEBOUNCE_S + 0.1 - time.monotonic()))
            base = wait_metric_quiet(server)
            uids = [bytes.fromhex(tag_uid(30 + run, n)) for n in range(count)]
            flood = threading.Thread(
                target=library.flood, args=(PAD, uids), kwargs={"rate": 1e6}, daemon=True
            )
            started = time.monotonic()
            flood.start()
            value, ended = wait_metric(server, base + count, max(60.0, count / 50))
            flood.join(5)
            stored, elapsed = value - base, ended - started
            note = f"{stored:,.0f} tag reads in {elapsed:.2f} s"
            if stored < count:
                note += f", TIMED OUT with {count - stored:,.0f} not stored"
            rates.append(stored / elapsed)
            notes.append(note)
        return rates, notes, sampler.rss("gateway")
    finally:
        for key in reversed(keys):
            janitor.done(key)


def _paced_driver(
    url: str, outbox_path: str, gateway: str, rate: float, seconds: float, out: Any
) -> None:
    """Child process: an Outbox + MqttLink pair fed `rate` tag reads per second."""
    outbox = Outbox(Path(outbox_path), SITE, gateway)
    link = MqttLink(outbox, url, lambda _command: None)
    link.start()
    try:
        if not link.connected.wait(15):
            out.put(("error", "the gateway link did not connect"))
            return
        out.put(("ready",))
        total = int(rate * seconds)
        sent = 0
        appends: list[float] = []
        started = time.monotonic()
        while sent < total:
            due = min(total, int((time.monotonic() - started) * rate) + 1) - sent
            if due > 0:
                items = [(PAD, TagRead(uid=tag_uid(4, n))) for n in range(sent, sent + due)]
                before = time.perf_counter()
                outbox.append(items)
                link.wake()
                appends.append(time.perf_counter() - before)
                sent += due
            delay = started + sent / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 30
        while outbox.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        appends.sort()
        out.put(("done", sent, elapsed, len(appends), percentile(appends, 99) * 1000))
    finally:
        link.stop()
        outbox.close()


class LiveCollector(threading.Thread):
    """A WebSocket client on /ws/live: the latency of each EventReceived from one gateway."""

    def __init__(self, ws_url: str, gateway: str, headers: dict[str, str]) -> None:
        super().__init__(name="live-collector", daemon=True)
        self.ws_url = ws_url
        self.headers = headers
        self.gateway = gateway
        self.latencies_ms: list[float] = []
        self.error: str | None = None
        self.ready = threading.Event()
        self._halt = threading.Event()

    def run(self) -> None:
        try:
            with connect(
                self.ws_url, max_size=None, open_timeout=10, additional_headers=self.headers
            ) as ws:
                self.ready.set()
                while not self._halt.is_set():
                    try:
                        text = ws.recv(timeout=0.2)
                    except TimeoutError:
                        continue
                    received = time.time()
                    message = json.loads(text)
                    event = message.get("event") or {}
                    if (
                        message.get("type") == "EventReceived"
                        and event.get("gateway") == self.gateway
                    ):
                        created = datetime.fromisoformat(event["ts"]).timestamp()
                        self.latencies_ms.append((received - created) * 1000)
        except Exception as error:
            self.error = f"{type(error).__name__}: {error}"
        finally:
            self.ready.set()

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


@dataclass
class Latency:
    p50: float
    p99: float
    max: float
    server_cpu: float  # share of one core the server used meanwhile
    note: str


def measure_latency(
    server: Any, url: str, workdir: Path, rate: float, seconds: float, janitor: Janitor
) -> Latency:
    """Paced tag reads from a gateway in a child process; a WebSocket client here times them."""
    gateway = "bench-live"
    collector = LiveCollector(f"ws://127.0.0.1:{server.port}/ws/live", gateway, server.headers)
    collector.start()
    keys = [janitor.add("live collector", collector.stop)]
    try:
        if not collector.ready.wait(15) or collector.error:
            raise RuntimeError(f"WebSocket client: {collector.error or 'no connection'}")
        context = multiprocessing.get_context("spawn")
        out = context.Queue()
        outbox_path = str(workdir / f"outbox-{gateway}.sqlite")
        child = context.Process(
            target=_paced_driver,
            args=(url, outbox_path, gateway, rate, seconds, out),
            daemon=True,
        )
        child.start()
        keys.append(janitor.add("paced gateway", lambda: stop_child(child)))
        message = out.get(timeout=30)
        if message[0] != "ready":
            raise RuntimeError(f"paced gateway: {message[1]}")
        cpu_before, clock_before = cpu_seconds(server.process.pid), time.monotonic()
        message = out.get(timeout=seconds + 60)
        if message[0] != "done":
            raise RuntimeError(f"paced gateway: {message[1]}")
        _, sent, elapsed, appends, append_p99 = message
        deadline = time.monotonic() + 15
        while len(collector.latencies_ms) < sent and time.monotonic() < deadline:
            if collector.error:
                break
            time.sleep(0.05)
        busy = (cpu_seconds(server.process.pid) - cpu_before) / (time.monotonic() - clock_before)
        collector.stop()
        child.join(10)
        values = sorted(collector.latencies_ms)
        note = (
            f"{len(values):,}/{sent:,} events seen, offered at {sent / elapsed:,.0f}/s in "
            f"{appends:,} outbox appends (append p99 {append_p99:.1f} ms), "
            f"server CPU {busy:.0%} of one core"
        )
        if collector.error:
            note += f"; the WebSocket ended: {collector.error}"
        if not values:
            raise RuntimeError(f"no event reached the WebSocket ({note})")
        return Latency(percentile(values, 50), percentile(values, 99), values[-1], busy, note)
    finally:
        for key in reversed(keys):
            janitor.done(key)


# one database -------------------------------------------------------------------------------


@dataclass
class Results:
    ingest: float | None = None
    ingest_runs: list[float] = field(default_factory=list)
    full_path: float | None = None
    latency: Latency | None = None
    gateway_rss: int | None = None
    gateway_peak: int | None = None
    server_rss: int | None = None
    server_peak: int | None = None
    notes: list[str] = field(default_factory=list)


def run_database(
    label: str, database_url: str, workdir: Path, args: argparse.Namespace, janitor: Janitor
) -> Results:
    """A broker and a server of their own; ingest, full path, latency and memory."""
    from tests.processes import ServerProcess

    results = Results()
    keys: list[int] = []
    sampler = RssSampler()
    sampler.start()
    server_log = workdir / "server.log"

    def ingest() -> None:
        say("  warming up the server with 500 events")
        outbox_ingest_once(server, broker.url, workdir, min(500, args.events), prefix=10)
        wait_metric_quiet(server, quiet_s=0.2)
        for run in range(args.repeats):
            rate, note = outbox_ingest_once(server, broker.url, workdir, args.events, 11 + run)
            results.ingest_runs.append(rate)
            say(f"  gateway outbox → server, run {run + 1}: {rate:,.0f} events/s ({note})")
        results.ingest = statistics.median(results.ingest_runs)
        results.server_rss = sampler.rss("server")

    def full_path() -> None:
        rates, notes, rss = measure_full_path(
            server, broker.url, workdir, args.full_path_events, args.repeats, janitor, sampler
        )
        for run, (rate, note) in enumerate(zip(rates, notes, strict=True)):
            say(f"  pad → gateway process → server, run {run + 1}: {rate:,.0f} events/s ({note})")
        results.full_path = statistics.median(rates)
        results.gateway_rss, results.gateway_peak = rss, sampler.peak.get("gateway")
        say(f"  gateway process RSS {fmt_mb(rss)} MB (peak {fmt_mb(results.gateway_peak)} MB)")

    def latency() -> None:
        result = measure_latency(server, broker.url, workdir, args.rate, args.seconds, janitor)
        results.latency = result
        say(
            f"  event → WebSocket at {args.rate:,.0f}/s for {args.seconds:.0f} s: "
            f"p50 {result.p50:.1f} ms, p99 {result.p99:.1f} ms, max {result.max:.1f} ms"
        )
        say(f"    ({result.note})")

    try:
        broker, key = start_broker(workdir / "mosquitto", janitor)
        keys.append(key)
        server = ServerProcess(database_url=database_url, mqtt_url=broker.url, log=server_log)
        keys.append(janitor.add(f"{label} server", server.stop))
        started = time.monotonic()
        server.start()
        sampler.watch("server", server.process.pid)
        say(f"  server up in {time.monotonic() - started:.1f} s")
        for name, step in (("ingest", ingest), ("full path", full_path), ("latency", latency)):
            try:
                step()
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as error:
                results.notes.append(f"{label}, {name}: {type(error).__name__}: {error}")
                say(f"  ! {name} failed: {type(error).__name__}: {error}")
                traceback.print_exc()
                show_tail(server_log)
        if results.server_rss is None:
            results.server_rss = sampler.rss("server")
        results.server_peak = sampler.peak.get("server")
        say(
            f"  server RSS after the ingest runs {fmt_mb(results.server_rss)} MB, "
            f"peak {fmt_mb(results.server_peak)} MB"
        )
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as error:
        results.notes.append(f"{label}: {type(error).__name__}: {error}")
        say(f"  ! {label} failed: {type(error).__name__}: {error}")
        traceback.print_exc()
        show_tail(server_log)
    finally:
        sampler.stop()
        for key in reversed(keys):
            janitor.done(key)
    return results


def show_tail(path: Path, lines: int = 15) -> None:
    if path.exists():
        say(f"  --- the last lines of {path.name} ---")
        for line in path.read_text(errors="replace").splitlines()[-lines:]:
            say(f"  | {line}")


# the report ---------------------------------------------------------------------------------


def fmt_mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MB:.0f}"


def fmt_rate(value: float | None, raw: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f} ({value / raw:.2f}x)" if raw else f"{value:,.0f}"


def report(
    args: argparse.Namespace,
    raw: float | None,
    runs: dict[str, Results],
    skipped: dict[str, str],
    context: str,
) -> None:
    labels = ["SQLite", "PostgreSQL"]

    def cells(get: Callable[[Results], str]) -> list[str]:
        return [get(runs[label]) if label in runs else "skipped" for label in labels]

    def met(test: Callable[[Results], bool | None]) -> str:
        words = {True: "yes", False: "NO", None: "-"}
        return " / ".join(words[test(runs[lb]) if lb in runs else None] for lb in labels)

    def mb_ok(value: int | None, limit: float) -> bool | None:
        return None if value is None else value / MB <= limit

    def latency(r: Results, text: Callable[[Latency], str]) -> str:
        return "n/a" if r.latency is None else text(r.latency)

    raw_cell = f"{raw:,.0f}" if raw else "n/a"
    rows = [
        ("raw paho QoS 1 publish → subscribe, msg/s", [raw_cell, raw_cell], "baseline", ""),
        (
            "gateway → broker → server → database, events/s (x raw)",
            cells(lambda r: fmt_rate(r.ingest, raw)),
            f"≥ {TARGET_RATIO}x raw",
            met(lambda r: None if r.ingest is None or not raw else r.ingest >= TARGET_RATIO * raw),
        ),
        (
            "simulated pad → gateway process → … → database, events/s",
            cells(lambda r: fmt_rate(r.full_path, raw)),
            "",
            "",
        ),
        (
            f"event → WebSocket at {args.rate:,.0f} events/s, p50 / p99 ms",
            cells(lambda r: latency(r, lambda x: f"{x.p50:.1f} / {x.p99:.1f}")),
            f"p99 ≤ {TARGET_P99_MS:.0f}",
            met(lambda r: None if r.latency is None else r.latency.p99 <= TARGET_P99_MS),
        ),
        (
            "event → WebSocket, max ms",
            cells(lambda r: latency(r, lambda x: f"{x.max:.1f}")),
            "",
            "",
        ),
        (
            f"server CPU at {args.rate:,.0f} events/s, % of one core",
            cells(lambda r: latency(r, lambda x: f"{x.server_cpu:.0%}")),
            "",
            "",
        ),
        (
            "gateway RSS, MB (peak)",
            cells(lambda r: f"{fmt_mb(r.gateway_rss)} ({fmt_mb(r.gateway_peak)})"),
            f"≤ {TARGET_GATEWAY_MB:.0f}",
            met(lambda r: mb_ok(r.gateway_rss, TARGET_GATEWAY_MB)),
        ),
        (
            "server RSS after ingest, MB (peak)",
            cells(lambda r: f"{fmt_mb(r.server_rss)} ({fmt_mb(r.server_peak)})"),
            f"≤ {TARGET_SERVER_MB:.0f}",
            met(lambda r: mb_ok(r.server_rss, TARGET_SERVER_MB)),
        ),
    ]
    say()
    say(f"## smartlib ingest benchmark ({context})")
    say()
    say("| figure | SQLite | PostgreSQL | target | met (SQLite / PostgreSQL) |")
    say("|---|---|---|---|---|")
    for name, values, target, verdict in rows:
        say(f"| {name} | {values[0]} | {values[1]} | {target} | {verdict} |")
    notes = [note for label in labels if label in runs for note in runs[label].notes]
    notes += [f"{label} skipped: {why}" for label, why in skipped.items()]
    if notes:
        say()
        for note in notes:
            say(f"- {note}")


def describe(args: argparse.Namespace, payload: bytes, pg_version: str | None) -> str:
    mosquitto = "mosquitto"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        head = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=5)
        if head.stdout:
            mosquitto = head.stdout.splitlines()[0].replace(" version", "")
    parts = [
        f"{args.events:,} events"
        + (f", median of {args.repeats} runs" if args.repeats > 1 else ", one run"),
        f"{len(payload)}-byte events",
        f"{psutil.cpu_count()} CPUs",
        f"Python {platform.python_version()}",
        mosquitto,
    ]
    if pg_version:
        parts.append(f"PostgreSQL {pg_version}")
    return ", ".join(parts)


# main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, help="events per throughput run (default 20000)")
    parser.add_argument("--skip-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--quick", action="store_true", help="a small smoke run")
    args = parser.parse_args(argv)
    if args.events is None:
        args.events = 2000 if args.quick else 20_000
    if args.events < 1:
        parser.error("--events must be at least 1")
    args.repeats = 1 if args.quick else 3
    args.full_path_events = min(args.events, 500 if args.quick else FULL_PATH_MAX)
    args.rate = 1000.0
    args.seconds = 3.0 if args.quick else 10.0
    return args


def postgres_version(url: str) -> str | None:
    import sqlalchemy as sa

    with contextlib.suppress(Exception):
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                version = connection.execute(sa.text("SHOW server_version")).scalar()
                return str(version).split()[0]
        finally:
            engine.dispose()
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tests.services import create_pg_database, drop_pg_database, postgres_available

    interrupted = False

    def on_signal(signum: int, _frame: Any) -> None:
        nonlocal interrupted
        if not interrupted:  # a second Ctrl-C must not cut the cleanup short
            interrupted = True
            raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    janitor = Janitor()
    workdir = Path(tempfile.mkdtemp(prefix="smartlib-bench-"))
    janitor.add("the work directory", lambda: shutil.rmtree(workdir, ignore_errors=True))
    started = time.monotonic()
    payload = sample_payload()
    raw: float | None = None
    runs: dict[str, Results] = {}
    skipped: dict[str, str] = {}
    pg_version: str | None = None
    try:
        say(f"raw paho QoS 1 baseline: {args.events:,} messages of {len(payload)} bytes")
        try:
            broker, key = start_broker(workdir / "raw", janitor)
            try:
                rates = []
                for run in range(args.repeats):
                    rate, note = raw_once(broker.url, args.events, payload, janitor)
                    rates.append(rate)
                    say(f"  run {run + 1}: {rate:,.0f} msg/s ({note})")
                raw = statistics.median(rates)
            finally:
                janitor.done(key)
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as error:
            say(f"  ! the raw baseline failed: {type(error).__name__}: {error}")

        say("SQLite")
        sqlite_dir = workdir / "sqlite"
        sqlite_url = f"sqlite:///{sqlite_dir / 'smartlib.sqlite'}"
        runs["SQLite"] = run_database("SQLite", sqlite_url, sqlite_dir, args, janitor)

        problem = "--skip-postgres was given" if args.skip_postgres else postgres_available()
        if problem:
            say(f"PostgreSQL skipped: {problem}")
            skipped["PostgreSQL"] = problem
        else:
            say("PostgreSQL")
            url = create_pg_database()
            key = janitor.add("the PostgreSQL database", lambda: drop_pg_database(url))
            try:
                pg_version = postgres_version(url)
                runs["PostgreSQL"] = run_database(
                    "PostgreSQL", url, workdir / "postgresql", args, janitor
                )
            finally:
                janitor.done(key)
        context = describe(args, payload, pg_version)
        report(args, raw, runs, skipped, f"{context}; {time.monotonic() - started:.0f} s")
        return 0
    except KeyboardInterrupt:
        say("\ninterrupted: cleaning up")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        janitor.close()


if __name__ == "__main__":
    sys.exit(main())
