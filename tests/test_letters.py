"""Acknowledgement and decision letters: required content per language and outcome, PDF/A-2b, the
window-envelope address, Markdown reasons, refusals, the email, and the command line."""

from __future__ import annotations

import email
import email.policy
import io
import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from klageformular import Complaint
from klageformular.cli import main
from klageformular.exceptions import ConfigurationError, LanguageNotAvailableError, LetterNotAllowedError
from klageformular.letters import (
    Attachment,
    LetterCase,
    LetterKind,
    acknowledgement_letter,
    decision_letter,
    letter_case_from_record,
    letter_message,
    message_bytes,
    write_letter,
)
from klageformular.locales import letter_texts as texts
from klageformular.org import Organisation, home_organisation

from .tagged import pdfjs_structure, unembedded_fonts, unmarked_painting, walk

LANGS = ("da", "en", "nb", "sv")
PHONE = "+47 41 23 45 67"
RECEIVED, ACK_DATE, DECISION_DATE = date(2026, 11, 24), date(2026, 11, 25), date(2026, 12, 10)
SENT_AT = datetime(2026, 11, 25, 10, 31, 7, tzinfo=UTC)
# Received Tuesday 24 November 2026 + 15 working days: 15 December in all three countries.
DECISION_BY = {"da": "15. december 2026", "en": "15 December 2026", "nb": "15. desember 2026",
               "sv": "15 december 2026"}
REASONS = """Vi har gennemgået **udbetalingen** af renter på lån KA-1042.

1. Renten forfaldt den *15. oktober 2026*.
2. Den blev udbetalt:
   - 17 dage for sent,
   - uden morarenter.

> Vilkårenes § 7: renter udbetales ved forfald.

Se <https://www.kameo.dk/vilkaar> og [prislisten](https://www.kameo.dk/priser). <b>ikke HTML</b>
"""


def _org(lang: str, *, phone: str | None = PHONE, days: int | None = 15) -> Organisation:
    base = home_organisation(lang).model_dump()
    base["complaints_officer"] = base["complaints_officer"] | {"phone": phone}
    return Organisation.model_validate(base | {"decision_working_days": days})


def _complaint(*, paper: bool = False, **extra: Any) -> Complaint:
    data: dict[str, Any] = {
        "complainant": {"last_name": "Żółć", "first_name": "Łukasz", "email": "lukasz@example.dk",
                        "street": "Ærøgade 7, 2. th.", "postcode": "8000", "city": "Aarhus C"},
        "subject": "Renten på lån KA-1042 blev ikke udbetalt til tiden.",
        "investment": {"reference": "KA-1042"},
        "documentation": {"contractual_documents": True},
        "reply_channel": "paper" if paper else "electronic",
    }
    return Complaint.model_validate(data | extra)


def _case(lang: str = "da", *, org: Organisation | None = None, **kw: Any) -> LetterCase:
    paper = kw.pop("paper", False)
    complaint = kw.pop("complaint", None) or _complaint(paper=paper)
    attachments = kw.pop("attachments", (Attachment("kontoudtog.pdf", 1234, "application/pdf"),))
    return LetterCase(reference="KLA-2026-0001", received=RECEIVED, complaint=complaint, org=org or _org(lang),
                      lang=lang, attachments=attachments, **kw)


def _text(pdf: bytes) -> str:
    """The text layer with whitespace (and line wrapping) collapsed."""
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        return " ".join(" ".join((page.extract_text() or "").split()) for page in doc.pages)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("admissibility", ["admissible", "needs_more_information", "inadmissible"])
def test_acknowledgement_has_the_required_items(lang: str, admissibility: str) -> None:
    reason = "kopi af låneaftalen." if admissibility != "admissible" else None
    case = _case(lang, admissibility=admissibility, admissibility_reason=reason)
    t = texts(lang)
    text = _text(acknowledgement_letter(case, dated=ACK_DATE))
    months = t["months"].split()
    received = t["date"].format(day=24, month=months[10], year=2026)
    for item in ("KLA-2026-0001", received, t["ack.title"], "linn@kameo.no", PHONE, "Linn Hoel Ringvoll",
                 t["received.acroform"], "kontoudtog.pdf", "KA-1042", t["doc.contractual_documents"],
                 *(b.name for b in case.org.escalation)):
        assert item in text, item
    if admissibility == "inadmissible":
        assert DECISION_BY[lang] not in text  # no decision follows: this letter is the answer
    else:
        assert DECISION_BY[lang] in text and "15" in text
    if reason:
        assert reason in text
    assert f"{t['page']} 1/" in text


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("outcome", ["upheld", "partly_upheld", "not_upheld"])
def test_decision_has_outcome_reasons_and_remedies(lang: str, outcome: str) -> None:
    case = _case(lang)
    t = texts(lang)
    pdf = decision_letter(case, outcome=outcome, reasons=REASONS, dated=DECISION_DATE)  # type: ignore[arg-type]
    text = _text(pdf)
    for item in ("KLA-2026-0001", t["decision.title"], t[f"outcome.{outcome}"], t["reasons.h"], t["next.h"],
                 "Renten forfaldt den 15. oktober 2026.", "17 dage for sent,", "linn@kameo.no", PHONE):
        assert item in text, item
    for body in (*case.org.escalation, *case.org.authorities):
        assert body.name in text
        for line in body.contact_lines(t["phone_abbr"]):
            assert line in text, line  # addresses, phones, web and email of each body


