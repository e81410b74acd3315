"""Pruning batch output folders (prune.py, ``klageformular prune``): erased cases' copies, old unreadable
files, tombstones so a re-run over the same inbox brings nothing back. On SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from klageformular import Complaint
from klageformular.cli import main
from klageformular.org import get_organisation
from klageformular.orgfile import dumps_organisation
from klageformular.register import Register, create_register_engine
from klageformular.register._retention import compact
from klageformular.values import field_values

from .conftest import sample_data
from .fillers import fill_pypdf
from .test_register_retention import _database_bytes

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED = date.today() - timedelta(days=3)
LATER = date.today() + timedelta(days=366 * 5 + 2)


def _form(blank: bytes, tag: str) -> tuple[bytes, list[str]]:
    data = sample_data()
    data["complainant"].update(last_name=f"Markersen{tag}", email=f"mark{tag.lower()}@example.dk",
                               phone="+45 31 01 77 99" if tag.endswith("1") else "+45 31 02 77 99")
    data["subject"] = f"Subjekt{tag}: renten kom ikke."
    complaint = Complaint.model_validate(data)
    return fill_pypdf(blank, field_values(complaint, "da")), [f"Markersen{tag}", f"mark{tag.lower()}@example.dk",
                                                              f"Subjekt{tag}"]


def _folder_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def _close(db_url: str, reference: str) -> None:
    engine = create_register_engine(db_url)
    register = Register(engine)
    with register.session() as s, s.begin():
        for status, outcome in (("acknowledged", None), ("under_review", None), ("decided", "upheld"),
                                ("closed", None)):
            register.set_status(s, reference, status, who="linn", outcome=outcome)
    with register.session() as s, s.begin():
        register.purge(s, today=LATER, who="retention")
    engine.dispose()


@pytest.mark.slow
def test_prune_removes_erased_cases_and_a_rerun_does_not_bring_them_back(
        db_url: str, tmp_path: Path, blank_form: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    gone, gone_markers = _form(blank_form, "PRN01")
    kept, kept_markers = _form(blank_form, "PRN02")
    (inbox / "a.pdf").write_bytes(gone)
    (inbox / "b.pdf").write_bytes(kept)
    shutil.copy(FIXTURES / "scan.pdf", inbox / "scan.pdf")
    batch = ["batch", str(inbox), "-o", str(out), "--received", RECEIVED.isoformat(), "-q", "--workers", "1",
             "--register", "--db", db_url]
    assert main(batch) == 1  # the scan is unreadable
    capsys.readouterr()
    before = _folder_bytes(out)
    assert all(m.encode() in before for m in gone_markers + kept_markers)
    _close(db_url, "KLA-2026-0001")  # a.pdf's case (received first, by name), purged five years on

    assert main(["prune", str(out), "--db", db_url, "--today", LATER.isoformat(), "--dry-run"]) == 1
    captured = capsys.readouterr()
    assert "1 record(s) of erased cases and 0 old unreadable record(s) would be removed" in captured.out
    assert "profile 'kameo-dk' sets no unreadable_retention_days" in captured.err  # no invented default
    assert _folder_bytes(out) == before

    assert main(["prune", str(out), "--db", db_url, "--today", LATER.isoformat()]) == 1
    after = _folder_bytes(out)
    assert [m for m in gone_markers if m.encode() in after] == []
    assert all(m.encode() in after for m in kept_markers)
    assert stat.S_IMODE((out / "complaints.jsonl").stat().st_mode) == 0o600
    assert (out / "quarantine").is_dir() and any((out / "quarantine").iterdir())  # the scan stays: no days set

    profile = tmp_path / "kameo.toml"
    text = dumps_organisation(get_organisation("kameo-dk"))
    profile.write_text("unreadable_retention_days = 30\n" + text, encoding="utf-8")
    capsys.readouterr()
    assert main(["prune", str(out), "--db", db_url, "--today", (RECEIVED + timedelta(days=31)).isoformat(),
                 "--org-file", str(profile)]) == 0
    assert "0 record(s) of erased cases and 1 old unreadable record(s) removed, 1 file(s) deleted" in \
        capsys.readouterr().out
    assert not any((out / "quarantine").iterdir())
    assert (out / "rejected.jsonl").read_bytes() == b""

    assert main(batch) == 0  # the same inbox again: a.pdf's case does not come back
    assert "register: 0 added" in capsys.readouterr().out
    assert [m for m in gone_markers if m.encode() in _folder_bytes(out)] == []
    engine = create_register_engine(db_url)
    with engine.connect() as connection:
        subjects = connection.execute(sa.text("SELECT reference FROM complaints ORDER BY id")).scalars().all()
    assert len(subjects) == 3  # a.pdf's (erased), b.pdf's, the scan's: nothing new
    compact(engine)  # and the register itself, by its bytes (the folder's are above)
    stored = _database_bytes(engine, db_url, tmp_path)
    engine.dispose()
    assert [m for m in gone_markers if m.encode() in stored] == []
    assert all(m.encode() in stored for m in kept_markers[:2])


def test_prune_refuses_a_folder_without_batch_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["prune", str(tmp_path / "empty"), "--db", f"sqlite:///{tmp_path / 'klager.db'}"]) == 1
    assert "no batch records here" in capsys.readouterr().err


@pytest.mark.slow
def test_prune_of_a_mail_folder_keeps_only_the_hash_and_a_rerun_skips_the_message(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A message with a form (the marker in its From, Subject and the form): after purge and prune no
    marker is left in the folder (records, messages.jsonl, attachments/), and a run over the same
    mailbox reads it as done, not as a new complaint."""
    from .mailforms import form, mail

    db_url = f"sqlite:///{tmp_path / 'klager.db'}"
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    marker = "MailmarkQ77"
    (inbox / "besked.eml").write_bytes(mail(f"{marker} <{marker.lower()}@example.dk>", "klage@kameo.dk",
                                            f"Klage fra {marker}", message_id="<m77@example.dk>",
                                            attachment=form(email=f"{marker.lower()}@example.dk", name=marker)))
    batch = ["batch", str(inbox), "-o", str(out), "-q", "--workers", "1", "--register", "--db", db_url]
    assert main(batch) == 0
    assert marker.encode() in _folder_bytes(out)
    _close(db_url, "KLA-2026-0001")
    assert main(["prune", str(out), "--db", db_url, "--today", LATER.isoformat()]) == 0  # no unreadable files
    assert "1 message line(s) reduced to their hash" in capsys.readouterr().out
    assert marker.lower().encode() not in _folder_bytes(out).lower()
    assert main(batch) == 0
    assert "register: 0 added" in capsys.readouterr().out
    assert marker.lower().encode() not in _folder_bytes(out).lower()
