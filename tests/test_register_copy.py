"""``register copy`` (register/_copy.py): a register with data from SQLite into PostgreSQL and back,
compared table by table and row for row; a non-empty target refused; the copy carries on.

PostgreSQL is the throw-away server of tests/postgres.py (skipped with the reason when absent).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from klageformular.cli import main
from klageformular.exceptions import RegisterError
from klageformular.register import (
    add_note,
    add_record,
    copy_register,
    create_register_engine,
    import_batch,
    list_documents,
    read_document,
    set_status,
    write_register_letter,
)
from klageformular.register._schema import AuditRow, Base
from klageformular.web._accounts import add_user

from .postgres import new_database
from .registers import complaint_record, duplicate_record, rejected_record, write_batch
from .test_register_letters import _org

FORM = (Path(__file__).parent / "fixtures" / "filled-pypdf.pdf").read_bytes()


def _register(url: str, tmp_path: Path) -> Engine:
    """A register with a bit of everything: complaints, an unreadable file, copies, a mail case with a
    missing attachment, statuses, notes, a letter, two organisations and two years."""
    engine = create_register_engine(url)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    records = [complaint_record(i, received=day, org=org, sha256=hashlib.sha256(b"%d" % i + FORM).hexdigest())
               for i, day, org in ((1, "2026-11-23", "kameo-dk"), (2, "2026-11-24", "kameo-no"),
                                   (3, "2027-01-04", "kameo-dk"))]
    for i in range(1, 4):
        (inbox / f"klage-{i}.pdf").write_bytes(b"%d" % i + FORM)
    mail = complaint_record(4, method="email", message_id="<m@example.dk>", received="2026-11-25T08:15:00+01:00",
                            source="box.mbox#4", attachments=[{"name": "stor.zip", "content_type": "application/zip",
                                                               "size": 40_000_000, "sha256": "a" * 64, "path": None}])
    out = write_batch(tmp_path / "out", complaints=[*records, mail], rejected=[rejected_record(1)],
                      duplicates=[duplicate_record(records[0], "inbox/kopi.pdf")])
    (inbox / "kopi.pdf").write_bytes(b"1" + FORM)
    (out / "summary.json").write_text(json.dumps({"inbox": str(tmp_path)}), encoding="utf-8")
    import_batch(engine, out)
    with engine.begin() as connection:  # an SQL NULL beside the JSON nulls the models write (old rows have them)
        connection.execute(sa.text("UPDATE complaints SET raw = NULL WHERE reference = 'KLA-2026-0001'"))
    set_status(engine, "KLA-2026-0001", "acknowledged", who="linn", on=date(2026, 11, 24), note="kvittering")
    add_note(engine, "KLA-2026-0002", "Ringede til kunden — æøå", who="mikkel")
    write_register_letter(engine, "KLA-NO-2026-0001", "ack", tmp_path / "ack.pdf", dated=date(2026, 11, 25),
                          who="linn", org=_org("nb"))
    with Session(engine) as s, s.begin():  # the workbench's accounts and audit move with the register (0014)
        add_user(s, name="linn", role="officer", password="correct horse battery",
                 now=datetime(2026, 11, 24, tzinfo=UTC))
        s.add(AuditRow(at=datetime(2026, 11, 24, 10, tzinfo=UTC), user_id=1, action="viewed",
                       reference="KLA-2026-0001"))
    return engine


def _tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every table, every row, ordered by primary key; instants in UTC, JSON's null apart from SQL NULL."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            json_columns = [c for c in table.columns if isinstance(c.type, sa.JSON)]
            query = sa.select(*table.columns, *(c.is_(None) for c in json_columns))
            rows = connection.execute(query.order_by(*table.primary_key.columns)).all()
            result[table.name] = [tuple(_plain(v) for v in row) for row in rows]
    return result


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return bytes(value) if isinstance(value, memoryview) else value


@pytest.mark.slow
def test_sqlite_to_postgresql_and_back_row_for_row(postgres_url: str, tmp_path: Path) -> None:
    source = _register(f"sqlite:///{tmp_path / 'klager.db'}", tmp_path)
    original = _tables(source)
    assert {name: len(rows) for name, rows in original.items()} == {
        "complaints": 5, "reference_counters": 3, "source_files": 6, "attachments": 1, "events": 9,
        "corrections": 0, "blobs": 5, "documents": 9, "measures": 0, "case_categories": 0, "outgoing": 1,
        "watch_runs": 0, "correspondence": 0, "users": 1, "web_sessions": 0, "login_attempts": 0, "audit": 1,
        "case_retention": 0, "tombstones": 0,
        "case_search": 5,  # 0017: one search text per case, copied with it
        "oidc_links": 0, "oidc_pending": 0}  # 0021
    url = new_database(postgres_url)
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:  # a server far from UTC: a naive time would be read as its local time
        connection.execute(sa.text(f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" SET timezone TO \'America/New_York\''))
    admin.dispose()
    target = create_register_engine(url)
    summary = copy_register(source, target)
    assert summary.cases == 5 and summary.rows["blobs"] == 5 and summary.rows["outgoing"] == 1
    assert _tables(target) == original
    back = create_register_engine(f"sqlite:///{tmp_path / 'tilbage.db'}")
    copy_register(target, back)
    assert _tables(back) == original
    # The copy carries on: the next number after the copied counter, new ids after the copied ones.
    for engine in (target, back):
        assert add_record(engine, complaint_record(9, received="2026-12-01")).reference == "KLA-2026-0004"
        add_note(engine, "KLA-2026-0004", "ny", who="linn")
        with Session(engine) as session:
            letter = next(d for d in list_documents(session, "KLA-NO-2026-0001") if d.kind == "letter")
            assert read_document(session, "KLA-NO-2026-0001", letter.number)[1] == (tmp_path / "ack.pdf").read_bytes()
    # and the history is still append-only there
    with target.begin() as connection, pytest.raises(DBAPIError, match="append-only"):
        connection.execute(sa.text("UPDATE events SET note = 'x'"))
    for engine in (source, target, back):
        engine.dispose()


def test_a_target_with_anything_in_it_is_refused(db_url: str, tmp_path: Path) -> None:
    source = create_register_engine(f"sqlite:///{tmp_path / 'kilde.db'}")
    add_record(source, complaint_record(1))
    target = create_register_engine(db_url)
    with target.begin() as connection:  # only a counter: still not empty (the next number would be wrong)
        connection.execute(sa.text("INSERT INTO reference_counters (prefix, year, last) VALUES ('KLA', 2026, 4)"))
    before = _tables(target)
    with pytest.raises(RegisterError, match=r"the target register is not empty \(1 reference_counters\)"):
        copy_register(source, target)
    assert _tables(target) == before
    with pytest.raises(RegisterError, match="source and target are the same database"):
        copy_register(source, source)
    source.dispose()
    target.dispose()


def test_register_copy_command(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = f"sqlite:///{tmp_path / 'kilde.db'}"
    engine = create_register_engine(source)
    add_record(engine, complaint_record(1))
    add_record(engine, rejected_record(1))
    engine.dispose()
    assert main(["register", "copy", "--from", source, "--to", db_url]) == 0
    assert capsys.readouterr().out.endswith("copied 2 case(s), 2 event(s), 2 document(s) (0 file(s)), 1 counter(s)\n")
    assert main(["register", "copy", "--from", source, "--to", db_url]) == 1
    assert capsys.readouterr().err.startswith("klageformular: the target register is not empty (2 complaints, ")
