"""Register intake (register/_intake.py): one message is one case, a Message-ID is a claim, no value blocks an import.

Each reproducer runs on SQLite and on the throw-away PostgreSQL server (``db_url``).
"""

from __future__ import annotations

import gc
import itertools
import mailbox
import shutil
import warnings
from collections.abc import Iterator
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from klageformular.batch import convert_folder
from klageformular.cli import main
from klageformular.records import COMPLAINTS, REJECTED, AttachedFile, Record, read_records
from klageformular.register import add_record, create_register_engine, import_batch, list_complaints, show, upgrade

from .registers import complaint_record, digest

FIXTURES = Path(__file__).parent / "fixtures"
OLD = FIXTURES / "records"  # lines of the versions before one message was one case
FORM = (FIXTURES / "filled-pypdf.pdf").read_bytes()
SCAN = (FIXTURES / "scan.pdf").read_bytes()  # image-only: no text layer
LETTER = (FIXTURES / "letter.pdf").read_bytes()
WHEN = datetime.fromisoformat("2026-11-23T10:00:00+01:00")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    yield engine
    engine.dispose()


def _mail(body: str, *, sender: str = "Eva Ørsted <eva@example.dk>", message_id: str = "<m1@example.dk>",
          when: datetime = WHEN, pdf: tuple[str, bytes] | None = None) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["To"], message["Subject"] = sender, "klage@kameo.dk", "Klage"
    message["Date"], message["Message-ID"] = format_datetime(when), message_id
    message.set_content(body)
    if pdf is not None:
        message.add_attachment(pdf[1], maintype="application", subtype="pdf", filename=pdf[0])
    return message.as_bytes()


def _cases(engine: Engine) -> list[dict[str, Any]]:
    return [show(engine, entry["reference"]) for entry in list_complaints(engine)]


