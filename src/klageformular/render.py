"""Render the fillable form: reportlab draws the pages, pypdf adds fields, fonts and metadata.

reportlab's own AcroForm support is not used for fields: it caps text at MaxLen 100, marks
checkboxes and radios *required*, and cannot draw values above U+00FF. The page content
(labels, boxes, information page, registration marks) is reportlab's; every field, its
flags, tooltip and appearance streams are written here from :data:`layout.LAYOUT`.

The form is a tagged PDF (PDF/UA-1): the pages' marked content and the structure record come
from :mod:`._pages`; once the widgets exist, :mod:`._tagging` writes the structure tree that puts
each widget, in reading order, in its own ``Form`` element.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import json
import os
import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    ByteStringObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from . import _marks, _pages, _tagging
from ._appearance import ZADB_RESOURCE, choice_appearance, text_appearance
from ._font import FONT_RESOURCE, EmbeddedFont
from ._paths import leaf_paths
from ._subsets import repair_fonts
from ._version import __version__
from ._xmp import xmp_metadata
from .exceptions import ConfigurationError, KlageformularWarning
from .layout import CHOICE_SIZE, FORM_ID, FORM_VERSION, LAYOUT, FieldSpec, Kind
from .locales import Texts
from .model import Complaint
from .org import Organisation
from .values import FieldValue, field_values

__all__ = ["render_all", "render_form"]

# Field flags (PDF 32000-1, tables 221, 226, 228).
_REQUIRED = 1 << 1
_MULTILINE = 1 << 12
_DO_NOT_SPELL_CHECK = 1 << 22
_RADIO = 1 << 15
_PRINT = 4
# Identifiers, dates and amounts are not prose: a spell checker only underlines them.
_NO_SPELLING = {Kind.EMAIL, Kind.PHONE, Kind.DATE, Kind.AMOUNT}
_NO_SPELLING_PATHS = ("registration_number", "lei", "postcode", "client_reference", "reference", "currency")

# Used when SOURCE_DATE_EPOCH is unset, so the same inputs always give the same bytes.
_DEFAULT_EPOCH = int(datetime(2026, 11, 24, tzinfo=UTC).timestamp())


def render_form(lang: str = "da", prefill: Complaint | Mapping[str, Any] | None = None,
                org: Organisation | str | None = None) -> bytes:
    """Render ``Klageformular.pdf`` and return its bytes.

    ``prefill`` (a :class:`Complaint` or a dict it validates from) writes values with
    their own appearance streams, so they show in every viewer. ``org`` is a profile or
    its key (default: the language's home profile; Kameo Denmark for ``da`` and ``en``).
    Output is deterministic: the same arguments (and ``SOURCE_DATE_EPOCH``) give
    byte-identical files.

    >>> pdf = render_form("da")
    >>> pdf[:5], len(pdf) < 120_000
    (b'%PDF-', True)
    """
    texts = Texts.of(lang, org)  # LanguageNotAvailableError before any work
    values = _prefill_values(prefill, texts)
    epoch = _epoch()

    pages = _pages.draw_pages(texts, epoch)
    writer = PdfWriter(clone_from=io.BytesIO(pages.data))
    repair_fonts(writer)  # printed text that survives ghostscript and PostScript printing
    widgets = _add_fields(writer, texts, values)
    _tagging.write_structure(writer, pages.structure, widgets, lang=texts.lang)
    _set_metadata(writer, texts, epoch, values)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def render_all(directory: str | os.PathLike[str]) -> dict[str, Any]:
    """Every language × organisation profile into ``directory``, plus ``manifest.json``.

    File names are stable (``Klageformular-da-kameo-dk.pdf``) and the manifest gives each
    file's sha256 and size, so a website can bust caches when, and only when, a form changes.

    >>> manifest = render_all("forms")                                   # doctest: +SKIP
    >>> manifest["files"][0]["file"]                                     # doctest: +SKIP
    'Klageformular-da-kameo-dk.pdf'
    """
    from .locales import available_languages
    from .org import organisation_keys

    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for key in organisation_keys():
        for lang in available_languages():
            data = render_form(lang, org=key)
            name = f"Klageformular-{lang}-{key}.pdf"
            (folder / name).write_bytes(data)
            files.append({"file": name, "lang": lang, "org": key, "bytes": len(data),
                          "sha256": hashlib.sha256(data).hexdigest()})
    manifest = {"form_version": FORM_VERSION, "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


# Stand-ins for required fields a prefill may leave to the customer (a logged-in customer's
# identity is known before the complaint is written); removed again before rendering.
def _prefill_values(prefill: Complaint | Mapping[str, Any] | None, texts: Texts) -> dict[str, FieldValue]:
    """Field values to write: all of a Complaint's, or only the paths a partial dict gives."""
    if prefill is None:
        return {}
    if isinstance(prefill, Complaint):
        return field_values(prefill, texts.lang)
    from pydantic import ValidationError

    given = set(leaf_paths(prefill))
    try:
        complaint = Complaint.model_validate(prefill, context={"country": texts.org.country,
                                                               "currency": texts.org.currency})
    except ValidationError as exc:
        # pydantic's messages name the problem; the input is left out (it may be personal data).
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'complaint'}: {e['msg']}"
                             for e in exc.errors(include_input=False, include_url=False))
        raise ConfigurationError(f"prefill is not a valid complaint: {problems}") from None
    # Only what the caller gave: defaults (e.g. the reply channel) stay the customer's choice.
    return {path: value for path, value in field_values(complaint, texts.lang).items()
            if any(path == g or path.startswith(g + ".") for g in given)}


