"""Search words: folding and CJK pairs, the same matches on SQLite and PostgreSQL.

The catalogue and the patron index both use server/fts.py; these tests run the real
indexes on both databases, including the migration that rebuilt them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from server import fts
from server.catalog import service as catalog
from server.catalog.shapes import ItemIn, RecordIn
from server.db import MIGRATIONS, make_engine, migrate
from server.patrons import privacy
from server.patrons import service as patrons

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
CJK_TITLE = "三体问题与黑暗森林"


def test_words_fold_case_diacritics_and_full_width_forms() -> None:
    full_width = "\uff21\uff22\uff23\uff11\uff12"  # ABC12 in full-width forms
    assert fts.words(f"Müller, ÉCOLE {full_width}") == ["muller", "ecole", "abc12"]
    assert fts.words("三体问题") == ["三体", "体问", "问题", "题"]
    assert fts.words("Python编程 김민준") == ["python", "编程", "程", "김민", "민준", "준"]
    assert fts.words("o'brien_x@example.com") == ["o", "brien", "x", "example", "com"]


@given(st.text(alphabet="三体问题黑暗森林书馆", min_size=1, max_size=12), st.data())
def test_every_part_of_a_cjk_run_is_asked_for_by_words_the_run_was_indexed_by(
    run: str, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(run) - 1))
    end = data.draw(st.integers(start + 1, len(run)))
    indexed = fts.words(run)
    (term,) = fts.terms(run[start:end])
    if term.prefix:
        assert any(word.startswith(term.words[0]) for word in indexed)
    else:  # the phrase's pairs stand next to each other in the index
        width = len(term.words)
        assert any(
            tuple(indexed[i : i + width]) == term.words for i in range(len(indexed) - width + 1)
        )


def record(session: Session, title: str, authors: list[str], barcode: str) -> int:
    made = catalog.create_record(
        session,
        RecordIn(title=title, authors=authors, subjects=["Science fiction"]),
        [ItemIn(barcode=barcode, home_branch="main")],
        actor="lin",
        now=NOW,
    )
    return made.record.id


def hits(session: Session, query: str) -> list[int]:
    return [hit.record.id for hit in catalog.find(session, query).hits]


def test_the_catalogue_finds_any_part_of_a_chinese_title_and_folds_diacritics(session) -> None:
    chinese = record(session, CJK_TITLE, ["刘慈欣"], "C0001")
    german = record(session, "Die Schachnovelle", ["Stefan Zweig", "Jürgen Müller"], "C0002")
    for start in range(len(CJK_TITLE)):
        for end in range(start + 1, len(CJK_TITLE) + 1):
            assert hits(session, CJK_TITLE[start:end]) == [chinese], CJK_TITLE[start:end]
    assert hits(session, "慈欣 森林") == [chinese]
    assert hits(session, "森林问题") == []  # both words are there, not side by side
    assert hits(session, "三体 schach") == []
    for query in ("muller", "MÜLLER", "jurg zweig", "schachnov"):
        assert hits(session, query) == [german], query


def patron(session: Session, name: str, card: str, **fields: str) -> int:
    made = patrons.create_patron(
        session,
        name=name,
        category="adult",
        home_branch="main",
        actor="lin",
        now=NOW,
        cards=[card],
        **fields,
    )
    assert made.id is not None
    return made.id


def found(session: Session, query: str) -> list[int]:
    return [p.id for p in patrons.search_patrons(session, query).items]


def test_patrons_are_found_by_parts_of_names_contact_and_cards(session) -> None:
    wang = patron(session, "王小明", "0001000001")
    ada = patron(session, "Ada Lovelace", "0001000002", email="ada@example.org")
    jurgen = patron(session, "Jürgen Müller", "0001000003", phone="+49 30 1234567")
    for query in ("王小明", "小明", "王", "明"):
        assert found(session, query) == [wang], query
    for query in ("ada", "love ada", "@example", "ada@example.org", "0001000002"):
        assert found(session, query) == [ada], query
    for query in ("muller", "jürg", "49301234567"):
        assert found(session, query) == [jurgen], query
    assert found(session, "小红") == []
    assert found(session, 'ada" OR *') == [ada]  # query syntax is only words


def test_the_patron_index_follows_changes_and_erasure(session) -> None:
    ada = patron(session, "Ada Lovelace", "0001000002")
    patrons.update_patron(session, ada, actor="lin", now=NOW, name="Ada King")
    assert found(session, "lovelace") == []
    assert found(session, "king") == [ada]
    privacy.anonymise_patron(session, ada, actor="ada", now=NOW)
    assert found(session, "king") == []


def test_the_migration_indexes_what_was_stored_before_it(database_url: str) -> None:
    engine: Engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
        connection.execute(
            sa.text(
                "INSERT INTO bib_record (id, title, authors, publisher, subjects, language, "
                "call_number, created_at, updated_at) VALUES (7, :title, :authors, '', '[]', "
                "'', '', :now, :now)"
            ),
            {"title": CJK_TITLE, "authors": '["Jürgen Müller"]', "now": NOW},
        )
        connection.execute(
            sa.text(
                "INSERT INTO patron (id, name, category, home_branch, registered_on, expires_on, "
                "pin_failures, created_at, updated_at) VALUES (9, '王小明', 'adult', 'main', "
                ":day, :day, 0, :now, :now)"
            ),
            {"day": NOW.date(), "now": NOW},
        )
    migrate(engine)
    with Session(engine) as session:
        assert hits(session, "黑暗") == [7]
        assert hits(session, "muller") == [7]
        assert found(session, "小明") == [9]
    engine.dispose()
