"""The hostile inbox of issue 23 (tests/fixtures/mail/make_hostile_mail.py): each message alone, then all of them.

Alone: each message through :class:`MailIntake` in-process gets its verdict (never an
exception), and a message that becomes a plain-email complaint gives a valid complaint.
Together, mixed with real complaints: ``klageformular batch DIR -o out --register`` in a
subprocess, on SQLite and on the throw-away PostgreSQL — every input accounted for, every
legitimate complaint registered, no traceback, exit 1 with one line per unreadable message.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from klageformular.intake import MailIntake, RawMessage, email_complaint, mbox_messages
from klageformular.register import create_register_engine
from klageformular.register._schema import SourceFileRow

from .conftest import load_script
from .postgres import new_database
from .test_mailbatch import check_invariants, lines

_hostile = load_script("tests/fixtures/mail/make_hostile_mail.py")  # a script beside the fixtures
Case = Any  # make_hostile_mail.Case (a script's class: mypy does not see it)
CASES: list[Case] = _hostile.CASES
build = _hostile.build

POISON = [c for c in CASES if c.poison]
BOUNDED_ELSEWHERE = pytest.mark.xfail(strict=True, reason="bounded register values: other branch")


def _raw(case: Case, data: bytes) -> RawMessage:
    return RawMessage(case.name, f"sha256:{case.name}", data, "msg" if case.name.endswith(".msg") else "rfc822")


def test_the_builder_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    build(first)
    build(second)
    assert len(CASES) >= 40 and sum(not c.legitimate for c in CASES) >= 30
    for case in CASES:
        assert (first / case.name).read_bytes() == (second / case.name).read_bytes(), case.name


@pytest.mark.parametrize("case", [c for c in CASES if not c.name.endswith(".mbox")], ids=lambda c: c.name)
def test_each_message_alone(case: Case, tmp_path: Path) -> None:
    intake = MailIntake(tmp_path / "out")
    (tmp_path / "out").mkdir()
    if case.outcome == "duplicate":  # the original first
        original = next(c for c in CASES if c.name == "legit-plain.eml")
        assert intake.admit(_raw(original, original.build())).verdict == "parse"
    admitted = intake.admit(_raw(case, case.build()))
    expected = {"form": "parse", "email": "parse"}.get(case.outcome, case.outcome)
    if case.name.endswith(".msg") and admitted.verdict == "unreadable":
        assert admitted.reason and ".msg" in admitted.reason
    assert admitted.verdict == expected, admitted.reason
    if case.outcome == "unreadable":
        assert case.reason is not None and case.reason in (admitted.reason or "")
        assert admitted.record["quarantine"].startswith("quarantine/")
    if case.outcome == "email":
        assert admitted.message is not None
        complaint, review = email_complaint(admitted.message, documents=[a.name or "" for a in
                                                                         admitted.message.attachments])
        assert complaint["complainant"]["last_name"] and review[0]["code"] == "email_complaint"
    # Whatever the Date claims (9999, 2099, year 1), the receipt time is another, real one.
    assert not admitted.record["received"].startswith(("9999", "2099", "0001"))


def test_the_mailbox_copy_sorts_after_its_original(tmp_path: Path) -> None:
    """#11 is a copy of #9: as strings "#11" < "#9"; in receipt order then by number, #9 comes first."""
    case = next(c for c in CASES if c.name.endswith(".mbox"))
    build(tmp_path / "in")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "klageformular", "batch", str(tmp_path / "in" / case.name),
                           "-o", str(out), "--quiet"], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert [d["source"] for d in lines(out, "duplicates.jsonl")] == [f"{case.name}#11"]
    assert [d["duplicate_of"] for d in lines(out, "duplicates.jsonl")] == [f"{case.name}#9"]
    assert len(list(mbox_messages(tmp_path / "in" / case.name))) == 11


