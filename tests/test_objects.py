"""parse/_objects.py: each object and content stream it reads is what pypdf reads (good, broken, hostile files)."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    ContentStream,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    StreamObject,
)

from klageformular import KlageformularError, parse_pdf, render_form
from klageformular.parse import _source
from klageformular.parse._objects import Reader, _read, content_operations

from .conftest import load_script

FIXTURES = Path(__file__).parent / "fixtures"
PDFS = {p.name: p.read_bytes() for p in sorted(FIXTURES.glob("*.pdf"))}
CORPUS = dict(load_script("scripts/make_fuzz_corpus.py").cases(full=False))
_FORM = render_form("da", prefill={"complainant": {"last_name": "Żółć", "email": "a@b.dk"}, "subject": "Renter"})


class _Notes(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextlib.contextmanager
def _pypdf_notes() -> Iterator[_Notes]:
    notes = _Notes()
    logger = logging.getLogger("pypdf")
    logger.addHandler(notes)
    old, logger.propagate = logger.propagate, False
    try:
        yield notes
    finally:
        logger.removeHandler(notes)
        logger.propagate = old


def _same(a: Any, b: Any, path: str = "") -> None:
    """Equal as pypdf objects: same classes, values, stream bytes, string decoding and original bytes."""
    assert type(a) is type(b), f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, IndirectObject):
        assert (a.idnum, a.generation) == (b.idnum, b.generation), path
        return
    attrs = {k: v for k, v in getattr(a, "__dict__", {}).items() if k not in ("indirect_reference", "_data")}
    other = {k: v for k, v in getattr(b, "__dict__", {}).items() if k not in ("indirect_reference", "_data")}
    assert attrs == other, path
    if isinstance(a, StreamObject):
        assert a._data == b._data, path
    if isinstance(a, DictionaryObject):
        assert [type(k) for k in a] == [type(k) for k in b] and list(a) == list(b), path
        for key in a:  # the raw values: DictionaryObject's [] would resolve references
            _same(dict.__getitem__(a, key), dict.__getitem__(b, key), f"{path}{key}")
    elif isinstance(a, ArrayObject):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(list.__iter__(a), list.__iter__(b), strict=True)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, FloatObject):
        assert repr(a) == repr(b), path
    else:
        assert a == b, path


def _compare(data: bytes) -> tuple[int, int]:
    """Read each object of ``data`` with pypdf and plainly; (objects read plainly, objects in all).

    Where the plain reader gives an object, pypdf gives the same one, without a warning or an error.
    """
    with _pypdf_notes() as notes:
        try:
            ours = Reader(data)
            theirs = PdfReader(io.BytesIO(data), strict=False)
        except Exception:
            return 0, 0  # pypdf cannot open it: neither reader is used
    if ours._plain is None:
        return 0, 0
    keys = sorted({(g, i) for g, ids in theirs.xref.items() for i in ids} | {(0, i) for i in theirs.xref_objStm})
    plain = 0
    for generation, idnum in keys:
        with _pypdf_notes() as notes:
            got = _read(ours._plain, ours, idnum, generation)
            if got is None:
                continue
            notes.records.clear()  # a /Length read by pypdf for ours is not the object's own note
            try:
                expected = theirs.get_object(IndirectObject(idnum, generation, theirs))
            except Exception as exc:  # any failure of pypdf's is a difference
                pytest.fail(f"object {idnum} {generation}: read plainly, but pypdf raises {exc!r}")
        assert not notes.records, f"object {idnum} {generation}: pypdf warned {notes.records[0].getMessage()!r}"
        _same(got, expected, f"{idnum} {generation} ")
        plain += 1
    return plain, len(keys)


@pytest.mark.parametrize("name", PDFS)
def test_every_fixture_object_reads_as_pypdf_reads_it(name: str) -> None:
    plain, total = _compare(PDFS[name])
    if name.startswith(("filled-", "flat-")):
        assert plain >= 0.9 * total, f"only {plain} of {total} objects were read plainly"


@pytest.mark.parametrize("name", CORPUS)
def test_every_hostile_corpus_object_reads_as_pypdf_reads_it(name: str) -> None:
    _compare(CORPUS[name])


def _pdf(body: bytes) -> bytes:
    """A one-object PDF (object 1, the catalog) with a correct cross-reference table."""
    head = b"%PDF-1.7\n"
    obj = b"1 0 obj\n" + body + b"\nendobj\n"
    xref = len(head) + len(obj)
    return (head + obj + b"xref\n0 2\n0000000000 65535 f \n%010d 00000 n \n" % len(head)
            + b"trailer\n<< /Size 2 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref)


_ATOMS = st.sampled_from([
    b"/Name", b"/N#20ame", b"/\xc3\xa6", b"/\xff", b"/", b"12", b"-3", b"+4", b"1.5", b".5", b"5.", b"1-2", b"--1",
    b"1 0 R", b"12 0 R", b"1 0 Rx", b"true", b"false", b"fals", b"null", b"nullx", b"(a)", b"(a(b)c)", b"(\\n\\(x\\))",
    b"(\\101\\0612)", b"(\\777)", b"(\\q)", b"(a\\\nb)", b"(a\\\r\n\nb)", b"(\xfe\xff\x00A)", b"(\xc3\xa6)", b"<48 49>",
    b"<4>", b"<4G>", b"<>", b"<<>>", b"<< /A 1 /A 2 >>", b"<< 1 2 >>", b"[]", b"[ 1 [2] ]", b"% comment\n",
    b" ", b"\n", b"\t", b"\x00", b"\x0b", b"\r\n", b">>", b"]", b")", b"stream\n", b"endstream", b"endobj",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ATOMS, max_size=12))
@example([b"<< /Type /Catalog /Kids [ 1 0 R ] /V (x) >>"])
@example([b"<< /Length 3 >>", b"stream\n", b"abc", b"\nendstream"])
@example([b"<< /Length 4 >>", b"stream\n", b"abc", b"\nendstream"])
@example([b"<< /Length 1 0 R >>", b"stream\n", b"abc", b"\nendstream"])
@example([b"(" + b"a\\101" * 20_000])  # unterminated: the string pattern must not backtrack
@example([b"<" + b"4" * 50_000, b"[" * 100, b"<<" * 100])
def test_random_object_syntax_reads_as_pypdf_reads_it(tokens: list[bytes]) -> None:
    body = b" ".join(tokens)
    _compare(_pdf(b"<< /Type /Catalog /X " + body + b" >>"))
    _compare(_pdf(body))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(_FORM) - 1), st.binary(min_size=0, max_size=8)), min_size=1,
                max_size=12))
def test_mutated_form_objects_read_as_pypdf_reads_them(edits: list[tuple[int, bytes]]) -> None:
    data = bytearray(_FORM)
    for offset, replacement in edits:
        data[offset:offset + len(replacement)] = replacement
    _compare(bytes(data))


def _outcome(data: bytes) -> object:
    try:
        return parse_pdf(data).to_dict()
    except KlageformularError as exc:
        return type(exc).__name__, str(exc)


def _pypdf_only(data: bytes, *, strict: bool = False) -> PdfReader:
    return PdfReader(io.BytesIO(data), strict=strict)


# A file pypdf repairs while opening it (its xref is rebuilt): the repair note must survive too.
_REPAIRED = {"form-wrong-startxref": _FORM[:_FORM.rindex(b"startxref")] + b"startxref\n99999\n%%EOF\n"}


@pytest.mark.parametrize("name", [*PDFS, *_REPAIRED, *(f"corpus/{n}" for n in CORPUS)])
def test_parse_pdf_gives_the_same_result_with_pypdf_alone(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    data = (CORPUS[name.removeprefix("corpus/")] if name.startswith("corpus/")
            else _REPAIRED.get(name) or PDFS[name])
    # pypdf's level is left alone: its repair notes are part of the result (the pdf_repaired warning).
    ours = _outcome(data)
    monkeypatch.setattr(_source, "Reader", _pypdf_only)
    assert _outcome(data) == ours


def _same_operations(data: bytes) -> bool:
    """content_operations(data) is pypdf's ContentStream(...).operations, or None; True when it read them."""
    ours = content_operations(data)
    if ours is None:
        return False
    stream = DecodedStreamObject()
    stream.set_data(data)
    with _pypdf_notes() as notes:
        try:
            theirs = ContentStream(stream, None).operations
        except Exception as exc:  # any failure of pypdf's is a difference
            pytest.fail(f"read plainly, but pypdf raises {exc!r}")
    assert not notes.records, notes.records[0].getMessage()
    assert [op for _, op in ours] == [op for _, op in theirs]
    for (a, _), (b, _) in zip(ours, theirs, strict=True):
        _same(ArrayObject(a), ArrayObject(b))
    return True


