"""Fill the form the way third-party programs do, and print or flatten it the way others do.

Fillers: pypdf, pdftk ``fill_form`` (XFDF, no extra options), pikepdf's form API, pdf.js (Firefox's
engine, under node), PDFium typing like Chrome, MuPDF (PyMuPDF widgets). Printers/flatteners:
ghostscript (also "fit to Letter"), qpdf, pdftk, pdftocairo, PostScript printing (``pdftops`` then
``ps2pdf``, as a CUPS print-to-PDF queue does), ``mutool convert``, PDFium's print flattening.

Each filler takes the blank form's bytes and path-keyed display values
(:func:`klageformular.values.field_values`) and returns the filled PDF's bytes.
"""

from __future__ import annotations

import ctypes
import io
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from pypdf import PdfWriter

from klageformular.layout import LAYOUT, Kind
from klageformular.values import FieldValue

from .conftest import require_tool

FONT = Path(__file__).parent.parent / "src" / "klageformular" / "assets" / "NotoSans-Latin.ttf"
PDFJS = Path(__file__).parent / "pdfjs"

Filler = Callable[[bytes, Mapping[str, FieldValue]], bytes]


def pdf_values(values: Mapping[str, FieldValue]) -> dict[str, str]:
    """Field name -> value as PDF tools take it: text, or a state name for buttons."""
    out: dict[str, str] = {}
    for spec in LAYOUT.fields:
        value = values.get(spec.path)
        if spec.kind is Kind.CHECKBOX:
            out[spec.name] = f"/{spec.on_value}" if value else "/Off"
        elif spec.kind is Kind.RADIO:
            export = next((o.export for o in spec.options if o.value == value), None)
            out[spec.name] = f"/{export}" if export else "/Off"
        elif isinstance(value, str) and value:
            out[spec.name] = value
    return out


def fill_pypdf(blank: bytes, values: Mapping[str, FieldValue]) -> bytes:
    """pypdf's own appearance generation (auto_regenerate=False: no NeedAppearances)."""
    writer = PdfWriter(clone_from=io.BytesIO(blank))
    fields = pdf_values(values)
    for page in writer.pages:
        if "/Annots" in page:
            writer.update_page_form_field_values(page, fields, auto_regenerate=False)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def xfdf(values: Mapping[str, FieldValue]) -> bytes:
    """An XFDF document (UTF-8) with every field's value."""
    root = ET.Element("xfdf", xmlns="http://ns.adobe.com/xfdf/")
    fields = ET.SubElement(root, "fields")
    for name, value in pdf_values(values).items():
        field = ET.SubElement(fields, "field", name=name)
        ET.SubElement(field, "value").text = value[1:] if value.startswith("/") else value
    data: bytes = ET.tostring(root, encoding="UTF-8", xml_declaration=True)
    return data


def fill_pdftk(blank: bytes, values: Mapping[str, FieldValue]) -> bytes:
    """pdftk fill_form from UTF-8 XFDF, with no extra options: iText draws with the form's font."""
    require_tool("pdftk")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "blank.pdf").write_bytes(blank)
        (d / "data.xfdf").write_bytes(xfdf(values))
        subprocess.run(["pdftk", d / "blank.pdf", "fill_form", d / "data.xfdf", "output", d / "out.pdf"],
                       check=True, capture_output=True, timeout=120)
        return (d / "out.pdf").read_bytes()


def fill_pikepdf(blank: bytes, values: Mapping[str, FieldValue]) -> bytes:
    """pikepdf's form API with its extended generator (multi-line text; one line is qpdf's)."""
    import pikepdf
    from pikepdf.form import CheckboxField, ExtendedAppearanceStreamGenerator, Form, RadioButtonGroup, TextField

    with pikepdf.open(io.BytesIO(blank)) as pdf:
        form = Form(pdf, ExtendedAppearanceStreamGenerator)
        for name, value in pdf_values(values).items():
            field = form[name]
            if isinstance(field, CheckboxField):
                field.checked = value != "/Off"
            elif isinstance(field, RadioButtonGroup):
                chosen = [o for o in field.options if str(o.on_value) == value]
                if chosen:
                    chosen[0].select()
            elif isinstance(field, TextField):
                field.value = value
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()


def fill_pdfjs(blank: bytes, values: Mapping[str, FieldValue]) -> bytes:
    """pdf.js (``pdfjs-dist`` under node, ``tests/pdfjs/fill.mjs``): what Firefox saves."""
    require_tool("node")
    if not (PDFJS / "node_modules" / "pdfjs-dist").is_dir():
        import pytest

        pytest.skip("pdfjs-dist is not installed (cd tests/pdfjs && npm ci; needs node >= 20.16); CI installs it")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "blank.pdf").write_bytes(blank)
        (d / "values.json").write_text(json.dumps(pdf_values(values), ensure_ascii=False), encoding="utf-8")
        subprocess.run(["node", PDFJS / "fill.mjs", d / "blank.pdf", d / "values.json", d / "out.pdf"],
                       check=True, capture_output=True, timeout=120)
        return (d / "out.pdf").read_bytes()


