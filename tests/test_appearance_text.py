"""The appearance check's regex scan against the operations path it short-cuts (parse/acroform.py).

``_scan_shown`` reads the text a widget's appearance draws with one regular expression; it must give
what reading the stream's operations gives (``_shown_in_form_font(..., scan=False)``), or give up
(``_UNUSUAL``) so that path runs. Checked on every widget of every fixture, of every interop
filler's output, and on generated streams full of what the scan must refuse or get exactly right.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject, StreamObject, TextStringObject

from klageformular import render_form
from klageformular._font import BASE_FONT_NAME, decode
from klageformular.parse._objects import Reader
from klageformular.parse.acroform import _UNUSUAL, _scan_shown, _shown_in_form_font

from .conftest import require_tool
from .fillers import ALL_FILLERS, TOOL_OF
from .interop import matrix_values

FIXTURES = Path(__file__).parent / "fixtures"
PDFS = sorted(p for p in FIXTURES.rglob("*.pdf"))


def _widgets(data: bytes) -> Iterator[DictionaryObject]:
    reader: PdfReader = Reader(data)
    if reader.is_encrypted:
        reader.decrypt("")
    for page in reader.pages:
        for ref in page.get("/Annots", []) or []:
            annot = ref.get_object()
            if isinstance(annot, DictionaryObject):
                yield annot


def _scanned(widget: DictionaryObject) -> object:
    """What the scan alone answers for a widget in our font (None when it has no such appearance)."""
    ap = widget.get("/AP")
    stream = ap.get_object().get("/N") if ap is not None else None
    stream = stream.get_object() if stream is not None else None
    if not isinstance(stream, StreamObject) or "/Resources" not in stream:
        return None
    fonts = stream["/Resources"].get_object().get("/Font")
    if fonts is None:
        return None
    ours = {str(k) for k, v in fonts.get_object().items() if v.get_object().get("/BaseFont") == BASE_FONT_NAME}
    return _scan_shown(stream.get_data(), ours)


def _same_both_ways(data: bytes) -> tuple[int, int]:
    """Asserts the scan agrees on every widget; (widgets, widgets the scan answered itself)."""
    widgets = scanned = 0
    for widget in _widgets(data):
        widgets += 1
        assert _shown_in_form_font(widget) == _shown_in_form_font(widget, scan=False)
        shown = _scanned(widget)
        if shown is not _UNUSUAL and shown is not None:
            scanned += 1
    return widgets, scanned


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.name)
def test_every_fixture_widget_reads_the_same(path: Path) -> None:
    if path.name == "encrypted-password.pdf":
        pytest.skip("no widgets to read without the password")
    widgets, scanned = _same_both_ways(path.read_bytes())
    if path.name.startswith("filled-"):
        assert widgets and scanned >= widgets // 2  # the scan itself answers for a filled form


@cache
def _blank() -> bytes:
    return render_form("da")


@pytest.mark.parametrize("filler", list(ALL_FILLERS))
def test_every_filler_output_reads_the_same(filler: str) -> None:
    if filler in TOOL_OF:
        require_tool(TOOL_OF[filler])
    filled = ALL_FILLERS[filler](_blank(), matrix_values())
    widgets, _ = _same_both_ways(filled)
    assert widgets


def _widget(content: bytes) -> DictionaryObject:
    """A widget whose appearance is ``content``, with our font as /Ours and another as /F1."""
    stream = DecodedStreamObject()
    stream.set_data(content)
    fonts = DictionaryObject({
        NameObject("/Ours"): DictionaryObject({NameObject("/BaseFont"): NameObject(BASE_FONT_NAME)}),
        NameObject("/F1"): DictionaryObject({NameObject("/BaseFont"): NameObject("/Helvetica")}),
    })
    stream[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): fonts})
    return DictionaryObject({NameObject("/AP"): DictionaryObject({NameObject("/N"): stream}),
                             NameObject("/T"): TextStringObject("x")})


def _old(content: bytes) -> tuple[str, Any]:
    try:
        return "value", _shown_in_form_font(_widget(content), scan=False)
    except Exception as exc:  # the operations path crashes on a TJ of a number: the scan must give up there
        return "raises", type(exc)


OURS = {"/Ours"}


@pytest.mark.parametrize(("content", "codes"), [
    (b"BT /Ours 9 Tf (Abc) Tj ET", b"Abc "),
    (b"/Ours 9 Tf (a\\nb\\r\\t\\b\\f\\(\\)\\\\) Tj", b"a\nb\r\t\b\f()\\ "),
    (b"/Ours 9 Tf (\\101\\1012\\7x\\351) Tj", b"AA2\x07x\xe9 "),
    (b"/Ours 9 Tf (ab\\\ncd\\\r\nef\\\n\ngh) '", b"abcdefgh "),
    (b"/Ours 9 Tf <41 42 4> Tj [(a) -120 <62>] TJ 1 2 (c) \"", b"AB@ ab c "),
    (b"/Ours 9 Tf () Tj", b" "),
    (b"/Ours 9 Tf 1 Tj", b" "),
    (b"/F1 9 Tf (x) Tj", None),
    (b"(x) Tj", None),
    (b"/Ours 9 Tf (x) Tj /F1 9 Tf (y) Tj", None),
    (b"q Q /Tx BMC EMC", b""),
])
def test_scan_reads_plain_streams(content: bytes, codes: bytes | None) -> None:
    shown = decode(codes) if codes is not None else None  # one byte a character: decoded as a whole
    assert _scan_shown(content, OURS) == shown
    assert _old(content) == ("value", shown)


@pytest.mark.parametrize("content", [
    b"/Ours 9 Tf (a(b)c) Tj",  # nested parentheses
    b"/Ou#72s 9 Tf (x) Tj",  # a name with an escape
    b"/Ours 9 Tf (x) Tj % a comment\n",
    b"/Ours 9 Tf BI /W 1 ID x EI (x) Tj",
    b"/Span <</ActualText (y)>> BDC /Ours 9 Tf (x) Tj EMC",
    b"/Ours 9 Tf [(a) [(b)]] TJ",
    b"/Ours 9 Tf 5 TJ",
    b"/Ours 9 Tf TJ",
    b"(/Ours) 9 Tf (x) Tj",
    b"/Ours 9 Tf (\\400) Tj",
    b"/Ours 9 Tf (\xfe\xff\x00A) Tj",
    b"/Ours 9 Tf (x) Tj 1 0 R",
    b"/Ours 9 Tf (x\x00) Tj\x00",
    b"/Ours 9 Tf (x) Tj {",
    b"1 2 3",
    b"",
])
def test_scan_gives_up_on_the_unusual(content: bytes) -> None:
    assert _scan_shown(content, OURS) is _UNUSUAL


_ESCAPES = [b"\\n", b"\\r", b"\\t", b"\\b", b"\\f", b"\\(", b"\\)", b"\\\\", b"\\/", b"\\ ", b"\\x", b"\\\n",
            b"\\\r\n", b"\\\n\n", b"\\\r", b"\\"]
_octal = st.integers(0, 0o777).map(lambda n: b"\\" + oct(n)[2:].encode()[: 3])
_raw = st.binary(max_size=6)
_literal = st.lists(st.one_of(_raw, st.sampled_from(_ESCAPES), _octal, st.sampled_from([b"(", b")", b"()"])),
                    max_size=6).map(lambda parts: b"(" + b"".join(parts) + b")")
_hex = st.lists(st.sampled_from(list(b"0123456789abcdefABCDEF \n\x00g")), max_size=8).map(
    lambda cs: b"<" + bytes(cs) + b">")
_string = st.one_of(_literal, _hex)
_number = st.sampled_from([b"0", b"-120", b"9.5", b".5", b"+3", b"1.", b"1.2.3", b"-", b"12345678901234567890"])
_array = st.lists(st.one_of(_string, _number, st.just(b"/N"), st.just(b"[(n)]")), max_size=4).map(
    lambda items: b"[" + b" ".join(items) + b"]")
_name = st.sampled_from([b"/Ours", b"/F1", b"/Other", b"/Ou#72s", b"/O\xc3\xbcrs", b"/"])
_shows = st.one_of(
    st.tuples(_name, _number).map(lambda t: t[0] + b" " + t[1] + b" Tf"),
    st.tuples(_string, _number).map(lambda t: t[0] + b" " + t[1] + b" Tf"),
    _string.map(lambda s: s + b" Tj"),
    _string.map(lambda s: s + b"'"),
    _string.map(lambda s: b"1 2 " + s + b'"'),
    _array.map(lambda a: a + b" TJ"),
    st.one_of(_string, _number, _name).map(lambda s: s + b" TJ"),
)
_operation = st.one_of(
    _shows,
    st.sampled_from([b"BT", b"ET", b"q", b"Q", b"1 0 0 1 2 3.28 Tm", b"0 g", b"/Tx BMC", b"EMC", b"T*", b"Tj", b"TJ",
                     b"1 0 R", b"0 0 1 RG", b"R1", b"% c\n", b"BI /W 1 ID \x00 EI", b"<</A 1>> BDC", b"[1 2] 0 d",
                     b"{", b")", b">", b"true", b"Tj\x01"]),
    st.binary(max_size=4),
)
_separator = st.sampled_from([b" ", b"\n", b"\r\n", b"", b"\t", b"\x00", b"\x0b", b"  \n"])
_content = st.lists(st.tuples(_operation, _separator), max_size=8).map(
    lambda ops: b"".join(o + s for o, s in ops))
# Well-formed text operations between plain whitespace: the scan answers most of these itself.
_plain_literal = st.lists(st.one_of(st.binary(max_size=6).map(lambda b: b.translate(None, b"()\\")),
                                    st.sampled_from(_ESCAPES[:-2]), st.integers(0, 0o377).map(
                                        lambda n: b"\\" + oct(n)[2:].encode())), max_size=6).map(
    lambda parts: b"(" + b"".join(parts) + b")")
_plain_string = st.one_of(_plain_literal, st.binary(max_size=4).map(lambda b: b"<" + b.hex().encode() + b">"))
_plain_number = st.sampled_from([b"0", b"-120", b"9.5", b".5"])
_plain_shows = st.one_of(
    st.tuples(st.sampled_from([b"/Ours", b"/F1"]), _plain_number).map(lambda t: t[0] + b" " + t[1] + b" Tf"),
    _plain_string.map(lambda s: s + b" Tj"),
    _plain_string.map(lambda s: s + b"'"),
    _plain_string.map(lambda s: b"1 2 " + s + b'"'),
    st.lists(st.one_of(_plain_string, _plain_number), max_size=4).map(lambda items: b"[" + b" ".join(items) + b"] TJ"),
)
_plain_content = st.lists(st.tuples(_plain_shows, st.sampled_from([b" ", b"\n", b"\r\n"])), min_size=1,
                          max_size=8).map(lambda ops: b"/Ours 9 Tf " + b"".join(o + s for o, s in ops))


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(_content, _plain_content))
def test_scan_gives_up_or_agrees(content: bytes) -> None:
    scanned = _scan_shown(content, OURS)
    event("scanned" if scanned is not _UNUSUAL else "left to the operations path")
    if scanned is not _UNUSUAL:
        assert _old(content) == ("value", scanned)