def _streams(data: bytes) -> Iterator[bytes]:
    """Every stream's decoded data in a PDF that pypdf opens."""
    with _pypdf_notes():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            keys = [(g, i) for g, ids in reader.xref.items() for i in ids]
        except Exception:
            return
        for generation, idnum in keys:
            try:
                obj = reader.get_object(IndirectObject(idnum, generation, reader))
                if isinstance(obj, StreamObject):
                    yield obj.get_data()
            except Exception:
                continue


@pytest.mark.parametrize("name", [*PDFS, *(f"corpus/{n}" for n in CORPUS)])
def test_every_content_stream_reads_as_pypdf_reads_it(name: str) -> None:
    data = CORPUS[name.removeprefix("corpus/")] if name.startswith("corpus/") else PDFS[name]
    read = [_same_operations(stream) for stream in _streams(data)]
    if name.startswith("filled-"):
        assert sum(read) >= len(read) // 2, "most appearance streams read plainly"


_CONTENT = st.sampled_from([
    b"q", b"Q", b"BT", b"ET", b"/F1 10 Tf", b"/F1#20 10 Tf", b"(abc) Tj", b"<0041> Tj", b"[(a) -120 (b)] TJ",
    b"(x) '", b"1 2 (x) \"", b"1 0 0 1 5 5 cm", b"0 g", b"1 0 R", b"0 0 Re", b"T*", b"/Tx BMC", b"EMC",
    b"/P << /MCID 0 >> BDC", b"BI /W 1 /H 1 ID x EI", b"% comment", b"true", b"[true null]", b"1,5", b"\x00",
    b"]", b">>", b"(\\777)", b"10Tf", b"d0", b"\xff", b"(a\\\nb)",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_CONTENT, max_size=16), st.sampled_from([b" ", b"\n", b"\r\n", b""]))
@example([b"1 0 R", b"1 2 (x) \""], b"")  # "1 0 R1": a reference to pypdf, an operator R1 otherwise
def test_random_content_streams_read_as_pypdf_reads_them(tokens: list[bytes], separator: bytes) -> None:
    _same_operations(separator.join(tokens))