def test_decision_markdown_is_rendered_not_printed() -> None:
    pdf = decision_letter(_case(), outcome="not_upheld", reasons=REASONS, dated=DECISION_DATE)
    text = _text(pdf)
    assert "**" not in text and "> Vilk" not in text and "](" not in text
    assert "1. Renten forfaldt" in text and "2. Den blev udbetalt" in text and "• 17 dage" in text
    assert "https://www.kameo.dk/vilkaar" in text and "prislisten (https://www.kameo.dk/priser)" in text
    assert "<b>ikke HTML</b>" in text  # raw HTML is shown, never interpreted
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        chars = [c for page in doc.pages for c in page.chars]

    def font_of(word: str) -> str:
        joined = "".join(c["text"] for c in chars)
        start = joined.index(word)
        return str(chars[start]["fontname"])

    assert font_of("udbetalingen").endswith("NotoSans-Bold")
    assert font_of("15. oktober 2026").endswith("NotoSans-Italic")
    assert font_of("Vilkårenes").endswith("NotoSans-Italic")  # the block quote
    assert font_of("Renten forfaldt").endswith("NotoSans-Regular")


@pytest.mark.parametrize("kind", ["ack", "decision"])
def test_letters_are_deterministic(kind: str) -> None:
    def make() -> bytes:
        case = _case("sv", paper=True)
        if kind == "ack":
            return acknowledgement_letter(case, dated=ACK_DATE)
        return decision_letter(case, outcome="partly_upheld", reasons=REASONS, dated=DECISION_DATE)

    first = make()
    assert make() == first
    other = acknowledgement_letter(_case("sv", paper=True), dated=date(2026, 11, 26)) if kind == "ack" else \
        decision_letter(_case("sv", paper=True), outcome="not_upheld", reasons=REASONS, dated=DECISION_DATE)
    assert other != first


# --- PDF/A-2b ---------------------------------------------------------------------------------------