# The CLI's engines end with its process; in-process, psycopg warns when the garbage collector gets them.
@pytest.mark.filterwarnings("ignore:.*was deleted while still open:ResourceWarning")
def test_a_scanned_pdf_sent_by_email_is_one_case(tmp_path: Path, db_url: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 24's reproducer: text + an image-only PDF gave two records with one Message-ID, and
    ``IntegrityError`` on every run. Now: one case, the scan a document of it marked unreadable."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    (inbox / "klage.eml").write_bytes(_mail("Se den vedhæftede scanning.", pdf=("scanning.pdf", SCAN)))
    args = ["batch", str(inbox), "-o", str(out), "-q", "--workers", "1", "--register", "--db", db_url]
    assert main(args) == 0
    assert "register: 1 added (0 unreadable)" in capsys.readouterr().out
    assert not list(read_records(out / REJECTED))
    [record] = read_records(out / COMPLAINTS)
    [scan] = record.attachments or []
    assert record.method == "email" and scan.name == "scanning.pdf" and "no text layer" in (scan.unreadable or "")
    assert (out / str(scan.path)).read_bytes() == SCAN  # saved with the case
    engine = create_register_engine(db_url)
    [case] = _cases(engine)
    assert (case["method"], case["channel"], case["status"]) == ("email", "email", "received")
    [listed] = case["attachments"]
    assert listed["name"] == "scanning.pdf" and "no text layer" in listed["unreadable"]
    assert main(args) == 0  # and every later run too: batch --register imports only what is new (nothing)
    assert "register: 0 added (0 unreadable), 0 attached to an earlier entry, 0 already there" in \
        capsys.readouterr().out
    assert main(["register", "import", str(out), "--db", db_url]) == 0  # the whole folder again: nothing twice
    assert "1 already there" in capsys.readouterr().out
    engine.dispose()
    with warnings.catch_warnings():  # the CLI's engines end with the process; here they end now
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _stuck_register(db_url: str) -> Engine:
    """A register at revision 0002 holding what the old import wrote before it failed on the scan's line."""
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0002")
    [email] = [r for r in read_records(OLD / COMPLAINTS) if r.source == "scanning.eml"]
    complaints = sa.table("complaints", *(sa.column(c) for c in (
        "id", "reference", "prefix", "year", "number", "organisation", "status", "channel", "method", "message_id",
        "parse_status")), sa.column("received", sa.Date), sa.column("created_at", sa.DateTime(timezone=True)),
        *(sa.column(c, sa.JSON) for c in ("review", "warnings", "complaint", "mail")))
    files = sa.table("source_files", *(sa.column(c) for c in ("complaint_id", "source", "sha256", "kind")),
                     sa.column("imported_at", sa.DateTime(timezone=True)))
    counters = sa.table("reference_counters", sa.column("prefix"), sa.column("year"), sa.column("last"))
    with engine.begin() as connection:
        connection.execute(complaints.insert().values(
            id=1, reference="KLA-2026-0001", prefix="KLA", year=2026, number=1, organisation="kameo-dk",
            status="received", channel="email", method="email", message_id=email.message_id,
            parse_status="needs_review", received=date(2026, 11, 23), created_at=WHEN, review=email.review,
            warnings=[], complaint=email.complaint, mail={"from": email.sender}))
        connection.execute(files.insert().values(complaint_id=1, source=email.source, sha256=email.sha256,
                                                 kind="original", imported_at=WHEN))
        connection.execute(counters.insert().values(prefix="KLA", year=2026, last=1))
    return engine


def test_a_register_and_folder_stuck_on_the_scan_import_cleanly(tmp_path: Path, db_url: str) -> None:
    """Stuck since an old version: the upgrade (0004) and the next import take every line, nothing lost."""
    engine = _stuck_register(db_url)
    upgrade(engine)
    out = tmp_path / "out"
    shutil.copytree(OLD, out)
    summary = import_batch(engine, out)
    lines = sum(1 for name in ("complaints.jsonl", "rejected.jsonl", "duplicates.jsonl")
                for _ in read_records(out / name))
    assert summary.added + summary.attached + summary.already == lines
    assert summary.already == 1  # the email case from before
    case = show(engine, "KLA-2026-0001")
    assert [(f["source"], f["kind"]) for f in case["files"]] == [
        ("scanning.eml", "original"), ("scanning.eml/scanning.pdf", "same_message")]
    assert "no text layer" in case["events"][-1]["note"] or "unreadable" in case["events"][-1]["note"]
    again = import_batch(engine, out)
    assert (again.added, again.attached, again.already) == (0, 0, lines)
    engine.dispose()


def test_old_lines_import_into_a_new_register(tmp_path: Path, engine: Engine) -> None:
    out = tmp_path / "out"
    shutil.copytree(OLD, out)
    summary = import_batch(engine, out)
    # 5 complaints and 2 unreadable files of their own; the scan joins its message, the copies their originals.
    assert (summary.added, summary.unreadable, summary.attached) == (7, 2, 6)
    [case] = [c for c in _cases(engine) if c["files"][0]["source"] == "scanning.eml"]
    assert [f["kind"] for f in case["files"]] == ["original", "same_message"]


def _contact_form_inbox(tmp_path: Path) -> Path:
    """Five customers through a contact-form tool with a fixed Message-ID; the fifth message delivered twice."""
    box_path = tmp_path / "kontaktformular.mbox"
    box = mailbox.mbox(box_path)
    for i in range(1, 6):
        pdf = ("klage.pdf", FORM) if i == 1 else (f"bilag-{i}.pdf", LETTER + f"\n% kunde {i}\n".encode())
        data = _mail(f"Klage fra kunde {i}.", sender=f"Kunde {i} <kunde{i}@example.dk>",
                     message_id="<noreply@contactform.example>", pdf=pdf)
        box.add(data)
        if i == 5:
            box.add(data)  # the same bytes again: one case
    box.close()
    return box_path


def test_a_fixed_message_id_does_not_join_other_customers(tmp_path: Path, engine: Engine) -> None:
    out = tmp_path / "out"
    summary = convert_folder(_contact_form_inbox(tmp_path), out, workers=1)
    assert summary.mail is not None and (summary.mail["messages"], summary.mail["duplicates"]) == (6, 1)
    records = list(read_records(out / COMPLAINTS))
    assert len(records) == 5 and sum(bool(r.message_id_collision) for r in records) == 4
    for record in records:  # every customer's PDF is saved
        for attached in record.attachments or []:
            assert isinstance(attached, AttachedFile) and (out / str(attached.path)).is_file()
    imported = import_batch(engine, out)
    assert (imported.added, imported.attached) == (5, 1)  # the second delivery joins its case
    cases = _cases(engine)
    assert sorted(c["method"] for c in cases) == ["acroform", "email", "email", "email", "email"]
    assert sorted(c["complaint"]["complainant"]["email"] for c in cases if c["method"] == "email") == [
        f"kunde{i}@example.dk" for i in range(2, 6)]
    flagged = [c for c in cases if any(w["code"] == "message_id_collision" for w in c["warnings"])]
    assert len(flagged) == 4


def test_a_date_in_the_future_is_not_the_year_of_the_reference(engine: Engine) -> None:
    record = Record.from_line(complaint_record(1, received="2099-06-01T10:00:00+02:00", received_from="date",
                                               message_id="<future@example.dk>"))
    result = add_record(engine, record, today=date(2026, 12, 1))
    assert result.reference.startswith(f"KLA-{date.today().year}-")
    case = show(engine, result.reference)
    assert case["received"] == "2026-12-01"
    assert any(w["code"] == "received_in_future" for w in case["warnings"])
    # A date this side gave (a file's, --received) is trusted, as before.
    trusted = add_record(engine, complaint_record(2, received="2099-06-01"), today=date(2026, 12, 1))
    assert trusted.reference == "KLA-2099-0001"


_ids = itertools.count()
_TEXT = st.text(max_size=60) | st.sampled_from(["\x00", "a\x00b", "\ud800", "x" * 1200, "ж" * 300, ""])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({name: _TEXT for name, info in Record.model_fields.items()
                                      if info.annotation in ("str", "str | None")}),
       attached=st.fixed_dictionaries({"name": _TEXT, "content_type": _TEXT, "sha256": _TEXT, "path": _TEXT,
                                       "unreadable": _TEXT}),
       typed=_TEXT, size=st.integers())
