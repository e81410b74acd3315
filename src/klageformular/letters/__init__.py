"""Acknowledgement and decision letters: PDF/A-2b and PDF/UA-1, in the complaint's language, on the form's design.

A :class:`LetterCase` is what a letter needs to know about one complaint (reference, date
received, the :class:`~klageformular.Complaint`, what came with it, admissibility, the
organisation profile and language). :func:`acknowledgement_letter` and
:func:`decision_letter` turn it into PDF bytes — deterministic: the same case, date and
reasons give the same file, so the register can record its hash. :func:`letter_message`
wraps a letter in an email with our Message-ID (the register's outbox sends it, :mod:`klageformular.smtp`).
A letter's date is checked for every letter (:func:`check_letter_date`): not before the complaint
was received, not in the future.

The rules the letters follow (Commission Delegated Regulation (EU) 2022/2117):

- art. 3 — the acknowledgement names the contact person with **email and telephone** and
  refers to the decision timeframe: without ``complaints_officer.phone`` or
  ``decision_working_days`` in the profile, :func:`acknowledgement_letter` refuses with
  :class:`~klageformular.exceptions.LetterNotAllowedError`. An inadmissible complaint gets
  its reason, which the case must carry.
- art. 4 — a complaint that needs more information says what is missing.
- art. 5 — the decision gives reasons and, when not (fully) upheld, the remedies: the
  profile's escalation bodies and authorities, with their addresses.
- art. 6 — the complaint's language; a paper reply (``reply_channel == "paper"``) gets an
  address block for a window envelope.

What the customer wrote goes through :mod:`._text`: shown in the letters' font as far as it
reaches (Latin, Greek, Cyrillic; U+FFFD for the rest), without bidirectional controls, and
without links or phone numbers (the sender of an email may be forged). The officer's own texts
are refused instead when the font lacks a character, naming the field.

>>> from datetime import date
>>> from klageformular import Complaint
>>> from klageformular.org import Organisation, get_organisation
>>> org = Organisation.model_validate(get_organisation("kameo-dk").model_dump() | {"decision_working_days": 15,
...     "complaints_officer": {"name": "Linn Hoel Ringvoll", "email": "linn@kameo.no", "phone": "+47 22 00 00 00"}})
>>> case = LetterCase(reference="KLA-2026-0001", received=date(2026, 11, 24), org=org, lang="da",
...     complaint=Complaint(complainant={"last_name": "Ørsted", "email": "a@b.dk"}, subject="Renter"))
>>> acknowledgement_letter(case, dated=date(2026, 11, 25))[:8]
b'%PDF-1.7'
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, cast, get_args
from xml.sax.saxutils import escape

from pydantic import ValidationError
from reportlab.platypus import Flowable, KeepTogether, ListFlowable, ListItem, Paragraph, Spacer

from .._files import StagedFile
from .._version import __version__
from ..exceptions import ConfigurationError, LanguageNotAvailableError, LetterNotAllowedError
from ..locales import LANGUAGES
from ..locales import letter_texts as texts
from ..model import Complaint, ContactDetails, country_code
from ..org import Body, Organisation, deadlines, profile_for
from ..records import Record
from ..register._names import OUTCOMES, outcome_code
from ._document import Letterhead, build_pages, styles, window_fits
from ._markdown import MarkdownStyles, markdown_flowables
from ._pdfa import make_pdfa
from ._text import missing, neutralise, printable, scrub, subject_quote
from .mail import letter_message, message_bytes

__all__ = ["Admissibility", "Attachment", "LetterCase", "LetterKind", "Method", "Outcome", "WrittenLetter",
           "acknowledgement_letter", "check_letter_date", "decision_letter", "letter_case_from_record",
           "letter_message", "message_bytes", "render_letter", "stage_letter", "write_letter"]

Admissibility = Literal["admissible", "needs_more_information", "inadmissible"]
Outcome = Literal["upheld", "partly_upheld", "not_upheld"]  # the register's OUTCOMES; "rejected" accepted too
Method = Literal["acroform", "text", "email"]
LetterKind = Literal["ack", "decision"]

_REFERENCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,39}$")
_RULE_ACK = "Delegated Regulation (EU) 2022/2117 art. 3"


@dataclass(frozen=True)
class Attachment:
    """A file that came with the complaint (an email's attachment)."""

    name: str
    size: int | None = None
    content_type: str | None = None


@dataclass(frozen=True, kw_only=True)
class LetterCase:
    """Everything a letter says about one complaint; the register builds it from a row.

    ``admissibility_reason`` is required unless the complaint is admissible (art. 3, 4).
    """

    reference: str
    received: date
    complaint: Complaint
    org: Organisation
    lang: str
    method: Method = "acroform"
    attachments: tuple[Attachment, ...] = field(default=())
    copies: int = 1  # files or emails that carried this same complaint (the register's source files)
    admissibility: Admissibility = "admissible"
    admissibility_reason: str | None = None
    # From the register: the case's own decision date (moved by a paused clock or an extension)
    # and, when it was extended, why (art. 5: the letter gives the new date with reasons).
    decide_by: date | None = None
    extension_reason: str | None = None

    def __post_init__(self) -> None:
        if not _REFERENCE.match(self.reference):
            raise ConfigurationError("reference must be 1-40 letters, digits, '.', '_', '/' or '-' "
                                     "(e.g. KLA-2026-0001)")
        if self.lang not in LANGUAGES:
            raise LanguageNotAvailableError(f"unknown language {self.lang!r} (use one of {', '.join(LANGUAGES)})")
        if self.admissibility not in get_args(Admissibility):
            raise ConfigurationError(f"unknown admissibility {self.admissibility!r}")
        if self.admissibility != "admissible" and not (self.admissibility_reason or "").strip():
            rule = "art. 3" if self.admissibility == "inadmissible" else "art. 4"
            raise LetterNotAllowedError(f"a complaint that is {self.admissibility.replace('_', ' ')} needs the reason "
                                        f"in the letter (Delegated Regulation (EU) 2022/2117 {rule})")


def acknowledgement_letter(case: LetterCase, *, dated: date) -> bytes:
    """The acknowledgement of receipt (art. 3) as PDF/A-2b (and PDF/UA-1) bytes.

    Refuses with :class:`LetterNotAllowedError` when the profile has no officer phone or no
    ``decision_working_days``: the letter must give both.
    """
    org = case.org
    missing = [k for k, v in (("complaints_officer.phone", org.complaints_officer.phone),
                              ("decision_working_days", org.decision_working_days)) if not v]
    if missing:
        raise LetterNotAllowedError(f"profile {org.key!r} has no {' and no '.join(missing)}: the acknowledgement "
                                    f"must give the contact's email and telephone and the decision timeframe "
                                    f"({_RULE_ACK}); set them in a profile file (--org-file)")
    w = _Writer(case, "ack")
    t, s = w.t, w.s
    story: list[Flowable] = [*w.opening(), Paragraph(w.fmt("ack.intro"), s.body),
                             Paragraph(t["received.h"], s.heading), w.bullets(w.received_items())]
    story.append(Paragraph(t["admissibility.h"], s.heading))
    story.append(Paragraph(w.fmt(f"admissibility.{case.admissibility}"), s.body))
    if case.admissibility == "needs_more_information":
        story.append(Paragraph(w.fmt("admissibility.needs_more_information.how"), s.body))
    elif case.admissibility == "inadmissible":
        story.append(Paragraph(w.fmt("admissibility.inadmissible.next"), s.body))
    story += w.contact()
    # A forged sender can have this letter sent to someone else: tell the reader how to tell.
    story.append(Paragraph(f"{w.fmt('security.no_passwords')} {w.fmt('security.not_you')}", s.body))
    if case.admissibility != "inadmissible":  # an inadmissible complaint's answer is this letter
        story.append(Paragraph(t["timeframe.h"], s.heading))
        story.append(Paragraph(w.fmt("timeframe.extended" if case.extension_reason else "timeframe.body"), s.body))
        if case.admissibility == "needs_more_information":
            story.append(Paragraph(w.fmt("timeframe.more_information"), s.body))
    story += [Paragraph(t["escalation.h"], s.heading), Paragraph(w.fmt("escalation.ack"), s.body),
              *w.bodies(org.escalation)]
    story.append(w.signature(story.pop()))
    return w.render(story, dated)


def decision_letter(case: LetterCase, *, outcome: Outcome, reasons: str, dated: date) -> bytes:
    """The reasoned decision (art. 5) as PDF/A-2b (and PDF/UA-1) bytes; ``reasons`` is the officer's Markdown.

    Every decision names the escalation bodies and authorities with their addresses: a
    customer may disagree with how an upheld complaint is put right, too.
    """
    outcome = cast(Outcome, outcome_code(outcome))  # "rejected", the letters' old name, is "not_upheld"
    if outcome not in OUTCOMES:
        raise ConfigurationError(f"unknown outcome {outcome!r} (use one of {', '.join(OUTCOMES)})")
    if not reasons.strip():
        raise LetterNotAllowedError("a decision needs the officer's reasons (Delegated Regulation (EU) 2022/2117 "
                                    "art. 5)")
    w = _Writer(case, "decision")
    reasons = neutralise(reasons, lines=True)  # the officer's Markdown, without bidirectional controls
    w.check_font("reasons", reasons)
    t, s = w.t, w.s
    md = MarkdownStyles(body=s.body, item=s.list_item, quote=s.quote, heading=s.subheading, code=s.code,
                        rule_color=s.heading.textColor)
    story: list[Flowable] = [
        *w.opening(), Paragraph(w.fmt("decision.intro") + (f" {w.fmt('decision.extended')}" if case.extension_reason
                                                             else ""), s.body),
        Paragraph(w.fmt(f"outcome.{outcome}"), s.strong),
        Paragraph(t["reasons.h"], s.heading), *markdown_flowables(reasons, md),
        Paragraph(t["next.h"], s.heading), Paragraph(w.fmt(f"next.{outcome}"), s.body),
        Paragraph(t["escalation.h"], s.heading), Paragraph(w.fmt("escalation.decision"), s.body),
        *w.bodies(case.org.escalation),
        Paragraph(t["authorities.h"], s.heading), Paragraph(w.fmt("authorities.body"), s.body),
        *w.bodies(case.org.authorities),
    ]
    # The contact block and the signature go with the last paragraph before them: when they do
    # not fit on the page, that paragraph moves with them, so page 2 never holds a signature alone.
    story.append(w.signature(story.pop(), *w.contact(), Paragraph(w.fmt("security.no_passwords"), s.body)))
    return w.render(story, dated)


@dataclass(frozen=True)
class WrittenLetter:
    """Where a letter was written and its hash (the register records both as an event)."""

    path: Path
    sha256: str
    size: int
    eml: Path | None = None


def write_letter(case: LetterCase, kind: LetterKind, output: str | os.PathLike[str], *, dated: date,
                 outcome: Outcome | None = None, reasons: str | None = None,
                 eml: str | os.PathLike[str] | None = None, today: date | None = None) -> WrittenLetter:
    """Render one letter to ``output`` (and, with ``eml``, a message carrying it: our new Message-ID,
    Date now); for a complaint outside a register. A decision needs ``outcome`` and ``reasons``.

    >>> write_letter(case, "ack", "KLA-2026-0001-ack.pdf", dated=date(2026, 11, 25)).sha256  # doctest: +SKIP
    '5c0e…'
    """
    staged, written = stage_letter(case, kind, output, dated=dated, outcome=outcome, reasons=reasons, eml=eml,
                                   today=today)
    for file in staged:
        file.commit()
    return written


def check_letter_date(case: LetterCase, dated: date, *, today: date | None = None) -> None:
    """Refuse a letter dated before the complaint was received, or after ``today`` (default: the real date).

    A letter is written on the day it says; a wrong date would put the deadline kept (or missed)
    on the wrong day in the report.
    """
    today = today or date.today()
    if dated < case.received:
        raise LetterNotAllowedError(f"{case.reference}: a letter dated {dated.isoformat()} is before the complaint "
                                    f"was received ({case.received.isoformat()}); give the day it is written (--date)")
    if dated > today:
        raise LetterNotAllowedError(f"{case.reference}: a letter dated {dated.isoformat()} is in the future (today "
                                    f"is {today.isoformat()}); give the day it is written (--date)")


def render_letter(case: LetterCase, kind: LetterKind, *, dated: date, outcome: Outcome | None = None,
                  reasons: str | None = None, today: date | None = None) -> bytes:
    """The letter's PDF bytes after the date check: the acknowledgement, or a decision (``outcome``, ``reasons``)."""
    check_letter_date(case, dated, today=today)
    if kind == "ack":
        return acknowledgement_letter(case, dated=dated)
    if kind == "decision":
        if outcome is None or reasons is None:
            raise ConfigurationError("a decision letter needs an outcome and the reasons")
        return decision_letter(case, outcome=outcome, reasons=reasons, dated=dated)
    raise ConfigurationError(f"unknown letter {kind!r} (use ack or decision)")


def stage_letter(case: LetterCase, kind: LetterKind, output: str | os.PathLike[str], *, dated: date,
                 outcome: Outcome | None = None, reasons: str | None = None,
                 eml: str | os.PathLike[str] | None = None,
                 today: date | None = None) -> tuple[list[StagedFile], WrittenLetter]:
    """:func:`write_letter` up to the last step: the files are written and synced under temporary
    names; the caller commits them (renames into place) or discards them."""
    pdf = render_letter(case, kind, dated=dated, outcome=outcome, reasons=reasons, today=today)
    message = (message_bytes(letter_message(case, pdf, kind=kind, at=datetime.now(UTC).replace(microsecond=0)))
               if eml is not None else None)  # before any write
    path = Path(output)
    staged = [StagedFile(path, pdf)]
    try:
        if message is not None and eml is not None:
            staged.append(StagedFile(Path(eml), message))
    except BaseException:
        staged[0].discard()
        raise
    return staged, WrittenLetter(path, hashlib.sha256(pdf).hexdigest(), len(pdf),
                                 Path(eml) if eml is not None else None)


def letter_case_from_record(record: Record | Mapping[str, Any], *, reference: str, org: Organisation | None = None,
                            admissibility: Admissibility = "admissible", reason: str | None = None) -> LetterCase:
    """A :class:`LetterCase` from one ``complaints.jsonl`` record (batch or mail intake).

    ``org`` (e.g. from ``--org-file``) replaces the profile the record names. A mapping (a
    parsed line) is read as a :class:`~klageformular.records.Record` first.

    >>> rec = {"complaint": {"complainant": {"last_name": "Berg"}, "subject": "Renter"}, "language": "sv",
    ...        "organisation": "kameo-se", "received": "2026-11-24", "method": "acroform"}
    >>> letter_case_from_record(rec, reference="KLA-2026-0007").org.key
    'kameo-se'
    """
    record = Record.coerce(record, error=ConfigurationError)
    lang = record.language
    profile = org or profile_for(record.organisation, lang, holder=reference)
    lang = lang if lang in LANGUAGES else profile.languages[0]
    raw = record.complaint
    if raw is None:
        raise ConfigurationError("the record holds no complaint (a rejected file?): nothing to write to")
    try:
        # A complaint held for review may lack its name, subject or reply address; the letter
        # checks what it needs itself (a postal address for paper, an email address for --eml).
        complaint = Complaint.model_validate(raw, context={"country": profile.country, "currency": profile.currency})
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) or "complaint" for e in exc.errors())
        raise ConfigurationError(f"the record's complaint is not valid: {fields}") from None
    try:
        received = date.fromisoformat(record.received_day)
    except ValueError:
        raise ConfigurationError("the record has no valid 'received' date (YYYY-MM-DD)") from None
    method = cast(Method, record.method) if record.method in get_args(Method) else "acroform"
    attachments = tuple(Attachment(a.name or "?", a.size, a.content_type) for a in record.attachments or ())
    return LetterCase(reference=reference, received=received, complaint=complaint, org=profile, lang=lang,
                      method=method, attachments=attachments,
                      admissibility=admissibility, admissibility_reason=reason)