def _epoch() -> int:
    raw = os.environ.get("SOURCE_DATE_EPOCH")
    if raw is None:
        return _DEFAULT_EPOCH
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError("SOURCE_DATE_EPOCH must be an integer number of seconds") from None


def _widget(spec: FieldSpec, page_ref: IndirectObject, rect: list[float]) -> DictionaryObject:
    return DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"),
        NameObject("/Subtype"): NameObject("/Widget"),
        NameObject("/Rect"): ArrayObject([FloatObject(v) for v in rect]),
        NameObject("/P"): page_ref,
        NameObject("/F"): NumberObject(_PRINT),
        NameObject("/Border"): ArrayObject([NumberObject(0), NumberObject(0), NumberObject(0)]),
    })


def _text_field(writer: PdfWriter, spec: FieldSpec, page_ref: IndirectObject, font_ref: IndirectObject,
                texts: Texts, value: FieldValue) -> list[IndirectObject]:
    text = value if isinstance(value, str) else ""
    font = EmbeddedFont.load()
    if missing := font.missing(text):
        raise ConfigurationError(
            f"prefill for {spec.path} has {len(missing)} character(s) the form's font cannot show"
        )
    if spec.max_length and len(text) > spec.max_length:
        warnings.warn(f"prefill for {spec.path} is longer than the field's {spec.max_length} characters; "
                      "it is written whole, but a viewer may not let the customer edit it", KlageformularWarning,
                      stacklevel=4)
    flags = (_REQUIRED if spec.required else 0) | (_MULTILINE if spec.multiline else 0)
    if spec.kind in _NO_SPELLING or spec.path.endswith(_NO_SPELLING_PATHS):
        flags |= _DO_NOT_SPELL_CHECK
    ap, _ = text_appearance(writer, font_ref, spec.rect.width, spec.rect.height, text, multiline=spec.multiline)
    field = _widget(spec, page_ref, spec.rect.as_list())
    field.update({
        NameObject("/FT"): NameObject("/Tx"),
        NameObject("/T"): TextStringObject(spec.name),
        NameObject("/TU"): TextStringObject(_tip(spec, texts)),
        NameObject("/Ff"): NumberObject(flags),
        NameObject("/DA"): TextStringObject(f"{FONT_RESOURCE} 0 Tf 0 g"),
        NameObject("/Q"): NumberObject(0),
        NameObject("/MK"): DictionaryObject(),
        NameObject("/AP"): DictionaryObject({NameObject("/N"): ap}),
    })
    if spec.max_length:
        field[NameObject("/MaxLen")] = NumberObject(spec.max_length)
    if text:
        field[NameObject("/V")] = _text_string(text)
    return [writer._add_object(field)]


