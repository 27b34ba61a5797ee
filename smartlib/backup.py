"""Online backup and restore of the server's database, SQLite or PostgreSQL.

`backup` takes a consistent copy while servers keep writing and records beside it a
manifest (`FILE.json`: schema revision, time, row count of every table, SHA-256 of the
file); `restore` checks that manifest first, loads the copy into the configured
database, then migrates it, so a backup made by an older smartlib comes up to date.

- SQLite: the sqlite3 backup API, a few pages per step, while this process holds one
  read transaction on the source. In WAL mode readers do not block writers, and a held
  read transaction pins one snapshot, so the steps all copy the same committed state
  (without it SQLite would restart the copy whenever a server commits). The copy is
  written to a temporary file, switched out of WAL mode so it is a single file, and
  renamed into place. Restore runs the same API the other way, into the target database,
  so SQLite itself deals with the target's -wal and -shm files; stop the servers first.
- PostgreSQL: `pg_dump --format=custom`, not a dump written in Python: pg_dump knows every
  kind of object (sequences and their positions, indexes, constraints, types) and works in
  one repeatable-read transaction. The manifest's row counts are taken in a transaction
  whose snapshot pg_dump then shares (`pg_export_snapshot`, `pg_dump --snapshot`), so the
  counts describe exactly the rows in the file. Restore uses `pg_restore --clean
  --if-exists --no-owner --no-privileges --single-transaction`.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine, make_url

from smartlib import progress as shared
from smartlib.progress import Progress  # (done, total): pages on SQLite; 0/1, 1/1 on PostgreSQL

MANIFEST_FORMAT = 1
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
PAGES_PER_STEP = 1024  # 4 MiB with the default page size: short steps, few of them
# The Debian/Ubuntu layout: one directory per installed PostgreSQL major version.
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
VERSION_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why, for a person."""


@dataclass
class Manifest:
    """What `FILE.json` records about a backup file."""

    database: str  # "sqlite" or "postgresql"
    revision: str | None  # the schema's Alembic revision at backup time
    created_at: str  # ISO 8601, UTC
    tables: dict[str, int]  # table -> rows, in the backed-up snapshot
    sha256: str
    size: int
    format: int = MANIFEST_FORMAT

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            raw = json.loads(path.read_text())
            return cls(**raw)
        except FileNotFoundError:
            raise BackupError(
                f"{path} is missing: it is written beside every backup and holds the "
                "checksum that restore needs"
            ) from None
        except (ValueError, TypeError) as error:
            raise BackupError(f"{path} is not a backup manifest: {error}") from None


@dataclass
class RestoreResult:
    database: str
    revision_in_backup: str | None
    revision_now: str | None
    tables: dict[str, int] = field(default_factory=dict)  # after migrating


def manifest_path(backup_file: Path) -> Path:
    return backup_file.with_name(backup_file.name + ".json")


def backend_of(url: str) -> str:
    backend = make_url(url).get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(
            f"cannot back up a {backend} database; smartlib uses SQLite or PostgreSQL"
        )
    return backend


# --- backup ----------------------------------------------------------------------------


def backup(
    url: str,
    out: Path,
    *,
    progress: Progress | None = None,
    pages_per_step: int = PAGES_PER_STEP,
) -> Manifest:
    """Write a consistent copy of the database at `url` to `out`, and `out`.json beside it."""
    backend = backend_of(url)
    out = out.resolve()
    if out.is_dir():
        raise BackupError(f"{out} is a directory; give the backup file's name")
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.name}.partial")
    try:
        if backend == "sqlite":
            revision, tables = _backup_sqlite(url, partial, progress, pages_per_step)
        else:
            revision, tables = _backup_postgresql(url, partial, progress)
        digest, size = file_digest(partial)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    manifest = Manifest(
        database=backend,
        revision=revision,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        tables=tables,
        sha256=digest,
        size=size,
    )
    manifest.write(manifest_path(out))
    return manifest


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing on disk to back up")
    return Path(database)


def _backup_sqlite(
    url: str, target: Path, progress: Progress | None, pages_per_step: int
) -> tuple[str | None, dict[str, int]]:
    source_path = _sqlite_path(url)
    if not source_path.is_file():
        raise BackupError(f"no SQLite database at {source_path}")
    target.unlink(missing_ok=True)
    # isolation_level=None: we open and close transactions ourselves.
    source = sqlite3.connect(source_path, isolation_level=None)
    try:
        source.execute("PRAGMA busy_timeout=30000")
        # The first read inside BEGIN fixes the snapshot; every backup step reuses it.
        source.execute("BEGIN")
        tables, revision = _sqlite_counts(source)
        copy = sqlite3.connect(target, isolation_level=None)
        try:

            def step(_status: int, remaining: int, total: int) -> None:
                if progress is not None:
                    progress(total - remaining, total)

            source.backup(copy, pages=max(1, pages_per_step), progress=step)
            # The copy inherits WAL mode from the header; make it one self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
        source.execute("COMMIT")
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup of {source_path} failed: {error}") from error
    finally:
        source.close()
    return revision, tables


