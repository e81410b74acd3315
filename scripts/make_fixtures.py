"""Regenerate the committed fixture PDFs in ``tests/fixtures/`` with real third-party tools.

    python scripts/make_fixtures.py            # needs pdftk, qpdf, ghostscript, poppler-utils, mupdf-tools
    python scripts/make_fixtures.py flat-gs-sv.pdf   # only the named ones (the rest stay as committed)

The fixtures let the test suite check files made by those tools even on a machine that
does not have them (tests/test_fixtures.py). Each is the sample complaint of
``tests/conftest.py`` (``sample_data``) filled and/or flattened by one tool, plus a few
files the batch and hostile-input tests need: a scan (image only), an encrypted copy, a PDF
that is not the form. ``tests/fixtures/MANIFEST.json`` records what made each file.

Kept as committed (:data:`KEPT`): copies of an earlier form that this code can no longer make —
they stand for forms customers downloaded before the value font changed.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pypdf import PdfReader, PdfWriter  # noqa: E402
from pypdf.generic import (  # noqa: E402
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
)
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.utils import ImageReader  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402
from tests.conftest import sample_data  # noqa: E402
from tests.fillers import fill_pdftk, fill_pypdf, flatten  # noqa: E402

from klageformular import Complaint, render_form  # noqa: E402
from klageformular.values import FieldValue, field_values  # noqa: E402

OUT = ROOT / "tests" / "fixtures"
# Made from an older form (commit 9f078ac: the value font was a composite Type0 font); kept in the
# manifest on every run.
KEPT = {"printed-ps-type0-font.pdf": "form 1.0 with the composite (Type0) value font of commit 9f078ac, pypdf "
                                    "fill, then pdftops + ps2pdf: values drawn without a Unicode map"}


def _tool_version(args: list[str]) -> str:
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return "not installed"
    return (proc.stdout or proc.stderr).strip().splitlines()[0]


def _scan(data: bytes) -> bytes:
    """Page 1 of ``data`` as a 60 dpi greyscale image on an otherwise empty page: a scan, no text."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.pdf"
        src.write_bytes(data)
        subprocess.run(["pdftoppm", "-r", "60", "-gray", "-png", "-f", "1", "-l", "1", "-singlefile", src,
                        Path(tmp) / "page"], check=True, timeout=120)
        buf = io.BytesIO()
        canvas = Canvas(buf, pagesize=A4, invariant=True)
        canvas.drawImage(ImageReader(str(Path(tmp) / "page.png")), 0, 0, *A4)
        canvas.showPage()
        canvas.save()
        return buf.getvalue()


def _encrypted(data: bytes, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="kameo-owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _letter() -> bytes:
    buf = io.BytesIO()
    canvas = Canvas(buf, pagesize=A4, invariant=True)
    canvas.drawString(72, 760, "Kære Kameo, jeg vil gerne klage over renten på mit lån.")
    canvas.showPage()
    canvas.save()
    return buf.getvalue()


# Two values drawn into empty boxes of page 1 in fonts whose codes mean what only a missing font
# program knows: Helvetica re-encoded by /Differences to glyph names outside the Adobe Glyph List
# (as subsetting tools name glyphs), and the symbolic Symbol font; neither embedded, no ToUnicode.
# A text layer reads "Hansen" and "Aarhus" from them; the page shows other glyphs.
OWN_ENCODING = {"representative.first_name": (b"/KFOwn", b"Hansen"), "representative.city": (b"/KFSym", b"Aarhus")}


def _own_encoding(flat: bytes) -> bytes:
    """``flat`` with :data:`OWN_ENCODING`'s values drawn on page 1 by pypdf."""
    from klageformular.layout import field_by_path

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(flat)))
    page = writer.pages[0]
    differences = ArrayObject()
    for letter in sorted(set(b"Hansen")):
        differences += [NumberObject(letter), NameObject(f"/g{letter - 29}")]
    resources: Any = page["/Resources"]
    fonts = resources.get_object()["/Font"].get_object()
    fonts[NameObject("/KFOwn")] = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): DictionaryObject({NameObject("/Type"): NameObject("/Encoding"),
                                                   NameObject("/BaseEncoding"): NameObject("/WinAnsiEncoding"),
                                                   NameObject("/Differences"): differences})}))
    fonts[NameObject("/KFSym")] = writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Symbol")}))
    content = b"q 0 g"
    for path, (font, text) in OWN_ENCODING.items():
        box = field_by_path(path).rect
        content += b" BT %s 10 Tf %.2f %.2f Td (%s) Tj ET" % (font, box.x0 + 3, box.y0 + 5, text)
    extra = DecodedStreamObject()
    extra.set_data(content + b" Q\n")
    contents = page.raw_get("/Contents")
    page[NameObject("/Contents")] = ArrayObject([*(contents.get_object() if isinstance(contents.get_object(), list)
                                                   else [contents]), writer._add_object(extra.flate_encode())])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _filled(lang: str, fill: Callable[[bytes, dict[str, FieldValue]], bytes]) -> bytes:
    """The sample complaint filled into the form in ``lang`` (its home profile) by one tool."""
    return fill(render_form(lang), field_values(Complaint.model_validate(sample_data()), lang))


