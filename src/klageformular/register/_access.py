"""Access requests (GDPR art. 15): everything the register holds about one person, written to a folder.

:func:`subject_access` finds the cases that concern the person — their email as complainant or
representative, as typed before a correction, as the sender of the complaint's message or of a
reply, and (``client_number``) the client number they gave — and writes, into a new folder
(0700, files 0600):

- ``subject-access.json``: every case as ``register show --json`` gives it (values, corrections
  with the values as typed, review items, sender, files, events, correspondence, measures), each
  with its documents' file names in ``documents/``;
- ``documents/``: each document's bytes (received files, messages, attachments, our letters);
- ``summary.pdf``: one readable summary in the person's language (the newest case's), laid out by
  the letters' PDF machinery (PDF/A-2b, the same fonts).

Nothing is written to a log; the folder must not exist yet, or be empty.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .._files import make_private_dir, write_private
from ..exceptions import ConfigurationError
from ..locales import LANGUAGES, letter_texts, register_words
from ..org import Organisation, profile_for
from ._documents import list_documents, read_document
from ._present import case_sections
from ._schema import ComplaintRow, CorrectionRow, CorrespondenceRow
from ._types import Case

__all__ = ["SubjectAccess", "find_subject", "subject_access"]

# The summary's own words (the letters' catalogues give dates, "page" and the meta labels).
_WORDS: dict[str, dict[str, str]] = {
    "da": {"title": "Indsigt i dine personoplysninger", "intro": "Her er alt, hvad vores klageregister "
           "indeholder om dig (databeskyttelsesforordningens artikel 15): {count} sag(er). Filen "
           "subject-access.json indeholder de samme oplysninger i maskinlæsbar form, og mappen documents "
           "alle dokumenter.", "values": "Oplysninger", "events": "Sagens forløb", "documents": "Dokumenter",
           "none": "Ingen", "status": "Status", "outcome": "Udfald", "yes": "ja"},
    "en": {"title": "Access to your personal data", "intro": "This is everything our complaints register "
           "holds about you (Article 15 of the General Data Protection Regulation): {count} case(s). The "
           "file subject-access.json holds the same in machine-readable form, the folder documents every "
           "document.", "values": "Details", "events": "History of the case", "documents": "Documents",
           "none": "None", "status": "Status", "outcome": "Outcome", "yes": "yes"},
    "nb": {"title": "Innsyn i dine personopplysninger", "intro": "Her er alt klageregisteret vårt inneholder "
           "om deg (personvernforordningen artikkel 15): {count} sak(er). Filen subject-access.json har det "
           "samme i maskinlesbar form, og mappen documents alle dokumentene.", "values": "Opplysninger",
           "events": "Sakens gang", "documents": "Dokumenter", "none": "Ingen", "status": "Status",
           "outcome": "Utfall", "yes": "ja"},
    "sv": {"title": "Registerutdrag över dina personuppgifter", "intro": "Här är allt vårt klagomålsregister "
           "innehåller om dig (artikel 15 i dataskyddsförordningen): {count} ärende(n). Filen "
           "subject-access.json innehåller detsamma i maskinläsbar form och mappen documents alla dokument.",
           "values": "Uppgifter", "events": "Ärendets gång", "documents": "Dokument", "none": "Inga",
           "status": "Status", "outcome": "Utfall", "yes": "ja"},
}


@dataclass(frozen=True)
class SubjectAccess:
    """What :func:`subject_access` wrote: the cases (references), how many documents, the two files."""

    references: tuple[str, ...]
    documents: int
    json_path: Path
    pdf_path: Path
    language: str


def _addresses(text: object) -> set[str]:
    return {a.strip().lower() for _, a in getaddresses([str(text)]) if a} if text else set()


def find_subject(session: Session, *, email: str, client_number: str | None = None) -> list[ComplaintRow]:
    """The cases about the person with ``email`` (or, also, ``client_number``), in reference order."""
    wanted = email.strip().lower()
    if "@" not in wanted:
        raise ConfigurationError("--email needs an email address")
    number = (client_number or "").strip().casefold() or None
    ids: set[int] = set()
    query = select(ComplaintRow.id, ComplaintRow.complaint, ComplaintRow.mail).execution_options(yield_per=500)
    for row_id, complaint, mail in session.execute(query):
        parties = [(complaint or {}).get(k) or {} for k in ("complainant", "representative")]
        emails = {str(p.get("email") or "").strip().lower() for p in parties if isinstance(p, dict)}
        numbers = {str(p.get("client_reference") or "").strip().casefold() for p in parties if isinstance(p, dict)}
        if wanted in emails or wanted in _addresses((mail or {}).get("from")) or (number and number in numbers):
            ids.add(row_id)
    typed = select(CorrectionRow.complaint_id).where(func.lower(CorrectionRow.typed) == wanted)
    ids |= set(session.scalars(typed))
    for row_id, sender in session.execute(select(CorrespondenceRow.complaint_id, CorrespondenceRow.sender)):
        if wanted in _addresses(sender):
            ids.add(row_id)
    if not ids:
        return []
    return list(session.scalars(select(ComplaintRow).where(ComplaintRow.id.in_(ids))
                                .order_by(ComplaintRow.prefix, ComplaintRow.year, ComplaintRow.number)))


def _safe(name: str | None, fallback: str) -> str:
    """A document's name as a file name: no folders, no control characters, not hidden, not too long."""
    clean = re.sub(r"[\x00-\x1f\x7f/\\:]+", "_", (name or "").strip()).lstrip(".") or fallback
    return clean[-120:]