def _text_string(text: str) -> TextStringObject:
    """ASCII as is; anything else as UTF-16BE with a byte-order mark, which no reader can mistake
    (PDFDocEncoding bytes can also be valid UTF-8: "Ä–" and "ą" share theirs)."""
    if text.isascii():
        return TextStringObject(text)
    return TextStringObject(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))


def _states(writer: PdfWriter, zadb_ref: IndirectObject, on_name: str, *, radio: bool) -> DictionaryObject:
    return DictionaryObject({NameObject("/N"): DictionaryObject({
        NameObject(f"/{on_name}"): choice_appearance(writer, zadb_ref, CHOICE_SIZE, radio=radio, on=True),
        NameObject("/Off"): choice_appearance(writer, zadb_ref, CHOICE_SIZE, radio=radio, on=False),
    })})


def _choice_field(writer: PdfWriter, spec: FieldSpec, page_ref: IndirectObject, zadb_ref: IndirectObject,
                  texts: Texts, value: FieldValue) -> tuple[IndirectObject, list[tuple[str, IndirectObject]]]:
    """A checkbox (one widget) or a radio group (parent plus one widget per option)."""
    common = {
        NameObject("/FT"): NameObject("/Btn"),
        NameObject("/T"): TextStringObject(spec.name),
        NameObject("/TU"): TextStringObject(_tip(spec, texts)),
        NameObject("/DA"): TextStringObject(f"{ZADB_RESOURCE} 0 Tf 0 g"),
    }
    if spec.kind is Kind.CHECKBOX:
        state = NameObject(f"/{spec.on_value}" if value is True else "/Off")
        field = _widget(spec, page_ref, spec.rect.as_list())
        field.update(common)
        field.update({
            NameObject("/Ff"): NumberObject(_REQUIRED if spec.required else 0),
            NameObject("/V"): state, NameObject("/AS"): state,
            NameObject("/MK"): DictionaryObject({NameObject("/CA"): TextStringObject(_marks.CHECK.code)}),
            NameObject("/AP"): _states(writer, zadb_ref, spec.on_value, radio=False),
        })
        ref = writer._add_object(field)
        return ref, [(_pages.widget_key(spec), ref)]
    chosen = next((o.export for o in spec.options if o.value == value), None)
    parent = DictionaryObject(common)
    parent.update({
        NameObject("/Ff"): NumberObject(_RADIO | (_REQUIRED if spec.required else 0)),
        NameObject("/V"): NameObject(f"/{chosen}" if chosen else "/Off"),
    })
    parent_ref = writer._add_object(parent)
    kids = []
    for option in spec.options:
        widget = _widget(spec, page_ref, option.rect.as_list())
        state = NameObject(f"/{option.export}" if option.export == chosen else "/Off")
        widget.update({
            NameObject("/Parent"): parent_ref,
            # /TU is not inherited by every reader (pdftk reads the widget's), and a screen reader
            # names each button by its widget: the question and this button's choice.
            NameObject("/TU"): TextStringObject(_option_tip(spec, texts, option.value)),
            NameObject("/AS"): state,
            NameObject("/MK"): DictionaryObject({NameObject("/CA"): TextStringObject(_marks.RADIO.code)}),
            NameObject("/AP"): _states(writer, zadb_ref, option.export, radio=True),
        })
        kids.append((_pages.widget_key(spec, option.export), writer._add_object(widget)))
    parent[NameObject("/Kids")] = ArrayObject(ref for _, ref in kids)
    return parent_ref, kids


def _tip(spec: FieldSpec, texts: Texts) -> str:
    """Label and help in one sentence: screen readers read /TU instead of the printed label."""
    tip = texts.tooltip(spec.path)
    return f"{texts.label(spec.path).rstrip(' *')}: {tip}" if spec.kind is not Kind.CHECKBOX else tip