def _fonts(reader: PdfReader) -> list[DictionaryObject]:
    out = []
    for page in reader.pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            out += [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
    return out


@pytest.mark.parametrize("paper", [False, True])
def test_pdfa_structure(paper: bool) -> None:
    """The checks ISO 19005-2 level B makes of what we write, made here without a validator."""
    pdf = decision_letter(_case("nb", paper=paper), outcome="upheld", reasons=REASONS, dated=DECISION_DATE)
    assert pdf.startswith(b"%PDF-1.7\n%")  # header, then a binary comment
    reader = PdfReader(io.BytesIO(pdf))
    root = reader.trailer["/Root"]
    assert not reader.is_encrypted and "/ID" in reader.trailer
    # Fonts: every one embedded, none of the standard 14 (Helvetica) referenced.
    fonts = _fonts(reader)
    assert fonts and all("/FontFile2" in f["/FontDescriptor"].get_object() for f in fonts)
    assert not any("Helvetica" in str(f["/BaseFont"]) for f in fonts)
    assert b"/Helvetica" not in pdf
    assert unembedded_fonts(pdf) == []  # every font dictionary anywhere in the file (PDF/UA-1 7.21.4.1)
    # Output intent: sRGB ICC, 3 components.
    (intent,) = [i.get_object() for i in root["/OutputIntents"]]
    assert intent["/S"] == "/GTS_PDFA1"
    icc = intent["/DestOutputProfile"].get_object()
    assert icc["/N"] == 3 and icc.get_data()[36:40] == b"acsp" and icc.get_data()[16:20] == b"RGB "
    # XMP: unfiltered, PDF/A-2B identification, and the same values as the information dictionary.
    xmp_stream = root["/Metadata"].get_object()
    assert "/Filter" not in xmp_stream
    xmp = xmp_stream.get_data().decode("utf-8")
    assert "<pdfaid:part>2</pdfaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    info = reader.metadata
    assert info is not None
    for key, tag in (("/Title", "dc:title"), ("/Author", "dc:creator"), ("/Subject", "dc:description"),
                     ("/Producer", "pdf:Producer"), ("/Creator", "xmp:CreatorTool"), ("/Keywords", "pdf:Keywords")):
        assert re.search(rf"<{tag}>(?:<rdf:\w+>\s*<rdf:li[^>]*>)?{re.escape(str(info[key]))}<", xmp), key
    assert info["/CreationDate"] == "D:20261210000000+00'00'" and "<xmp:CreateDate>2026-12-10T00:00:00+00:00" in xmp
    assert set(info) == {"/Title", "/Author", "/Subject", "/Keywords", "/Creator", "/Producer", "/CreationDate",
                         "/ModDate"}
    # Nothing PDF/A forbids: no JavaScript, no annotations, no transparency groups, no embedded files.
    for banned in (b"/JavaScript", b"/JS", b"/Annots", b"/Group", b"/EmbeddedFile", b"/SMask"):
        assert banned not in pdf


# --- Tagged (PDF/UA-1) --------------------------------------------------------------------------------

@pytest.mark.parametrize("paper", [False, True])
@pytest.mark.parametrize("kind", ["acknowledgement", "decision"])
def test_letters_are_tagged(kind: str, paper: bool, tmp_path: Path) -> None:
    """Headings, paragraphs, lists and the address block in pdf.js's structure tree; nothing painted
    outside marked content; the PDF/UA identification beside PDF/A's; pdfua's rules find nothing."""
    case = _case("da", paper=paper)
    pdf = (acknowledgement_letter(case, dated=ACK_DATE) if kind == "acknowledgement" else
           decision_letter(case, outcome="not_upheld", reasons=REASONS, dated=DECISION_DATE))
    assert unmarked_painting(pdf) == []
    root = PdfReader(io.BytesIO(pdf)).trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and root["/Lang"] == "da" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    xmp = root["/Metadata"].get_data().decode()
    assert "<pdfuaid:part>1</pdfuaid:part>" in xmp and "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
    pages = pdfjs_structure(pdf, tmp_path)
    nodes = [(n.get("role"), "".join(p["text"].get(k.get("id", ""), "") for k in n.get("children", [])))
             for p in pages for n in walk(p["tree"])]
    roles = [r for r, _ in nodes]
    assert all(p["untagged"] == [] for p in pages)
    title = texts(case.lang)["ack.title" if kind == "acknowledgement" else "decision.title"]
    assert roles.count("H1") == 1 and ("H1", title) in nodes
    assert roles.count("H2") >= 3 and "L" in roles and "LI" in roles and "LBody" in roles
    address = [t for r, t in nodes if r == "P" and "Aarhus" in t]
    assert bool(address) == paper  # the address block, only on paper, as one paragraph
    if paper:
        assert address[0].startswith("Łukasz Żółć")
    if kind == "decision":  # the officer's Markdown: a list with a list inside one of its items
        assert any(k.get("role") == "L" for p in pages for n in walk(p["tree"]) if n.get("role") == "LBody"
                   for k in n.get("children", []))
    pdfua = pytest.importorskip("pdfua", reason="pdfua is not installed (pip install -e '.[test]')")
    path = tmp_path / "letter.pdf"
    path.write_bytes(pdf)
    report = pdfua.validate(str(path))
    assert [f.rule_id for f in report.findings] == [] and not report.skipped


_PREFLIGHT_JARS = ("preflight.jar", "pdfbox2.jar", "fontbox2.jar", "xmpbox.jar", "commons-logging.jar",
                   "javax.activation.jar", "jaxb-api.jar")
# Apache PDFBox Preflight validates PDF/A-1b, whose rules PDF/A-2b mostly keeps. Two of its findings are
# PDF/A-1-only and expected for a PDF/A-2b file: the ICC v4 profile (PDF/A-1 needs v2) and "part 2".
_PDFA1_ONLY = {"2.1.6 : Invalid graphics object, Invalid version of the ICCProfile",
               "7.11.2 : Error on MetaData, part must be 1"}


def _preflight(path: Path) -> set[str]:
    java = shutil.which("java")
    jars = [Path("/usr/share/java") / j for j in _PREFLIGHT_JARS]
    if java is None or not all(j.exists() for j in jars):
        pytest.skip("Apache PDFBox Preflight is not installed (apt-get install libpdfbox2-java libactivation-java "
                    "libjaxb-api-java); CI installs it")
    proc = subprocess.run([java, "-cp", ":".join(map(str, jars)), "org.apache.pdfbox.preflight.Validator_A1b",
                           str(path)], capture_output=True, text=True, timeout=240, check=False)
    out = proc.stdout + proc.stderr
    if "is a valid PDF/A-1b file" in out:
        return set()
    assert "is not a valid PDF/A-1b file" in out, out[-2000:]
    return {line.strip() for line in out.splitlines()[1:] if line.strip()}


def test_pdfa_validator(tmp_path: Path) -> None:
    """A real validator over every language and both letters, paper and electronic (one JVM start each)."""
    for n, lang in enumerate(LANGS):
        case = _case(lang, paper=n % 2 == 0, complaint=_exotic(paper=n % 2 == 0) if n in (0, 3) else None)
        path = tmp_path / f"{lang}-{n}.pdf"
        pdf = acknowledgement_letter(case, dated=ACK_DATE) if n < 2 else \
            decision_letter(case, outcome="not_upheld", reasons=REASONS, dated=DECISION_DATE)
        path.write_bytes(pdf)
        assert _preflight(path) <= _PDFA1_ONLY, lang


# --- layout (issue 23 item 14) ------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_a_postal_address_in_the_profile_keeps_the_header_clear_of_the_rule(lang: str) -> None:
    base = _org(lang).model_dump()
    org = Organisation.model_validate(base | {"postal_address": "Kameo Denmark ApS, Vesterbrogade 1, 1620 København V"})
    pdf = acknowledgement_letter(_case(lang, org=org), dated=ACK_DATE)
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        (rule,) = [line for line in page.lines if line["top"] < 100]  # the header's rule
        header = [c for c in page.chars if c["top"] < rule["top"] and c["x0"] > page.width / 2]
        struck = [c["text"] for c in page.chars if c["top"] < rule["top"] < c["bottom"]]
    shown = "".join(c["text"] for c in header)
    assert "www.kameo" in shown and "Vesterbrogade" in shown and "linn@kameo.no" in shown  # all three lines above
    assert struck == []  # no glyph crosses the rule


def test_the_signature_never_stands_alone_on_a_page() -> None:
    """However long the reasons, the last page holds more than the contact block and the signature."""
    t = texts("da")
    seen = set()
    for extra in range(0, 14, 2):
        reasons = REASONS + "\n\nVi har også set på renteberegningen for perioden, og den er korrekt." * extra
        pdf = decision_letter(_case("da"), outcome="not_upheld", reasons=reasons, dated=DECISION_DATE)
        with pdfplumber.open(io.BytesIO(pdf)) as doc:
            pages = [" ".join((p.extract_text() or "").split()) for p in doc.pages]
        seen.add(len(pages))
        last = pages[-1]
        assert t["closing"] in last
        before = last[:last.index(t["contact.h"])] if t["contact.h"] in last else last
        assert any(b.name in before for b in _case("da").org.authorities) or len(pages) == 1, extra
    assert seen == {1, 2}  # both cases were met


# --- paper and electronic replies ----------------------------------------------------------------------

def _window_text(pdf: bytes) -> str:
    mm = 72 / 25.4
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        page = doc.pages[0]
        # DIN 5008 form B window: 20 mm from the left, 45 mm from the top, 85 x 45 mm.
        window = page.within_bbox((20 * mm - 0.5, 45 * mm, 105 * mm, 90 * mm))  # - 0.5: the first glyph's edge
        return " ".join((window.extract_text() or "").split())


@pytest.mark.parametrize("lang", LANGS)
def test_paper_reply_puts_the_address_in_the_window(lang: str) -> None:
    text = _window_text(acknowledgement_letter(_case(lang, paper=True), dated=ACK_DATE))
    assert "Łukasz Żółć Ærøgade 7, 2. th. 8000 Aarhus C" in text
    assert "Kameo" in text  # the return address line


def test_electronic_reply_has_no_address_block() -> None:
    pdf = acknowledgement_letter(_case("da"), dated=ACK_DATE)
    assert "Ærøgade" not in _text(pdf)
    assert "Ærøgade" not in _window_text(pdf)


def test_paper_letters_go_to_the_representative_at_the_contact_address() -> None:
    complaint = _complaint(paper=True, representative={"last_name": "Advokat Ğül ApS"},
                           representative_contact={"street": "Øster Allé 1", "postcode": "2100", "city": "København Ø",
                                                   "country": "Sverige"})
    text = _window_text(acknowledgement_letter(_case(complaint=complaint), dated=ACK_DATE))
    assert "Advokat Ğül ApS Øster Allé 1 2100 København Ø Sverige" in text  # a foreign country is printed


# --- refusals --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("phone", "days", "missing"), [
    (None, 15, "complaints_officer.phone"),
    (PHONE, None, "decision_working_days"),
    (None, None, "complaints_officer.phone and no decision_working_days"),
])
def test_acknowledgement_refuses_without_phone_or_timeframe(phone: str | None, days: int | None, missing: str) -> None:
    case = _case(org=_org("da", phone=phone, days=days))
    with pytest.raises(LetterNotAllowedError, match=rf"has no {missing}: .*2022/2117 art\. 3") as info:
        acknowledgement_letter(case, dated=ACK_DATE)
    assert "\n" not in str(info.value)
    # A decision does not depend on them.
    assert decision_letter(case, outcome="upheld", reasons="Ok.", dated=DECISION_DATE).startswith(b"%PDF")


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"admissibility": "inadmissible"}, LetterNotAllowedError, r"inadmissible needs the reason .* art\. 3"),
    ({"admissibility": "needs_more_information", "admissibility_reason": "  "}, LetterNotAllowedError, r"art\. 4"),
    ({"lang": "de"}, LanguageNotAvailableError, "unknown language"),
    ({"reference": "KLA 2026\n0001"}, ConfigurationError, "reference must be"),
    ({"admissibility": "maybe"}, ConfigurationError, "unknown admissibility"),
])
def test_invalid_cases(kwargs: dict[str, Any], error: type[Exception], match: str) -> None:
    base: dict[str, Any] = {"reference": "KLA-2026-0001", "received": RECEIVED, "complaint": _complaint(),
                            "org": _org("da"), "lang": "da"}
    with pytest.raises(error, match=match):
        LetterCase(**(base | kwargs))