def _sentence(text: str) -> str:
    """The officer's reason on one line, ending as a sentence (the letter's next sentence follows it)."""
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else f"{text}."


@dataclass(frozen=True)
class Recipient:
    """Who the letter goes to: the representative when there is one, otherwise the complainant."""

    name: str | None
    lines: tuple[str, ...]  # postal address without the name
    email: str | None


def recipient(complaint: Complaint, org: Organisation) -> Recipient:
    """The addressee and their contact details (the "if different" contact block wins)."""
    rep = complaint.representative
    party: Any = rep if rep is not None and rep.last_name else complaint.complainant
    contact: ContactDetails | None = (complaint.representative_contact if party is rep
                                      else complaint.complainant_contact)
    name = " ".join(p for p in (party.first_name, party.last_name) if p) or None
    source = contact if contact is not None and (contact.street or contact.city) else party
    lines = [source.street, " ".join(p for p in (source.postcode, source.city) if p)]
    if source.country and country_code(source.country) != org.country:
        lines.append(source.country)
    email = (contact.email if contact is not None and contact.email else None) or party.email
    return Recipient(name, tuple(x for x in lines if x), str(email) if email else None)


def _customer(text: str, *, phones: bool = True) -> str:
    """A customer's text on one line, without links (or phone numbers), in what the font can show."""
    return printable(" ".join(scrub(neutralise(text), phones=phones).split()))


