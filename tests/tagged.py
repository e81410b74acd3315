"""Readers of tags shared by the tests of the form and of the letters: pdf.js's structure tree, and
the content-stream check that nothing is painted outside marked content."""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, ContentStream, DictionaryObject, IndirectObject, StreamObject

from .conftest import require_tool
from .fillers import PDFJS

__all__ = ["PAINTING", "pdfjs_structure", "unembedded_fonts", "unmarked_painting", "walk"]

# Operators that put marks on the page (PDF 32000-1, tables 59, 60, 87, 92): each must sit inside
# marked content, tagged or artifact.
PAINTING = {b"Tj", b"TJ", b"'", b'"', b"f", b"F", b"f*", b"S", b"s", b"B", b"B*", b"b", b"b*", b"Do", b"sh",
            b"INLINE IMAGE"}


def walk(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield node
    for kid in node.get("children", []):
        yield from walk(kid)


def pdfjs_structure(data: bytes, tmp_path: Path) -> list[dict[str, Any]]:
    """What pdf.js makes of the structure tree, page by page (tests/pdfjs/structtree.mjs)."""
    require_tool("node")
    if not (PDFJS / "node_modules" / "pdfjs-dist").is_dir():
        pytest.skip("pdfjs-dist is not installed (cd tests/pdfjs && npm ci); CI installs it")
    path = tmp_path / "form.pdf"
    path.write_bytes(data)
    out = subprocess.run(["node", PDFJS / "structtree.mjs", path], check=True, capture_output=True, timeout=120)
    pages: list[dict[str, Any]] = json.loads(out.stdout)
    return pages


def unmarked_painting(data: bytes) -> list[tuple[int, str]]:
    """(page, operator) of every painting operator outside marked content; MCIDs not 0..n-1 also count."""
    reader = PdfReader(io.BytesIO(data))
    found = []
    for number, page in enumerate(reader.pages, start=1):
        depth, mcids = 0, []
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op in (b"BDC", b"BMC"):
                depth += 1
                if op == b"BDC" and isinstance(operands[1], DictionaryObject) and "/MCID" in operands[1]:
                    mcids.append(int(operands[1]["/MCID"]))  # type: ignore[call-overload]
            elif op == b"EMC":
                depth -= 1
            elif op in PAINTING and depth == 0:
                found.append((number, op.decode()))
        assert depth == 0, f"page {number}: unbalanced marked content"
        if mcids != list(range(len(mcids))):
            found.append((number, "MCID order"))
    return found


_FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")


def unembedded_fonts(data: bytes) -> list[str]:
    """The /BaseFont of every font dictionary in the file whose program is not embedded (PDF/UA-1 7.21.4.1).

    Every font is found, wherever it is referenced: the pages' resources, form XObjects (the widgets'
    appearance streams among them), /AcroForm /DR, and any other object — every object of the file is
    walked, and every value of a ``/Font`` resource dictionary is checked. A composite font's program
    sits in its descendant's descriptor; a Type 3 font's glyphs are content streams in the file, so it
    counts as embedded. Returns ``["(no fonts)"]`` for a file without a single font, so a broken walk
    cannot pass.
    """
    reader = PdfReader(io.BytesIO(data))
    fonts: dict[int, DictionaryObject] = {}  # by id: a direct font dictionary has no object number
    seen: set[int] = set()

    def visit(obj: object) -> None:
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                return
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # streams included: their dictionary is walked
            for key, value in obj.items():
                if key == "/Font" and isinstance(value.get_object(), DictionaryObject):
                    for font in value.get_object().values():
                        resolved = font.get_object()
                        if isinstance(resolved, DictionaryObject):
                            fonts[id(resolved)] = resolved
                visit(value)
        elif isinstance(obj, ArrayObject):
            for item in obj:
                visit(item)

    visit(reader.trailer)
    for number in range(1, len(reader.xref_objStm) + max((max(t, default=0) for t in reader.xref.values()),
                                                         default=0) + 1):
        try:
            obj = reader.get_object(number)
        except Exception:  # a free or missing number
            continue
        if isinstance(obj, DictionaryObject) and obj.get("/Type") == "/Font":
            fonts[id(obj)] = obj
        visit(obj)
    if not fonts:
        return ["(no fonts)"]
    missing = []
    for font in fonts.values():
        if font.get("/Subtype") == "/Type3":
            continue
        described = font["/DescendantFonts"][0].get_object() if font.get("/Subtype") == "/Type0" else font
        descriptor = described.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        if not any(isinstance(descriptor.get(k), (IndirectObject, StreamObject)) for k in _FONT_FILES):
            missing.append(str(font.get("/BaseFont")))
    return sorted(missing)