def test_decision_needs_reasons_and_a_known_outcome() -> None:
    with pytest.raises(LetterNotAllowedError, match=r"reasons .* art\. 5"):
        decision_letter(_case(), outcome="not_upheld", reasons=" \n", dated=DECISION_DATE)
    with pytest.raises(ConfigurationError, match="unknown outcome"):
        decision_letter(_case(), outcome="won", reasons="x", dated=DECISION_DATE)  # type: ignore[arg-type]


def test_an_address_too_long_for_the_window_is_refused_not_cut() -> None:
    long_street = "Rådhuspladsen " + "meget lang adresselinje " * 4
    complaint = _complaint(paper=True, complainant={"last_name": "Berg", "street": long_street[:120],
                                                    "postcode": "1550", "city": "København V"})
    with pytest.raises(LetterNotAllowedError, match="too long for the envelope window"):
        acknowledgement_letter(_case(complaint=complaint), dated=ACK_DATE)
    # A line a little too long for 10 pt is set smaller, whole.
    medium = "Rådhuspladsen 1, 3. sal, lejlighed 4, opgang B"
    complaint = _complaint(paper=True, complainant={"last_name": "Berg", "street": medium, "postcode": "1550",
                                                    "city": "København V"})
    assert medium in _window_text(acknowledgement_letter(_case(complaint=complaint), dated=ACK_DATE))


