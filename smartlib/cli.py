"""The `smartlib` command: demo, server, gateway, sim and schema.

Imports are inside the commands so that `smartlib gateway` runs where only the gateway's
dependencies are installed.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="smartlib: RFID circulation, climate and safety for a library building.",
    no_args_is_help=True,
    add_completion=False,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Settings file (TOML, with a server and a gateway table).",
        exists=True,
        dir_okay=False,
        envvar="SMARTLIB_CONFIG",
    ),
]
SiteOption = Annotated[
    Path,
    typer.Option(
        "--site-file", help="Device catalogue of the site (YAML).", exists=True, dir_okay=False
    ),
]
LogOption = Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")]


def _use_config(config: Path | None) -> None:
    if config is not None:
        os.environ["SMARTLIB_CONFIG"] = str(config.resolve())


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    return stop


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="Port of the dashboard.")] = 8000,
    host: Annotated[str, typer.Option(help="Address the dashboard listens on.")] = "127.0.0.1",
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the demo keeps its files.")
    ] = Path("smartlib-demo"),
    broker: Annotated[
        str | None,
        typer.Option(
            help="Use this broker (e.g. mqtt://127.0.0.1:1883) instead of the embedded one."
        ),
    ] = None,
    rate: Annotated[float, typer.Option(help="Simulated patron visits per second.")] = 0.5,
    log_level: LogOption = "INFO",
) -> None:
    """Run the whole system on embedded defaults with a simulated library."""
    from smartlib import demo as demo_module
    from smartlib.logs import setup

    setup("demo", log_level)
    try:
        code = demo_module.run(data_dir, host=host, port=port, broker_url=broker, rate=rate)
    except RuntimeError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from error
    raise typer.Exit(code)


@app.command()
def server(
    config: ConfigOption = None,
    host: Annotated[
        str | None, typer.Option(help="Listen address (default from settings).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (default from settings).")] = None,
    log_level: LogOption = "INFO",
) -> None:
    """Run the server: ingest, API, live stream and dashboard."""
    _use_config(config)
    import uvicorn

    from server.config import ServerSettings
    from smartlib.logs import setup
    from smartlib.web import create_app

    setup("server", log_level)
    settings = ServerSettings()
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port if port is not None else settings.port,
        log_config=None,
        ws_ping_interval=20,
    )


@app.command()
def gateway(
    config: ConfigOption = None,
    site_file: Annotated[
        Path | None,
        typer.Option(
            "--site-file",
            help="Take this gateway's readers from the site's catalogue.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    gateway_id: Annotated[
        str | None, typer.Option("--gateway", help="Which gateway of the site this is.")
    ] = None,
    log_level: LogOption = "INFO",
) -> None:
    """Run a gateway: read the readers, keep the outbox, talk to the broker."""
    _use_config(config)
    from gateway.app import Gateway
    from smartlib.logs import setup
    from smartlib.wiring import gateway_settings

    setup("gateway", log_level)
    try:
        settings = gateway_settings(site_file, gateway_id)
    except ValueError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from error
    Gateway(settings).run_until(_stop_on_signals())


@app.command()
def sim(
    site_file: SiteOption,
    rate: Annotated[float, typer.Option(help="Patron visits per second.")] = 0.5,
    count: Annotated[int | None, typer.Option(help="Stop after this many visits.")] = None,
    garbage: Annotated[
        float, typer.Option(help="Chance per visit of noise on the pad's line.")
    ] = 0.0,
    log_level: LogOption = "INFO",
) -> None:
    """Simulate the site's devices on ptys and TCP ports, with patrons at the desk."""
    from hardware.catalogue import CatalogueError, load_site
    from hardware.sim.library import SimLibrary
    from smartlib.logs import setup

    setup("sim", log_level)
    try:
        library = SimLibrary(load_site(site_file))
    except CatalogueError as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from error
    stop = _stop_on_signals()
    library.start()
    player = threading.Thread(
        target=library.play, kwargs={"rate": rate, "count": count, "garbage": garbage}, daemon=True
    )
    player.start()
    while not stop.wait(0.5) and player.is_alive():
        pass
    library.stop()


@app.command()
def schema(
    out: Annotated[Path, typer.Option(help="Directory for the JSON Schema files.")] = Path(
        "schema"
    ),
) -> None:
    """Export the wire contract (events, commands, acks) as JSON Schema."""
    from contracts.schema import write_schemas

    for path in write_schemas(out):
        typer.echo(path)