class _Writer:
    """One letter being written: texts, styles and the case's values."""

    def __init__(self, case: LetterCase, kind: LetterKind):
        self.case, self.kind = case, kind
        self.t, self.s = texts(case.lang), styles()
        # What the customer wrote is shown as far as the font can (a visible mark for the rest), and
        # never with a link or phone number in their name: the From of an email may be forged.
        to = recipient(case.complaint, case.org)
        self.to = Recipient(_customer(to.name) if to.name else None, tuple(printable(x) for x in to.lines), to.email)
        org, officer = case.org, case.org.complaints_officer
        reason = neutralise(case.admissibility_reason or "")
        self.check_font("admissibility_reason", reason)
        self.values: dict[str, object] = {
            "reference": case.reference, "received": self.day(case.received), "org_name": org.name,
            "officer_name": officer.name, "officer_email": officer.email, "officer_phone": officer.phone or "",
            "reason": reason, "days": org.decision_working_days or "",
            "decision_by": self.day(decide_by)
            if (decide_by := case.decide_by or deadlines(case.received, org).decide_by) else "",
            "extension_reason": _sentence(neutralise(case.extension_reason or "")),
        }
        self.check_font("extension_reason", str(self.values["extension_reason"]))
        self.title = self.t[f"{kind}.title"]
        if case.complaint.reply_channel == "paper":
            if not self.to.lines:
                raise LetterNotAllowedError("the customer asked for a reply on paper but gave no postal address; "
                                            "complete the address before writing the letter")
            if not window_fits([x for x in (self.to.name, *self.to.lines) if x]):
                raise LetterNotAllowedError("the postal address is too long for the envelope window; shorten it "
                                            "in the record before writing the letter")

    def check_font(self, what: str, text: str) -> None:
        """The officer's own texts are refused, not marked, where the font lacks a character: they can fix them."""
        if absent := missing(text):
            raise LetterNotAllowedError(f"{what} has {len(absent)} character(s) the letter's font cannot show")

    def day(self, day: date) -> str:
        month = self.t["months"].split()[day.month - 1]
        return self.t["date"].format(day=day.day, month=month, year=day.year)

    def fmt(self, key: str) -> str:
        """A text with its placeholders filled, as paragraph markup (values escaped)."""
        return escape(self.t[key]).format(**{k: escape(str(v)) for k, v in self.values.items()})

    def opening(self) -> list[Flowable]:
        greeting = (self.t["salutation"].format(name=escape(self.to.name)) if self.to.name
                    else self.t["salutation.none"])
        return [Paragraph(escape(self.title), self.s.title), Paragraph(greeting, self.s.body)]

    def received_items(self) -> list[str]:
        case, t, complaint = self.case, self.t, self.case.complaint
        items = [escape(t[f"received.{case.method}"])]
        # Only the subject's first words, without links or phone numbers: whoever forged a sender
        # must not get their text sent to the person they pretend to be.
        if subject := subject_quote(complaint.subject):  # one without is asked for it (more information)
            items.append(escape(t["received.subject"].format(quote=t["quote"].format(text=subject))))
        if complaint.investment.reference:
            reference = _customer(complaint.investment.reference, phones=False)
            items.append(escape(t["received.investment"].format(reference=reference)))
        doc = complaint.documentation
        ticked = [t[f"doc.{k}"] for k in ("power_of_attorney", "contractual_documents", "other_documents")
                  if getattr(doc, k)]
        if doc.other_documents_list:
            ticked.append(_customer(doc.other_documents_list))
        if ticked:
            items.append(escape(t["received.enclosed"].format(items="; ".join(ticked))))
        if case.copies > 1:
            items.append(escape(t["received.copies"].format(count=case.copies)))
        items += [escape(t["received.attachment"].format(name=_customer(a.name))) for a in case.attachments]
        return items

    def bullets(self, items: Sequence[str]) -> Flowable:
        s = self.s
        return ListFlowable([ListItem(Paragraph(i, s.item), leftIndent=12) for i in items], bulletType="bullet",
                            start="•", leftIndent=12, bulletFontName=s.body.fontName, bulletFontSize=s.body.fontSize,
                            bulletColor=s.body.textColor, spaceAfter=4)

    def bodies(self, bodies: Sequence[Body]) -> list[Flowable]:
        out: list[Flowable] = []
        for b in bodies:
            remit = escape(b.remit.get(self.case.lang) or b.remit.get("en", ""))
            lines = " · ".join(escape(x) for x in b.contact_lines(self.t["phone_abbr"]))
            # One body's name, remit and address stay on one page.
            out.append(KeepTogether([Paragraph(f"<b>{escape(b.name)}</b> – {remit}<br/>{lines}", self.s.item)]))
        return out

    def contact(self) -> list[Flowable]:
        officer, t = self.case.org.complaints_officer, self.t
        lines = [f"{t['contact.email']}: {escape(officer.email)}"]
        if officer.phone:
            lines.append(f"{t['contact.phone']}: {escape(officer.phone)}")
        return [Paragraph(t["contact.h"], self.s.heading), Paragraph(self.fmt("contact.body"), self.s.body),
                Paragraph("<br/>".join(lines), self.s.item)]

    def signature(self, *before: Flowable) -> Flowable:
        """Closing and signature, kept on one page with ``before``: never a signature alone on a page."""
        officer = self.case.org.complaints_officer
        # Unwrapped: reportlab measures a KeepTogether inside a KeepTogether as not fitting, and breaks early.
        flat = [f for b in before for f in (b._content if isinstance(b, KeepTogether) else [b])]
        return KeepTogether([*flat, Spacer(1, 4), Paragraph(escape(self.t["closing"]), self.s.body), Spacer(1, 8),
                             Paragraph(f"<b>{escape(officer.name)}</b><br/>{self.fmt('signature.role')}",
                                       self.s.body)])

    def render(self, story: list[Flowable], dated: date) -> bytes:
        case, org, t = self.case, self.case.org, self.t
        sender = tuple(x for x in (org.website, org.postal_address, org.complaints_officer.email) if x)
        contact = org.complaints_officer.name
        head = Letterhead(
            org_name=org.name, sender_lines=sender, title=self.title, reference=case.reference, page_word=t["page"],
            meta=((t["meta.reference"], case.reference), (t["meta.received"], self.day(case.received)),
                  (t["meta.date"], self.day(dated)), (t["meta.contact"], contact)),
            address=(tuple(x for x in (self.to.name, *self.to.lines) if x)
                     if case.complaint.reply_channel == "paper" else None),
            return_address=" · ".join(x for x in (org.name, org.postal_address or org.website) if x),
        )
        title = f"{self.title} – {case.reference}"
        pages = build_pages(head, story, lang=case.lang, title=title, author=org.name)
        epoch = int(datetime(dated.year, dated.month, dated.day, tzinfo=UTC).timestamp())
        return make_pdfa(pages, title=title, author=org.name, subject=f"{org.name}: {self.title}",
                         keywords=f"{case.reference} {self.kind} {case.lang}", lang=case.lang,
                         creator=f"klageformular {__version__}", epoch=epoch)
