"""Documents in the register (register/_documents.py, migration 0006): every file a case holds is in
the database, so the batch folder (and the inbox) can go; ``register open``; existing registers.

Every test runs on SQLite and on the throw-away PostgreSQL server (tests/postgres.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from klageformular.batch import convert_folder
from klageformular.cli import main
from klageformular.exceptions import RegisterError
from klageformular.register import (
    BatchFiles,
    DocumentLimits,
    MemoryFiles,
    add_record,
    create_register_engine,
    current_revision,
    head_revision,
    import_batch,
    list_documents,
    read_document,
    upgrade,
    write_register_letter,
)
from klageformular.register._db import downgrade

from .registers import complaint_record, digest, duplicate_record, rejected_record, write_batch
from .test_register_letters import _org

FIXTURES = Path(__file__).parent / "fixtures"
FORM = (FIXTURES / "filled-pypdf.pdf").read_bytes()
OTHER_FORM = (FIXTURES / "filled-pdftk.pdf").read_bytes()
LETTER = (FIXTURES / "letter.pdf").read_bytes()  # a PDF that is not the form
WHEN = datetime(2026, 11, 23, 10, 30, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _message(body: str, message_id: str, *attachments: tuple[bytes, str, str]) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "Eva Ørsted <eva@example.dk>"
    message["To"] = "klage@kameo.dk"
    message["Subject"] = "Klage"
    message["Date"] = format_datetime(WHEN)
    message["Message-ID"] = message_id
    message.set_content(body)
    for data, subtype, name in attachments:
        maintype, sub = subtype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=sub, filename=name)
    return message.as_bytes()


def _inbox(tmp_path: Path) -> dict[str, bytes]:
    """A form, an unreadable file, a form by mail, a plain email with a picture, a statement PDF by mail."""
    files = {
        "formular.pdf": FORM,
        "scan.pdf": b"%PDF-1.4\n% not really a PDF\n" + os.urandom(200),
        "med-formular.eml": _message("Her er min klage.", "<form@example.dk>", (OTHER_FORM, "application/pdf",
                                                                                 "Klage – Ørsted.pdf")),
        "almindelig.eml": _message("Renten kom ikke.", "<plain@example.dk>", (b"\x89PNG\r\n\x1a\n" + os.urandom(64),
                                                                                "image/png", "skærm billede.png")),
        "kontoudtog.eml": _message("Se kontoudtoget.", "<stmt@example.dk>", (LETTER, "application/pdf",
                                                                               "kontoudtog.pdf")),
    }
    inbox = tmp_path / "indbakke"
    inbox.mkdir()
    for name, data in files.items():
        (inbox / name).write_bytes(data)
    return files


def _every_document(engine: Engine) -> dict[str, list[tuple[str, str | None, bytes | None]]]:
    """Case → (kind, name, bytes or None when missing) for every document of every case."""
    result: dict[str, list[tuple[str, str | None, bytes | None]]] = {}
    with Session(engine) as session:
        references = session.scalars(sa.text("SELECT reference FROM complaints ORDER BY id")).all()
        for reference in references:
            entries: list[tuple[str, str | None, bytes | None]] = []
            for document in list_documents(session, reference):
                data = None if document.missing else read_document(session, reference, document.number)[1]
                entries.append((document.kind, document.name, data))
            result[reference] = entries
    return result


@pytest.mark.slow
def test_batch_folder_and_inbox_deleted_every_document_opens(engine: Engine, tmp_path: Path) -> None:
    """The reproducer: a register on one machine, its batch folder gone, every file still there."""
    sent = _inbox(tmp_path)
    convert_folder(tmp_path / "indbakke", tmp_path / "out", workers=1, received=date(2026, 11, 23))
    import_batch(engine, tmp_path / "out")
    shutil.rmtree(tmp_path / "out")
    shutil.rmtree(tmp_path / "indbakke")
    documents = _every_document(engine)
    stored = {(kind, name): data for entries in documents.values() for kind, name, data in entries}
    assert all(data is not None for data in stored.values()), [k for k, v in stored.items() if v is None]
    assert stored[("source", "formular.pdf")] == FORM
    assert stored[("source", "scan.pdf")] == sent["scan.pdf"]
    for message in ("med-formular.eml", "almindelig.eml", "kontoudtog.eml"):
        assert stored[("message", message)] == sent[message]
    assert stored[("attachment", "Klage – Ørsted.pdf")] == OTHER_FORM
    assert stored[("attachment", "skærm billede.png")].startswith(b"\x89PNG")
    assert stored[("attachment", "kontoudtog.pdf")] == LETTER
    # One case per complaint with its files: the form sent again by mail (filled by another tool,
    # the same content) joined the first one's case with its message; the unreadable file is flagged.
    by_case = {ref: sorted((k, n) for k, n, _ in entries) for ref, entries in documents.items()}
    assert sorted(by_case.values()) == sorted([
        [("attachment", "Klage – Ørsted.pdf"), ("message", "med-formular.eml"), ("source", "formular.pdf")],
        [("source", "scan.pdf")],
        [("attachment", "skærm billede.png"), ("message", "almindelig.eml")],
        [("attachment", "kontoudtog.pdf"), ("message", "kontoudtog.eml")]])
    with Session(engine) as session:
        scan = next(ref for ref, names in by_case.items() if names == [("source", "scan.pdf")])
        assert [d.unreadable for d in list_documents(session, scan)] == [True]


def test_same_bytes_are_stored_once_and_a_rerun_adds_nothing(engine: Engine, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first, second = complaint_record(1, sha256=_sha(FORM)), complaint_record(2, sha256=_sha(OTHER_FORM))
    (inbox / "klage-1.pdf").write_bytes(FORM)
    (inbox / "klage-2.pdf").write_bytes(OTHER_FORM)
    (inbox / "kopi.pdf").write_bytes(FORM)
    out = write_batch(tmp_path / "out", complaints=[first, second],
                      duplicates=[duplicate_record(first, "inbox/kopi.pdf")])
    files = BatchFiles(out, inbox=tmp_path)
    for _ in range(2):
        for record in (first, second, duplicate_record(first, "inbox/kopi.pdf")):
            add_record(engine, record, files=files)
    assert _count(engine, "blobs") == 2
    # The copy is a document of its own (the officer sees both arrivals), over the same bytes.
    assert _count(engine, "documents") == 3
    with Session(engine) as session:
        names = [(d.name, d.sha256) for d in list_documents(session, "KLA-2026-0001")]
    assert names == [("klage-1.pdf", _sha(FORM)), ("kopi.pdf", _sha(FORM))]


def _count(engine: Engine, table: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())


def _one(engine: Engine, reference: str = "KLA-2026-0001") -> list[tuple[bool, str | None]]:
    with Session(engine) as session:
        return [(d.missing, d.note) for d in list_documents(session, reference)]


def test_over_the_limit_changed_or_outside_the_folder_is_listed_missing(engine: Engine, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "klage-1.pdf").write_bytes(FORM)
    (inbox / "klage-2.pdf").write_bytes(b"changed after the batch read it")
    (tmp_path / "hemmelig.pdf").write_bytes(OTHER_FORM)
    (tmp_path / "linket.pdf").write_bytes(LETTER)
    (inbox / "link.pdf").symlink_to(tmp_path / "linket.pdf")
    files = BatchFiles(tmp_path / "out", inbox=inbox.parent)
    (tmp_path / "out").mkdir()
    add_record(engine, complaint_record(1, sha256=_sha(FORM)), files=files, limits=DocumentLimits(max_source_bytes=100))
    add_record(engine, complaint_record(2, sha256=digest("what the batch read")), files=files)
    add_record(engine, complaint_record(3, source="../hemmelig.pdf", sha256=_sha(OTHER_FORM)), files=files)
    add_record(engine, complaint_record(4, source="inbox/link.pdf", sha256=_sha(LETTER)), files=files)
    add_record(engine, complaint_record(5, source="inbox/none.pdf"))  # no files given at all
    assert _one(engine, "KLA-2026-0001") == [(True, "over the size limit")]
    assert _one(engine, "KLA-2026-0002") == [(True, "changed since intake (another sha256)")]
    assert _one(engine, "KLA-2026-0003") == [(True, "not in the batch folder")]
    assert _one(engine, "KLA-2026-0004") == [(True, "not in the batch folder")]
    assert _one(engine, "KLA-2026-0005") == [(True, "not given to the register")]
    assert _count(engine, "blobs") == 0
    with Session(engine) as session:
        with pytest.raises(RegisterError, match=r"document 1 is missing from the register \(over the size limit\)"):
            read_document(session, "KLA-2026-0001", 1)
        with pytest.raises(RegisterError, match=r"has 1 document\(s\): no document 2"):
            read_document(session, "KLA-2026-0001", 2)


def test_attachment_too_large_to_keep_and_an_upload_in_memory(engine: Engine) -> None:
    record = complaint_record(1, source="web/abc.pdf", channel="web", sha256=_sha(FORM))
    add_record(engine, record, files=MemoryFiles({"web/abc.pdf": FORM}))
    mail = complaint_record(2, method="email", message_id="<m@example.dk>", received_from="received",
                            source="box.mbox#1", sha256=digest("message"),
                            attachments=[{"name": "stor.zip", "content_type": "application/zip", "size": 40_000_000,
                                          "sha256": digest("zip"), "path": None, "note": "too large"}])
    add_record(engine, mail)
    with Session(engine) as session:
        assert read_document(session, "KLA-2026-0001", 1)[1] == FORM
        listed = [(d.kind, d.name, d.size, d.missing, d.note) for d in list_documents(session, "KLA-2026-0002")]
    assert listed == [("message", "box.mbox#1.eml", None, True, "not kept by intake"),
                      ("attachment", "stor.zip", 40_000_000, True, "over the size limit (listed, not kept)")]


def test_letters_are_documents_of_the_case(engine: Engine, tmp_path: Path) -> None:
    add_record(engine, complaint_record(1, received="2026-11-24"))
    target = tmp_path / "ack.pdf"
    done = write_register_letter(engine, "KLA-2026-0001", "ack", target, dated=date(2026, 11, 25), who="linn",
                                 eml=tmp_path / "ack.eml", org=_org("da"))
    pdf, eml = target.read_bytes(), (tmp_path / "ack.eml").read_bytes()
    target.unlink()
    with Session(engine) as session:
        letters = [d for d in list_documents(session, "KLA-2026-0001") if d.kind == "letter"]
        assert [(d.name, d.content_type, d.sha256) for d in letters] == [
            ("ack.pdf", "application/pdf", done.written.sha256), ("ack.eml", "message/rfc822", _sha(eml))]
        assert read_document(session, "KLA-2026-0001", letters[0].number)[1] == pdf


def test_no_name_reaches_the_log(engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "Søren Hansen klage.pdf").write_bytes(FORM)
    record = complaint_record(1, source="inbox/Søren Hansen klage.pdf", sha256=_sha(FORM))
    with caplog.at_level(logging.DEBUG):
        add_record(engine, record, files=BatchFiles(tmp_path, inbox=tmp_path))
        with Session(engine) as session:
            list_documents(session, "KLA-2026-0001")
    assert "Søren" not in caplog.text and "Hansen" not in caplog.text


# -- an existing register ----------------------------------------------------------------------------


def test_upgrade_lists_old_files_as_missing_and_the_next_import_fills_them(db_url: str, tmp_path: Path) -> None:
    """A register at 0005 (before documents) whose batch folder is still there: its files come in at the next import."""
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0005")
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "klage-1.pdf").write_bytes(FORM)
    scan = os.urandom(300)
    (out / "quarantine").mkdir(parents=True)
    (out / "quarantine" / f"{_sha(scan)[:16]}.pdf").write_bytes(scan)
    record = complaint_record(1, sha256=_sha(FORM))
    unreadable = rejected_record(1) | {"sha256": _sha(scan), "quarantine": f"quarantine/{_sha(scan)[:16]}.pdf"}
    gone = complaint_record(2)  # its file was never kept anywhere
    message, attached = _message("Se bilag.", "<old@example.dk>", (LETTER, "application/pdf", "bilag.pdf")), LETTER
    (out / "attachments").mkdir()
    for data in (message, attached):
        (out / "attachments" / _sha(data)).write_bytes(data)
    mail = complaint_record(3, source="box.mbox#1", sha256=_sha(message), method="email", message_id="<old@example.dk>",
                            message_file=f"attachments/{_sha(message)}", received_from="received",
                            attachments=[{"name": "bilag.pdf", "content_type": "application/pdf", "size": len(LETTER),
                                          "sha256": _sha(LETTER), "path": f"attachments/{_sha(LETTER)}"}])
    write_batch(out, complaints=[record, gone, mail], rejected=[unreadable])
    (out / "summary.json").write_text(json.dumps({"inbox": str(tmp_path)}), encoding="utf-8")
    _old_rows(engine, [(1, record, "received"), (2, unreadable, "unreadable"), (3, gone, "received"),
                       (4, mail, "received")])
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    before = _every_document(engine)
    assert before == {"KLA-2026-0001": [("source", "klage-1.pdf", None)],
                      "KLA-2026-0002": [("source", "scan-1.pdf", None)],
                      "KLA-2026-0003": [("source", "klage-2.pdf", None)],
                      # a mail case: its message (the kind guessed from the case) and its attachment
                      "KLA-2026-0004": [("message", "box.mbox#1", None), ("attachment", "bilag.pdf", None)]}
    assert _one(engine, "KLA-2026-0002") == [(True, "not copied from the batch folder yet")]
    summary = import_batch(engine, out)
    assert (summary.added, summary.already) == (0, 4)
    shutil.rmtree(out)
    shutil.rmtree(inbox)
    after = _every_document(engine)
    assert after["KLA-2026-0001"] == [("source", "klage-1.pdf", FORM)]
    assert after["KLA-2026-0002"] == [("source", "scan-1.pdf", scan)]
    assert after["KLA-2026-0003"] == [("source", "klage-2.pdf", None)]
    assert _one(engine, "KLA-2026-0003") == [(True, "not in the batch folder")]
    assert after["KLA-2026-0004"] == [("message", "box.mbox#1.eml", message), ("attachment", "bilag.pdf", LETTER)]
    downgrade(engine, "0005")  # and back: the path works both ways
    upgrade(engine)
    assert _count(engine, "documents") == 5
    engine.dispose()


def _old_rows(engine: Engine, rows: list[tuple[int, dict[str, object], str]]) -> None:
    complaints = sa.table("complaints", *(sa.column(c) for c in (
        "id", "reference", "prefix", "year", "number", "organisation", "status", "channel", "method")),
        sa.column("received", sa.Date), sa.column("created_at", sa.DateTime(timezone=True)),
        *(sa.column(c, sa.JSON) for c in ("review", "warnings")))
    files = sa.table("source_files", *(sa.column(c) for c in ("complaint_id", "source", "sha256", "kind")),
                     sa.column("imported_at", sa.DateTime(timezone=True)))
    attachments = sa.table("attachments", *(sa.column(c) for c in (
        "complaint_id", "name", "content_type", "size", "sha256", "path")))
    with engine.begin() as connection:
        for number, record, status in rows:
            connection.execute(complaints.insert().values(
                id=number, reference=f"KLA-2026-{number:04d}", prefix="KLA", year=2026, number=number,
                organisation="kameo-dk", status=status, channel="email" if "message_id" in record else "file",
                method=record.get("method"), received=date(2026, 11, 23), review=[], warnings=[],
                created_at=datetime(2026, 11, 23, 9)))
            connection.execute(files.insert().values(complaint_id=number, source=record["source"],
                                                     sha256=record["sha256"], kind="original",
                                                     imported_at=datetime(2026, 11, 23, 9)))
            for item in record.get("attachments") or []:  # type: ignore[attr-defined]
                connection.execute(attachments.insert().values(complaint_id=number, **item))


# -- the command line ------------------------------------------------------------------------------------


def test_register_open_lists_and_writes_privately(db_url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    engine = create_register_engine(db_url)
    add_record(engine, complaint_record(1, source="web/a.pdf", sha256=_sha(FORM)),
               files=MemoryFiles({"web/a.pdf": FORM}))
    add_record(engine, complaint_record(2, source="inbox/Klage\u202egnp.pdf"))
    engine.dispose()
    assert main(["register", "open", "kla-2026-0001", "--db", db_url]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith("KLA-2026-0001: 1 document(s)")
    assert "1  source      application/pdf" in listing and f"{len(FORM):,} bytes  a.pdf" in listing
    target = tmp_path / "ud" / "klage.pdf"
    target.parent.mkdir()
    old = os.umask(0o022)
    try:
        assert main(["register", "open", "KLA-2026-0001", "--doc", "1", "-o", str(target), "--db", db_url]) == 0
    finally:
        os.umask(old)
    assert target.read_bytes() == FORM and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert main(["register", "open", "KLA-2026-0002", "--db", db_url]) == 0
    assert "Klage gnp.pdf  [missing: not given to the register]" in capsys.readouterr().out
    assert main(["register", "open", "KLA-2026-0002", "--doc", "1", "-o", str(tmp_path / "x"), "--db", db_url]) == 1
    assert capsys.readouterr().err.strip() == ("klageformular: KLA-2026-0002 document 1 is missing from the register "
                                               "(not given to the register)")
    assert main(["register", "open", "KLA-2026-0001", "--doc", "1", "--db", db_url]) == 1
    assert "--doc N needs -o FILE" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