def _option_tip(spec: FieldSpec, texts: Texts, value: str) -> str:
    """A radio button's accessible name: the question, then this button's choice."""
    return f"{texts.label(spec.path).rstrip(' *')}: {texts.option(spec.path, value)}"


def _add_fields(writer: PdfWriter, texts: Texts, values: Mapping[str, FieldValue]) -> dict[str, IndirectObject]:
    """Every field and widget; returns the widgets by their key in the pages' structure record."""
    font_ref = EmbeddedFont.load().pdf_font(writer)
    # The marks' font is embedded (PDF/UA-1 7.21.4.1) under the resource name /ZaDb, at ZapfDingbats's
    # codes: a viewer that redraws a box in its own ZapfDingbats and one that uses /DR agree.
    zadb_ref = _marks.pdf_font(writer)
    fields = ArrayObject()
    by_key: dict[str, IndirectObject] = {}
    for number, page in enumerate(writer.pages, start=1):
        page_ref = page.indirect_reference
        assert page_ref is not None  # pages of a writer are always indirect
        annots = ArrayObject()
        for spec in LAYOUT.fields_on(number):  # reading order is tab order
            value = values.get(spec.path)
            if spec.kind.is_choice:
                top, widgets = _choice_field(writer, spec, page_ref, zadb_ref, texts, value)
            else:
                top = _text_field(writer, spec, page_ref, font_ref, texts, value)[0]
                widgets = [(_pages.widget_key(spec), top)]
            fields.append(top)
            annots.extend(ref for _, ref in widgets)
            by_key.update(widgets)
        if annots:
            page[NameObject("/Annots")] = annots
            # Tab order is the structure tree's, which is the reading order (PDF/UA-1, 7.18.3).
            page[NameObject("/Tabs")] = NameObject("/S")
    writer.root_object[NameObject("/AcroForm")] = writer._add_object(DictionaryObject({
        NameObject("/Fields"): fields,
        NameObject("/DR"): DictionaryObject({NameObject("/Font"): DictionaryObject({
            NameObject(FONT_RESOURCE): font_ref, NameObject(ZADB_RESOURCE): zadb_ref})}),
        NameObject("/DA"): TextStringObject(f"{FONT_RESOURCE} 0 Tf 0 g"),
    }))
    return by_key


def _pdf_date(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("D:%Y%m%d%H%M%S+00'00'")


def _set_metadata(writer: PdfWriter, texts: Texts, epoch: int,
                  values: Mapping[str, FieldValue]) -> None:
    lang, org = texts.lang, texts.org
    title = f"{texts.text('title')} – {org.name}"
    writer.root_object[NameObject("/Lang")] = TextStringObject(lang)
    writer.root_object[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)})
    info = {
        "/Title": title,
        "/Author": org.name,
        "/Subject": texts.text("subtitle"),
        "/Creator": f"klageformular {__version__}",
        "/Producer": f"klageformular {__version__} (reportlab, pypdf)",
        "/CreationDate": _pdf_date(epoch),
        "/ModDate": _pdf_date(epoch),
        "/Keywords": f"{FORM_ID} {FORM_VERSION} {lang}",
        "/KlageformularVersion": FORM_VERSION,
        "/KlageformularLanguage": lang,
        "/KlageformularOrganisation": org.key,
    }
    writer.add_metadata(info)
    # PDF/UA-1 is claimed in XMP, which must also carry the title (ISO 14289-1, 5 and 7.1).
    xmp_metadata(writer, info, datetime.fromtimestamp(epoch, UTC), lang, pdfua=True)
    # A fixed /ID derived from the inputs: the website caches by hash, so no random bytes.
    seed = json.dumps([FORM_VERSION, __version__, lang, org.model_dump(mode="json"), epoch,
                       dict(values) or None], sort_keys=True)
    digest = ByteStringObject(hashlib.md5(seed.encode(), usedforsecurity=False).digest())
    writer._ID = ArrayObject([digest, digest])
