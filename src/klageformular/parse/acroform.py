"""Read AcroForm field values the way real viewers save them, matched to the layout.

We walk the field tree ourselves — pypdf's ``get_form_text_fields()`` drops kids that
inherit their type — inheriting ``/FT``, ``/Ff`` and ``/V``, and also walk every page's
widget annotations, because macOS Preview has been seen to rewrite ``/AcroForm /Fields``
with a fraction of the fields and to detach a chosen radio widget from its group. Radio
and checkbox states come from ``/V`` or, when that is missing or stale, from the widgets'
``/AS``. When no text field has a ``/V`` at all — a tool that writes only appearances —
each field is read from its appearance stream instead. (A form where some fields have a
``/V`` is taken at its word: an empty field is empty. Reading every empty field's
appearance would cost a third of the parse time for nothing.) A filled field's stored value is
compared with the text its appearance draws: when they disagree beyond clipping (a tool drew
"?" for letters it could not encode), an ``appearance_mismatch`` note says the customer saw
something other than what was stored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    ContentStream,
    DictionaryObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from .._font import BASE_FONT_NAME, EmbeddedFont, decode
from ..layout import LAYOUT, FieldSpec, Kind, Rect, field_by_name, field_by_path
from ..values import FieldValue
from ._objects import SIMPLE_ESCAPE, content_operations, unescape
from ._warning import ParseWarning

__all__ = ["AcroForm", "read_acroform"]

log = logging.getLogger("klageformular.parse")
_MAX_DEPTH = 32  # field trees nest a few levels; deeper is a loop or an attack


@dataclass
class _Field:
    """One terminal field as found: full name, inherited attributes, its widgets."""

    name: str
    ft: str | None
    flags: int
    value: Any
    node: DictionaryObject
    widgets: list[DictionaryObject] = field(default_factory=list)


@dataclass
class AcroForm:
    """Values read from the form's fields, keyed by layout path (every path present)."""

    values: dict[str, FieldValue]
    found: int  # how many layout fields the PDF has
    unknown: list[str]  # names of fields that are not ours
    warnings: list[ParseWarning]  # for the officer: a field path, never a value

    @property
    def filled(self) -> bool:
        """Any value at all (a flattened copy has none)."""
        return any(v not in (None, False, "") for v in self.values.values())


def _text(value: Any) -> str | None:
    """A field value as text, whatever encoding the writing tool used."""
    if value is None:
        return None
    if isinstance(value, ByteStringObject):  # bytes pypdf could not decode as text
        raw = bytes(value)
        if raw[:2] in (b"\xfe\xff", b"\xff\xfe"):
            return raw.decode("utf-16", errors="replace")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if isinstance(value, TextStringObject):
        original = getattr(value, "_original_bytes", None)
        utf8 = _raw_utf8(original, str(value)) if isinstance(original, bytes) else None
        return utf8 if utf8 is not None else str(value)
    if isinstance(value, ArrayObject):  # a list box's multiple selection: not in our layout
        return "\n".join(filter(None, (_text(v) for v in value)))
    return str(value)


def _raw_utf8(original: bytes, as_pdfdoc: str) -> str | None:
    """The UTF-8 reading of a value some tool wrote as raw UTF-8 without a byte-order mark.

    Read as PDFDocEncoding, UTF-8 turns "æ" into "Ã¦". The same bytes can be honest text
    ("Ä–" and "ą" share them), so we want evidence: valid UTF-8 that decodes to European Latin
    (what the form's font covers), and either the tell-tale "Ã"/"Â" or several multi-byte
    sequences. Our own renderer writes UTF-16 with a byte-order mark, so it never gets here.
    """
    if original.startswith((b"\xfe\xff", b"\xff\xfe")) or original.isascii():
        return None
    try:
        decoded = original.decode("utf-8")
    except UnicodeDecodeError:
        return None
    sequences = sum(1 for c in decoded if ord(c) >= 0x80)
    evidence = "Ã" in as_pdfdoc or "Â" in as_pdfdoc or sequences >= 2
    return decoded if evidence and EmbeddedFont.load().has_glyphs(decoded) else None


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _walk(node: DictionaryObject, parent_name: str, inherited: dict[str, Any], depth: int,
          seen: set[int]) -> Iterator[_Field]:
    if depth > _MAX_DEPTH or id(node) in seen:
        return
    seen.add(id(node))
    partial = node.get("/T")
    name = ".".join(p for p in (parent_name, _text(partial) or "") if p) if partial is not None else parent_name
    attrs = dict(inherited)
    for key in ("/FT", "/Ff", "/V"):
        if key in node:
            attrs[key] = node[key]
    kids = [k.get_object() for k in node.get("/Kids", [])]
    kid_fields = [k for k in kids if isinstance(k, DictionaryObject) and "/T" in k]
    if kid_fields:
        for kid in kid_fields:
            yield from _walk(kid, name, attrs, depth + 1, seen)
        return
    widgets = [k for k in kids if isinstance(k, DictionaryObject)] or [node]
    yield _Field(name, str(attrs.get("/FT")) if attrs.get("/FT") else None, int(attrs.get("/Ff", 0) or 0),
                 attrs.get("/V"), node, widgets)


