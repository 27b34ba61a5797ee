"""`smartlib demo`: broker, server, gateway and simulated library in one process tree.

The demo writes everything it uses into its data directory: the site file with the
simulated ports, `smartlib.toml`, the SQLite database, the gateway's outbox, and
`seed.json` listing what a person or a script can try.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session

from hardware.catalogue import DEMO_SITE, dump_site, load_site
from hardware.sim.library import book_tags, patron_cards
from server.auth.permissions import Role
from server.auth.service import ensure_account
from server.catalog.service import create_record, item_by_barcode
from server.catalog.shapes import ItemIn, RecordIn
from server.db import make_engine, migrate
from server.patrons.self_service import find_by_card
from server.patrons.service import create_patron

log = logging.getLogger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def prepare(data_dir: Path, *, broker_url: str, host: str, port: int) -> Path:
    """Write site.yaml, smartlib.toml and seed.json; return the config file's path."""
    data_dir = data_dir.resolve()
    (data_dir / "dev").mkdir(parents=True, exist_ok=True)
    site = load_site(DEMO_SITE, dev=str(data_dir / "dev"), card_port=str(free_port()))
    dump_site(site, data_dir / "site.yaml")
    config = data_dir / "smartlib.toml"
    config.write_text(
        "# Written by `smartlib demo`; every value can be overridden by SMARTLIB_* variables.\n"
        "[server]\n"
        f'database_url = "sqlite:///{data_dir / "smartlib.sqlite"}"\n'
        f'mqtt_url = "{broker_url}"\n'
        f'host = "{host}"\n'
        f"port = {port}\n\n"
        "[gateway]\n"
        f'site = "{site.site}"\n'
        f'gateway = "{site.gateways[0].id}"\n'
        f'mqtt_url = "{broker_url}"\n'
        f'outbox_path = "{data_dir / "gateway-outbox.sqlite"}"\n',
        encoding="utf-8",
    )
    seed = {
        "dashboard": f"http://{host}:{port}/",
        "staff": _staff_accounts(data_dir),
        "broker": broker_url,
        "site": site.site,
        "gateways": [g.id for g in site.gateways],
        "devices": [
            {"id": d.id, "kind": d.kind, "gateway": d.gateway, "zone": d.zone, "port": d.port}
            for d in site.devices
        ],
        **_sample_library(data_dir, site.site),
        "patron_cards": patron_cards(50),
        "book_tags": [uid.hex().upper() for uid in book_tags(500)],
    }
    (data_dir / "seed.json").write_text(json.dumps(seed, indent=2) + "\n", encoding="utf-8")
    return config


STAFF = [("admin", "admin"), ("librarian", "librarian"), ("security", "security")]


def _staff_accounts(data_dir: Path) -> list[dict[str, str]]:
    """Sign-ins for the demo, made once; a rerun keeps the passwords of the last run."""
    seed = data_dir / "seed.json"
    known = {}
    if seed.exists():
        known = {
            s["username"]: s["password"] for s in json.loads(seed.read_text()).get("staff", [])
        }
    engine = make_engine(f"sqlite:///{data_dir / 'smartlib.sqlite'}")
    migrate(engine)
    staff = []
    with Session(engine) as session:
        for username, role in STAFF:
            password = known.get(username) or secrets.token_urlsafe(9)
            ensure_account(session, username, password, Role(role), datetime.now(UTC))
            staff.append({"username": username, "password": password, "role": role})
    engine.dispose()
    return staff


PATRONS = [
    ("Ada Lovelace", "adult"),
    ("Lin Wei", "student"),
    ("Sam Okafor", "child"),
    ("Grace Hopper", "staff"),
    ("王芳", "adult"),
    ("Mateo Rossi", "adult"),
]
TITLES = [
    "The Name of the Rose",
    "Invisible Cities",
    "Dream of the Red Chamber",
    "A Brief History of Time",
    "The Left Hand of Darkness",
    "Things Fall Apart",
    "One Hundred Years of Solitude",
    "The Three-Body Problem",
]


