"""Mail intake (intake/): messages from Mutt, Outlook and Python's email package; sources; limits.

Fixtures in tests/fixtures/mail/: ``mutt-form.eml`` (a filled form attached, RFC 2231
continued UTF-8 file name), ``mutt-plain.eml`` (a plain complaint with a PNG and a zip),
``mutt.mbox`` (Mutt's Fcc copies of both), made by make_mail_fixtures.sh; and
``outlook-attachments.msg`` (Outlook 15, three images; see its .ORIGIN file). Hostile and
odd messages are built here with the ``email`` package, each in a test named for its case.
"""

from __future__ import annotations

import mailbox
import ssl
import tempfile
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from klageformular import ConfigurationError, MailboxError, MailLimitExceededError, MailReadError
from klageformular.intake import (
    ImapMailbox,
    MailIntake,
    MailLimits,
    RawMessage,
    email_complaint,
    file_messages,
    html_to_text,
    is_maildir,
    mail_kind,
    maildir_messages,
    mbox_messages,
    parse_imap_url,
    read_message,
    read_msg,
    receipt_day,
)
from klageformular.intake._imap import _loopback

from .conftest import require_tool, run_tool
from .dovecot import append, dovecot

MAIL = Path(__file__).parent / "fixtures" / "mail"
FORM = Path(__file__).parent / "fixtures" / "filled-pypdf.pdf"
MONDAY = datetime(2026, 11, 23, 9, 15, tzinfo=timezone(timedelta(hours=1)))


def _message(body: str = "Renten kom ikke.", *, subject: str = "Klage", date: datetime | None = MONDAY,
             sender: str = "Eva Ørsted <eva@example.dk>") -> EmailMessage:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = "klage@kameo.dk"
    message["Subject"] = subject
    message["Message-ID"] = "<test-1@example.dk>"
    if date is not None:
        message["Date"] = format_datetime(date)
    message.set_content(body)
    return message


# -- messages made by real mail programs -------------------------------------------------------------


def test_mutt_form_message() -> None:
    data = (MAIL / "mutt-form.eml").read_bytes()
    m = read_message(data)
    header_date = next(line for line in data.decode().splitlines() if line.startswith("Date: "))[6:]
    assert m.received == parsedate_to_datetime(header_date) and m.received.tzinfo is not None
    assert m.received_from == "date" and m.date == m.received
    assert (m.sender_name, m.sender_address) == ("Eva Ørsted", "eva.orsted@example.dk")
    assert m.subject == "Klage over renter" and m.message_id and m.message_id.endswith("@example.dk>")
    assert "Renten på lån KA-1042" in m.body
    [pdf] = m.attachments
    # Mutt writes the name as RFC 2231 continuations (filename*0*=utf-8''…; filename*1*=…).
    assert pdf.name == "Klageformular udfyldt – Eva Ørsted.pdf" and pdf.is_pdf
    assert pdf.data == FORM.read_bytes() and pdf.size == FORM.stat().st_size
    assert m.problems == [] and m.automatic is None


def test_mutt_plain_message_lists_a_zip_without_unpacking() -> None:
    m = read_message((MAIL / "mutt-plain.eml").read_bytes())
    assert [(a.name, a.content_type, a.is_pdf) for a in m.attachments] == [
        ("kontoudtog.png", "image/png", False), ("bilag.zip", "application/zip", False)]
    assert m.attachments[1].note == "archive: listed and saved, not unpacked"
    assert m.attachments[1].data.startswith(b"PK")


def test_mutt_regenerates_the_fixtures(tmp_path: Path) -> None:
    """The committed fixtures are what the script makes with today's Mutt (dates and boundaries aside)."""
    require_tool("mutt")
    require_tool("pdftoppm")
    run_tool("bash", MAIL / "make_mail_fixtures.sh", tmp_path)
    for name in ("mutt-form.eml", "mutt-plain.eml"):
        made, committed = (read_message((folder / name).read_bytes()) for folder in (tmp_path, MAIL))
        assert b"User-Agent: Mutt/" in (tmp_path / name).read_bytes()
        assert (made.sender, made.subject, made.body, made.problems) == (committed.sender, committed.subject,
                                                                         committed.body, committed.problems)
        assert [(a.name, a.content_type, a.is_pdf) for a in made.attachments] == [
            (a.name, a.content_type, a.is_pdf) for a in committed.attachments]
    assert len(list(mbox_messages(tmp_path / "mutt.mbox"))) == 2
    assert not list(tmp_path.glob(".work.*"))


