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
from pypdf.generic import ContentStream, DictionaryObject

from .conftest import require_tool
from .fillers import PDFJS

__all__ = ["PAINTING", "pdfjs_structure", "unmarked_painting", "walk"]

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
