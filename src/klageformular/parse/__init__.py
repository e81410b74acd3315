"""Parse a received PDF into a validated ``Complaint``: AcroForm fields first, else the text layer.

``parse_pdf`` reads the filled fields (:mod:`.acroform`); when the PDF has none of our
fields, or none filled — a flattened or printed copy — it reads the page text instead
(:mod:`.text`). Either way the raw values are kept and read leniently (:mod:`.validate`):
every readable form gives a complaint, ``complete`` or ``needs_review`` with review items
that keep each problem value exactly as typed. Only a file that is not a readable form raises.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, cast

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from .._quiet import quiet  # pdfminer itself loads only for a text layer
from ..exceptions import (
    ComplaintValidationError,
    FieldValueTooLongError,
    KlageformularError,
    NotAKlageformularError,
    NotAPdfError,
    NoTextLayerError,
    PdfReadError,
    StreamTooLargeError,
    UnreadableTextError,
    UnsupportedFormVersionError,
)
from ..layout import FORM_VERSION, LAYOUT
from ..locales import DEFAULT_LANGUAGE, LANGUAGES, Texts
from ..model import Complaint
from ..org import Organisation, get_organisation, organisation_keys, resolve_organisation
from ..values import FieldValue
from ._budget import budget_of, spending
from ._source import Limits, Source, check_page_streams, open_pdf, pypdf_limits, read_source
from ._warning import ParseWarning
from .acroform import read_acroform
from .content_key import content_key
from .validate import ReviewItem, find_national_ids, validate

if TYPE_CHECKING:
    from ..scan import ScanRead
    from .text import TextLayer

__all__ = ["Limits", "ParseResult", "ParseWarning", "ReviewItem", "Source", "Status", "parse_image",
           "parse_pdf", "read_complaint"]

Status = Literal["complete", "needs_review"]

log = logging.getLogger("klageformular.parse")


class _PypdfNotes(logging.Handler):
    """Collects what pypdf logs while it repairs a damaged file ("EOF marker not found").

    Those lines are about the file, not about the caller's code: they belong on the result as
    one ``pdf_repaired`` warning, not on a terminal or in a server log. Having a handler on
    the ``pypdf`` logger also keeps Python's last-resort handler from printing them; an
    application that configured logging still gets them through propagation.
    """

    notes: ContextVar[list[str] | None] = ContextVar("pypdf_notes", default=None)

    def emit(self, record: logging.LogRecord) -> None:
        collected = self.notes.get()
        if collected is not None and record.levelno >= logging.WARNING:
            collected.append(record.name)


logging.getLogger("pypdf").addHandler(_PypdfNotes())


@dataclass
class ParseResult:
    """Everything read from one form: always a complaint, and what of it needs a person's review.

    ``raw`` holds every field's recovered value; ``review`` one :class:`ReviewItem` per field
    that is missing, invalid or inconsistent (its typed value kept); ``content_key`` finds the
    same complaint arriving as another file (:mod:`.content_key`).
    """

    source: str | None
    sha256: str
    method: str  # "acroform", "text" or "scan"
    form_version: str | None
    language: str | None
    page_count: int
    organisation: str | None  # the profile the form names (or its language's home): validation, deadlines
    complaint: Complaint
    raw: dict[str, FieldValue]
    review: list[ReviewItem] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)
    content_key: str | None = None
    # The resolved profile itself (``organisation`` is its key): validation used it, and the
    # acknowledgement deadline counts its working days. Not part of the JSON shape.
    profile: Organisation = field(default_factory=get_organisation, repr=False, compare=False)
    # A scanned form's pages, ticks and crops (method "scan"); crops are PNG bytes, so only
    # their paths are in the JSON shape.
    scan: ScanRead | None = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> Status:
        """``complete``, or ``needs_review`` when a field is missing, invalid or inconsistent."""
        return "needs_review" if self.review else "complete"

    @property
    def valid(self) -> bool:
        """True when nothing needs review (the complaint is there either way)."""
        return not self.review

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape downstream systems consume (``complaint`` in pydantic's JSON mode)."""
        return {
            "source": self.source, "sha256": self.sha256, "method": self.method,
            "form_version": self.form_version, "language": self.language, "page_count": self.page_count,
            "organisation": self.organisation, "status": self.status,
            "complaint": self.complaint.model_dump(mode="json"),
            "review": [asdict(r) for r in self.review],
            "warnings": [asdict(w) for w in self.warnings],
            "content_key": self.content_key,
            "raw": dict(self.raw),
            **({"scan": _scan_summary(self.scan)} if self.scan is not None else {}),
        }

    def to_json(self, **kwargs: Any) -> str:
        """:meth:`to_dict` as JSON (UTF-8 text, non-ASCII kept)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, **kwargs)


def _info(reader: PdfReader) -> tuple[str | None, str | None, str | None]:
    """(version, language, organisation key) from the document information, if a tool kept them."""
    meta: Any
    try:
        meta = reader.metadata or {}
    except Exception:  # a broken /Info is no reason to give up on the fields
        meta = {}
    version = meta.get("/KlageformularVersion")
    lang = meta.get("/KlageformularLanguage")
    org = meta.get("/KlageformularOrganisation")
    keywords = str(meta.get("/Keywords") or "").split()
    if (version is None or lang is None) and len(keywords) >= 3 and keywords[0] == "KLAGEFORMULAR":
        version, lang = version or keywords[1], lang or keywords[2]
    if lang is None:
        catalog_lang = cast(DictionaryObject, reader.trailer["/Root"].get_object()).get("/Lang")
        lang = str(catalog_lang)[:2].lower() if catalog_lang else None
    return (str(version) if version else None, str(lang) if lang in LANGUAGES else None,
            str(org) if org in organisation_keys() else None)


def parse_pdf(source: Source, *, limits: Limits | None = None, org: Organisation | None = None) -> ParseResult:
    """Read one received PDF.

    Raises a :class:`~klageformular.KlageformularError` subclass only when the file is not a
    readable form; whatever was typed gives a complaint, with ``review`` items for values that
    are missing, invalid or inconsistent (each keeping the text as typed). ``org`` (e.g. a
    profile from a file) replaces the profile the form names for validation.

    >>> from klageformular import render_form
    >>> result = parse_pdf(render_form("da", prefill={"complainant": {"last_name": "Ørsted",
    ...     "email": "a@b.dk"}, "subject": "Renter"}))
    >>> result.method, result.language, result.status, result.complaint.complainant.last_name
    ('acroform', 'da', 'complete', 'Ørsted')
    """
    limits = limits or Limits()
    data, name = read_source(source, limits)
    digest = hashlib.sha256(data).hexdigest()
    with _one_clear_error(digest, reading="the file", doing="parsing", broken="PDF"):
        notes: list[str] = []
        token = _PypdfNotes.notes.set(notes)
        try:
            with pypdf_limits(limits), spending(budget_of(limits)), quiet():
                result = _parse(data, name, digest, limits, org)
        finally:
            _PypdfNotes.notes.reset(token)
        if notes:
            result.warnings.append(ParseWarning("pdf_repaired", None, f"the PDF file is damaged; it was repaired "
                                                f"while reading ({len(notes)} note(s) from pypdf)"))
        return result


@contextmanager
def _one_clear_error(digest: str, *, reading: str, doing: str, broken: str) -> Iterator[None]:
    """Our own errors as they are; anything else a reader raised as one clear error of ours.

    Hostile or broken files hit corners of pypdf, pdfminer and the image libraries that raise
    anything at all. The caller gets one clear error; the officer sees the file in the rejected list.
    """
    try:
        yield
    except KlageformularError:
        raise
    except MemoryError:
        raise StreamTooLargeError(f"ran out of memory reading {reading}", limit="memory") from None
    except Exception as exc:
        log.debug("unexpected %s while %s %s", type(exc).__name__, doing, digest[:12])
        raise PdfReadError(f"broken {broken} ({type(exc).__name__})") from None


def _parse(data: bytes, name: str | None, digest: str, limits: Limits, profile: Organisation | None) -> ParseResult:
    reader = open_pdf(data, limits)
    version, lang, org_key = _info(reader)
    page_count = len(reader.pages)
    warnings: list[ParseWarning] = []
    form = read_acroform(reader)
    method = "acroform"
    if form is not None and version not in (None, FORM_VERSION):
        if form.found < len(LAYOUT.fields) // 2:
            raise UnsupportedFormVersionError(f"form version {version}; this library reads {FORM_VERSION}",
                                              version=version)
        warnings.append(ParseWarning("form_version", None, f"form version {version}, read as {FORM_VERSION}"))
    layer: TextLayer | None = None
    if form is None or not form.filled:
        from .text import read_text_layer  # a filled form never needs the text layer's reader

        check_page_streams(reader, limits)  # pdfminer has no decompression limit of its own
        try:
            layer = read_text_layer(data)
        except UnreadableTextError:
            raise
        except NoTextLayerError:
            if form is not None:
                raise
            # Printed, filled by hand and scanned: the page codes and marks are read instead.
            from ..scan import read_scan_pdf

            return _scan_result(read_scan_pdf(reader, data, limits), name, digest, profile)
        except NotAKlageformularError:
            if form is None:
                raise NotAKlageformularError("not the complaint form: none of its fields and no form identifier "
                                             "on any page") from None
    if layer is not None and (form is None or any(v not in (None, False) for v in layer.values.values())):
        method, values = "text", layer.values
        lang = layer.language or lang
        version = layer.version or version
        warnings += layer.warnings
        if layer.extra_pages:
            warnings.append(ParseWarning("extra_pages", None, f"{layer.extra_pages} page(s) besides the form "
                                         "(attachments?) were not read"))
    else:
        assert form is not None
        values = form.values
        warnings += form.warnings
    _check_lengths(values, limits, warnings)
    for path, kind in find_national_ids(values):
        warnings.append(ParseWarning("national_id", path, f"looks like a {kind} number: redact it before filing"))
    # A form that lost its metadata: the language is the best hint of the country.
    org = resolve_organisation(profile or org_key, lang or DEFAULT_LANGUAGE)
    complaint, review = validate(values, Texts(lang or DEFAULT_LANGUAGE, org), today=date.today(),
                                 warnings=[(w.code, w.path) for w in warnings])
    result = ParseResult(name, digest, method, version, lang, page_count, org.key, complaint, dict(values), review,
                         warnings, content_key(values), org)
    log.info("parsed %s: method=%s status=%s review=%d warnings=%d", digest[:12], method, result.status,
             len(review), len(warnings))
    return result


def _scan_result(read: ScanRead, name: str | None, digest: str, profile: Organisation | None) -> ParseResult:
    """A scanned form's result: the ticks the machine read, every written box a ``handwritten`` item."""
    lang = read.language if read.language in LANGUAGES else None
    org_key = read.organisation if read.organisation in organisation_keys() else None
    org = resolve_organisation(profile or org_key, lang or DEFAULT_LANGUAGE)
    complaint, review = validate(read.values, Texts(lang or DEFAULT_LANGUAGE, org), today=date.today(),
                                 warnings=[(w.code, w.path) for w in read.warnings])
    # Handwriting is never typed yet: a scan always waits for a person to key it.
    result = ParseResult(name, digest, "scan", read.version, lang, read.page_count, org.key, complaint,
                         dict(read.values), review, read.warnings, None, org, read)
    log.info("parsed %s: method=scan status=%s review=%d warnings=%d crops=%d", digest[:12], result.status,
             len(review), len(read.warnings), len(read.crops))
    return result


