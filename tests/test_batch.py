"""Batch conversion (batch.py, _pool.py): every input accounted for, resumable, CSV safe, logs clean."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from klageformular import Complaint, ConfigurationError, Limits, render_form
from klageformular.batch import (
    COMPLAINTS,
    DUPLICATES,
    QUARANTINE,
    REJECTED,
    SUMMARY,
    FileOutcome,
    convert_folder,
    csv_cell,
)
from klageformular.cli import main
from klageformular.org import get_organisation

from . import batch_hooks
from .conftest import sample_data

FIXTURES = Path(__file__).parent / "fixtures"
MISBEHAVE = "tests.batch_hooks:misbehave"
FRIDAY = date(2026, 11, 27)
QUICK = Limits(timeout_seconds=10)  # the file that hangs is killed; the others have time on a busy machine


def _lines(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _records(out: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: _lines(out, name) for name in (COMPLAINTS, REJECTED, DUPLICATES)}


def _check_invariant(summary: dict[str, Any]) -> None:
    assert summary["inputs"] == (summary["complete"] + summary["needs_review"] + summary["unreadable"]
                                 + summary["duplicates"] + summary["skipped_already_done"])
    assert summary["complaints"] == summary["complete"] + summary["needs_review"]


def _copy(name: str, target: Path, marker: bytes = b"") -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((FIXTURES / name).read_bytes() + marker)


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """A morning's mailbox: forms from several tools, a duplicate, junk, a scan, a file that hangs."""
    box = tmp_path / "inbox"
    _copy("filled-pypdf.pdf", box / "Klage fra Łukasz Żółć.pdf")  # names in file names are personal data too
    _copy("filled-pypdf.pdf", box / "sub" / "kopi")  # the same bytes again, no extension
    _copy("filled-pdftk.pdf", box / "sub" / "KLAGE.PDF")
    _copy("flat-qpdf.pdf", box / "printed.pdf")
    _copy("flat-gs-letter.pdf", box / "sub" / "deeper" / "letter-size.pdf")
    _copy("encrypted-empty-password.pdf", box / "owner-protected.pdf")
    _copy("encrypted-password.pdf", box / "password.pdf")
    _copy("scan.pdf", box / "scan.pdf")
    _copy("letter.pdf", box / "cover-letter.pdf")
    _copy("filled-pypdf.pdf", box / "hangs.pdf", b"\n" + batch_hooks.HANG + b"\n")
    (box / "notes.txt").write_text("Husk at ringe til kunden.", encoding="utf-8")
    (box / "blank.pdf").write_bytes(render_form("da"))
    return box


# Every form of the same sample complaint: the first by path (all received the same day) is the
# original, the copies from other tools — a printed one among them — are the same content.
COMPLAINTS_AS = {"Klage fra Łukasz Żółć.pdf": "complete", "blank.pdf": "needs_review"}
SAME_CONTENT = {"owner-protected.pdf", "printed.pdf", "sub/KLAGE.PDF", "sub/deeper/letter-size.pdf"}
REJECTED_AS = {"password.pdf": ("unreadable", "EncryptedPdfError"), "scan.pdf": ("unreadable", "ScanUnreadableError"),
               "cover-letter.pdf": ("unreadable", "NotAKlageformularError"),
               "hangs.pdf": ("timeout", "ParseTimeoutError"), "notes.txt": ("unreadable", "NotAPdfError")}