def _sample_library(data_dir: Path, branch: str) -> dict[str, list[dict[str, str]]]:
    """Patrons holding the simulator's cards, and books carrying its tags (made once)."""
    engine = make_engine(f"sqlite:///{data_dir / 'smartlib.sqlite'}")
    migrate(engine)
    now = datetime.now(UTC)
    patrons, items = [], []
    with Session(engine) as session:
        for (name, category), card in zip(PATRONS, patron_cards(50), strict=False):
            pin = card[-4:].translate(str.maketrans("ABCDEF", "123456"))
            if find_by_card(session, card) is None:
                create_patron(
                    session,
                    name=name,
                    category=category,
                    home_branch=branch,
                    cards=[card],
                    pin=pin,
                    actor="demo",
                    now=now,
                )
            patrons.append({"name": name, "category": category, "card": card, "pin": pin})
        for number, (title, tag) in enumerate(zip(TITLES, book_tags(500), strict=False)):
            barcode = f"3100{number:04d}"
            if item_by_barcode(session, barcode) is None:
                item = ItemIn(
                    barcode=barcode,
                    rfid_tag=tag.hex(),
                    home_branch=branch,
                    zone="stacks",
                    stack="A",
                    shelf=str(number % 4 + 1),
                )
                create_record(session, RecordIn(title=title), [item], actor="demo", now=now)
            items.append({"title": title, "barcode": barcode, "tag": tag.hex().upper()})
    engine.dispose()
    return {"patrons": patrons, "items": items}


def wait_healthy(url: str, processes: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{' '.join(process.args[2:4])} exited with {process.returncode}"
                )
        try:
            with urllib.request.urlopen(f"{url}healthz", timeout=1) as response:
                if json.loads(response.read()).get("broker") == "connected":
                    return
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer at {url} within {timeout:.0f} s")


def _stop(_signal: int, _frame: object) -> None:
    raise KeyboardInterrupt  # `kill` stops the demo as Ctrl-C does, children and all


def run(data_dir: Path, *, host: str, port: int, broker_url: str | None, rate: float) -> int:
    signal.signal(signal.SIGTERM, _stop)
    if not port_is_free(host, port):
        raise RuntimeError(f"port {port} on {host} is in use; choose another with --port")
    broker = None
    if broker_url is None:
        from smartlib.embedded_broker import EmbeddedBroker

        broker = EmbeddedBroker("127.0.0.1", free_port())
        broker.start()
        broker_url = broker.url
    config = prepare(data_dir, broker_url=broker_url, host=host, port=port)
    env = {**os.environ, "SMARTLIB_CONFIG": str(config)}
    site_file = str(config.parent / "site.yaml")
    me = [sys.executable, "-m", "smartlib"]

    # Own sessions: Ctrl-C reaches only this process, which stops the children in order.
    def spawn(*args: str) -> subprocess.Popen:
        return subprocess.Popen([*me, *args], env=env, start_new_session=True)

    # The server first: its broker session must exist before events flow, or the broker
    # has no one to keep them for.
    processes = [spawn("server")]
    url = f"http://{host}:{port}/"
    try:
        wait_healthy(url, processes)
        processes.insert(0, spawn("gateway", "--site-file", site_file))
        processes.insert(0, spawn("sim", "--site-file", site_file, "--rate", str(rate)))
        admin = json.loads((config.parent / "seed.json").read_text())["staff"][0]
        print(
            f"\n  smartlib demo is running: {url}"
            f"\n  sign in as {admin['username']} / {admin['password']}"
            f"\n  sample data and other sign-ins: {config.parent / 'seed.json'}"
            "\n  press Ctrl-C to stop\n",
            flush=True,
        )
        while all(p.poll() is None for p in processes):
            time.sleep(0.5)
        failed = [p for p in processes if p.poll() is not None]
        log.error("%s stopped unexpectedly", " ".join(failed[0].args[2:4]))
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        for process in processes:  # sim first, server last
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    process.kill()
        if broker is not None:
            broker.stop()