def _full_name(widget: DictionaryObject) -> str:
    parts = []
    node: Any = widget
    for _ in range(_MAX_DEPTH):
        if node is None:
            break
        node = node.get_object()
        if "/T" in node:
            parts.append(_text(node["/T"]) or "")
        node = node.get("/Parent")
    return ".".join(reversed(parts))


def _fields(reader: PdfReader) -> dict[str, _Field]:
    """Terminal fields by full name, from /AcroForm /Fields and, as a fallback, the pages' widgets."""
    out: dict[str, _Field] = {}
    seen: set[int] = set()
    form = cast(DictionaryObject, reader.trailer["/Root"].get_object()).get("/AcroForm")
    if form is not None:
        for ref in form.get_object().get("/Fields", []):
            node = ref.get_object()
            if isinstance(node, DictionaryObject):
                for f in _walk(node, "", {}, 0, seen):
                    out.setdefault(f.name, f)
    for page in reader.pages:
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            if not isinstance(annot, DictionaryObject) or annot.get("/Subtype") != "/Widget":
                continue
            name = _full_name(annot)
            if name and name in out:
                if annot not in out[name].widgets and all(w is not annot for w in out[name].widgets):
                    out[name].widgets.append(annot)
                continue
            parent = annot.get("/Parent")
            owner = annot if "/T" in annot else (parent.get_object() if parent is not None else None)
            if owner is None:
                out.setdefault(f"#detached{len(out)}", _Field("", None, 0, None, annot, [annot]))
                continue
            ft = owner.get("/FT", annot.get("/FT"))
            out.setdefault(name, _Field(name, str(ft) if ft else None, int(owner.get("/Ff", 0) or 0),
                                        owner.get("/V", annot.get("/V")), owner, [annot]))
    return out


def _spec_for(name: str) -> FieldSpec | None:
    """Our field for a PDF field name: flat, hierarchical (``a.b.c``), or prefixed by a tool."""
    if not name:
        return None
    for candidate in (name, name.replace(".", "_"), name.rsplit(".", 1)[-1]):
        spec = field_by_name(candidate)
        if spec is not None:
            return spec
    flat = name.replace(".", "_")
    matches = [s for s in LAYOUT.fields if flat.endswith("_" + s.name)]
    return matches[0] if len(matches) == 1 else None


def _on_state(widget: DictionaryObject) -> str | None:
    """The name of a button widget's "on" appearance (any export value)."""
    ap = widget.get("/AP")
    normal = ap.get_object().get("/N") if ap is not None else None
    if normal is None:
        return None
    names = [str(k)[1:] for k in cast(DictionaryObject, normal.get_object()) if k != "/Off"]
    return names[0] if names else None


def _state(widget: DictionaryObject) -> str | None:
    state = widget.get("/AS")
    return None if state is None or state == "/Off" else str(state)[1:]


def _overlaps(widget: DictionaryObject, rect: Rect, slack: float = 3.0) -> bool:
    try:
        x0, y0, x1, y1 = (float(v) for v in cast(ArrayObject, widget["/Rect"]))
    except (KeyError, TypeError, ValueError):
        return False
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    return abs(x0 - rect.x0) < slack and abs(y0 - rect.y0) < slack and abs(x1 - rect.x1) < slack