def test_every_input_lands_exactly_once_and_a_rerun_adds_nothing(inbox: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    seen: list[FileOutcome] = []
    summary = convert_folder(inbox, out, workers=2, limits=QUICK, _parser=MISBEHAVE, received=FRIDAY,
                             write_csv_file=True, on_file=seen.append)
    records = _records(out)
    sources = [r["source"] for lines in records.values() for r in lines]
    everything = sorted(p.relative_to(inbox).as_posix() for p in inbox.rglob("*") if p.is_file())
    assert sorted(sources) == everything == sorted(o.source for o in seen)
    assert {r["source"]: r["status"] for r in records[COMPLAINTS]} == COMPLAINTS_AS
    assert {r["source"]: (r["reason"], r["error"]) for r in records[REJECTED]} == REJECTED_AS
    assert all(r["status"] == "unreadable" for r in records[REJECTED])
    duplicates = {r["source"]: (r["duplicate_kind"], r["duplicate_of"]) for r in records[DUPLICATES]}
    original = "Klage fra Łukasz Żółć.pdf"
    assert duplicates == {"sub/kopi": ("same_file", original)} | dict.fromkeys(SAME_CONTENT, ("same_content", original))
    on_disk = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    assert on_disk == summary.to_dict()
    _check_invariant(on_disk)
    assert (on_disk["inputs"], on_disk["complete"], on_disk["needs_review"], on_disk["unreadable"],
            on_disk["duplicates"]) == (12, 1, 1, 5, 5)
    assert on_disk["unreadable_by_reason"] == {"unreadable": 4, "timeout": 1}
    assert on_disk["duplicates_by_kind"] == {"same_file": 1, "same_content": 4}

    expected = Complaint.model_validate(sample_data()).model_dump(mode="json")
    for record in records[COMPLAINTS]:
        assert record["received"] == "2026-11-27" and record["acknowledge_by"] == "2026-12-02"
        if record["source"] == original:
            assert record["complaint"] == expected
    for record in records[REJECTED]:  # set aside, byte for byte, and the customer's words kept
        assert (out / record["quarantine"]).read_bytes() == (inbox / record["source"]).read_bytes()
        assert record["acknowledge_by"] == "2026-12-02"  # a rejected file is still a complaint to answer
    blank = next(r for r in records[COMPLAINTS] if r["source"] == "blank.pdf")
    assert [(e["path"], e["code"]) for e in blank["review"]] == [
        ("complainant.last_name", "missing_required"), ("complainant.email", "no_reply_way"),
        ("subject", "missing_required")]
    assert blank["acknowledge_by"] == "2026-12-02"  # an empty form is still a complaint to answer

    before = {name: (out / name).read_bytes() for name in (COMPLAINTS, REJECTED, DUPLICATES, "complaints.csv")}
    again = convert_folder(inbox, out, workers=2, limits=QUICK, _parser=MISBEHAVE, received=FRIDAY,
                           write_csv_file=True)
    assert (again.inputs, again.skipped_already_done, again.complaints, again.unreadable, again.duplicates) == \
        (12, 12, 0, 0, 0)
    assert before == {name: (out / name).read_bytes() for name in before}


def test_crashing_and_memory_hungry_files_become_resource_limit_lines(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _copy("filled-pypdf.pdf", box / "crash.pdf", b"\n" + batch_hooks.CRASH + b"\n")
    _copy("filled-pypdf.pdf", box / "hog.pdf", b"\n" + batch_hooks.EAT_MEMORY + b"\n")
    _copy("filled-pdftk.pdf", box / "fine.pdf")
    summary = convert_folder(box, tmp_path / "out", workers=1, limits=Limits(worker_memory_mb=768), _parser=MISBEHAVE,
                             received=FRIDAY)
    rejected = {r["source"]: (r["reason"], r["error"]) for r in _lines(tmp_path / "out", REJECTED)}
    assert rejected == {"crash.pdf": ("resource limit", "WorkerCrashedError"),
                        "hog.pdf": ("resource limit", "WorkerCrashedError")}
    assert summary.complete == 1  # the run went on after both, with a fresh worker


@pytest.mark.parametrize("kill_after", [1, 3, 7])
def test_an_interrupted_run_resumes_to_the_same_result(tmp_path: Path, kill_after: int) -> None:
    # Issue 15: a copy of a file converted before the kill was counted as done, with no line at all.
    box = tmp_path / "inbox"
    box.mkdir()
    for i in range(10):  # distinct complaints, plus one copy of a file and one resent with a new date
        data = sample_data() | {"subject": f"Klage nummer {i}"}
        (box / f"klage-{i:02}.pdf").write_bytes(render_form("da", prefill=data))
    shutil.copy(box / "klage-03.pdf", box / "klage-03 (1).pdf")
    resent = sample_data() | {"subject": "Klage nummer 1"}
    resent["signature"] = resent["signature"] | {"date": "2026-11-20"}
    (box / "klage-99-resent.pdf").write_bytes(render_form("da", prefill=resent))
    reference = convert_folder(box, tmp_path / "reference", workers=2, received=FRIDAY)

    out = tmp_path / "out"
    script = (f"from datetime import date; from klageformular.batch import convert_folder; "
              f"convert_folder({str(box)!r}, {str(out)!r}, workers=2, _parser='tests.batch_hooks:slow', "
              f"received=date(2026, 11, 27))")
    root = Path(__file__).parent.parent
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=root, start_new_session=True,
                            env=dict(os.environ, PYTHONPATH=str(root)))
    deadline = time.monotonic() + 60
    while len(_lines(out, COMPLAINTS)) < kill_after and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole group, workers included: a power cut
    proc.wait()
    done_before = len(_lines(out, COMPLAINTS))
    assert kill_after <= done_before < 10, "the run was not interrupted mid-way"
    with (out / COMPLAINTS).open("ab") as f:
        f.write(b'{"source": "klage-0')  # what a crash in the middle of a write leaves

    resumed = convert_folder(box, out, workers=2, received=FRIDAY)
    assert resumed.complete == reference.complete - done_before == 10 - done_before  # nothing converted twice
    _check_invariant(resumed.to_dict())
    assert reference.duplicates_by_kind == {"same_file": 1, "same_content": 1}

    # Exactly the lines of one clean run, duplicates included, in the same order.
    assert _records(out) == _records(tmp_path / "reference")


def test_csv_opens_in_excel_with_danish_letters_and_no_live_formulas(tmp_path: Path) -> None:
    data = sample_data()
    data["complainant"] |= {"last_name": '=HYPERLINK("http://evil.example","klik")', "city": "@SUM(1+1)",
                            "client_reference": "-2+3"}
    data["investment"]["reference"] = "+45 cmd|' /C calc'!A0"
    data["other_comments"] = "\t=1+1"
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "klage.pdf").write_bytes(render_form("da", prefill=data))
    convert_folder(box, tmp_path / "out", workers=1, received=FRIDAY, write_csv_file=True)

    raw = (tmp_path / "out" / "complaints.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    header, row = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    cells = dict(zip(header, row, strict=True))
    assert cells["complaint.complainant.street"] == "Ærøgade 7, 2. th."
    assert cells["complaint.complainant.last_name"] == "'" + data["complainant"]["last_name"]
    assert cells["complaint.complainant.city"] == "'@SUM(1+1)"
    assert cells["complaint.complainant.client_reference"] == "'-2+3"
    assert cells["complaint.complainant.phone"] == "'+4520123456"
    assert cells["complaint.investment.reference"].startswith("'+45")
    assert cells["complaint.other_comments"] == "'=1+1"  # the model strips the tab; the = stays inert
    assert cells["complaint.subject"] == data["subject"]  # long multi-line text whole, quoted
    assert not [c for c in row if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    assert cells["acknowledge_by"] == "2026-12-02" and cells["complaint.damage.amount"] == "12500.50"


@pytest.mark.parametrize(("value", "cell"), [("=1+1", "'=1+1"), ("+45", "'+45"), ("-", "'-"), ("@x", "'@x"),
                                              ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ærø", "Ærø"), (None, ""),
                                              (True, "true"), (["a", "b"], "a; b"), (3, "3")])
def test_csv_cell(value: Any, cell: str) -> None:
    assert csv_cell(value) == cell


def test_logs_at_info_carry_no_personal_data(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = sample_data()
    data["other_comments"] = "Mit CPR-nummer er 010190-1234."
    box = tmp_path / "inbox"
    box.mkdir()
    (box / "Klage fra Łukasz Żółć.pdf").write_bytes(render_form("da", prefill=data))
    (box / "Søren Ærø.pdf").write_bytes(b"not a pdf at all, from soren@example.dk")
    caplog.set_level(logging.INFO, logger="klageformular")
    convert_folder(box, tmp_path / "out", workers=1, received=FRIDAY)
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert any("complete" in m for m in messages)  # the worker's and the main process's records arrive
    assert any("parsed" in m for m in messages)
    secrets = ["Łukasz", "Żółć", "Søren", "Ærø", "lukasz@example.dk", "soren@", "20 12 34 56", "4520123456",
               "010190", "Renten på lån", "Ærøgade", "Aarhus", "K-20417"]
    leaks = [(s, m) for m in messages for s in secrets if s in m]
    assert not leaks


def test_received_from_the_files_date(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _copy("filled-pypdf.pdf", box / "klage.pdf")
    stamp = datetime(2026, 12, 23, 12, 0).timestamp()
    os.utime(box / "klage.pdf", (stamp, stamp))
    convert_folder(box, tmp_path / "out", workers=1)
    (record,) = _lines(tmp_path / "out", COMPLAINTS)
    assert (record["received"], record["acknowledge_by"]) == ("2026-12-23", "2026-12-29")  # over Christmas


@pytest.mark.parametrize(("org", "deadlines"), [
    (None, {"kameo-dk": "2026-05-05", "kameo-no": "2026-05-06", "kameo-se": "2026-05-06"}),
    ("kameo-dk", {"kameo-dk": "2026-05-05", "kameo-no": "2026-05-05", "kameo-se": "2026-05-05"}),
])
def test_each_form_is_acknowledged_by_its_own_countrys_working_days(tmp_path: Path, org: str | None,
                                                                     deadlines: dict[str, str]) -> None:
    # 1 May is a public holiday in Norway and Sweden, a working day in Denmark.
    box = tmp_path / "inbox"
    box.mkdir()
    for lang, key in (("da", "kameo-dk"), ("nb", "kameo-no"), ("sv", "kameo-se")):
        prefill = {"complainant": {"last_name": f"Klager {lang}", "email": f"{lang}@example.com"}, "subject": "x"}
        (box / f"{key}.pdf").write_bytes(render_form(lang, prefill=prefill))
    convert_folder(box, tmp_path / "out", workers=1, received=date(2026, 4, 30),
                   org=get_organisation(org) if org else None)
    records = {r["organisation"]: r for r in _lines(tmp_path / "out", COMPLAINTS)}
    assert {key: r["acknowledge_by"] for key, r in records.items()} == deadlines
    assert all(r["received"] == "2026-04-30" for r in records.values())


def test_two_runs_on_one_output_folder_are_refused(tmp_path: Path) -> None:
    box, out = tmp_path / "inbox", tmp_path / "out"
    _copy("letter.pdf", box / "x.pdf")
    out.mkdir()
    with (out / ".klageformular-batch.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(ConfigurationError, match="another batch run"):
            convert_folder(box, out, workers=1)


def test_workers_that_cannot_start_stop_the_run_without_losing_files(tmp_path: Path) -> None:
    box = tmp_path / "inbox"
    _copy("filled-pypdf.pdf", box / "klage.pdf")
    with pytest.raises(ConfigurationError, match="cannot start"):
        convert_folder(box, tmp_path / "out", workers=1, _parser="tests.no_such_module:parse")
    assert not _records(tmp_path / "out")[REJECTED]  # nothing set aside for a fault of ours
    summary = json.loads((tmp_path / "out" / SUMMARY).read_text(encoding="utf-8"))
    assert (summary["interrupted"], summary["inputs"], summary["unfinished"]) == (True, 0, 1)
    _check_invariant(summary)
    assert convert_folder(box, tmp_path / "out", workers=1).complete == 1  # and the next run picks it up


def test_quarantine_never_changes_the_inbox(inbox: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file()}
    convert_folder(inbox, inbox / "out", workers=2, limits=QUICK, _parser=MISBEHAVE)  # output inside the inbox
    assert {p: p.read_bytes() for p in inbox.rglob("*") if p.is_file() and "out" not in p.parts} == before
    assert len(list((inbox / "out" / QUARANTINE).iterdir())) == 5


def test_cli_batch_prints_one_line_per_file_to_look_at(inbox: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (inbox / "hangs.pdf").unlink()
    code = main(["batch", str(inbox), "-o", str(tmp_path / "out"), "--workers", "2", "--received", "2026-11-27",
                 "--csv", "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    lines = captured.err.splitlines()
    assert sorted(lines) == sorted([
        "blank.pdf: needs review: 3 field(s) to review: complainant.last_name (missing_required), "
        "complainant.email (no_reply_way), subject (missing_required)",
        "cover-letter.pdf: unreadable (unreadable): not the complaint form: none of its fields and no form "
        "identifier on any page",
        *(line for line in lines if line.startswith(("notes.txt: unreadable (unreadable): ",
                                                     "password.pdf: unreadable (unreadable): ",
                                                     "scan.pdf: unreadable (unreadable): ")))])
    assert len(lines) == 5
    assert "Traceback" not in captured.err + captured.out
    assert "inputs" in captured.out and (tmp_path / "out" / "complaints.csv").exists()
    assert main(["batch", str(inbox), "-o", str(tmp_path / "out"), "-q"]) == 0  # nothing new, all read


@pytest.mark.parametrize("args", [["batch", "inbox"], ["batch", "x", "-o", "y", "--received", "31-12-2026"],
                                  ["batch", "x", "-o", "y", "--workers", "0"],
                                  ["batch", "x", "-o", "y", "--timeout", "-1"],
                                  ["batch", "x", "-o", "y", "--timeout", "nan"],
                                  ["batch", "x", "-o", "y", "--memory-mb", "0"]])
def test_cli_batch_usage_errors(args: list[str]) -> None:
    assert main(args) == 2


def test_cli_batch_missing_inbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "out")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_a_realistic_inbox_keeps_every_complaint(tmp_path: Path) -> None:
    """Four languages, several tools, sloppy entries, a printed copy, a resend, junk: nothing is lost."""
    from .fillers import fill_pdftk, fill_pypdf, flatten

    require = shutil.which("pdftk") and shutil.which("qpdf") and shutil.which("gs")
    if not require:
        pytest.skip("needs pdftk, qpdf and ghostscript (apt-get install pdftk-java qpdf ghostscript)")
    box = tmp_path / "inbox"
    box.mkdir()
    person = {"complainant.last_name": "Hansen", "complainant.email": "hansen@example.dk"}
    files: dict[str, bytes] = {
        "01 complete da.pdf": render_form("da", prefill=sample_data()),
        "02 oct 12.pdf": fill_pdftk(render_form("da"), person | {"subject": "Rente", "facts_date": "oct 12"}),
        "03 nb phone.pdf": fill_pdftk(render_form("nb"), {"complainant.last_name": "Nordmann",
                                                         "complainant.phone": "412 34 567",
                                                         "complainant.email": "ola@example.no",
                                                         "subject": "Renten ble ikke utbetalt."}),
        "04 sv currency.pdf": fill_pypdf(render_form("sv"), {"complainant.last_name": "Svensson",
                                                            "complainant.email": "s@example.se", "subject": "Avgift",
                                                            "damage.amount": "€ 500", "damage.currency": "SEK"}),
        "05 en no subject.pdf": fill_pypdf(render_form("en"), person),
        "06 postal only.pdf": fill_pypdf(render_form("da"), {"complainant.last_name": "Jensen",
                                                            "complainant.street": "Vej 1",
                                                            "complainant.postcode": "8000",
                                                            "complainant.city": "Aarhus",
                                                            "complainant.phone": "20304050",
                                                            "subject": "Svar med post."}),
        "07 ca amount.pdf": fill_pypdf(render_form("da"), person | {"subject": "Tab", "damage.amount": "ca. 3000"}),
        "08 same person other subject.pdf": fill_pypdf(render_form("da"), person | {"subject": "Gebyret"}),
        "09 printed copy.pdf": flatten("qpdf", render_form("da", prefill=sample_data())),
        "10 printed again by gs.pdf": flatten("gs", render_form("da", prefill=sample_data())),
        "11 resent a week later.pdf": render_form("da", prefill=sample_data() | {
            "signature": {"place": "Aarhus", "date": "2026-11-10", "signatory": "representative"}}),
        "12 notes.txt": b"Husk at ringe.",
        "13 scan.pdf": (FIXTURES / "scan.pdf").read_bytes(),
        "14 cover letter.pdf": (FIXTURES / "letter.pdf").read_bytes(),
        "15 password.pdf": (FIXTURES / "encrypted-password.pdf").read_bytes(),
    }
    for name, data in files.items():
        (box / name).write_bytes(data)
    shutil.copy(box / "02 oct 12.pdf", box / "16 same bytes again.pdf")
    summary = convert_folder(box, tmp_path / "out", workers=2, received=FRIDAY, write_csv_file=True)
    records = _records(tmp_path / "out")
    status = {r["source"]: r["status"] for r in records[COMPLAINTS]}
    assert status == {"01 complete da.pdf": "complete", "02 oct 12.pdf": "needs_review",
                      "03 nb phone.pdf": "complete", "04 sv currency.pdf": "needs_review",
                      "05 en no subject.pdf": "needs_review", "06 postal only.pdf": "complete",
                      "07 ca amount.pdf": "needs_review", "08 same person other subject.pdf": "complete"}
    review = {r["source"]: [(i["path"], i["code"], i["value"]) for i in r["review"]] for r in records[COMPLAINTS]}
    assert review["02 oct 12.pdf"] == [("facts_date", "invalid_date", "oct 12")]
    assert review["04 sv currency.pdf"] == [("damage.amount", "currency_mismatch", "€ 500")]
    assert review["05 en no subject.pdf"] == [("subject", "missing_required", None)]
    assert review["07 ca amount.pdf"] == [("damage.amount", "approximate_amount", "ca. 3000")]
    assert {r["source"]: (r["duplicate_kind"], r["duplicate_of"]) for r in records[DUPLICATES]} == {
        "09 printed copy.pdf": ("same_content", "01 complete da.pdf"),
        "10 printed again by gs.pdf": ("same_content", "01 complete da.pdf"),
        "11 resent a week later.pdf": ("same_content", "01 complete da.pdf"),
        "16 same bytes again.pdf": ("same_file", "02 oct 12.pdf")}
    assert {r["source"]: r["error"] for r in records[REJECTED]} == {
        "12 notes.txt": "NotAPdfError", "13 scan.pdf": "ScanUnreadableError",
        "14 cover letter.pdf": "NotAKlageformularError", "15 password.pdf": "EncryptedPdfError"}
    assert all(r["received"] == "2026-11-27" and r["acknowledge_by"] for r in records[REJECTED])
    on_disk = json.loads((tmp_path / "out" / SUMMARY).read_text(encoding="utf-8"))
    _check_invariant(on_disk)
    assert (summary.inputs, summary.complete, summary.needs_review, summary.unreadable, summary.duplicates) == (
        16, 4, 4, 4, 4)
    header, *rows = list(csv.reader(io.StringIO((tmp_path / "out" / "complaints.csv").read_text("utf-8-sig"))))
    cells = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert cells["07 ca amount.pdf"]["status"] == "needs_review"
    assert cells["07 ca amount.pdf"]["review"] == "3.d Beløb (evt.): er et skøn (læst som det angivne tal) [ca. 3000]"