def test_mutt_mbox_holds_both_messages() -> None:
    messages = list(mbox_messages(MAIL / "mutt.mbox"))
    assert [m.source for m in messages] == ["mutt.mbox#1", "mutt.mbox#2"]
    assert all(m.key.startswith("sha256:") and m.file_time and m.file_time.tzinfo for m in messages)
    assert [read_message(m.data or b"").subject for m in messages] == ["Klage over renter",
                                                                       "Klage: manglende renteudbetaling"]


def test_outlook_msg() -> None:
    pytest.importorskip("extract_msg", reason="the optional [msg] extra (extract-msg) is not installed")
    m = read_msg((MAIL / "outlook-attachments.msg").read_bytes())
    assert (m.sender_name, m.sender_address, m.subject) == ("hmailuser", "hmailuser@hmailserver.test",
                                                            "attachmentFiles")
    # Date: Wed, 1 Nov 2023 09:48:31 +0900 in the transport headers Outlook kept
    assert m.received == datetime(2023, 11, 1, 0, 48, 31, tzinfo=UTC) and m.received_from == "date"
    assert [(a.name, a.content_type, a.size) for a in m.attachments] == [
        ("jpg.jpg", "image/jpeg", 726), ("png.png", "image/png", 134), ("tif.tif", "image/tiff", 664)]
    assert m.message_id == "<000001da0c5d$22ab1460$68013d20$@hmailserver.test>"


@pytest.mark.parametrize(("data", "match"), [
    (b"not an OLE file at all", "no OLE compound document header"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "broken Outlook .msg file"),
])
def test_broken_msg_is_unreadable_with_a_reason(data: bytes, match: str) -> None:
    pytest.importorskip("extract_msg", reason="the optional [msg] extra (extract-msg) is not installed")
    with pytest.raises(MailReadError, match=match):
        read_msg(data)


# -- what a message is made of (Python's email package) ------------------------------------------------


def test_forwarded_message_pdf_is_found() -> None:
    inner = _message("Videresendt klage")
    inner.add_attachment(FORM.read_bytes(), maintype="application", subtype="pdf", filename="klage.pdf")
    outer = _message("Se vedhæftede", subject="Fwd: Klage")
    outer.add_attachment(inner)  # message/rfc822
    m = read_message(outer.as_bytes())
    assert [a.name for a in m.attachments] == ["klage.pdf"] and m.attachments[0].is_pdf
    assert "Se vedhæftede" in m.body and "Videresendt klage" in m.body


def test_rfc2047_encoded_file_name() -> None:
    message = _message()
    message.add_attachment(FORM.read_bytes(), maintype="application", subtype="octet-stream", filename="x.pdf")
    data = message.as_bytes().replace(b'filename="x.pdf"', b'filename="=?utf-8?q?Klage_=C3=98rsted=2Epdf?="')
    [pdf] = read_message(data).attachments
    assert pdf.name == "Klage Ørsted.pdf" and pdf.is_pdf  # a PDF by its bytes, sent as octet-stream


def test_html_only_body_becomes_text() -> None:
    message = _message()
    message.set_content("<html><head><style>p{}</style></head><body><p>Renten kom <b>ikke</b>.</p>"
                        "<p>Hilsen<br>Eva</p></body></html>", subtype="html")
    assert read_message(message.as_bytes()).body == "Renten kom ikke.\n\nHilsen\nEva"


