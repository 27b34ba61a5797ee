"""Mosquitto accounts and access rules for the sites in the device catalogue.

Writes a password file (made by mosquitto's own `mosquitto_passwd`), an ACL, the plain
credentials and a production mosquitto.conf. `credentials.toml` is written by hand: the
standard library reads TOML but cannot write it, and a few flat tables of strings do not
justify a dependency.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import secrets
import shlex
import shutil
import subprocess
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from contracts.names import Name
from contracts.topics import (
    ROOT,
    command_topic,
    events_filter,
    live_topic,
    status_filter,
    status_topic,
)
from hardware.catalogue import Site

log = logging.getLogger(__name__)

SERVER_USERNAME = "smartlib-server"
PASSWD = "passwd"
CREDENTIALS = "credentials.toml"
ACL = "acl"
CONFIG = "mosquitto.conf"
CERT_DIR = Path("/etc/mosquitto/certs")
MOSQUITTO_PASSWD = "mosquitto_passwd"


class BrokerConfigError(RuntimeError):
    """The broker files cannot be made; the message says why and what to do."""


class Account(BaseModel):
    """One MQTT account: the server's (shared by every server process) or one gateway's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    username: str
    password: str
    role: Literal["server", "gateway"]
    site: Name | None = None
    gateway: Name | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Account:
        if self.role == "server":
            if self.username != SERVER_USERNAME or self.site or self.gateway:
                raise ValueError(f"the server account is {SERVER_USERNAME!r}, without site/gateway")
        elif self.site is None or self.gateway is None:
            raise ValueError("a gateway account needs its site and gateway")
        elif self.username != gateway_username(self.site, self.gateway):
            raise ValueError(
                f"username {self.username!r} does not match gateway {self.gateway!r} "
                f"of site {self.site!r}"
            )
        if not self.password:
            raise ValueError("empty password")
        return self


@dataclass(frozen=True)
class BrokerAddress:
    """Where clients reach the broker: what goes into each account's MQTT URL."""

    host: str = "127.0.0.1"
    port: int | None = None  # None: 1883, or 8883 with TLS
    tls: bool = False

    def url(self, account: Account) -> str:
        scheme, default_port = ("mqtts", 8883) if self.tls else ("mqtt", 1883)
        host = f"[{self.host}]" if ":" in self.host else self.host
        user = quote(account.username, safe="")
        password = quote(account.password, safe="")
        return f"{scheme}://{user}:{password}@{host}:{self.port or default_port}"


@dataclass(frozen=True)
class TlsListener:
    """The TLS listener for gateways in the branches, and the certificate files it uses."""

    port: int = 8883
    cafile: Path = CERT_DIR / "ca.crt"
    certfile: Path = CERT_DIR / "server.crt"
    keyfile: Path = CERT_DIR / "server.key"


@dataclass(frozen=True)
class BrokerFiles:
    """What `write_broker_config` wrote, and the accounts in it."""

    directory: Path
    accounts: tuple[Account, ...]
    broker: BrokerAddress
    added: tuple[str, ...] = ()  # usernames new in this run
    kept: tuple[str, ...] = ()  # usernames from an earlier run that no site file names now
    files: tuple[Path, ...] = ()

    @property
    def server(self) -> Account:
        return next(a for a in self.accounts if a.role == "server")

    @property
    def gateways(self) -> list[Account]:
        return [a for a in self.accounts if a.role == "gateway"]

    def url(self, account: Account) -> str:
        return self.broker.url(account)


def gateway_username(site: str, gateway: str) -> str:
    return f"gw-{site}-{gateway}"


def new_password() -> str:
    return secrets.token_urlsafe(24)