def _scan_summary(read: ScanRead) -> dict[str, Any]:
    return {
        "pages": [{"index": p.index, "page": p.page, "problem": p.problem, "skew_degrees": round(p.skew_degrees, 2)}
                  for p in read.pages],
        "crops": [c.path for c in read.crops],
        "ticks": [{"path": t.path, "option": t.option, "state": t.state, "ink": round(t.ink, 3),
                   "confidence": round(t.confidence, 2)} for t in read.ticks],
        "signature": read.signature,
    }


def parse_image(source: Source, *, limits: Limits | None = None, org: Organisation | None = None) -> ParseResult:
    """Read a scanned form from a PNG, JPEG or TIFF file (each frame of a TIFF a page).

    Needs the ``[scan]`` extra. Like :func:`parse_pdf` it raises only when the file is not a
    readable form (:class:`~klageformular.ScanUnreadableError` with its ``reason``,
    :class:`~klageformular.ImageReadError`, a limit); the result's ``method`` is ``scan``.
    """
    from ..scan import read_scan_images
    from ..scan._raster import image_kind

    limits = limits or Limits()
    data, name = read_source(source, limits)
    digest = hashlib.sha256(data).hexdigest()
    if image_kind(data) is None:
        raise NotAPdfError("not a PNG, JPEG or TIFF image")
    with _one_clear_error(digest, reading="the image", doing="reading image", broken="image"), \
            spending(budget_of(limits)):
        return _scan_result(read_scan_images(data, limits), name, digest, org)