@app.command("broker-config")
def broker_config(
    site_files: Annotated[
        list[Path],
        typer.Option("--site-file", help="Device catalogue of a site (YAML); repeat for more."),
    ],
    out: Annotated[
        Path, typer.Option(help="Directory for passwd, acl, credentials.toml and mosquitto.conf.")
    ],
    host: Annotated[
        str, typer.Option(help="The broker's address, as the accounts' MQTT URLs name it.")
    ] = "127.0.0.1",
    port: Annotated[
        int | None,
        typer.Option(
            help="The broker's port in the URLs (default 1883, or 8883 with --tls).",
            min=1,
            max=65535,
        ),
    ] = None,
    tls: Annotated[
        bool, typer.Option("--tls", help="Give mqtts:// URLs, for the TLS listener.")
    ] = False,
    cafile: Annotated[
        Path | None, typer.Option(help="CA certificate (default /etc/mosquitto/certs/ca.crt).")
    ] = None,
    certfile: Annotated[
        Path | None,
        typer.Option(help="Broker certificate (default /etc/mosquitto/certs/server.crt)."),
    ] = None,
    keyfile: Annotated[
        Path | None,
        typer.Option(help="Broker private key (default /etc/mosquitto/certs/server.key)."),
    ] = None,
) -> None:
    """Write mosquitto accounts and ACLs, one account per gateway, from the site files.

    Re-running it with the same --out keeps the passwords already given out.
    """
    from hardware.catalogue import CatalogueError, load_site
    from smartlib.broker_config import (
        BrokerAddress,
        BrokerConfigError,
        TlsListener,
        write_broker_config,
    )

    try:
        for site_file in site_files:
            if not site_file.is_file():
                raise CatalogueError(f"site file {site_file} does not exist")
        sites = [load_site(site_file) for site_file in site_files]
        certs = {"cafile": cafile, "certfile": certfile, "keyfile": keyfile}
        written = write_broker_config(
            sites,
            out,
            broker=BrokerAddress(host, port, tls),
            tls=TlsListener(**{k: v.resolve() for k, v in certs.items() if v is not None}),
        )
    except (CatalogueError, BrokerConfigError, OSError) as error:
        typer.secho(f"error: {error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from error
    for path in written.files:
        typer.echo(f"wrote {path}")
    if written.added:
        typer.echo(f"new accounts: {', '.join(written.added)}")
    typer.echo(f"\nevery server process: SMARTLIB_MQTT_URL={written.url(written.server)}")
    for account in written.gateways:
        note = "  (no site file names it now; kept)" if account.username in written.kept else ""
        typer.echo(
            f"gateway {account.gateway} of site {account.site}: "
            f"SMARTLIB_MQTT_URL={written.url(account)}{note}"
        )


@app.command("import")
def import_records(
    file: Annotated[Path, typer.Argument(help="MARC 21 (.mrc), MARCXML (.xml) or CSV file.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="marc, marcxml or csv (default: by name).")
    ] = None,
    batch: Annotated[int, typer.Option(help="Records per transaction.", min=1)] = 500,
    workers: Annotated[int, typer.Option(help="Processes parsing records.", min=1)] = 1,
    rejects: Annotated[
        Path | None, typer.Option(help="Where rejected records go (default FILE.rejects.csv).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Import catalogue records and items; re-importing a file updates, never duplicates."""
    _use_config(config)
    from server.config import ServerSettings
    from smartlib.importer import main

    if not file.is_file():
        typer.secho(f"error: {file} is not a file", fg="red", err=True)
        raise typer.Exit(2)
    url = ServerSettings().database_url
    code = main(file, url, fmt=fmt, batch_size=batch, workers=workers, rejects_path=rejects)
    raise typer.Exit(code)


accounts = typer.Typer(help="Staff and device accounts.", no_args_is_help=True)
app.add_typer(accounts, name="account")


@accounts.command("add")
def account_add(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[
        str, typer.Option(help="admin, librarian, security, patron, kiosk or gateway.")
    ],
    password: Annotated[
        str | None,
        typer.Option(help="Omit to be asked (not echoed).", envvar="SMARTLIB_NEW_PASSWORD"),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Create an account in the server's database (the first admin, a kiosk, ...)."""
    _use_config(config)
    from datetime import UTC, datetime

    from sqlmodel import Session

    from server.auth.permissions import Role
    from server.auth.service import AccountError, create_account
    from server.config import ServerSettings
    from server.db import make_engine, migrate

    try:
        chosen = Role(role)
    except ValueError:
        typer.secho(
            f"error: unknown role {role!r}; use one of {', '.join(Role)}", fg="red", err=True
        )
        raise typer.Exit(2) from None
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    engine = make_engine(ServerSettings().database_url)
    migrate(engine)
    try:
        with Session(engine) as session:
            create_account(
                session,
                username=username,
                password=password,
                role=chosen,
                display_name=username,
                actor="cli",
                now=datetime.now(UTC),
            )
    except AccountError as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(1) from error
    finally:
        engine.dispose()
    typer.echo(f"created {chosen} account {username!r}")


@app.command()
def backup(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="The backup file; FILE.json is written beside it.")
    ],
    config: ConfigOption = None,
) -> None:
    """Back up the server's database while it runs (SQLite backup API or pg_dump)."""
    _use_config(config)
    from server.config import ServerSettings
    from smartlib.backup import BackupError, describe, progress_bar
    from smartlib.backup import backup as take_backup

    try:
        with progress_bar("backing up") as progress:
            manifest = take_backup(ServerSettings().database_url, out, progress=progress)
    except (BackupError, OSError) as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"wrote {out} ({manifest.size:,} bytes, schema revision {manifest.revision})")
    typer.echo("\n".join(describe(manifest.tables)))


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="A file written by `smartlib backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace what the database holds now.")
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Restore a backup into the server's database (stop the servers first), then migrate."""
    _use_config(config)
    from server.config import ServerSettings
    from smartlib.backup import BackupError, describe
    from smartlib.backup import restore as load_backup

    try:
        result = load_backup(ServerSettings().database_url, file, force=force)
    except (BackupError, OSError) as error:
        typer.secho(f"error: {error}", fg="red", err=True)
        raise typer.Exit(1) from error
    typer.echo(
        f"restored {file} (schema revision {result.revision_in_backup}, now {result.revision_now})"
    )
    typer.echo("\n".join(describe(result.tables)))