def load_credentials(path: Path) -> dict[str, Account]:
    """The accounts of an earlier run, by username; empty if there is no such file."""
    if not path.exists():
        return {}
    try:
        tables = tomllib.loads(path.read_text(encoding="utf-8"))
        accounts = {}
        for key, table in tables.items():
            if not isinstance(table, dict):
                raise ValueError(f"{key!r} is not a table")
            table = {k: v for k, v in table.items() if k != "mqtt_url"}
            account = Account.model_validate(table)
            if account.username != key:
                raise ValueError(f"table {key!r} holds the account {account.username!r}")
            accounts[key] = account
        return accounts
    except (OSError, tomllib.TOMLDecodeError, ValidationError, ValueError) as error:
        raise BrokerConfigError(
            f"{path}: {error} (fix or move the file: it holds the passwords of deployed gateways)"
        ) from error


def plan_accounts(
    sites: Iterable[Site], existing: dict[str, Account]
) -> tuple[list[Account], list[str], list[str]]:
    """Every account the broker needs: earlier ones keep their password, new ones get one.

    Returns (accounts: server first, then gateways by username; added usernames; kept
    usernames that no site names any more, left in place so nobody is locked out).
    """
    wanted: dict[str, tuple[str, str]] = {}
    for site in sites:
        for gateway in site.gateways:
            username = gateway_username(site.site, gateway.id)
            other = wanted.setdefault(username, (site.site, gateway.id))
            if other != (site.site, gateway.id):
                raise BrokerConfigError(
                    f"gateway {gateway.id!r} of site {site.site!r} and gateway {other[1]!r} of "
                    f"site {other[0]!r} would share the account {username!r}; rename one"
                )
    for username, account in existing.items():
        if username in wanted and (account.site, account.gateway) != wanted[username]:
            raise BrokerConfigError(
                f"account {username!r} belongs to gateway {account.gateway!r} of site "
                f"{account.site!r} in {CREDENTIALS}; rename the new gateway"
            )
    added: list[str] = []
    accounts: dict[str, Account] = dict(existing)
    if SERVER_USERNAME not in accounts:
        accounts[SERVER_USERNAME] = Account(
            username=SERVER_USERNAME, password=new_password(), role="server"
        )
        added.append(SERVER_USERNAME)
    for username, (site, gateway) in wanted.items():
        if username not in accounts:
            accounts[username] = Account(
                username=username,
                password=new_password(),
                role="gateway",
                site=site,
                gateway=gateway,
            )
            added.append(username)
    kept = sorted(
        u for u, a in accounts.items() if a.role == "gateway" and u not in wanted and u in existing
    )
    ordered = [accounts[SERVER_USERNAME]] + [
        accounts[u] for u in sorted(accounts) if u != SERVER_USERNAME
    ]
    return ordered, added, kept


def _toml_string(value: str) -> str:
    # A JSON string with non-ASCII and control characters escaped is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=True)