def _appearance_text(widget: DictionaryObject) -> str | None:
    """Text shown by a widget's normal appearance: when a tool wrote the look but no /V."""
    ap = widget.get("/AP")
    stream = ap.get_object().get("/N") if ap is not None else None
    if stream is None or not hasattr(stream.get_object(), "get_data"):
        return None
    stream = stream.get_object()
    try:
        content = stream.get_data()
    except Exception:  # an undecodable appearance shows nothing we can read
        return None
    if b"Tj" not in content and b"TJ" not in content and b"'" not in content:
        return None  # an empty field's appearance ("/Tx BMC EMC"): no text to look for
    scratch = PdfWriter()
    page = scratch.add_blank_page(1000, 1000)
    resources = stream.get("/Resources")
    if resources is not None:
        page[NameObject("/Resources")] = resources.get_object()
    page.replace_contents(stream)
    try:
        return page.extract_text().strip() or None
    except Exception:  # a broken appearance is no value, not a crash
        return None


def _shown_in_form_font(widget: DictionaryObject, *, scan: bool = True) -> str | None:
    """The text an appearance draws, when every string in it is in the form's own font; else None.

    Decoding our own one-byte encoding is cheap; pypdf's text extraction (the fallback for
    appearances in a tool's own font) costs far more, and most tools keep our font. ``scan=False``
    skips :func:`_scan_shown` and reads the stream's operations (tests compare the two).
    """
    ap = widget.get("/AP")
    stream = ap.get_object().get("/N") if ap is not None else None
    stream = stream.get_object() if stream is not None else None
    if not isinstance(stream, StreamObject):
        return None
    try:
        resources = cast(DictionaryObject, stream["/Resources"].get_object())
        fonts = cast(DictionaryObject, resources["/Font"].get_object())
        ours = {str(name) for name, ref in fonts.items()
                if ref.get_object().get("/BaseFont") == BASE_FONT_NAME}
        data = stream.get_data()
        if scan:
            shown = _scan_shown(data, ours)
            if not isinstance(shown, _Unusual):
                return shown
        operations = content_operations(data) or ContentStream(stream, None).operations
    except Exception:  # no resources, or an appearance pypdf cannot parse: let extraction try
        return None
    current: str | None = None
    parts: list[str] = []
    for operands, operator in operations:
        if operator == b"Tf" and operands:
            current = str(operands[0])
        elif operator in (b"Tj", b"'", b'"', b"TJ"):
            if current not in ours:
                return None
            strings = operands[-1] if operator == b"TJ" else operands[-1:]
            for item in strings:
                if isinstance(item, ByteStringObject):
                    parts.append(decode(bytes(item)))
                elif isinstance(item, TextStringObject):
                    parts.append(decode(item.get_original_bytes()))
            parts.append(" ")  # a line or a chunk: whitespace is not compared
    return "".join(parts)


class _Unusual:
    """:func:`_scan_shown`'s answer for a stream it leaves to the operations path."""


_UNUSUAL = _Unusual()
# One token of a plain content stream, after optional whitespace, as content_operations
# (parse/_objects.py) reads it: an operator, a name (ASCII, no "#": those are decoded), a number, a
# literal string without nested parentheses whose escapes are PDF's (an octal above 255 is caught
# after), a hexadecimal string, an array bracket; anything else is "other" and the scan gives up.
# Each kind ends where content_operations' token ends (the same look-aheads), so both split alike.
_CONTINUATION = rb"|\\[\r\n][\r\n]?"  # backslash, line break: pypdf swallows one more line break
_SHOWN_TOKEN = re.compile(
    rb"[ \t\r\n\f]*+(?:"
    rb"(?P<op>[A-Za-z'\"][^\s()<>\[\]{}/%\x00-\x1f\x7f]*+)(?=[\s()<>\[\]{}/%]|\Z)"
    rb"|(?P<name>/[!\"$&'*+,\-.0-9:;=?@A-Z\\^_`a-z|~]*+)(?=[\s()<>\[\]{}/%])"
    rb"|(?P<num>[+-]?(?:\d++(?:\.\d*+)?|\.\d++))(?=[ \t\r\n\f()<>\[\]{}/%])"
    rb"|\((?P<str>(?:[^()\\]++|" + SIMPLE_ESCAPE + _CONTINUATION + rb")*+)\)"
    rb"|<(?P<hex>[0-9A-Fa-f \t\r\n\f\x00]*+)>"
    rb"|(?P<open>\[)|(?P<close>\])"
    rb"|(?P<other>(?s:.)))")
_OP, _NAME, _NUM, _STR, _HEX, _OPEN, _CLOSE, _OTHER = (
    _SHOWN_TOKEN.groupindex[k] for k in ("op", "name", "num", "str", "hex", "open", "close", "other"))