@pytest.mark.parametrize(("declared", "raw", "expected", "problem"), [
    ("us-ascii", "Ærlig talt, kære Kameo".encode("latin-1"), "Ærlig talt, kære Kameo", "read as cp1252"),
    ("x-unknown-charset", "Ærlig talt".encode(), "Ærlig talt", "read as utf-8"),
    ("utf-8", "Ærlig talt".encode(), "Ærlig talt", None),
])
def test_wrong_charsets_are_read_and_named(declared: str, raw: bytes, expected: str, problem: str | None) -> None:
    data = (b"From: eva@example.dk\r\nSubject: Klage\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset="
            + declared.encode() + b"\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" + raw + b"\r\n")
    m = read_message(data)
    assert m.body == expected
    assert [p for p in m.problems if "read as" in p] == ([f"text declared as {declared!r} {problem}"]
                                                        if problem else [])


def test_broken_mime_loses_nothing() -> None:
    data = (b"From: eva@example.dk\r\nSubject: Klage\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n"
            b"Renten kom ikke.\r\n--b1\r\nContent-Type: application/pdf; name=klage.pdf\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK!!!not base64\r\n")  # no closing boundary
    m = read_message(data)
    assert m.body == "Renten kom ikke." and [a.name for a in m.attachments] == ["klage.pdf"]
    assert any("broken MIME" in p or "attachment:" in p for p in m.problems)


@pytest.mark.parametrize(("headers", "automatic"), [
    ({"Auto-Submitted": "auto-replied"}, "auto-reply (Auto-Submitted: auto-replied)"),
    ({"Auto-Submitted": "auto-generated"}, "auto-reply (Auto-Submitted: auto-generated)"),
    ({"Auto-Submitted": "no"}, None),
    ({"X-Autoreply": "yes"}, "auto-reply (X-Autoreply)"),
    ({}, None),
])
def test_auto_replies_are_recognised(headers: dict[str, str], automatic: str | None) -> None:
    message = _message("Jeg er på ferie til 1. december.")
    for name, value in headers.items():
        message[name] = value
    assert read_message(message.as_bytes()).automatic == automatic


def test_delivery_report_is_recognised() -> None:
    report = _message("Your message could not be delivered.", sender="MAILER-DAEMON@example.dk")
    report.make_mixed()
    data = report.as_bytes().replace(b"multipart/mixed", b"multipart/report; report-type=delivery-status")
    assert read_message(data).automatic == "delivery report (multipart/report; delivery-status)"


@pytest.mark.parametrize(("headers", "expected", "source"), [
    ("Date: Mon, 23 Nov 2026 09:15:00 +0100\r\n", datetime(2026, 11, 23, 8, 15, tzinfo=UTC), "date"),
    ("Date: Mon, 23 Nov 2026 09:15:00 -0000\r\n", datetime(2026, 11, 23, 9, 15, tzinfo=UTC), "date"),
    # No Date: the newest (topmost) Received header, i.e. our own server's.
    ("Received: from mx.kameo.dk by imap.kameo.dk; Tue, 24 Nov 2026 07:00:01 +0100\r\n"
     "Received: from sender.example by mx.kameo.dk; Tue, 24 Nov 2026 06:59:58 +0100\r\n",
     datetime(2026, 11, 24, 6, 0, 1, tzinfo=UTC), "received"),
    ("Date: not a date\r\nReceived: from a by b; garbage\r\n", None, None),
])
def test_receipt_time(headers: str, expected: datetime | None, source: str | None) -> None:
    m = read_message(f"From: eva@example.dk\r\n{headers}Subject: Klage\r\n\r\nTekst\r\n".encode())
    assert m.received == expected and m.received_from == source
    file_time = datetime(2026, 11, 25, 12, tzinfo=UTC)
    m.with_file_time(file_time)
    assert m.received == (expected or file_time) and m.received_from == (source or "file")


@pytest.mark.parametrize(("limits", "limit"), [
    (MailLimits(max_message_bytes=1_000), "max_message_bytes"),
    (MailLimits(max_parts=5), "max_parts"),
    (MailLimits(max_depth=3), "max_depth"),
])
def test_hostile_messages_hit_limits(limits: MailLimits, limit: str) -> None:
    message = _message("x" * 2_000)
    inner = message
    for _ in range(6):  # six forwarded messages, each inside the previous
        nested = _message("videresendt")
        inner.add_attachment(nested)
        inner = nested
    with pytest.raises(MailLimitExceededError) as info:
        read_message(message.as_bytes(), limits=limits)
    assert info.value.limit == limit