def test_paper_without_an_address_is_refused() -> None:
    """The model refuses this, but a complaint held for review (issue 12) may still lack the address."""
    from klageformular.model import Complainant

    complaint = Complaint.model_construct(complainant=Complainant.model_construct(last_name="Berg"), subject="Renter",
                                          reply_channel="paper")
    with pytest.raises(LetterNotAllowedError, match="no postal address"):
        acknowledgement_letter(_case(complaint=complaint), dated=ACK_DATE)


def test_characters_the_font_cannot_show_in_the_officers_reasons_are_refused() -> None:
    """The officer's own text is refused, not marked: they can write it another way."""
    with pytest.raises(LetterNotAllowedError, match=r"^reasons has 2 character") as info:
        decision_letter(_case(), outcome="upheld", reasons="Forklaring: 您好", dated=DECISION_DATE)
    assert "您" not in str(info.value)  # messages name fields, never values
    with pytest.raises(LetterNotAllowedError, match=r"^admissibility_reason has 1 character"):
        acknowledgement_letter(_case(admissibility="inadmissible", admissibility_reason="Ingen 王"), dated=ACK_DATE)


# What customers write (issue 23 item 11): Cyrillic and Greek are shown; emoji and CJK are marked.
EXOTIC_NAME = "Ольга Ἀθηνᾶ Nguyễn 王 👩\u200d👩\u200d👧 \u202eHansen\u202c"


def _exotic(paper: bool = False) -> Complaint:
    return _complaint(paper=paper, complainant={"last_name": EXOTIC_NAME, "email": "olga@example.dk",
                                                "street": "Улица Ленина 5 🏠", "postcode": "8000", "city": "Aarhus"},
                      subject="\u202eKlage\u202c: Пожалуйста 😡 renten på lån KA-1042\nmere tekst")


@pytest.mark.parametrize("paper", [False, True])
def test_a_name_or_subject_the_font_cannot_show_still_gets_a_letter_with_marks(paper: bool) -> None:
    case = _case(complaint=_exotic(paper), attachments=(Attachment("скан 🙂.pdf"),))
    pdf = acknowledgement_letter(case, dated=ACK_DATE)
    text = _text(pdf)
    assert "Ольга Ἀθηνᾶ Nguyễn \ufffd \ufffd Hansen" in text  # one mark per unshowable character or emoji
    assert "«Klage: Пожалуйста \ufffd renten på lån KA-1042 …»" in text  # the first line only
    assert "скан \ufffd.pdf" in text
    if paper:
        assert "Улица Ленина 5 \ufffd" in _window_text(pdf)
    for control in ("\u202e", "\u202c", "\u200d"):
        assert control not in text  # bidirectional controls and joiners are dropped, not drawn
    # Every glyph is in the embedded subset: the text layer gives back what was drawn.
    decision = decision_letter(case, outcome="upheld", reasons="Ок, Ольга.", dated=DECISION_DATE)
    assert "Ольга Ἀθηνᾶ" in _text(decision) and "Ок, Ольга." in _text(decision)


def test_the_three_letter_faces_cover_the_same_characters() -> None:
    """The replacement rule reads the regular face; bold and italic must draw exactly what it draws."""
    from fontTools.ttLib import TTFont

    assets = Path(__file__).parent.parent / "src" / "klageformular" / "assets"
    cmaps = {style: set(TTFont(assets / f"NotoSans-Letters-{style}.ttf").getBestCmap())
             for style in ("Regular", "Bold", "Italic")}
    assert cmaps["Regular"] == cmaps["Bold"] == cmaps["Italic"]
    for sample in ("Ж", "ω", "ễ", "€", "\ufffd", "Ł"):
        assert ord(sample) in cmaps["Regular"], sample
    assert "SIL Open Font License" in (assets / "OFL.txt").read_text(encoding="utf-8")  # shipped with the fonts