_STRING_ESCAPE = re.compile(SIMPLE_ESCAPE + _CONTINUATION)
_SHOWS = (b"Tj", b"'", b'"', b"TJ")
_MAX_SCAN = 200_000  # pypdf caps an array at 100,000 items (two bytes each at least) and a stream at 2,000,000 tokens


def _unescape_string(m: re.Match[bytes]) -> bytes:
    """An escape's byte, as the operations path reads it; a line continuation draws nothing."""
    return b"" if m.group()[1] in b"\r\n" else unescape(m)


def _string_bytes(raw: bytes) -> bytes | None:
    """The bytes the operations path decodes for a string: what pypdf's string object gives back.

    None for the cases where that differs from the string's bytes (UTF-16 read without a byte-order
    mark gets one added; a UTF-8 one has no original bytes at all) or that look like them.
    """
    if raw[:1] in (b"\x00", b"\xef", b"\xfe", b"\xff") or raw[1:2] == b"\x00":
        return None
    return raw


def _scan_shown(data: bytes, ours: set[str]) -> str | _Unusual | None:
    """:func:`_shown_in_form_font`'s answer from one regular expression over the stream, without objects.

    The same text, or None, as reading the stream's operations gives; :data:`_UNUSUAL` for a stream
    outside the plain case: a comment, an inline image, a dictionary, a nested array or parentheses,
    a name with "#" or non-ASCII bytes, an operand pypdf would read as a reference ("1 0 R"), a font
    selection by something other than a name, a TJ without an array or string, a string that pypdf
    reads as UTF-16 or UTF-8, or a stream without operators.
    """
    if len(data) >= _MAX_SCAN:
        return _UNUSUAL
    current: str | None = None
    foreign = False  # a string drawn in another font: None, once the whole stream proved plain
    parts: list[str] = []
    operators = 0
    # The operands since the last operator: (kind, value); an array is (_OPEN, its strings' bytes).
    operands: list[tuple[int, Any]] = []
    array: list[bytes] | None = None
    end = len(data.rstrip(b" \t\r\n\f"))
    try:
        for t in _SHOWN_TOKEN.finditer(data, 0, end):
            kind = t.lastindex
            if kind == _OP:
                op = t.group(_OP)
                if array is not None or op == b"BI" or len(op) >= 120 or (
                        op[0] == 0x52 and not op[1:2].isalpha()):  # "R", "R1": pypdf may see a reference
                    return _UNUSUAL
                operators += 1
                if op == b"Tf":
                    if operands:
                        first_kind, first = operands[0]
                        if first_kind != _NAME:
                            return _UNUSUAL
                        current = first
                elif op in _SHOWS:
                    if current not in ours:
                        foreign = True
                    last_kind: int | None = None
                    last: Any = None
                    if operands:
                        last_kind, last = operands[-1]
                    if op == b"TJ":
                        if last_kind == _OPEN:
                            parts.extend(decode(b) for b in last)
                        elif last_kind not in (_STR, _NAME):
                            return _UNUSUAL  # pypdf's objects cannot even be iterated
                    elif last_kind == _STR:
                        parts.append(decode(last))
                    parts.append(" ")
                operands = []
            elif kind in (_STR, _HEX):
                if kind == _STR:
                    raw = t.group(_STR)
                    if b"\\" in raw:
                        raw = _STRING_ESCAPE.sub(_unescape_string, raw)
                else:
                    digits = t.group(_HEX).translate(None, b" \t\r\n\f\x00")
                    raw = bytes.fromhex((digits + b"0" if len(digits) % 2 else digits).decode("ascii"))
                shown = _string_bytes(raw)
                if shown is None:
                    return _UNUSUAL
                if array is not None:
                    array.append(shown)
                else:
                    operands.append((_STR, shown))
            elif kind == _NUM:
                if len(t.group(_NUM)) >= 20:
                    return _UNUSUAL
                if array is None:
                    operands.append((_NUM, None))
            elif kind == _NAME:
                name = t.group(_NAME)
                if array is not None or len(name) >= 4000:
                    return _UNUSUAL
                operands.append((_NAME, name.decode("ascii")))
            elif kind == _OPEN:
                if array is not None:
                    return _UNUSUAL
                array = []
            elif kind == _CLOSE:
                if array is None:
                    return _UNUSUAL
                operands.append((_OPEN, array))
                array = None
            else:
                return _UNUSUAL
    except (KeyError, ValueError):  # KeyError: an octal escape above 255 (unescape's answer)
        return _UNUSUAL
    if operators == 0 or array is not None:
        return _UNUSUAL
    return None if foreign else "".join(parts)