@example(values={"message_id": "<" + "x" * 1200 + "@example.dk>", "form_version": "1.0" * 30,
                 "sender": "Eva\x00 <eva@example.dk>"},
         attached={"name": "bilag\x00.pdf", "content_type": "application/" + "x" * 300}, typed="\x00",
         size=2**40)
def test_no_value_blocks_an_import(engine: Engine, values: dict[str, str], attached: dict[str, str], typed: str,
                                   size: int) -> None:
    """Issue 23's PostgreSQL poison: any text in any field of a record is stored (cleaned, bounded)."""
    n = next(_ids)
    fields: dict[str, Any] = dict(values) | {"source": f"{n}/{values.get('source', '')}",
                                             "duplicate_of": None, "received": "2026-11-23"}
    record = Record.model_validate(fields | {"sender": values.get("sender")}) if "sender" in values else \
        Record.model_validate(fields)
    record = record.with_(complaint={"subject": typed, typed: [typed], "complainant": {"email": typed}},
                          review=[{"value": typed, "code": typed}], attachments=[AttachedFile(size=size, **attached)])
    result = add_record(engine, record, today=date(2026, 12, 1))
    assert result.outcome in ("added", "attached", "already")
    assert show(engine, result.reference)["reference"] == result.reference


def test_a_record_that_is_not_one_is_refused_by_field(engine: Engine) -> None:
    from klageformular.exceptions import RegisterError

    with pytest.raises(RegisterError, match=r"not a batch record \(page_count\)"):
        add_record(engine, {"source": "a.pdf", "page_count": "secret value"})


def test_same_bytes_twice_is_one_case_and_digest_helper(engine: Engine) -> None:
    first = add_record(engine, complaint_record(1))
    again = add_record(engine, complaint_record(1) | {"source": "inbox/other-name.pdf"})
    assert (again.outcome, again.reference) == ("attached", first.reference)
    assert digest("x") != digest("y")


def test_report_counts_working_days_by_the_profile_file(engine: Engine) -> None:
    """One profile rule: the report takes the profile files intake took (their holidays), not the built-in."""
    from klageformular.org import get_organisation
    from klageformular.register import report, set_status

    reference = add_record(engine, complaint_record(1, received="2026-04-30")).reference  # a Thursday
    set_status(engine, reference, "acknowledged", who="linn", on=date(2026, 5, 4))
    norway_days = get_organisation().model_copy(update={"holiday_country": "NO"})  # 1 May is a holiday there

    def days(**options: Any) -> Any:
        figures = report(engine, date(2026, 4, 1), date(2026, 5, 31), today=date(2026, 6, 1), **options)
        return figures.working_days_to_acknowledgement.max

    assert (days(), days(organisations={"kameo-dk": norway_days})) == (2, 1)


def test_a_form_and_a_scan_in_one_message_are_one_case(tmp_path: Path, engine: Engine) -> None:
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    message = EmailMessage(policy=policy.SMTP)
    message["From"], message["Subject"], message["Message-ID"] = "Eva <eva@example.dk>", "Klage", "<fs@example.dk>"
    message["Date"] = format_datetime(WHEN)
    message.set_content("Formularen og en scanning.")
    for name, data in (("scanning.pdf", SCAN), ("klage.pdf", FORM)):
        message.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    (inbox / "m.eml").write_bytes(message.as_bytes())
    summary = convert_folder(inbox, out, workers=2)
    assert (summary.inputs, summary.complaints, summary.unreadable) == (1, 1, 0)
    [record] = read_records(out / COMPLAINTS)
    assert record.method == "acroform" and record.source == "m.eml/klage.pdf"
    [scan] = record.attachments or []
    assert scan.name == "scanning.pdf" and "no text layer" in (scan.unreadable or "")
    assert import_batch(engine, out).added == 1
    [case] = _cases(engine)
    assert [a["unreadable"] is not None for a in case["attachments"]] == [True]