def _sqlite_counts(connection: sqlite3.Connection) -> tuple[dict[str, int], str | None]:
    names = [
        row[0]
        for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    tables = {}
    revision = None
    for name in names:
        quoted = '"' + name.replace('"', '""') + '"'
        if name == VERSION_TABLE:
            row = connection.execute(f"SELECT version_num FROM {quoted}").fetchone()
            revision = row[0] if row else None
            continue
        tables[name] = connection.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]
    return tables, revision


def _backup_postgresql(
    url: str, target: Path, progress: Progress | None
) -> tuple[str | None, dict[str, int]]:
    pg_dump = find_pg_tool("pg_dump")
    engine = _engine(url)
    try:
        with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
            snapshot = connection.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            tables, revision = _counts(connection)
            if progress is not None:
                progress(0, 1)
            # The exported snapshot lives only while this transaction stays open.
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    f"--snapshot={snapshot}",
                    f"--file={target}",
                    "--dbname",
                    _libpq_url(url),
                ],
                url,
                "pg_dump",
            )
            connection.rollback()
            if progress is not None:
                progress(1, 1)
    except sa.exc.SQLAlchemyError as error:
        raise BackupError(f"PostgreSQL backup failed: {_first_line(error)}") from error
    finally:
        engine.dispose()
    return revision, tables


# --- restore ---------------------------------------------------------------------------


def verify(backup_file: Path) -> Manifest:
    """The manifest of an intact backup file, or BackupError saying what is wrong."""
    if not backup_file.is_file():
        raise BackupError(f"no backup file at {backup_file}")
    manifest = Manifest.read(manifest_path(backup_file))
    digest, size = file_digest(backup_file)
    if size != manifest.size:
        raise BackupError(
            f"{backup_file} is {size} bytes but was {manifest.size} when it was made: "
            "it is truncated or was overwritten; refusing to restore it"
        )
    if digest != manifest.sha256:
        raise BackupError(
            f"{backup_file} does not match the checksum in {manifest_path(backup_file).name} "
            "(SHA-256): it is corrupt; refusing to restore it"
        )
    magic = SQLITE_MAGIC if manifest.database == "sqlite" else PG_CUSTOM_MAGIC
    with backup_file.open("rb") as handle:
        if handle.read(len(magic)) != magic:
            raise BackupError(f"{backup_file} is not a {manifest.database} backup")
    return manifest


def restore(
    url: str,
    backup_file: Path,
    *,
    force: bool = False,
) -> RestoreResult:
    """Load a verified backup into the database at `url`, then bring its schema to head.

    Refuses a target that holds rows unless `force`; with `force` the target's tables are
    replaced by the backup's.
    """
    backend = backend_of(url)
    manifest = verify(backup_file)
    if manifest.database != backend:
        raise BackupError(
            f"{backup_file} is a {manifest.database} backup and the configured database is "
            f"{backend}; restore it into a {manifest.database} database"
        )
    _check_revision_is_known(manifest.revision)
    from server.db import migrate

    engine = _engine(url)
    try:
        rows = _rows_in(engine)
        if rows and not force:
            held = ", ".join(f"{name} ({count})" for name, count in rows.items())
            raise BackupError(
                f"the database is not empty: {held}. Restore into an empty database, "
                "or pass --force to replace its contents"
            )
        if backend == "sqlite":
            engine.dispose()
            _restore_sqlite(url, backup_file)
        else:
            _drop_tables(engine)
            _run(
                [
                    find_pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--exit-on-error",
                    "--dbname",
                    _libpq_url(url),
                    str(backup_file),
                ],
                url,
                "pg_restore",
            )
        restored = _counts_of(engine)
        if restored[0] != manifest.tables:
            raise BackupError(
                f"the restored row counts {restored[0]} differ from the manifest's "
                f"{manifest.tables}"
            )
        migrate(engine)
        tables, revision = _counts_of(engine)
    except sa.exc.SQLAlchemyError as error:
        raise BackupError(f"restore failed: {_first_line(error)}") from error
    finally:
        engine.dispose()
    return RestoreResult(backend, manifest.revision, revision, tables)