def render_credentials(accounts: Sequence[Account], broker: BrokerAddress) -> str:
    lines = [
        "# smartlib MQTT accounts, made by `smartlib broker-config`. Secret: keep it mode 0600.",
        "# Re-running the command keeps these passwords, so deployed gateways stay connected.",
        "# Give each gateway its own mqtt_url as SMARTLIB_MQTT_URL; every server process uses",
        f"# the {SERVER_USERNAME} one.",
    ]
    for account in accounts:
        lines += ["", f"[{_toml_string(account.username)}]"]
        values = account.model_dump(exclude_none=True)
        values["mqtt_url"] = broker.url(account)
        lines += [f"{key} = {_toml_string(str(value))}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def render_acl(accounts: Sequence[Account]) -> str:
    """The mosquitto ACL: each gateway its own topics, the server every gateway's."""
    lines = [
        "# smartlib MQTT access rules, made by `smartlib broker-config` from the device catalogue.",
        "# No rules before the first `user` line: a client without an account may do nothing.",
        "#",
        "# mosquitto checks `read` on every message it delivers, against the message's own topic,",
        "# and lets any subscription through: a client that subscribes to topics it may not read",
        "# simply receives nothing from them. So the servers' shared subscription",
        "# `$share/<group>/smartlib/v1/+/+/events/#` needs no rule of its own: the events it",
        "# delivers are on smartlib/v1/<site>/<gateway>/events/<kind>, which the server may read.",
        "# A client that publishes where it may not gets its PUBACK and is then disconnected",
        "# (\"Bad socket read/write\" in mosquitto's log): check that gateway's site and name.",
    ]
    for account in accounts:
        lines.append("")
        if account.role == "server":
            lines += [
                "# every server process",
                f"user {account.username}",
                f"topic read {events_filter()}",
                f"topic read {status_filter()}",
                f"topic write {ROOT}/+/+/commands",
                f"topic readwrite {live_topic()}",
            ]
        elif account.site and account.gateway:
            site, gateway = account.site, account.gateway
            lines += [
                f"# gateway {gateway} of site {site}",
                f"user {account.username}",
                f"topic write {events_filter(site, gateway)}",
                f"topic write {status_topic(site, gateway)}",
                f"topic read {command_topic(site, gateway)}",
            ]
    return "\n".join(lines) + "\n"


def certificate_commands(host: str, tls: TlsListener) -> list[str]:
    """Shell commands that make a private CA and a broker certificate for `host` (OpenSSL 3)."""
    try:
        ipaddress.ip_address(host)
        san = f"subjectAltName=IP:{host}"
    except ValueError:
        san = f"subjectAltName=DNS:{host}"
    ca_key = "smartlib-ca.key"
    new_key = ["openssl", "req", "-x509", "-newkey", "rsa:3072", "-nodes"]
    make_ca = [*new_key, "-days", "3650", "-subj", "/CN=smartlib CA"]
    make_ca += ["-keyout", ca_key, "-out", str(tls.cafile)]
    make_cert = [*new_key, "-days", "825", "-subj", f"/CN={host}", "-addext", san]
    make_cert += ["-addext", "basicConstraints=CA:FALSE", "-CA", str(tls.cafile), "-CAkey", ca_key]
    make_cert += ["-keyout", str(tls.keyfile), "-out", str(tls.certfile)]
    return [shlex.join(make_ca), shlex.join(make_cert)]


def render_mosquitto_conf(
    passwd: Path,
    acl: Path,
    *,
    listen: tuple[str, int] = ("127.0.0.1", 1883),
    tls: TlsListener | None = None,
    cert_host: str = "127.0.0.1",
    persistence_location: Path = Path("/var/lib/mosquitto"),
    log_file: Path = Path("/var/log/mosquitto/mosquitto.log"),
    run_as: str | None = None,
) -> str:
    """A mosquitto.conf using `passwd` and `acl`: a plain listener, and a TLS one if given."""
    lines = [
        "# mosquitto configuration for smartlib, made by `smartlib broker-config`.",
        "# Use it as /etc/mosquitto/mosquitto.conf (or run `mosquitto -c` with it). mosquitto",
        "# reads the password, ACL and TLS key files after it has become user `mosquitto`, and",
        "# newer versions warn about (future ones refuse) such files if others can read them:",
        f"#   chown mosquitto: {passwd} {acl}",
        f"#   chmod 0600 {passwd} {acl}",
        "# After adding gateways to a site file, run `smartlib broker-config` again with the same",
        "# --out directory (existing passwords are kept), then `systemctl reload mosquitto`:",
        "# on SIGHUP mosquitto reads the password file and the ACL again.",
        "",
    ]
    if run_as:
        lines += [f"user {run_as}", ""]
    lines += [
        "# One set of accounts and access rules for every listener.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {passwd}",
        f"acl_file {acl}",
        "",
        "# Keep sessions and queued QoS 1 messages on disk, with no limit on the queue: a server",
        "# that is briefly away must find every event waiting when it comes back.",
        "persistence true",
        f"persistence_location {persistence_location}/",
        "max_queued_messages 0",
        "",
        "# Without TCP_NODELAY a QoS 1 round trip waits tens of milliseconds on Nagle's algorithm.",
        "set_tcp_nodelay true",
        "",
        f"log_dest file {log_file}",
        "",
        "# Plain MQTT, for processes on this machine (the server processes).",
        f"listener {listen[1]} {listen[0]}",
    ]
    if tls is not None:
        commands = certificate_commands(cert_host, tls)
        lines += [
            "",
            f"# MQTT over TLS, for the gateways in the branches (mqtts://...:{tls.port}). Gateways",
            "# check the broker's certificate against their system's trust store. Either use a",
            "# certificate from a public CA for the broker's host name, or make a private CA and",
            "# a broker certificate (keep smartlib-ca.key off the broker):",
            *(f"#   {command}" for command in commands),
            f"# then install {tls.cafile} on each gateway as",
            "# /usr/local/share/ca-certificates/smartlib-ca.crt and run update-ca-certificates.",
            f"listener {tls.port}",
            f"cafile {tls.cafile}",
            f"certfile {tls.certfile}",
            f"keyfile {tls.keyfile}",
            "tls_version tlsv1.2",
        ]
    return "\n".join(lines) + "\n"


def find_mosquitto_passwd() -> str:
    tool = shutil.which(MOSQUITTO_PASSWD)
    if tool is None:
        raise BrokerConfigError(
            f"{MOSQUITTO_PASSWD} is not installed: it comes with the Debian package 'mosquitto' "
            "(apt-get install mosquitto)"
        )
    return tool


def write_password_file(path: Path, accounts: Sequence[Account], tool: str) -> None:
    """Hash the passwords with mosquitto's own tool, so the broker surely understands them.

    The passwords are on the tool's command line while it runs: make the files on a machine
    whose other users you trust (the broker's own, or an administrator's).
    """
    for index, account in enumerate(accounts):
        create = ["-c"] if index == 0 else []
        result = subprocess.run(
            [tool, *create, "-b", str(path), account.username, account.password],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if result.returncode != 0:
            reason = (result.stderr or result.stdout).strip()
            raise BrokerConfigError(f"{tool} failed for {account.username}: {reason}")


def _write_private(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)
    os.chmod(path, mode)


def write_broker_config(
    sites: Sequence[Site],
    out: Path,
    *,
    broker: BrokerAddress | None = None,
    tls: TlsListener | None = None,
) -> BrokerFiles:
    """Write passwd, acl, credentials.toml and mosquitto.conf for `sites` into `out`.

    Accounts already in `out/credentials.toml` keep their passwords; new gateways get new
    accounts. Files are made in a private directory first and then moved into place.
    """
    broker = broker or BrokerAddress()
    tls = tls or TlsListener()
    tool = find_mosquitto_passwd()
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    existing = load_credentials(out / CREDENTIALS)
    if not existing and (out / PASSWD).exists():
        log.warning(
            "%s has a %s but no %s: every account gets a new password", out, PASSWD, CREDENTIALS
        )
    accounts, added, kept = plan_accounts(sites, existing)
    for username in added:
        log.info("new MQTT account %s", username)
    names = (CREDENTIALS, PASSWD, ACL, CONFIG)
    with tempfile.TemporaryDirectory(dir=out, prefix=".broker-config-") as work:
        staged = {name: Path(work) / name for name in names}
        _write_private(staged[CREDENTIALS], render_credentials(accounts, broker), 0o600)
        write_password_file(staged[PASSWD], accounts, tool)
        os.chmod(staged[PASSWD], 0o600)
        _write_private(staged[ACL], render_acl(accounts), 0o600)
        conf = render_mosquitto_conf(out / PASSWD, out / ACL, tls=tls, cert_host=broker.host)
        _write_private(staged[CONFIG], conf, 0o644)
        # credentials.toml first: it is what the next run keeps the passwords from.
        for name in names:
            os.replace(staged[name], out / name)
    return BrokerFiles(
        directory=out,
        accounts=tuple(accounts),
        broker=broker,
        added=tuple(added),
        kept=tuple(kept),
        files=tuple(out / name for name in names),
    )
