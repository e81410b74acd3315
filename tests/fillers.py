"""Fill the form the way third-party programs do: pypdf, pdftk (XFDF), and PDFium typing like Chrome.

Each filler takes the blank form's bytes and path-keyed display values
(:func:`klageformular.values.field_values`) and returns the filled PDF's bytes.
"""

from __future__ import annotations

import ctypes
import io
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from xml.etree import ElementTree as ET

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_raw
from pypdf import PdfWriter

from klageformular.layout import LAYOUT, Kind
from klageformular.values import FieldValue

from .conftest import require_tool

FONT = Path(__file__).parent.parent / "src" / "klageformular" / "assets" / "NotoSans-Latin.ttf"

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
    """pdftk fill_form from UTF-8 XFDF.

    pdftk's iText cannot encode text with a form's composite (Type0) font, so beyond ASCII it
    needs ``replacement_font``; we hand it the same font file the form embeds.
    """
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "blank.pdf").write_bytes(blank)
        (d / "data.xfdf").write_bytes(xfdf(values))
        subprocess.run(["pdftk", d / "blank.pdf", "fill_form", d / "data.xfdf", "output", d / "out.pdf",
                        "replacement_font", FONT], check=True, capture_output=True, timeout=120)
        return (d / "out.pdf").read_bytes()


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
TOOL_OF = {"pdftk": "pdftk"}  # fillers that need a system tool


def _run(args: list[str | Path]) -> None:
    require_tool(str(args[0]))
    subprocess.run([str(a) for a in args], check=True, capture_output=True, timeout=120)


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
        }
        _run(commands[tool])
        return dst.read_bytes()