def main(names: list[str]) -> None:
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its appearance generator's notes on our font
    OUT.mkdir(exist_ok=True)
    by_pypdf, by_pdftk = _filled("da", fill_pypdf), _filled("da", fill_pdftk)
    fixtures: dict[str, tuple[str, Callable[[], bytes]]] = {
        "filled-pypdf.pdf": ("pypdf fill (NeedAppearances off, appearances generated)", lambda: by_pypdf),
        "filled-pdftk.pdf": ("pdftk fill_form XFDF (UTF-8), no extra options", lambda: by_pdftk),
        "flat-pdftk.pdf": ("pypdf fill, then pdftk flatten", lambda: flatten("pdftk", by_pypdf)),
        "flat-qpdf.pdf": ("pdftk fill, then qpdf --flatten-annotations=all", lambda: flatten("qpdf", by_pdftk)),
        "flat-gs.pdf": ("pypdf fill, then ghostscript pdfwrite", lambda: flatten("gs", by_pypdf)),
        "flat-pdftocairo.pdf": ("pypdf fill, then pdftocairo -pdf", lambda: flatten("pdftocairo", by_pypdf)),
        "flat-gs-letter.pdf": ("pypdf fill, then ghostscript fit-to-page on US Letter",
                               lambda: flatten("gs-letter", by_pypdf)),
        "scan.pdf": ("page 1 of the filled form as a 60 dpi image: no text layer", lambda: _scan(by_pypdf)),
        "encrypted-empty-password.pdf": ("AES-256, empty user password (opens without asking)",
                                         lambda: _encrypted(by_pypdf, "")),
        "encrypted-password.pdf": ("AES-256, user password 'hemmelig'", lambda: _encrypted(by_pypdf, "hemmelig")),
        "letter.pdf": ("a one-page letter: a PDF that is not the form", _letter),
        "filled-pdftk-nb.pdf": ("Norwegian form (kameo-no), pdftk fill_form XFDF (UTF-8), no extra options",
                                lambda: _filled("nb", fill_pdftk)),
        "flat-gs-sv.pdf": ("Swedish form (kameo-se), pypdf fill, then ghostscript pdfwrite",
                           lambda: flatten("gs", _filled("sv", fill_pypdf))),
        "flat-ps.pdf": ("pdftk fill, then printed through PostScript: pdftops, ps2pdf",
                        lambda: flatten("ps", by_pdftk)),
        "flat-mutool.pdf": ("pypdf fill, then mutool convert -F pdf (MuPDF's printer)",
                            lambda: flatten("mutool", by_pypdf)),
        "unembedded-own-encoding.pdf": ("pdftk fill, then qpdf --flatten-annotations=all, then pypdf draws two more "
                                  "values in non-embedded fonts without ToUnicode: Helvetica re-encoded to glyph "
                                  "names outside the Adobe Glyph List, and Symbol",
                                  lambda: _own_encoding(flatten("qpdf", by_pdftk))),
    }
    unknown = set(names) - set(fixtures)
    if unknown:
        sys.exit(f"unknown fixture(s): {', '.join(sorted(unknown))} (known: {', '.join(fixtures)})")
    wanted = names or list(fixtures)
    old = OUT / "MANIFEST.json"
    previous: dict[str, dict[str, object]] = json.loads(old.read_text(encoding="utf-8"))["files"]
    files = previous if names else {name: previous[name] for name in KEPT if name in previous}
    manifest = {
        "tools": {name: _tool_version(cmd) for name, cmd in {
            "pdftk": ["pdftk", "--version"], "qpdf": ["qpdf", "--version"], "gs": ["gs", "--version"],
            "pdftocairo": ["pdftocairo", "-v"], "mutool": ["mutool", "-v"]}.items()},
        "files": files,
    }
    for name in wanted:
        how, make = fixtures[name]
        data = make()
        (OUT / name).write_bytes(data)
        files[name] = {"made_by": how, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        print(f"{name:<32} {len(data):>8,} bytes  {how}")
    order = [*fixtures, *KEPT]
    manifest["files"] = dict(sorted(files.items(), key=lambda kv: order.index(kv[0])))
    old.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