def fill_mupdf(blank: bytes, values: Mapping[str, FieldValue]) -> bytes:
    """MuPDF (PyMuPDF widgets), as its viewers and scripts fill a form."""
    import importlib

    pymupdf: Any = importlib.import_module("pymupdf")  # only partly typed: kept at this edge

    wanted = pdf_values(values)
    doc = pymupdf.open(stream=blank, filetype="pdf")
    for page in doc:
        for widget in page.widgets():
            value = wanted.get(widget.field_name)
            if value is None:
                continue
            if widget.field_type == pymupdf.PDF_WIDGET_TYPE_CHECKBOX:
                widget.field_value = value != "/Off"
            elif widget.field_type == pymupdf.PDF_WIDGET_TYPE_RADIOBUTTON:
                if f"/{widget.on_state()}" != value:
                    continue
                widget.field_value = True
            else:
                widget.field_value = value
            widget.update()
    data: bytes = doc.tobytes(garbage=1)
    doc.close()
    return data


def fill_pdfium(blank: bytes, values: Mapping[str, FieldValue]) -> bytes:
    """Click into each field and type, as a customer does in Chrome (PDFium draws the appearances)."""
    doc = pdfium.PdfDocument(blank)
    doc.init_forms()
    assert doc.formenv is not None
    env = doc.formenv.raw
    # One page object per page for the whole session, as a viewer keeps them loaded.
    pages = [doc[i] for i in range(len(doc))]
    for spec in LAYOUT.fields:
        value = values.get(spec.path)
        if value in (None, False, ""):
            continue
        page = pages[spec.page - 1]
        rect = spec.rect
        if spec.kind is Kind.RADIO:
            rect = next(o.rect for o in spec.options if o.value == value)
        x, y = (rect.x0 + rect.x1) / 2, (rect.y0 + rect.y1) / 2
        pdfium_raw.FORM_OnMouseMove(env, page.raw, 0, x, y)
        pdfium_raw.FORM_OnLButtonDown(env, page.raw, 0, x, y)
        pdfium_raw.FORM_OnLButtonUp(env, page.raw, 0, x, y)
        if isinstance(value, str) and not spec.kind.is_choice:
            pdfium_raw.FORM_SelectAllText(env, page.raw)
            text = ctypes.create_string_buffer((value + "\x00").encode("utf-16-le"))
            pdfium_raw.FORM_ReplaceSelection(env, page.raw, ctypes.cast(text, ctypes.POINTER(pdfium_raw.FPDF_WCHAR)))
        pdfium_raw.FORM_ForceToKillFocus(env)
    for page in pages:
        page.close()
    out = io.BytesIO()
    doc.save(out)
    doc.close()
    return out.getvalue()


def flatten_pdfium(data: bytes) -> bytes:
    """PDFium's print flattening: what Chrome's "Save as PDF" keeps of the fields."""
    doc = pdfium.PdfDocument(data)
    for i in range(len(doc)):
        page = doc[i]  # keep the handle alive: a collected page is freed under PDFium's feet
        result = pdfium_raw.FPDFPage_Flatten(page.raw, pdfium_raw.FLAT_PRINT)
        assert result != pdfium_raw.FLATTEN_FAIL, f"PDFium could not flatten page {i + 1}"
        page.close()
    out = io.BytesIO()
    doc.save(out)
    doc.close()
    return out.getvalue()


FILLERS: dict[str, Filler] = {"pypdf": fill_pypdf, "pdftk": fill_pdftk, "pdfium": fill_pdfium}
# The interoperability matrix (tests/test_interop.py) fills with every program we know of.
ALL_FILLERS: dict[str, Filler] = {**FILLERS, "pikepdf": fill_pikepdf, "pdfjs": fill_pdfjs, "mupdf": fill_mupdf}
TOOL_OF = {"pdftk": "pdftk", "pdfjs": "node"}  # fillers that need a system tool


def _run(args: list[str | Path]) -> None:
    require_tool(str(args[0]))
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=120, check=False)
    if proc.returncode:
        raise RuntimeError(f"{args[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-300:]}")


def flatten(tool: str, data: bytes) -> bytes:
    """A flattened or printed copy made by a real tool."""
    if tool == "pdfium":
        return flatten_pdfium(data)
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.pdf", Path(tmp) / "out.pdf"
        src.write_bytes(data)
        gs: list[str | Path] = ["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=pdfwrite",
                                f"-sOutputFile={dst}"]
        commands: dict[str, list[str | Path]] = {
            "pdftk": ["pdftk", src, "output", dst, "flatten"],
            "qpdf": ["qpdf", "--flatten-annotations=all", src, dst],
            "gs": [*gs, src],
            "pdftocairo": ["pdftocairo", "-pdf", src, dst],
            # "Print to PDF" on US Letter with "fit to page": everything scaled and shifted.
            "gs-letter": [*gs, "-sPAPERSIZE=letter", "-dFIXEDMEDIA", "-dPDFFitPage", src],
            "mutool": ["mutool", "convert", "-F", "pdf", "-o", dst, src],
        }
        if tool == "ps":  # a CUPS print-to-PDF queue: poppler writes PostScript, ghostscript makes a PDF
            ps = Path(tmp) / "out.ps"
            _run(["pdftops", "-paper", "A4", src, ps])
            _run(["ps2pdf", "-sPAPERSIZE=a4", ps, dst])
        else:
            _run(commands[tool])
        return dst.read_bytes()


PRINTERS = ["none", "gs", "gs-letter", "qpdf", "pdftocairo", "ps", "mutool"]
TOOL_OF_PRINTER = {"gs": "gs", "gs-letter": "gs", "qpdf": "qpdf", "pdftocairo": "pdftocairo", "ps": "pdftops",
                   "mutool": "mutool"}


def available(name: str) -> bool:
    """True when a system tool is on PATH."""
    return shutil.which(name) is not None