def _check_revision_is_known(revision: str | None) -> None:
    if revision is None:
        return
    from alembic.script import ScriptDirectory

    from server.db import MIGRATIONS

    scripts = ScriptDirectory(str(MIGRATIONS))
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise BackupError(
            f"the backup's schema revision {revision!r} is unknown to this smartlib "
            "(a newer version made it); upgrade smartlib before restoring it"
        )


def _restore_sqlite(url: str, backup_file: Path) -> None:
    target_path = _sqlite_path(url)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, isolation_level=None)
    try:
        target.execute("PRAGMA busy_timeout=30000")
        # Out of WAL mode when no one else has the file open, so the page sizes need not
        # match; the server's engine turns WAL back on when it connects.
        target.execute("PRAGMA journal_mode=DELETE")
        ok = source.execute("PRAGMA quick_check").fetchone()[0]
        if ok != "ok":
            raise BackupError(f"{backup_file} fails SQLite's integrity check: {ok}")
        source.backup(target, pages=PAGES_PER_STEP)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite restore into {target_path} failed: {error}") from error
    finally:
        target.close()
        source.close()


def _drop_tables(engine: Engine) -> None:
    """Empty the schema so the dump's objects, and later migrations, meet no leftovers."""
    with engine.begin() as connection:
        inspector = sa.inspect(connection)
        schema = inspector.default_schema_name
        for name in inspector.get_view_names():
            connection.execute(sa.text(f"DROP VIEW IF EXISTS {_quote(schema, name)} CASCADE"))
        for name in inspector.get_table_names():
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {_quote(schema, name)} CASCADE"))
        for enum in inspector.get_enums():
            connection.execute(
                sa.text(f"DROP TYPE IF EXISTS {_quote(schema, enum['name'])} CASCADE")
            )


def _quote(schema: str | None, name: str) -> str:
    quoted = '"' + name.replace('"', '""') + '"'
    return f'"{schema}".{quoted}' if schema else quoted


# --- shared ----------------------------------------------------------------------------


def _engine(url: str) -> Engine:
    from server.db import make_engine

    return make_engine(url)


def _counts(connection: Connection) -> tuple[dict[str, int], str | None]:
    inspector = sa.inspect(connection)
    schema = inspector.default_schema_name
    tables: dict[str, int] = {}
    revision = None
    for name in sorted(inspector.get_table_names()):
        if name == VERSION_TABLE:
            revision = connection.execute(
                sa.text(f"SELECT version_num FROM {_quote(schema, name)}")
            ).scalar()
            continue
        tables[name] = connection.execute(
            sa.text(f"SELECT count(*) FROM {_quote(schema, name)}")
        ).scalar_one()
    return tables, revision


def _counts_of(engine: Engine) -> tuple[dict[str, int], str | None]:
    with engine.connect() as connection:
        return _counts(connection)


def _rows_in(engine: Engine) -> dict[str, int]:
    return {name: rows for name, rows in _counts_of(engine)[0].items() if rows}


def file_digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file."""
    with path.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256")
    return digest.hexdigest(), path.stat().st_size


def find_pg_tool(name: str, bin_glob: str = PG_BIN_GLOB) -> str:
    """The newest `pg_dump` / `pg_restore` on PATH or in Debian's versioned directories.

    pg_dump refuses a server newer than itself, so the highest installed version wins.
    """
    found: list[tuple[int, str]] = []
    for directory in glob.glob(bin_glob):
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            major = re.search(r"(\d+)", Path(directory).parent.name)
            found.append((int(major.group(1)) if major else 0, str(candidate)))
    if found:
        return max(found)[1]
    on_path = shutil.which(name)
    if on_path:
        return on_path
    raise BackupError(
        f"{name} is not installed; it comes with PostgreSQL's client tools "
        "(Debian package 'postgresql-client'), and must be as new as the server"
    )


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq understands it: no '+psycopg', no password in argv."""
    parsed: URL = make_url(url)
    return parsed.set(drivername="postgresql", password=None).render_as_string()


def _run(command: list[str], url: str, tool: str) -> None:
    env = {**os.environ}
    password = make_url(url).password
    if password:
        env["PGPASSWORD"] = str(password)  # kept out of argv, where `ps` would show it
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise BackupError(f"{tool} failed: {detail}")


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def progress_bar(description: str, *, min_total: int = 2048) -> AbstractContextManager[Progress]:
    """The shared progress bar (smartlib/progress.py), shown only for large databases."""
    return shared.progress_bar(description, min_total=min_total)


def describe(tables: dict[str, int]) -> list[str]:
    """Lines of a table -> rows summary, aligned, for the command's output."""
    width = max((len(name) for name in tables), default=0)
    return [f"  {name.ljust(width)}  {rows:>10,}" for name, rows in sorted(tables.items())]
