"""`smartlib import FILE` end to end, as a librarian runs it: summary, rejects file, re-run."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from sqlmodel import Session, func, select
from typer.testing import CliRunner

from server.catalog.models import Record
from server.db import make_engine
from smartlib.cli import app
from tests.catalog.marcdata import book, write_marc


def test_import_command_summary_and_rerun(database_url: str, tmp_path: Path, monkeypatch) -> None:
    path = write_marc(
        tmp_path / "books.mrc", [*(book(n) for n in range(1, 41)), b"00031nonsense\x1d"]
    )
    monkeypatch.setenv("SMARTLIB_DATABASE_URL", database_url)
    monkeypatch.delenv("SMARTLIB_CONFIG", raising=False)
    runner = CliRunner()
    first = runner.invoke(app, ["import", str(path), "--batch", "16"])
    assert first.exit_code == 0, first.output
    assert "created: 40   updated: 0   rejected: 1" in first.output
    rejects = tmp_path / "books.mrc.rejects.csv"
    assert str(rejects) in first.output
    with rejects.open(newline="") as file:
        [row] = list(csv.DictReader(file))
    assert row["number"] == "41"
    assert "leader" in row["reason"]
    again = runner.invoke(app, ["import", str(path)])
    assert "created: 0   updated: 40   rejected: 1" in again.output
    engine = make_engine(database_url)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Record)).one() == 40
    engine.dispose()


def test_import_in_worker_processes(tmp_path: Path) -> None:
    """The same import with parsing spread over two processes, in a fresh interpreter;
    importing the file again updates every record and duplicates none."""
    path = write_marc(tmp_path / "books.mrc", [book(n) for n in range(1, 301)])
    env = {**os.environ, "SMARTLIB_DATABASE_URL": f"sqlite:///{tmp_path / 'w.sqlite'}"}
    env.pop("SMARTLIB_CONFIG", None)
    command = [sys.executable, "-m", "smartlib", "import", str(path), "--workers", "2"]
    for expected in ("created: 300   updated: 0", "created: 0   updated: 300"):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert f"{expected}   rejected: 0" in done.stdout
    engine = make_engine(env["SMARTLIB_DATABASE_URL"])
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Record)).one() == 300
    engine.dispose()


def test_a_file_that_cannot_be_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SMARTLIB_DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite'}")
    monkeypatch.delenv("SMARTLIB_CONFIG", raising=False)
    path = tmp_path / "list.csv"
    path.write_text("name\nDune\n")
    result = CliRunner().invoke(app, ["import", str(path)])
    assert result.exit_code == 1
    assert "unknown columns" in result.output
    missing = CliRunner().invoke(app, ["import", str(tmp_path / "none.mrc")])
    assert missing.exit_code == 2