def _check_lengths(values: dict[str, FieldValue], limits: Limits, warnings: list[ParseWarning]) -> None:
    for spec in LAYOUT.fields:
        value = values.get(spec.path)
        if not isinstance(value, str):
            continue
        if len(value) > limits.max_value_chars:
            raise FieldValueTooLongError(f"{spec.path} holds {len(value):,} characters; the limit is "
                                         f"{limits.max_value_chars:,}", limit="max_value_chars",
                                         value=len(value), maximum=limits.max_value_chars)
        if spec.max_length and len(value) > spec.max_length:
            warnings.append(ParseWarning("too_long", spec.path, f"{len(value)} characters; the field takes "
                                         f"{spec.max_length} (kept whole)"))


def read_complaint(source: Source, *, limits: Limits | None = None) -> Complaint:
    """The complaint when nothing in it needs review, else :class:`ComplaintValidationError`.

    Strict, for callers that only want complete complaints: the error's ``review`` lists every
    review item (:func:`parse_pdf` gives the complaint and the items instead of raising).

    >>> from klageformular import render_form
    >>> read_complaint(render_form("da"))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    klageformular.exceptions.ComplaintValidationError: 3 field(s) need review: complainant.last_name, ...
    """
    result = parse_pdf(source, limits=limits)
    if result.review:
        raise ComplaintValidationError(result.review)
    return result.complaint