def test_bidirectional_controls_are_neutralised_in_the_email_too() -> None:
    case = _case(complaint=_complaint(complainant={"last_name": "\u202enimda.moc\u202c", "first_name": "Eva\u2066",
                                                   "email": "eva@example.dk"}))
    msg = letter_message(case, b"%PDF", kind="ack", at=SENT_AT)
    assert msg["To"].addresses[0].display_name == "Eva nimda.moc".replace("nimda.moc", "[…]")  # a domain, too
    body = msg.get_body(("plain",))
    assert body is not None and not re.search("[\u202a-\u202e\u2066-\u2069]", body.get_content())


_ANY = st.text(max_size=300)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=_ANY, first=_ANY, subject=_ANY, reference=_ANY, documents=_ANY, attachment=_ANY)
@example(name="\u202e\u2067\u200f", first="", subject="\x00\x1b\ud7ff\U0010ffff", reference="🏦", documents="\n\n",
         attachment="")
@example(name="👨🏽\u200d💻" * 40, first="\u0301\u20dd", subject="\ufeff" * 300, reference="\u200b",
         documents="ﷺ" * 300, attachment="\r\n")
def test_any_text_in_any_field_gives_an_acknowledgement(name: str, first: str, subject: str, reference: str,
                                                       documents: str, attachment: str) -> None:
    """A complaint held for review may hold anything the customer typed (the model is bypassed)."""
    from klageformular.model import Complainant, Documentation, Investment

    complaint = Complaint.model_construct(
        complainant=Complainant.model_construct(last_name=name, first_name=first, email="a@example.dk"),
        subject=subject, investment=Investment.model_construct(reference=reference),
        documentation=Documentation.model_construct(other_documents=True, other_documents_list=documents),
        reply_channel="electronic")
    case = _case(complaint=complaint, attachments=(Attachment(attachment),))
    assert _text(acknowledgement_letter(case, dated=ACK_DATE)).startswith("Kameo")


# Issue 23 item 12: a forged From gets the acknowledgement sent to the person it names.
FORGED = (b"From: =?utf-8?q?Kameo_Sikkerhed_ring_+45_70_20_30_40?= <victim@example.dk>\r\n"
          b"Subject: =?utf-8?q?Konto_sp=C3=A6rret_=E2=80=93_log_ind_p=C3=A5_https://kameo-login.com_eller_ring_"
          b"70_20_30_40_i_dag?=\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
          b"Din konto er spaerret. Log ind her: http://kameo-secure.example/login og skriv dit kodeord her.\r\n")


@pytest.mark.parametrize("lang", LANGS)
def test_a_forged_sender_gets_no_attacker_text_quoted(lang: str) -> None:
    from klageformular.intake import read_message
    from klageformular.intake._complaint import email_complaint

    data, _ = email_complaint(read_message(FORGED))
    case = LetterCase(reference="KLA-2026-0002", received=RECEIVED, complaint=Complaint.model_validate(data),
                      org=_org(lang), lang=lang, method="email")
    pdf = acknowledgement_letter(case, dated=ACK_DATE)
    text = _text(pdf)
    message = letter_message(case, pdf, kind="ack", at=SENT_AT)
    body = message.get_body(("plain",))
    assert body is not None
    mail = f"{message['To']} {body.get_content()}"
    for attacker in ("70 20 30 40", "kameo-login", "kameo-secure", "http", "kodeord", "Log ind her"):
        assert attacker not in text and attacker not in mail, attacker
    t = texts(lang)
    quote = t["quote"].format(text="Konto spærret – log ind på […] eller …")  # eight words, first line only
    assert quote in text and "Kameo Sikkerhed ring […]" in text
    org = case.org.name
    assert t["security.no_passwords"].format(org_name=org) in text
    assert t["security.not_you"].format(officer_email="linn@kameo.no") in text
    assert t["security.no_passwords"].format(org_name=org) in " ".join(body.get_content().split())


# --- the email -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_message_is_ready_to_send(lang: str) -> None:
    case = _case(lang)
    pdf = acknowledgement_letter(case, dated=ACK_DATE)
    ours = "<0123456789abcdef0123456789abcdef.KLA-2026-0001@kameo.no>"
    raw = message_bytes(letter_message(case, pdf, kind="ack", at=SENT_AT, message_id=ours,
                                       in_reply_to=" <CAK+1=x@mail.example.dk> "))
    # The same Message-ID and time give the same bytes (a resend is the same message); CRLF as on the wire.
    assert raw == message_bytes(letter_message(case, pdf, kind="ack", at=SENT_AT, message_id=ours,
                                               in_reply_to="<CAK+1=x@mail.example.dk>"))
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert (msg["Message-ID"], msg["In-Reply-To"], msg["References"]) == (ours, "<CAK+1=x@mail.example.dk>",
                                                                         "<CAK+1=x@mail.example.dk>")
    assert msg["Date"].datetime == SENT_AT
    assert isinstance(msg, EmailMessage)
    assert msg["To"].addresses[0].addr_spec == "lukasz@example.dk"
    assert msg["To"].addresses[0].display_name == "Łukasz Żółć"
    assert msg["From"].addresses[0].addr_spec == "linn@kameo.no"
    assert msg["Subject"] == f"[KLA-2026-0001] {texts(lang)['ack.title']}"
    body = msg.get_body(("plain",))
    assert body is not None and "KLA-2026-0001" in body.get_content() and PHONE in body.get_content()
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "KLA-2026-0001-ack.pdf"
    assert attachment.get_content() == pdf