def test_large_attachment_is_listed_not_kept() -> None:
    message = _message()
    message.add_attachment(b"%PDF-1.4\n" + b"0" * 5_000, maintype="application", subtype="pdf", filename="big.pdf")
    m = read_message(message.as_bytes(), limits=MailLimits(max_attachment_bytes=1_000))
    [big] = m.attachments
    assert (big.size, big.data, big.is_pdf) == (5_009, b"", False) and big.note and "listed, not saved" in big.note
    assert "an attachment is larger than the limit" in m.problems


@given(st.binary(max_size=3_000))
def test_any_bytes_read_or_refused_cleanly(data: bytes) -> None:
    try:
        read_message(data, limits=MailLimits(max_message_bytes=2_000))
    except MailLimitExceededError:
        assert len(data) > 2_000


_HEADERS = st.sampled_from([b"From: ", b"Content-Type: multipart/mixed; boundary=b\r\n", b"--b\r\n",
                            b"Content-Type: message/rfc822\r\n", b"Content-Disposition: attachment; filename*=",
                            b"=?utf-8?b?", b"\r\n\r\n", b"%PDF-1.4", b"Date: ", b"Auto-Submitted: "])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(_HEADERS, st.binary(max_size=40)), max_size=30))
def test_intake_decides_every_message_without_raising(pieces: list[bytes]) -> None:
    """Mail-shaped garbage: every message gets a verdict, every attachment is saved or listed."""
    with tempfile.TemporaryDirectory() as folder:
        intake = MailIntake(Path(folder))
        data = b"".join(pieces)
        admitted = intake.admit(RawMessage("x.eml", "sha256:x", data))
        assert admitted.verdict in ("parse", "set_aside", "unreadable")
        for entry in admitted.record.get("attachments", []):
            assert entry["path"] is None or (Path(folder) / entry["path"]).exists()
        assert intake.counts.attachments == intake.counts.attachments_saved + intake.counts.attachments_too_large


# -- sources --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [
    ("mutt-form.eml", "eml"), ("mutt.mbox", "mbox"), ("outlook-attachments.msg", "msg"),
])
def test_mail_kind_by_name_and_bytes(tmp_path: Path, name: str, kind: str) -> None:
    assert mail_kind(MAIL / name) == kind
    renamed = tmp_path / "no-suffix"
    renamed.write_bytes((MAIL / name).read_bytes())
    assert mail_kind(renamed) == (None if kind == "msg" else kind)  # an OLE file without .msg may be a .doc


@pytest.mark.parametrize("path", [FORM, MAIL / "make_mail_fixtures.sh"])
def test_other_files_are_not_mail(path: Path) -> None:
    assert mail_kind(path) is None