def _batch(inbox: Path, out: Path, db: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    return subprocess.run([sys.executable, "-m", "klageformular", "batch", str(inbox), "-o", str(out), "--quiet",
                           "--register", "--db", db], capture_output=True, text=True, timeout=900, env=env,
                          check=False)


def _check_run(cases: list[Case], tmp_path: Path, db: str) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    for case in cases:
        (inbox / case.name).write_bytes(case.build())
    done = _batch(inbox, out, db)
    assert "Traceback" not in done.stderr and "Error:" not in done.stderr.replace("Error (", ""), done.stderr
    assert "database error" not in done.stderr, done.stderr
    names = tuple(c.name for c in cases)
    assert all(line.startswith(names) for line in done.stderr.splitlines()), done.stderr  # our lines, no chatter
    unreadable = sorted(line.split(":", 1)[0] for line in done.stderr.splitlines() if ": unreadable (" in line)
    assert unreadable == sorted(c.name for c in cases if c.outcome == "unreadable"), done.stderr
    assert done.returncode == (1 if unreadable else 0), done.stderr
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    check_invariants(summary)
    mailbox_extra = sum(10 for c in cases if c.name.endswith(".mbox"))  # 11 messages in one file
    assert summary["mail"]["messages"] == len(cases) + mailbox_extra
    ledger = {entry["source"]: entry["outcome"] for entry in lines(out, "messages.jsonl")}
    assert len(ledger) == summary["mail"]["messages"]
    outcome = {"form": "form", "email": "email", "unreadable": "unreadable", "set_aside": "set_aside",
               "duplicate": "duplicate"}
    for case in cases:
        if not case.name.endswith(".mbox"):
            assert ledger[case.name] == outcome[case.outcome], case.name
    engine = create_register_engine(db)
    with Session(engine) as session:
        registered = set(session.scalars(select(SourceFileRow.source)))
    engine.dispose()
    for case in cases:
        if case.legitimate and not case.name.endswith(".mbox"):
            assert any(s == case.name or s.startswith(case.name + "/") for s in registered), case.name
    assert {f"legit-mailbox.mbox#{n}" for n in range(1, 12)} <= registered or not mailbox_extra


@pytest.mark.slow
def test_hostile_inbox_on_sqlite(tmp_path: Path) -> None:
    _check_run(CASES, tmp_path, f"sqlite:///{tmp_path / 'klager.db'}")


@pytest.mark.slow
def test_hostile_inbox_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    """Everything but the values another branch bounds (each of those: the next test)."""
    _check_run([c for c in CASES if not c.poison], tmp_path, new_database(postgres_url))


@pytest.mark.slow
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=BOUNDED_ELSEWHERE) for c in POISON])
def test_poison_value_on_postgresql(case: Case, tmp_path: Path, postgres_url: str) -> None:
    legitimate = [c for c in CASES if c.legitimate and not c.name.endswith(".mbox")]
    _check_run([*legitimate, case], tmp_path, new_database(postgres_url))


def test_quiet_is_quiet_on_pdfs_the_libraries_complain_about(tmp_path: Path) -> None:
    """pdfminer's "Could not get FontBBox …" and pdfplumber's "[WARNING] Metadata key "Kids" …" stay out of
    ``batch --quiet`` (and ``parse``): the officer's lines only, what matters is in our own warnings.
    """
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "font-bbox.pdf").write_bytes(_hostile.bad_font_bbox_pdf())
    (inbox / "info-is-pages.pdf").write_bytes(_hostile.info_is_page_tree_pdf())
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    for args in (["batch", str(inbox), "-o", str(tmp_path / "out"), "--quiet"],
                 ["parse", str(inbox / "font-bbox.pdf")], ["parse", str(inbox / "info-is-pages.pdf")]):
        done = subprocess.run([sys.executable, "-m", "klageformular", *args], capture_output=True, text=True,
                              timeout=300, env=env, check=False)
        assert done.stdout.strip() and done.returncode in (0, 1), done.stderr
        for line in done.stderr.splitlines():
            assert line.startswith(("font-bbox.pdf: ", "info-is-pages.pdf: ", str(inbox))), line
        assert "FontBBox" not in done.stderr and "[WARNING]" not in done.stderr