@pytest.mark.parametrize("hostile", [
    "<a@b>\r\nBcc: everyone@example.com", "<a@b> <c@d>", "a@b", "<a b@c>", "<@b>", "<a@>", f"<{'x' * 300}@b>",
    "<ä@b>", "<a@b>\x00", "",
])
def test_a_hostile_message_id_is_left_out_never_copied(hostile: str) -> None:
    """The customer's Message-ID is their program's claim: only a well-formed one becomes In-Reply-To."""
    case = _case()
    msg = letter_message(case, b"%PDF", kind="ack", at=SENT_AT, in_reply_to=hostile)
    raw = message_bytes(msg)
    assert msg["In-Reply-To"] is None and msg["References"] is None
    assert b"Bcc" not in raw and b"everyone@" not in raw


def test_our_message_ids_are_random_and_name_the_case() -> None:
    case = _case()
    ids = {letter_message(case, b"%PDF", kind="ack", at=SENT_AT)["Message-ID"] for _ in range(50)}
    assert len(ids) == 50
    for made in ids:
        assert re.fullmatch(r"<[0-9a-f]{32}\.KLA-2026-0001@kameo\.no>", made), made  # 128 random bits
    with pytest.raises(ConfigurationError, match="time zone"):
        letter_message(case, b"%PDF", kind="ack", at=datetime(2026, 11, 25, 10))


@pytest.mark.parametrize(("dated", "match"), [
    (date(2026, 11, 23), r"dated 2026-11-23 is before the complaint was received \(2026-11-24\)"),
    (date(2026, 11, 27), r"dated 2026-11-27 is in the future \(today is 2026-11-26\)"),
])
def test_a_letter_dated_before_receipt_or_in_the_future_is_refused(tmp_path: Path, dated: date, match: str) -> None:
    kinds: tuple[LetterKind, ...] = ("ack", "decision")
    for kind in kinds:
        with pytest.raises(LetterNotAllowedError, match=match):
            write_letter(_case(), kind, tmp_path / "x.pdf", dated=dated, outcome="upheld", reasons="Ok.",
                         today=date(2026, 11, 26))
    assert not list(tmp_path.iterdir())
    write_letter(_case(), "ack", tmp_path / "x.pdf", dated=RECEIVED, today=RECEIVED)  # the day it came is fine


def test_message_needs_an_email_address() -> None:
    complaint = _complaint(paper=True, complainant={"last_name": "Berg", "street": "Vej 1", "postcode": "8000",
                                                    "city": "Aarhus"})
    case = _case(complaint=complaint)
    with pytest.raises(LetterNotAllowedError, match="no email address"):
        letter_message(case, b"%PDF", kind="ack", at=SENT_AT)


# --- records and the command line -----------------------------------------------------------------------

def _record(**extra: Any) -> dict[str, Any]:
    return {"source": "inbox/a.eml", "sha256": "ab" * 32, "method": "email", "form_version": None, "language": "sv",
            "organisation": "kameo-se", "status": "needs_review",
            "complaint": _complaint(paper=True).model_dump(mode="json"), "review": [], "warnings": [],
            "content_key": "cd" * 32, "received": "2026-11-24T23:10:00+01:00", "acknowledge_by": "2026-11-27",
            "attachments": [{"name": "avtal.pdf", "content_type": "application/pdf", "size": 10, "sha256": "x",
                             "path": "a"}]} | extra


def test_case_from_record() -> None:
    case = letter_case_from_record(_record(), reference="KLA-2026-0009", org=_org("sv"))
    assert (case.lang, case.received, case.method, case.org.decision_working_days) == ("sv", RECEIVED, "email", 15)
    assert case.attachments == (Attachment("avtal.pdf", 10, "application/pdf"),)
    text = _text(acknowledgement_letter(case, dated=ACK_DATE))
    assert "Ditt e-postmeddelande" in text and "Bilaga: avtal.pdf" in text
    # Without a profile, the record's own (kameo-se); an unknown language falls back to the profile's.
    assert letter_case_from_record(_record(language=None), reference="R-1").lang == "sv"
    assert letter_case_from_record(_record(organisation="kameo-no", language=None), reference="R-1").lang == "nb"


@pytest.mark.parametrize(("extra", "match"), [
    ({"complaint": None}, "holds no complaint"),
    ({"complaint": {"complainant": {"email": "nope"}, "facts_date": "soon"}},
     r"not valid: complainant\.email, facts_date"),
    ({"received": "yesterday"}, "no valid 'received' date"),
])
def test_bad_records(extra: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigurationError, match=match):
        letter_case_from_record(_record(**extra), reference="R-1")