def test_maildir_source(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add((MAIL / "mutt-form.eml").read_bytes())
    box.add((MAIL / "mutt-plain.eml").read_bytes())
    box.close()
    assert is_maildir(tmp_path / "Maildir") and not is_maildir(tmp_path)
    messages = list(maildir_messages(tmp_path / "Maildir"))
    assert sorted(read_message(m.data or b"").subject or "" for m in messages) == [
        "Klage over renter", "Klage: manglende renteudbetaling"]
    assert all(m.file_time and abs(m.file_time - datetime.now(UTC)) < timedelta(days=1) for m in messages)


def test_eml_file_source_keys_by_content(tmp_path: Path) -> None:
    [a] = file_messages(MAIL / "mutt-form.eml", "a.eml", "eml")
    copy = tmp_path / "b.eml"
    copy.write_bytes((MAIL / "mutt-form.eml").read_bytes())
    [b] = file_messages(copy, "b.eml", "eml")
    assert a.key == b.key and a.source != b.source


@pytest.mark.parametrize(("url", "problem"), [
    ("imaps://user:secret@host/INBOX", "no password in the URL"),
    ("pop3://user@host/INBOX", "imap:// or imaps://"),
    ("imap://host/INBOX", "needs a user and a host"),
    ("imap://u@host:port/INBOX", "port is not a number"),
])
def test_bad_imap_urls(url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        parse_imap_url(url)


def test_imap_url_defaults() -> None:
    url = parse_imap_url("imap://klage@127.0.0.1")
    assert (url.secure, url.port, url.folder, str(url)) == (False, 143, "INBOX", "imap://127.0.0.1:143/INBOX")


# -- a plain email is a complaint ---------------------------------------------------------------------------


@pytest.mark.parametrize(("sender", "last", "first", "codes"), [
    ("Eva Ørsted <eva@example.dk>", "Ørsted", "Eva", ["email_complaint"]),
    ("Hansen <hansen@example.dk>", "Hansen", None, ["email_complaint"]),
    ("eva@example.dk", "eva@example.dk", None, ["email_complaint", "name_from_address"]),
    ("Eva <not an address>", "Eva", None, ["email_complaint", "invalid_sender"]),
])
def test_email_complaint(sender: str, last: str, first: str | None, codes: list[str]) -> None:
    message = read_message(_message("Renten kom ikke.", sender=sender).as_bytes())
    complaint, review = email_complaint(message, documents=["kontoudtog.png"])
    assert (complaint["complainant"]["last_name"], complaint["complainant"]["first_name"]) == (last, first)
    assert complaint["subject"] == "Klage\n\nRenten kom ikke."
    assert complaint["documentation"]["other_documents_list"] == "kontoudtog.png"
    assert [r["code"] for r in review] == codes


def test_email_complaint_keeps_long_text_in_review() -> None:
    message = read_message(_message("ø" * 25_000).as_bytes())
    complaint, review = email_complaint(message)
    assert len(complaint["subject"]) == 20_000 and "text_cut" in [r["code"] for r in review]


def test_html_to_text_keeps_links() -> None:
    assert html_to_text('<p>Se <a href="https://kameo.dk/lån">her</a></p>') == "Se her (https://kameo.dk/lån)"


@pytest.mark.parametrize(("received", "day"), [
    ("2026-11-23", "2026-11-23"),
    ("2026-11-23T23:30:00-05:00", "2026-11-24"),  # 05:30 in Copenhagen
    ("2026-11-23T23:30:00+01:00", "2026-11-23"),
])
def test_receipt_day_is_the_day_in_scandinavia(received: str, day: str) -> None:
    assert receipt_day(received).isoformat() == day


# -- IMAP connection security, against a real Dovecot with a self-signed certificate ----------------------


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("::1", True), ("localhost", True),
                                                ("192.0.2.1", False), ("2001:db8::1", False)])
def test_only_loopback_counts_as_loopback(host: str, loopback: bool) -> None:
    assert _loopback(host) is loopback


@pytest.mark.parametrize("secure", [True, False], ids=["imaps", "starttls"])
def test_imap_tls_and_starttls(secure: bool) -> None:
    with dovecot(tls=True) as server:
        append(server, (MAIL / "mutt-plain.eml").read_bytes())
        port = server.tls_port if secure else server.port
        url = f"imap{'s' if secure else ''}://{server.user.replace('@', '%40')}@127.0.0.1:{port}/INBOX"
        trusted = ssl.create_default_context(cafile=str(server.ca_file))
        with ImapMailbox(url, server.password, ssl_context=trusted) as box:
            # imaps from the start, or upgraded by STARTTLS before the password was sent
            assert isinstance(box.client._imap.sock, ssl.SSLSocket)
            [message] = box.messages(set())
        assert message.data == (MAIL / "mutt-plain.eml").read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        with pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
            ImapMailbox(url, server.password).open()  # the system's CAs do not know this certificate


_SERVER = datetime(2026, 11, 24, 7, 0, 1, tzinfo=UTC)


