"""The case page's work and the letters page (web/_case_actions.py, web/_letters_page.py) over real HTTP:
uvicorn on a loopback port, httpx, SQLite and the throw-away PostgreSQL, a real SMTP server (aiosmtpd,
tests/smtpd.py) for the letters that go by mail.

Every rule is the register's: the tests compare the page with what the service and the command line
say (the correction's refusal, the workflow's next statuses, the letter a profile cannot give).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
import struct
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from reportlab.pdfgen.canvas import Canvas

from klageformular import render_form
from klageformular.cli import main
from klageformular.org import Organisation, home_organisation
from klageformular.register import BatchFiles, MemoryFiles, OutgoingMessage, Profile, Register, add_record
from klageformular.web._words import WORDS

from .registers import complaint_record
from .smtpd import Server, smtp_server
from .webserver import Site, csrf_of, workbench

REF, OTHER = "KLA-2026-0001", "KLA-2026-0002"
PHONE = "+45 70 20 30 40"
DA = WORDS["da"]
PNG = b"\x89PNG\r\n\x1a\n"


def _office() -> Organisation:
    """The built-in Danish profile with what the acknowledgement needs (art. 3): a telephone and a timeframe."""
    base = home_organisation("da").model_dump()
    base["complaints_officer"] = base["complaints_officer"] | {"phone": PHONE}
    return Organisation.model_validate(base | {"decision_working_days": 15})


@pytest.fixture
def smtp() -> Iterator[Server]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    """The seeded workbench with the built-in profile (no telephone: no acknowledgement)."""
    with workbench(db_url) as running:
        yield running


@pytest.fixture
def office(db_url: str, smtp: Server) -> Iterator[Site]:
    """The workbench as an office runs it: its profile file (``serve --org-file``) and its mail server."""
    from klageformular.smtp import SmtpMailer, parse_smtp_url

    org = _office()
    with workbench(db_url, profiles={org.key: org}, mailer=SmtpMailer(parse_smtp_url(smtp.url), None)) as running:
        register = Register(running.engine, profiles={org.key: org})
        with register.session() as s, s.begin():  # the cases are handled under it (their deadlines recounted)
            register.set_profile_open(s, Profile.built_in(org), who="test")
        yield running


def _case(site: Site, reference: str = REF) -> object:
    register = Register(site.engine, profiles={"kameo-dk": _office()})
    with register.session() as s:
        return register.case(s, reference)


def _outbox(site: Site) -> list[OutgoingMessage]:
    register = Register(site.engine)
    with register.session() as s:
        return list(register.outbox(s, states=("queued", "sent", "failed", "to_post", "posted")))


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return found[1]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


# -- 1. correcting a review item ----------------------------------------------------------------------


def test_a_flagged_value_is_corrected_by_the_logged_in_user_and_the_typed_value_stays(site: Site) -> None:
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{REF}").text
    assert 'action="/cases/KLA-2026-0001/correct"' in page
    assert 'name="value" value="12"' in page  # the value as typed, beside the input
    done = linn.post(f"/cases/{REF}/correct", data={"csrf": csrf_of(page), "version": _version(page),
                                                    "path": "complainant.phone", "value": PHONE,
                                                    "note": "Kunden ringede"})
    assert (done.status_code, done.headers["location"]) == (303, f"/cases/{REF}")
    case = _case(site)
    assert case.review == ()  # type: ignore[attr-defined]
    fix = case.corrections[-1]  # type: ignore[attr-defined]
    assert (fix.who, fix.path, fix.typed, fix.code, fix.note) == ("linn", "complainant.phone", "12", "invalid_phone",
                                                                 "Kunden ringede")
    after = linn.get(f"/cases/{REF}").text
    assert f"<dd>+4570203040 <span class=\"typed-note\">({DA['typed']}: <code>12</code>)</span></dd>" in after


def test_a_refused_value_is_shown_beside_its_field_as_the_cli_refuses_it_and_nothing_changes(
        site: Site, capsys: pytest.CaptureFixture[str]) -> None:
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{REF}").text
    before = _case(site)
    refused = linn.post(f"/cases/{REF}/correct", data={"csrf": csrf_of(page), "version": _version(page),
                                                       "path": "complainant.phone", "value": "12 34",
                                                       "note": "Kunden ringede"})
    assert refused.status_code == 422
    assert 'name="value" value="12 34"' in refused.text and 'aria-invalid="true"' in refused.text
    shown = re.search(r'class="error" role="alert">[^<]*<code>([^<]+)</code>', refused.text)
    assert shown is not None
    assert _case(site) == before  # nothing changed, not even the version
    assert main(["register", "correct", REF, "complainant.phone", "12 34", "--note", "x", "--db", site.db_url]) != 0
    cli = capsys.readouterr().err.strip().removeprefix("klageformular: ")
    assert shown[1] == cli.replace("'", "&#39;")  # word for word the command line's refusal
    assert "invalid_phone" in shown[1]


def test_a_correction_on_a_stale_version_is_409_with_who_changed_it_and_when(site: Site) -> None:
    linn, _ = site.login("linn")
    mikkel, _ = site.login("mikkel")
    seen = linn.get(f"/cases/{REF}").text
    other = mikkel.get(f"/cases/{REF}").text
    assert mikkel.post(f"/cases/{REF}/assign", data={"csrf": csrf_of(other), "version": _version(other)}
                       ).status_code == 303
    stale = linn.post(f"/cases/{REF}/correct", data={"csrf": csrf_of(seen), "version": _version(seen),
                                                     "path": "complainant.phone", "value": PHONE, "note": "n"},
                      headers={"HX-Request": "true"})
    assert stale.status_code == 409
    assert re.search(r"KLA-2026-0001 was assigned by mikkel at \d\d:\d\d UTC; nothing done", stale.text)
    assert stale.headers["hx-retarget"] == "#main"  # htmx swaps the whole page: all of it was stale
    assert _case(site).corrections == ()  # type: ignore[attr-defined]


# -- 2. status actions, the decision clock, related complaints ------------------------------------


def test_only_the_statuses_the_workflow_allows_are_offered_and_a_change_is_the_services(site: Site) -> None:
    linn, _ = site.login("linn")
    register = Register(site.engine)
    page = linn.get(f"/cases/{OTHER}").text
    offered = re.findall(r'<option value="(\w+)">[^<]*\(\w+\)</option>', page)
    assert tuple(offered) == register.next_statuses("received") == ("acknowledged", "escalated")
    done = linn.post(f"/cases/{OTHER}/status", data={"csrf": csrf_of(page), "version": _version(page),
                                                     "status": "acknowledged", "note": "by telephone"})
    assert done.status_code == 303
    page = linn.get(f"/cases/{OTHER}").text
    assert tuple(re.findall(r'<option value="(\w+)">[^<]*\(\w+\)</option>', page)) == \
        register.next_statuses("acknowledged")
    refused = linn.post(f"/cases/{OTHER}/status", data={"csrf": csrf_of(page), "version": _version(page),
                                                        "status": "closed"}, headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "cannot go from acknowledged to closed" in refused.text
    # The reason is above the sections: htmx swaps the whole page, as for a stale version and a refused note.
    assert (refused.headers["hx-retarget"], refused.headers["hx-reselect"]) == ("#main", "#main")
    event = _case(site, OTHER).events[-1]  # type: ignore[attr-defined]
    assert (event.who, event.from_status, event.to_status, event.note) == ("linn", "received", "acknowledged",
                                                                           "by telephone")


def test_extend_wait_and_resume_move_the_decision_date_as_the_cli_does(office: Site) -> None:
    linn, _ = office.login("linn")
    page = linn.get(f"/cases/{OTHER}").text
    decide_by = _case(office, OTHER).decide_by  # type: ignore[attr-defined]
    assert decide_by is not None
    missing = linn.post(f"/cases/{OTHER}/extend", data={"csrf": csrf_of(page), "version": _version(page),
                                                        "to": "2027-01-29", "reason": " "})
    assert missing.status_code == 409 and DA["refused"] in missing.text
    done = linn.post(f"/cases/{OTHER}/extend", data={"csrf": csrf_of(page), "version": _version(page),
                                                     "to": "2027-01-29", "reason": "Vi venter på en vurdering"})
    assert done.status_code == 303
    case = _case(office, OTHER)
    assert (case.extended_to, case.decide_by, case.extension_reason) == (  # type: ignore[attr-defined]
        date(2027, 1, 29), date(2027, 1, 29), "Vi venter på en vurdering")
    page = linn.get(f"/cases/{OTHER}").text
    assert linn.post(f"/cases/{OTHER}/wait", data={"csrf": csrf_of(page), "version": _version(page),
                                                   "what": "kontrakten"}).status_code == 303
    case = _case(office, OTHER)
    assert (case.waiting_since, case.waiting_for) == (date(2026, 11, 25), "kontrakten")  # type: ignore[attr-defined]
    page = linn.get(f"/cases/{OTHER}").text
    assert f'action="/cases/{OTHER}/resume"' in page and f'action="/cases/{OTHER}/wait"' not in page
    assert linn.post(f"/cases/{OTHER}/resume", data={"csrf": csrf_of(page), "version": _version(page)}
                     ).status_code == 303
    assert _case(office, OTHER).waiting_since is None  # type: ignore[attr-defined]
    assert [e.what for e in _case(office, OTHER).events[-3:]] == ["extend", "wait", "resume"]  # type: ignore[attr-defined]


def test_related_complaints_are_listed_with_links_to_their_case_pages(site: Site) -> None:
    add_record(site.engine, complaint_record(3, email="kunde1@example.dk", received="2026-11-24"))
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{REF}").text
    assert DA["related"] in page
    assert '<a href="/cases/KLA-2026-0003">KLA-2026-0003</a>' in page
    assert linn.get("/cases/KLA-2026-0003").status_code == 200


# -- 3. documents --------------------------------------------------------------------------------------


def _crop_png(width: int = 240, height: int = 40) -> bytes:
    from PIL import Image, ImageDraw, PngImagePlugin

    image = Image.new("L", (width, height), 255)
    ImageDraw.Draw(image).text((8, 12), "Aarhus", fill=0)
    extra = PngImagePlugin.PngInfo()
    extra.add_text("Comment", "a chunk the page never needs")  # dropped by a decode and encode
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=extra)
    return out.getvalue()


def _scanned(site: Site, tmp_path: Path, number: int, crops: dict[str, bytes]) -> str:
    """Case ``number`` read from a scan: ``complainant.city`` handwritten, its crop(s) as the paper path stores them."""
    out = tmp_path / f"out-{number}"
    (out / "attachments").mkdir(parents=True)
    attachments = []
    for name, data in crops.items():
        digest = hashlib.sha256(data).hexdigest()
        (out / "attachments" / digest).write_bytes(data)
        attachments.append({"name": name, "content_type": "image/png", "size": len(data), "sha256": digest,
                            "path": f"attachments/{digest}"})
    record = complaint_record(number, status="needs_review", method="scan", attachments=attachments)
    record["review"] = [{"path": "complainant.city", "label": "By", "value": None, "code": "handwritten",
                         "message": "is handwritten on a scanned form: key the value from its crop"}]
    add_record(site.engine, record, files=BatchFiles(out, tmp_path / "inbox"))
    return f"KLA-2026-{number:04d}"


def test_a_handwritten_value_shows_the_scans_crop_beside_its_input_as_our_own_png(site: Site, tmp_path: Path) -> None:
    crop = _crop_png()
    ref = _scanned(site, tmp_path, 3, {"scan-complainant.city.png": crop})
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{ref}").text
    shown = re.search(r'<img class="crop" src="(/cases/KLA-2026-0003/documents/(\d+)/crop\.png)" alt="([^"]+)"', page)
    assert shown is not None and shown[3] == f"{DA['scan_crop']}: By"
    row = page[page.index('<tr class="flag">'):page.index("</tr>", page.index('<tr class="flag">'))]
    assert shown[0] in row and 'name="path" value="complainant.city"' in row  # beside this field's input
    image = linn.get(shown[1])
    assert (image.status_code, image.headers["content-type"]) == (200, "image/png")
    assert "content-disposition" not in image.headers  # inline: written here
    assert _png_size(image.content) == (240, 40) and b"tEXt" in crop and b"tEXt" not in image.content  # ours
    # The bytes as the customer's scan gave them stay the document's download.
    original = linn.get(f"/cases/{ref}/documents/{shown[2]}")
    assert original.headers["content-disposition"].startswith("attachment;") and original.content == crop


def test_a_crop_that_is_not_a_png_is_never_shown_inline(site: Site, tmp_path: Path) -> None:
    fake = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    ref = _scanned(site, tmp_path, 3, {"scan-complainant.city.png": fake, "Klage.png": _crop_png()})
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{ref}").text
    shown = re.search(r'src="/cases/KLA-2026-0003/documents/(\d+)/crop\.png"', page)
    assert shown is not None  # the page cannot know; the route checks the bytes
    refused = linn.get(f"/cases/{ref}/documents/{shown[1]}/crop.png")
    assert (refused.status_code, refused.headers["location"]) == (303, f"/cases/{ref}/documents/{shown[1]}")
    download = linn.get(refused.headers["location"])
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-security-policy"].startswith("sandbox;") and download.content == fake
    # A real PNG not named as a crop is no crop either: its download, not an inline image.
    other = next(n for n in re.findall(r'/documents/(\d+)" download', page) if n != shown[1] and n != "1")
    assert linn.get(f"/cases/{ref}/documents/{other}/crop.png").status_code == 303
    assert linn.get(f"/cases/{ref}/documents/99/crop.png").status_code == 404
    viewer, _ = site.login("revisor")
    assert viewer.get(f"/cases/{ref}").status_code == 200 and 'class="crop"' in viewer.get(f"/cases/{ref}").text


def _tall_pdf() -> bytes:
    """One page 100 pt wide and 20,000 pt tall: 900 px wide it would be 180 million pixels."""
    import io

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(100, 20_000))
    canvas.drawString(10, 10, "tall")
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_pdf_pages_are_pngs_drawn_here_within_a_ceiling_and_the_original_stays_an_attachment(site: Site) -> None:
    form, tall = render_form(), _tall_pdf()
    for i, data, name in ((3, form, "Klage 3.pdf"), (4, tall, "Lang.pdf")):
        add_record(site.engine, complaint_record(i, source=f"web/{name}", sha256=hashlib.sha256(data).hexdigest()),
                   files=MemoryFiles({f"web/{name}": data}))
    viewer, _ = site.login("revisor")  # reading the pages is reading: a viewer may
    page = viewer.get("/cases/KLA-2026-0003").text
    assert 'src="/cases/KLA-2026-0003/documents/1/pages/1.png"' in page
    pages = viewer.get("/cases/KLA-2026-0003/documents/1/pages")
    assert pages.status_code == 200
    assert pages.text.count('/documents/1/pages/') == 3  # every page of the form
    image = viewer.get("/cases/KLA-2026-0003/documents/1/pages/2.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert "content-disposition" not in image.headers  # our own image: inline
    width, height = _png_size(image.content)
    assert width == 900 and 1200 < height < 1300  # A4 at 900 px
    original = viewer.get("/cases/KLA-2026-0003/documents/1")
    assert original.headers["content-disposition"].startswith("attachment;") and original.content == form
    # Opened in a tab anyway: sandboxed (the route's own policy is no longer replaced by the page policy).
    assert original.headers["content-security-policy"].startswith("sandbox;")
    assert "sandbox" not in image.headers["content-security-policy"]
    assert viewer.get("/cases/KLA-2026-0003/documents/1/pages/4.png").status_code == 422
    too_tall = viewer.get("/cases/KLA-2026-0004/documents/1/pages/1.png")
    assert (too_tall.status_code, too_tall.text) == (422, "the page is too tall to show as an image")
    not_a_pdf = viewer.get(f"/cases/{REF}/documents/1/pages")  # the seeded file is no PDF
    assert not_a_pdf.status_code == 200 and DA["no_pages"] in not_a_pdf.text
    assert viewer.get(f"/cases/{REF}/documents/1/pages/1.png").status_code == 422


def test_an_html_email_is_shown_as_text_never_as_html(site: Site, tmp_path: Path) -> None:
    message = (b"From: Eva <eva@example.dk>\r\nTo: klage@kameo.dk\r\nSubject: Klage over renten\r\n"
               b"Message-ID: <m5@example.dk>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
               b"<p>Renten kom <b>ikke</b>.</p><script>alert(1)</script><img src=x onerror=alert(2)>"
               b"<p>Se <a href='https://x.dk/k'>kontoen</a></p>\r\n")
    (tmp_path / "out" / "messages").mkdir(parents=True)
    (tmp_path / "out" / "messages" / "m5.eml").write_bytes(message)
    add_record(site.engine, complaint_record(5, method="email", message_id="<m5@example.dk>", source="mail/m5.eml",
                                             message_file="messages/m5.eml",
                                             sha256=hashlib.sha256(message).hexdigest()),
               files=BatchFiles(tmp_path / "out", tmp_path / "inbox"))
    linn, _ = site.login("linn")
    page = linn.get("/cases/KLA-2026-0003").text
    link = re.search(r'href="(/cases/KLA-2026-0003/documents/(\d+)/text)"', page)
    assert link is not None
    shown = linn.get(link[1])
    assert shown.status_code == 200
    assert "Renten kom ikke." in shown.text and "Se kontoen (https://x.dk/k)" in shown.text
    assert "<script>alert" not in shown.text and "onerror" not in shown.text and "<b>ikke" not in shown.text
    assert "Klage over renten" in shown.text  # the subject, as text
    download = linn.get(f"/cases/KLA-2026-0003/documents/{link[2]}")
    assert download.headers["content-disposition"].startswith("attachment;")


# -- 4. htmx -------------------------------------------------------------------------------------------


def test_htmx_is_ours_configured_without_inline_styles_and_the_csrf_token_travels_in_a_header(site: Site) -> None:
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{REF}")
    assert '<script src="/static/htmx.min.js" defer></script>' in page.text
    assert '"includeIndicatorStyles":false' in page.text and '"allowEval":false' in page.text
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    assert "<script>" not in page.text and " style=" not in page.text
    assert 'hx-post="/cases/KLA-2026-0001/notes"' in page.text and 'action="/cases/KLA-2026-0001/notes"' in page.text
    htmx = linn.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and "htmx" in htmx.text[:2000]
    assert "2.0" in linn.get("/static/README.md").text
    assert "Zero-Clause BSD" in linn.get("/static/htmx.LICENSE").text
    token = csrf_of(page.text)
    by_header = linn.post(f"/cases/{REF}/notes", data={"text": "via htmx"},
                          headers={"X-CSRF-Token": token, "HX-Request": "true"})
    assert by_header.status_code == 303
    wrong = linn.post(f"/cases/{REF}/notes", data={"text": "forged"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    assert [e.note for e in _case(site).events if e.what == "note"] == ["via htmx"]  # type: ignore[attr-defined]


# -- 5. letters ----------------------------------------------------------------------------------------


def test_a_letter_the_profile_cannot_give_is_refused_as_the_cli_refuses_it(site: Site,
                                                                            capsys: pytest.CaptureFixture[str]
                                                                            ) -> None:
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{OTHER}/letters").text
    preview = linn.post(f"/cases/{OTHER}/letters/preview", data={"csrf": csrf_of(page), "kind": "ack"})
    assert preview.status_code == 422
    assert main(["letter", "ack", OTHER, "--db", site.db_url, "-o", "/dev/null"]) != 0
    cli = capsys.readouterr().err.strip().removeprefix("klageformular: ")
    assert "complaints_officer.phone" in cli
    assert cli.replace("'", "&#39;") in preview.text
    sent = linn.post(f"/cases/{OTHER}/letters/send", data={"csrf": csrf_of(page), "kind": "ack", "channel": "email",
                                                           "version": _version(page)})
    assert sent.status_code == 422 and DA["letter_refused"] in sent.text
    stale = linn.post(f"/cases/{OTHER}/letters/send", data={"csrf": csrf_of(page), "kind": "ack", "channel": "post",
                                                            "version": "0"})
    assert stale.status_code == 409 and DA["stale"] in stale.text
    assert re.search(r"KLA-2026-0002 was changed by intake at [\d: -]+UTC; nothing done", stale.text)
    assert _outbox(site) == []


def test_the_reasons_preview_is_the_letters_markdown_escaped(site: Site) -> None:
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{REF}/letters?kind=decision").text
    shown = linn.post(f"/cases/{REF}/letters/markdown", headers={"X-CSRF-Token": csrf_of(page), "HX-Request": "true"},
                      data={"reasons": "**Nej.** <script>alert(1)</script>\n\n- [vilkår](https://kameo.dk/v)\n"
                                       "- [x](javascript:alert(3))"})
    assert shown.status_code == 200
    assert "<strong>Nej.</strong>" in shown.text and "&lt;script&gt;" in shown.text
    assert "<li>vilkår (https://kameo.dk/v)</li>" in shown.text
    assert "<a " not in shown.text and "<script" not in shown.text
    assert linn.post(f"/cases/{REF}/letters/markdown", data={"reasons": "x"}).status_code == 403  # no token


def test_acknowledge_by_mail_through_the_outbox_then_decide_on_paper_and_mark_it_posted(office: Site,
                                                                                       smtp: Server) -> None:
    linn, _ = office.login("linn")
    page = linn.get(f"/cases/{OTHER}/letters").text
    preview = linn.post(f"/cases/{OTHER}/letters/preview", data={"csrf": csrf_of(page), "kind": "ack",
                                                                 "dated": "2026-11-25"})
    assert preview.status_code == 200
    images = re.findall(r'src="(/cases/KLA-2026-0002/letters/ack/pages/\d+\.png\?[^"]+)"', preview.text)
    assert images
    first = linn.get(images[0].replace("&amp;", "&"))
    assert first.headers["content-type"] == "image/png" and _png_size(first.content)[0] == 900
    sent = linn.post(f"/cases/{OTHER}/letters/send", data={"csrf": csrf_of(page), "kind": "ack", "channel": "email",
                                                           "dated": "2026-11-25", "version": _version(page)})
    assert (sent.status_code, sent.headers["location"]) == (303, f"/cases/{OTHER}#letters")
    assert len(smtp.messages) == 1
    message = email.message_from_bytes(smtp.messages[0], policy=email.policy.default)
    assert smtp.envelopes[0][1] == ["kontor@gul.dk"]  # the representative's address (the sample's)
    assert str(message["Message-ID"]) == _outbox(office)[0].message_id
    case = _case(office, OTHER)
    assert case.status == "acknowledged"  # type: ignore[attr-defined]
    assert [e.who for e in case.events if e.what in ("ack_letter", "letter_sent")] == ["linn", "linn"]  # type: ignore[attr-defined]
    shown = linn.get(f"/cases/{OTHER}").text
    assert "<code>sent</code>" in shown and DA["state.sent"] in shown

    page = linn.get(f"/cases/{OTHER}/letters?kind=decision").text
    decision = {"csrf": csrf_of(page), "kind": "decision", "dated": "2026-11-25", "outcome": "not_upheld",
                "reasons": "Renten er **betalt** til tiden.", "version": _version(page)}
    preview = linn.post(f"/cases/{OTHER}/letters/preview", data=decision)
    assert preview.status_code == 200 and "<strong>betalt</strong>" in preview.text
    paper = linn.post(f"/cases/{OTHER}/letters/send", data=decision | {"channel": "post"})
    assert paper.status_code == 303
    printed = re.search(r"printed=(\d+)", paper.headers["location"])
    assert printed is not None
    letters = linn.get(paper.headers["location"]).text
    assert DA["recorded_for_post"] in letters
    pdf = linn.get(f"/cases/{OTHER}/documents/{printed[1]}")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-disposition"].startswith("attachment;")
    assert len(smtp.messages) == 1  # nothing more by mail
    shown = linn.get(f"/cases/{OTHER}").text
    assert "<code>to_post</code>" in shown
    posted = linn.post(f"/cases/{OTHER}/letters/posted", data={"csrf": csrf_of(shown), "kind": "decision",
                                                               "version": _version(shown)})
    assert posted.status_code == 303
    case = _case(office, OTHER)
    assert (case.status, case.outcome, case.decided_on) == ("decided", "not_upheld", date(2026, 11, 25))  # type: ignore[attr-defined]
    assert "<code>posted</code>" in linn.get(f"/cases/{OTHER}").text


def test_a_viewer_cannot_open_the_letters_page(site: Site) -> None:
    viewer, _ = site.login("revisor")
    assert viewer.get(f"/cases/{REF}/letters").status_code == 403
    assert viewer.get(f"/cases/{REF}/letters/ack/pages/1.png").status_code == 403


def test_serve_takes_the_offices_profile_files() -> None:
    from klageformular.cli import _parser

    args = _parser().parse_args(["serve", "--org-file", "a.toml", "--org-file", "b.toml"])
    assert args.org_file == ["a.toml", "b.toml"]


def test_a_render_past_its_memory_or_input_ceiling_costs_the_child_only() -> None:
    """web/_pdfpages.py: the child's address-space ceiling ends a render that needs more (here: any), and a
    document over the input ceiling is not even handed to it; the server goes on."""
    from klageformular.web._pdfpages import PageLimits, RenderError, page_count, page_png

    form = render_form()
    with pytest.raises(RenderError, match=r"the renderer ended with -?\d+"):
        page_png(form, 1, limits=PageLimits(memory_bytes=20_000_000))
    with pytest.raises(RenderError, match="too large to show as images"):
        page_count(form, limits=PageLimits(max_input_bytes=len(form) - 1))
    with pytest.raises(RenderError, match="only pages 1 to 50"):
        page_png(form, 51)
    assert page_count(form) == 3  # and the next render works


def test_the_route_walk_of_test_web_sees_every_route_these_pages_add(site: Site) -> None:
    """tests/test_web.py walks the app's whole route table (no session, a viewer's POSTs, no CSRF token):
    each route added here is in that walk without being named there."""
    from .test_web import _actions, _routes

    ours = {("POST", f"/cases/{REF}/{name}") for name in ("correct", "status", "extend", "wait", "resume",
                                                           "letters/preview", "letters/markdown", "letters/send",
                                                           "letters/posted")}
    ours |= {("GET", f"/cases/{REF}/{name}") for name in ("documents/1/pages", "documents/1/pages/1.png",
                                                          "documents/1/text", "letters", "letters/ack/pages/1.png")}
    assert ours <= set(_routes(site))
    assert {path for method, path in ours if method == "POST"} <= set(_actions(site))


# -- legal hold and erasure (register hold|release|erase) ----------------------------------------------


def test_a_held_case_says_since_when_by_whom_and_why_and_a_released_one_no_longer(site: Site) -> None:
    register = Register(site.engine)
    with register.session() as s, s.begin():
        register.hold(s, OTHER, reason="Retssag 2026-117 ved Retten i Aarhus", who="jurist")
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{OTHER}").text
    banner = re.search(r'<div class="retention" id="legal-hold"><p>(.*?)</p></div>', page, re.S)
    assert banner is not None
    shown = re.sub(r"\s+", " ", banner[1])
    assert re.fullmatch(r"<strong>Retlig tilbageholdelse</strong>: tilbageholdt siden \d{4}-\d\d-\d\d \d\d:\d\d UTC "
                        r"af jurist, begrundelse: Retssag 2026-117 ved Retten i Aarhus", shown), shown
    assert 'id="legal-hold"' not in linn.get(f"/cases/{REF}").text  # only the held case
    with register.session() as s, s.begin():
        register.release(s, OTHER, who="jurist", note="Sagen er afsluttet")
    assert 'id="legal-hold"' not in linn.get(f"/cases/{OTHER}").text


def test_an_erased_case_shows_when_and_under_what_it_was_erased_instead_of_its_empty_values(site: Site) -> None:
    register = Register(site.engine)
    with register.session() as s, s.begin():
        for status, outcome in (("acknowledged", None), ("under_review", None), ("decided", "not_upheld"),
                                ("closed", None)):
            register.set_status(s, OTHER, status, who="linn", outcome=outcome)
    viewer, _ = site.login("revisor")
    before = viewer.get(f"/cases/{OTHER}").text
    assert "kunde2@example.dk" in before and 'id="erased"' not in before
    with register.session() as s, s.begin():
        register.erase(s, OTHER, reason="Kundens mail 2026-11-25", who="linn")
    page = viewer.get(f"/cases/{OTHER}").text
    banner = re.search(r'<div class="retention" id="erased"><p>(.*?)</p>', page, re.S)
    assert banner is not None
    shown = re.sub(r"\s+", " ", banner[1])
    assert re.fullmatch(r"<strong>Personoplysninger slettet</strong>: slettet \d{4}-\d\d-\d\d \d\d:\d\d UTC "
                        r"på anmodning \(GDPR art\. 17\) af linn · <code>request</code>", shown), shown
    assert DA["erased_locked"] not in page  # a viewer adds nothing anyway
    complaint = page[page.index('<section id="complaint"'):page.index("</section>", page.index('id="complaint"'))]
    assert DA["erased_gone"] in complaint and "<dl" not in complaint  # no empty fields
    assert "kunde2@example.dk" not in page


def test_an_erased_case_offers_no_form_the_register_would_refuse_and_refuses_a_post_anyway(site: Site) -> None:
    """No note, correction, letter, extension or waiting on an erased case's page; the status form without its note
    and assign stay (the register allows both). A post made anyway is refused with the register's reason."""
    register = Register(site.engine)
    with register.session() as s, s.begin():
        for status, outcome in (("acknowledged", None), ("under_review", None), ("decided", "not_upheld"),
                                ("closed", None)):
            register.set_status(s, OTHER, status, who="linn", outcome=outcome)
        register.erase(s, OTHER, reason="Kundens mail 2026-11-25", who="linn")
    linn, _ = site.login("linn")
    page = linn.get(f"/cases/{OTHER}").text
    assert DA["erased_locked"] in page and "· <code>request</code>" in page and "Kundens mail" not in page
    action = f'action="/cases/{OTHER}/'
    assert f"{action}status" in page and f"{action}assign" in page
    for refused in ("notes", "correct", "extend", "wait"):
        assert f"{action}{refused}" not in page
    assert 'name="note"' not in page and f'href="/cases/{OTHER}/letters' not in page
    events = len(_case(site, OTHER).events)  # type: ignore[attr-defined]
    csrf, version = csrf_of(page), _version(page)
    reason = re.compile(rf"{OTHER} was erased on \d{{4}}-\d\d-\d\d: nothing personal can be added to it")
    note = linn.post(f"/cases/{OTHER}/notes", data={"csrf": csrf, "text": "Kunden ringede igen"},
                     headers={"HX-Request": "true"})
    assert note.status_code == 409 and reason.search(note.text) and note.headers["hx-retarget"] == "#main"
    with_note = linn.post(f"/cases/{OTHER}/status", data={"csrf": csrf, "version": version, "status": "escalated",
                                                          "note": "Kunden gik til nævnet"})
    assert with_note.status_code == 409 and reason.search(with_note.text)
    fix = linn.post(f"/cases/{OTHER}/correct", data={"csrf": csrf, "version": version, "path": "complainant.phone",
                                                     "value": PHONE, "note": "ringede"})
    assert fix.status_code == 422 and reason.search(fix.text)
    assert len(_case(site, OTHER).events) == events  # type: ignore[attr-defined]
    # Without a note the status may change (the erasure keeps the status history); the page stays as strict.
    assert linn.post(f"/cases/{OTHER}/status", data={"csrf": csrf, "version": version, "status": "escalated"}
                     ).status_code == 303
    page = linn.get(f"/cases/{OTHER}").text
    assert _case(site, OTHER).status == "escalated"  # type: ignore[attr-defined]
    assert f"{action}wait" not in page and f"{action}extend" not in page and f"{action}notes" not in page
    assert f'href="/cases/{OTHER}/letters' not in page
    for path, data in (("extend", {"to": "2027-03-01", "reason": "Nævnet spørger"}), ("wait", {"what": "kontrakten"})):
        answer = linn.post(f"/cases/{OTHER}/{path}", data={"csrf": csrf_of(page), "version": _version(page), **data})
        assert answer.status_code == 409 and reason.search(answer.text), path
    letters = linn.get(f"/cases/{OTHER}/letters").text
    assert DA["erased_no_letters"] in letters and "/letters/send" not in letters
    sent = linn.post(f"/cases/{OTHER}/letters/send", data={"csrf": csrf_of(letters), "kind": "decision",
                                                           "outcome": "not_upheld", "reasons": "Vi afviser",
                                                           "channel": "post"})
    assert sent.status_code == 422 and reason.search(sent.text)
    assert [o for o in _outbox(site) if o.reference == OTHER] == []