def _shows_other_text(value: str, widgets: list[DictionaryObject]) -> bool:
    """True when a widget's appearance draws text that is neither the value nor a clipped start of it."""
    stored = "".join(value.split())
    for widget in widgets:
        shown = _shown_in_form_font(widget)
        if shown is None:
            shown = _appearance_text(widget)
        if shown is None:
            continue  # no drawn text: a viewer draws the value itself
        drawn = "".join(shown.split())
        if drawn and not stored.startswith(drawn) and drawn not in stored:
            return True
    return False


def _read_choice(spec: FieldSpec, f: _Field | None, stray: list[DictionaryObject],
                 warnings: list[ParseWarning]) -> FieldValue:
    widgets = list(f.widgets) if f else []
    # Widgets sitting on our option boxes that lost their group (a Preview quirk) count too.
    rects = [o.rect for o in spec.options] or [spec.rect]
    widgets += [w for w in stray if any(_overlaps(w, r) for r in rects)]
    shown = {s for w in widgets if (s := _state(w))}
    v = f.value if f else None
    v_name = str(v)[1:] if v is not None and str(v).startswith("/") else (_text(v) if v is not None else None)
    if v_name == "Off":
        v_name = None
    if spec.kind is Kind.CHECKBOX:
        return v_name is not None or bool(shown)
    exports = {o.export: o.value for o in spec.options}
    # What the buttons show wins over a missing or stale /V: it is what the customer saw.
    chosen: list[str] = []
    for w in widgets:
        state = _state(w)
        if state is None:
            continue
        option = exports.get(state) or next(
            (o.value for o in spec.options if _overlaps(w, o.rect)), None)
        if option and option not in chosen:
            chosen.append(option)
    if len(chosen) > 1:  # the customer saw two marks: which one counts is for a person to decide
        warnings.append(ParseWarning("ambiguous_choice", spec.path, "more than one option is marked"))
        return None
    if v_name in exports and (not chosen or exports[v_name] in chosen):
        return exports[v_name]
    if chosen:
        if v_name is not None:
            warnings.append(ParseWarning("stale_radio", spec.path, "the group's value and the marked button "
                                         "disagree; the marked button was used"))
        return chosen[0]
    if v_name is not None:
        warnings.append(ParseWarning("unknown_choice", spec.path, "the chosen value is not one of the form's options"))
    return None


def read_acroform(reader: PdfReader) -> AcroForm | None:
    """Every layout field's value, or None when the PDF has none of our fields."""
    fields = _fields(reader)
    values: dict[str, FieldValue] = {s.path: None for s in LAYOUT.fields}
    warnings: list[ParseWarning] = []
    by_spec: dict[str, _Field] = {}
    unknown: list[str] = []
    stray: list[DictionaryObject] = []
    for f in fields.values():
        spec = _spec_for(f.name)
        if spec is None:
            if f.name:
                unknown.append(f.name)
            else:
                stray.extend(f.widgets)
            continue
        by_spec.setdefault(spec.path, f)
    if not by_spec:
        return None
    appearances_only = not any(
        f.value is not None or any(w.get("/V") is not None for w in f.widgets)
        for path, f in by_spec.items() if not field_by_path(path).kind.is_choice)
    for spec in LAYOUT.fields:
        found = by_spec.get(spec.path)
        if spec.kind.is_choice:
            values[spec.path] = _read_choice(spec, found, stray, warnings)
            continue
        if found is None:
            continue
        text = _text(found.value)
        if text is None:
            text = next((t for w in found.widgets if (t := _text(w.get("/V"))) is not None), None)
        if text is None and appearances_only:
            text = next((t for w in found.widgets if (t := _appearance_text(w))), None)
            if text is not None:
                warnings.append(ParseWarning("value_from_appearance", spec.path,
                                             "no stored value; read from what the field shows"))
        values[spec.path] = _normalise(text) if text is not None else None
        if text and not appearances_only and _shows_other_text(text, found.widgets):
            warnings.append(ParseWarning("appearance_mismatch", spec.path,
                                         "the field shows other text than it stores (the filling tool could not "
                                         "draw some characters): the stored value was used"))
    for name in unknown:
        warnings.append(ParseWarning("unknown_field", None, f"a field that is not part of the form: {name[:80]}"))
    return AcroForm(values, len(by_spec), unknown, warnings)