@pytest.mark.parametrize(("date", "received", "when", "kind", "expected"), [
    # Plausible: the Date is the receipt time.
    ("Mon, 23 Nov 2026 09:15:00 +0100", True, None, "file", "date"),
    ("Mon, 23 Nov 2026 09:15:00 +0100", False, _SERVER, "server", "date"),
    # In the future, or long before our own server's time: not the receipt time.
    ("Thu, 01 Jan 2099 10:00:00 +0100", True, None, "file", "received"),
    ("Thu, 01 Jan 2099 10:00:00 +0100", False, _SERVER, "server", "server"),
    ("Thu, 01 Jan 2099 10:00:00 +0100", False, _SERVER, "file", "file"),
    ("Fri, 02 Oct 2026 09:15:00 +0100", True, None, "file", "received"),  # 53 days before Received
    ("Mon, 01 Jan 1970 00:00:00 +0000", False, None, "file", None),
    # Beyond the calendar in UTC: OverflowError before; now an unreadable Date, named as such.
    ("Fri, 31 Dec 9999 23:30:00 -1200", True, None, "file", "received"),
    ("Mon, 01 Jan 0001 00:30:00 +1400", False, _SERVER, "file", "file"),
    # A file's time may be a later copy's: three years before it is still the Date, six are not.
    ("Mon, 23 Nov 2023 09:15:00 +0100", False, _SERVER, "file", "date"),
    ("Mon, 23 Nov 2020 09:15:00 +0100", False, _SERVER, "file", "file"),
])
def test_a_date_the_sender_claims_is_the_receipt_time_only_when_plausible(
        date: str, received: bool, when: datetime | None, kind: str, expected: str | None) -> None:
    hop = "Received: from mx.kameo.dk by imap.kameo.dk; Tue, 24 Nov 2026 07:00:01 +0000\r\n" if received else ""
    m = read_message(f"{hop}Date: {date}\r\nFrom: eva@example.dk\r\nSubject: Klage\r\n\r\nTekst\r\n".encode())
    m.with_file_time(when, kind="server" if kind == "server" else "file", now=datetime(2026, 12, 1, tzinfo=UTC))
    assert m.received_from == (expected or "now")
    if expected == "date":
        assert m.received == m.date and not m.problems
    else:
        assert m.received in (_SERVER, when, datetime(2026, 12, 1, tzinfo=UTC))
        assert any("Date header" in p for p in m.problems)


def test_control_characters_in_the_sender_are_removed_and_named() -> None:
    m = read_message(b"From: =?utf-8?q?Eva=01Hansen?= <eva@example.dk>\r\nSubject: Klage\r\n\r\nTekst\r\n")
    assert (m.sender_name, m.sender_address) == ("Eva Hansen", "eva@example.dk")
    assert m.problems == ["control characters in the sender removed"]
    complaint, _ = email_complaint(m)
    assert complaint["complainant"]["last_name"] == "Hansen"


@pytest.mark.parametrize(("headers", "limit"), [
    (b"From: " + b" ".join([b"=?utf-8?q?=C3=98?="] * 1_000) + b" <x@example.dk>\r\n", "max_address_header_bytes"),
    (b"From: a@example.dk\r\nCc: " + b",".join(b"%d@x.dk" % n for n in range(1_001)) + b"\r\n", "max_addresses"),
    (b"From: a@example.dk\r\n" + b"Received: from a by b; Mon, 23 Nov 2026 09:15:00 +0100\r\n" * 2_000,
     "max_header_bytes"),
])
def test_header_limits_are_checked_before_parsing(headers: bytes, limit: str) -> None:
    with pytest.raises(MailLimitExceededError, match="limit is") as caught:
        read_message(headers + b"Subject: Klage\r\n\r\nTekst\r\n")
    assert caught.value.limit == limit


def test_a_million_parts_stop_at_the_limit_while_parsing() -> None:
    data = b"From: a@example.dk\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n" + b"--p\r\n\r\nx\r\n" * 1_000_000
    with pytest.raises(MailLimitExceededError, match="more than 500 MIME parts"):
        read_message(data + b"--p--\r\n")


def test_html_to_text_reads_sixteen_thousand_paragraphs() -> None:
    text = html_to_text("<html><head><title>T</title></head><body>" + "<p>x</p>" * 16_384 + "</body></html>")
    assert text == "\n\n".join(["x"] * 16_384)
    assert html_to_text("<a href='https://x.dk'>https://x.dk</a> <a href='mailto:e@x.dk'>mail</a>") == (
        "https://x.dk mail")
    assert html_to_text("<script>alert(1)</script><style>p{}</style>Tekst &amp; mere<br/>ny linje") == (
        "Tekst & mere\nny linje")