def subject_access(session: Session, output: str | os.PathLike[str], *, email: str, client_number: str | None = None,
                   profiles: Mapping[str, Organisation] | None = None, today: date | None = None) -> SubjectAccess:
    """Write everything the register holds about the person to ``output`` (rules in the module docstring)."""
    from ._service import to_case

    out = Path(output)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigurationError(f"{out}: give a new or empty folder (an access request is written whole)")
    rows = find_subject(session, email=email, client_number=client_number)
    make_private_dir(out)
    make_private_dir(out / "documents")
    cases: list[Case] = [to_case(session, row, profiles) for row in rows]
    entries: list[dict[str, Any]] = []
    names: dict[str, list[str]] = {}
    count = 0
    for case in cases:
        files: list[dict[str, Any]] = []
        for document in list_documents(session, case.reference):
            entry = {k: v for k, v in asdict(document).items() if k != "reference"}
            entry["added_at"] = document.added_at.isoformat()
            if not document.missing:
                _, data = read_document(session, case.reference, document.number)
                name = f"{case.reference}-{document.number:02d}-{_safe(document.name, document.kind)}"
                write_private(out / "documents" / name, data)
                entry["file"] = f"documents/{name}"
                count += 1
            files.append(entry)
        names[case.reference] = [d.name or d.kind for d in list_documents(session, case.reference)]
        entries.append({"case": case.model_dump(mode="json", exclude_none=True), "documents": files})
    language = next((c.language for c in sorted(cases, key=lambda c: c.received, reverse=True)
                     if c.language in LANGUAGES), "da")
    made = today or datetime.now(UTC).date()
    body = {"subject": {"email": email.strip(), "client_number": client_number}, "written": made.isoformat(),
            "cases": entries}
    json_path, pdf_path = out / "subject-access.json", out / "summary.pdf"
    write_private(json_path, (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    org = profile_for(rows[-1].organisation if rows else None, language, profiles)
    write_private(pdf_path, summary_pdf(cases, names, lang=language, org=org, dated=made))
    return SubjectAccess(tuple(c.reference for c in cases), count, json_path, pdf_path, language)


def summary_pdf(cases: Sequence[Case], documents: Mapping[str, Sequence[str]], *, lang: str, org: Organisation,
                dated: date) -> bytes:
    """The readable summary: per case its status, values by the form's sections, history and documents
    (``documents``: their names by case reference)."""
    from reportlab.platypus import Flowable, KeepTogether, Paragraph

    from ..letters._document import Letterhead, build_pages, styles
    from ..letters._pdfa import make_pdfa
    from ..letters._text import neutralise, printable

    def text(value: object) -> str:
        # The letters' font has no arrow or tick: the history's "a → b" and a ticked box read as text.
        plain = str(value).replace("→", "->").replace("✓", w["yes"])
        return escape(printable(neutralise(plain)))

    t, words, w = letter_texts(lang), register_words(lang), _WORDS.get(lang, _WORDS["en"])

    def day(value: date) -> str:
        return t["date"].format(day=value.day, month=t["months"].split()[value.month - 1], year=value.year)

    s = styles()
    story: list[Flowable] = [Paragraph(escape(w["title"]), s.title),
                             Paragraph(escape(w["intro"].format(count=len(cases))), s.body)]
    for case in cases:
        status = words.get(f"status.{case.status}", case.status)
        line = [f"<b>{escape(case.reference)}</b> · {escape(t['meta.received'])} {day(case.received)} · "
                f"{escape(w['status'])}: {escape(status)}"]
        if case.outcome:
            line.append(f"{escape(w['outcome'])}: {escape(words.get('outcome.' + case.outcome, case.outcome))}")
        story.append(KeepTogether([Paragraph(escape(case.reference), s.heading), Paragraph(" · ".join(line), s.body)]))
        story.append(Paragraph(escape(w["values"]), s.subheading))
        sections = case_sections(case, lang)
        for section in sections:
            if section.title:
                story.append(Paragraph(f"<i>{text(section.title)}</i>", s.item))
            for f in section.fields:
                typed = f" ({text(words.get('show.typed', 'typed'))}: {text(f.typed)})" if f.corrected else ""
                story.append(Paragraph(f"{text(f.label)}: {text(' '.join(f.value.split()))}{typed}", s.item))
        if not sections:
            story.append(Paragraph(escape(w["none"]), s.item))
        story.append(Paragraph(escape(w["events"]), s.subheading))
        for e in case.events:
            what = words.get(f"status.{e.to_status}", e.to_status) if e.to_status else e.what
            note = f" · {text(' '.join(e.note.split())[:300])}" if e.note else ""
            story.append(Paragraph(f"{day(e.at.date())} · {text(what)}{note}", s.item))
        story.append(Paragraph(escape(w["documents"]), s.subheading))
        story += [Paragraph(text(name), s.item) for name in documents.get(case.reference, ())] or [
            Paragraph(escape(w["none"]), s.item)]
    sender = tuple(x for x in (org.website, org.postal_address, org.complaints_officer.email) if x)
    reference = ", ".join(c.reference for c in cases[:3]) + (" …" if len(cases) > 3 else "")
    head = Letterhead(org_name=org.name, sender_lines=sender, title=w["title"], reference=reference,
                      page_word=t["page"], meta=((t["meta.date"], day(dated)), (t["meta.contact"],
                                                                               org.complaints_officer.name)),
                      address=None, return_address=org.name)
    pages = build_pages(head, story, lang=lang, title=w["title"], author=org.name)
    epoch = int(datetime(dated.year, dated.month, dated.day, tzinfo=UTC).timestamp())
    from .._version import __version__

    return make_pdfa(pages, title=w["title"], author=org.name, subject=f"{org.name}: {w['title']}",
                     keywords=f"subject-access {lang}", lang=lang, creator=f"klageformular {__version__}", epoch=epoch)
