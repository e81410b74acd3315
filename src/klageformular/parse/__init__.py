"""Parse a received PDF into a validated ``Complaint``: AcroForm fields first, else the text layer.

``parse_pdf`` reads the filled fields (:mod:`.acroform`); when the PDF has none of our
fields, or none filled — a flattened or printed copy — it reads the page text instead
(:mod:`.text`). Either way the raw values are kept, validated (:mod:`.validate`), and
returned with per-field errors and warnings; only an unreadable file raises.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from typing import Any, cast

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from ..exceptions import (
    ComplaintValidationError,
    FieldError,
    FieldValueTooLongError,
    KlageformularError,
    NotAKlageformularError,
    PdfReadError,
    StreamTooLargeError,
    UnsupportedFormVersionError,
)
from ..layout import FORM_VERSION, LAYOUT
from ..locales import LANGUAGES
from ..model import Complaint
from ..org import get_organisation, home_organisation, organisation_keys
from ..values import FieldValue
from ._budget import spending
from ._pdfminer import quiet
from ._source import Limits, Source, check_page_streams, open_pdf, pypdf_limits, read_source
from .acroform import read_acroform
from .text import TextLayer, read_text_layer
from .validate import find_national_ids, validate

__all__ = ["Limits", "ParseResult", "ParseWarning", "Source", "parse_pdf", "read_complaint"]

log = logging.getLogger("klageformular.parse")


@dataclass(frozen=True)
class ParseWarning:
    """Something the officer should look at; ``path`` names the field, never its value."""

    code: str
    path: str | None
    message: str


@dataclass
class ParseResult:
    """Everything read from one PDF. ``raw`` always holds every field's recovered value."""

    source: str | None
    sha256: str
    method: str  # "acroform" or "text"
    form_version: str | None
    language: str | None
    page_count: int
    organisation: str | None  # the profile the form names (or its language's home): validation, deadlines
    complaint: Complaint | None
    raw: dict[str, FieldValue]
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when the complaint validated."""
        return self.complaint is not None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape downstream systems consume (``complaint`` in pydantic's JSON mode)."""
        return {
            "source": self.source, "sha256": self.sha256, "method": self.method,
            "form_version": self.form_version, "language": self.language, "page_count": self.page_count,
            "organisation": self.organisation,
            "complaint": self.complaint.model_dump(mode="json") if self.complaint else None,
            "raw": dict(self.raw),
            "errors": [asdict(e) for e in self.errors],
            "warnings": [asdict(w) for w in self.warnings],
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


def parse_pdf(source: Source, *, limits: Limits | None = None) -> ParseResult:
    """Read one received PDF.

    Raises a :class:`~klageformular.KlageformularError` subclass only when the file cannot be
    read as our form; invalid values come back as ``errors`` with the raw text kept.

    >>> from klageformular import render_form
    >>> result = parse_pdf(render_form("da", prefill={"complainant": {"last_name": "Ørsted",
    ...     "email": "a@b.dk"}, "subject": "Renter"}))
    >>> result.method, result.language, result.complaint.complainant.last_name
    ('acroform', 'da', 'Ørsted')
    """
    limits = limits or Limits()
    data, name = read_source(source, limits)
    digest = hashlib.sha256(data).hexdigest()
    try:
        with pypdf_limits(limits), spending(limits.budget()), quiet():
            return _parse(data, name, digest, limits)
    except KlageformularError:
        raise
    except MemoryError:
        raise StreamTooLargeError("ran out of memory reading the file", limit="memory") from None
    except Exception as exc:
        # Hostile or broken files hit corners of pypdf and pdfminer that raise anything at all.
        # The caller gets one clear error; the officer sees the file in the rejected list.
        log.debug("unexpected %s while parsing %s", type(exc).__name__, digest[:12])
        raise PdfReadError(f"broken PDF ({type(exc).__name__})") from None


def _parse(data: bytes, name: str | None, digest: str, limits: Limits) -> ParseResult:
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
        check_page_streams(reader, limits)  # pdfminer has no decompression limit of its own
        try:
            layer = read_text_layer(data)
        except NotAKlageformularError:
            if form is None:
                raise NotAKlageformularError("not the complaint form: none of its fields and no form identifier "
                                             "on any page") from None
    if layer is not None and (form is None or any(v not in (None, False) for v in layer.values.values())):
        method, values = "text", layer.values
        lang = layer.language or lang
        version = layer.version or version
        warnings += [ParseWarning(w.code, w.path, w.message) for w in layer.warnings]
        if layer.extra_pages:
            warnings.append(ParseWarning("extra_pages", None, f"{layer.extra_pages} page(s) besides the form "
                                         "(attachments?) were not read"))
    else:
        assert form is not None
        values = form.values
        warnings += [ParseWarning(code, path, message) for code, path, message in form.notes]
    _check_lengths(values, limits, warnings)
    for path, kind in find_national_ids(values):
        warnings.append(ParseWarning("national_id", path, f"looks like a {kind} number: redact it before filing"))
    # A form that lost its metadata: the language is the best hint of the country.
    org = get_organisation(org_key) if org_key else home_organisation(lang)
    complaint, errors = validate(values, lang or "da", org)
    log.info("parsed %s: method=%s valid=%s errors=%d warnings=%d", digest[:12], method, complaint is not None,
             len(errors), len(warnings))
    return ParseResult(name, digest, method, version, lang, page_count, org.key, complaint, dict(values), errors,
                       warnings)


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
    """The validated Complaint, or :class:`ComplaintValidationError` listing every field error.

    >>> from klageformular import render_form
    >>> read_complaint(render_form("da"))
    Traceback (most recent call last):
    ...
    klageformular.exceptions.ComplaintValidationError: 2 invalid field(s): complainant.last_name, subject
    """
    result = parse_pdf(source, limits=limits)
    if result.complaint is None:
        raise ComplaintValidationError(result.errors)
    return result.complaint