def test_write_letter_returns_the_hash_for_the_register(tmp_path: Path) -> None:
    import hashlib

    written = write_letter(_case(), "decision", tmp_path / "d.pdf", dated=DECISION_DATE, outcome="upheld",
                           reasons="Ok.", eml=tmp_path / "d.eml", today=DECISION_DATE)
    assert written.sha256 == hashlib.sha256((tmp_path / "d.pdf").read_bytes()).hexdigest()
    assert written.eml is not None and written.eml.read_bytes().startswith(b"From: ")
    with pytest.raises(ConfigurationError, match="needs an outcome"):
        write_letter(_case(), "decision", tmp_path / "x.pdf", dated=DECISION_DATE, today=DECISION_DATE)
    assert not (tmp_path / "x.pdf").exists()


def test_cli_letters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "kameo-se.json"
    profile.write_text(_org("sv").model_dump_json(exclude_none=True), encoding="utf-8")
    record = tmp_path / "rec.jsonl"
    record.write_text(json.dumps(_record()) + "\n", encoding="utf-8")
    reasons = tmp_path / "reasons.md"
    reasons.write_text("Vi har **granskat** ärendet.\n\n- punkt ett\n- punkt två\n", encoding="utf-8")
    common = ["--record", str(record), "--reference", "KLA-2026-0003", "--org-file", str(profile),
              "--date", "2026-11-25"]

    assert main(["letter", "ack", *common, "-o", str(tmp_path / "a.pdf"), "--eml", str(tmp_path / "a.eml"),
                 "--admissibility", "needs_more_information", "--reason", "kopia av låneavtalet"]) == 0
    assert "PDF/A-2b" in capsys.readouterr().out
    assert "kopia av låneavtalet" in _text((tmp_path / "a.pdf").read_bytes())
    msg = email.message_from_bytes((tmp_path / "a.eml").read_bytes(), policy=email.policy.default)
    assert "KLA-2026-0003" in str(msg["Subject"])

    assert main(["letter", "decision", *common, "--outcome", "not_upheld", "--reasons", str(reasons),
                 "-o", str(tmp_path / "d.pdf")]) == 0
    text = _text((tmp_path / "d.pdf").read_bytes())
    assert "Vi kan inte ge dig rätt i ditt klagomål." in text and "• punkt ett" in text
    # The letters' old word for it is still read, on the command line and in the API (issue 23 item 14).
    assert main(["letter", "decision", *common, "--outcome", "rejected", "--reasons", str(reasons),
                 "-o", str(tmp_path / "old.pdf")]) == 0
    assert (tmp_path / "old.pdf").read_bytes() == (tmp_path / "d.pdf").read_bytes()
    old = decision_letter(_case(), outcome="rejected", reasons="Ok.", dated=DECISION_DATE)  # type: ignore[arg-type]
    assert old == decision_letter(_case(), outcome="not_upheld", reasons="Ok.", dated=DECISION_DATE)

    # One-line reasons and exit 1 for what the officer must fix; 2 for usage errors.
    assert main(["letter", "ack", *common, "--admissibility", "inadmissible"]) == 1
    assert "needs the reason" in capsys.readouterr().err
    two = tmp_path / "two.jsonl"
    two.write_text(json.dumps(_record()) + "\n" + json.dumps(_record()) + "\n", encoding="utf-8")
    assert main(["letter", "ack", "--record", str(two), "--reference", "R-1"]) == 1
    assert "2 lines: pass a file with one record" in capsys.readouterr().err
    assert main(["letter", "decision", *common, "--reasons", str(reasons)]) == 2  # no --outcome


_MD_ALPHABET = "abcæøåÅ ŁŻ€„“–\n\n*_`#>-+.1234567890[]()<>&;!\\|~=\"'§"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_MD_ALPHABET, min_size=1, max_size=400).filter(str.strip))
@example("**unclosed *nested _mixed `code\n\n1. a\n   - b\n     1. c\n\n> > deep\n\n---\n\n    code block")
@example("<b>&amp; &lt;tag&gt;</b> & < > ]]> <![CDATA[x]]>")
@example("- \n-\n\n1.\n\n#\n\n[]()")
def test_any_reasons_render_or_are_refused_never_crash(reasons: str) -> None:
    """Whatever the officer types, the decision renders (the reasons' words all in the text layer)."""
    pdf = decision_letter(_case(), outcome="partly_upheld", reasons=reasons, dated=DECISION_DATE)
    text = _text(pdf)
    for word in re.findall(r"[a-zæøåÅŁŻ€]{3,}", re.sub(r"&#?\w+;", " ", reasons)):  # &amp; is Markdown's "&"
        assert word in text, word


def test_a_record_held_for_review_without_reply_details_still_makes_a_letter() -> None:
    record = _record(complaint={"complainant": {"last_name": "Berg"}, "subject": "Renter"}, status="needs_review")
    case = letter_case_from_record(record, reference="KLA-2026-0010", org=_org("sv"))
    assert "Berg" in _text(acknowledgement_letter(case, dated=ACK_DATE))
    with pytest.raises(LetterNotAllowedError, match="no email address"):
        letter_message(case, b"%PDF", kind="ack", at=SENT_AT)
