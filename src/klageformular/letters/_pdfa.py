"""PDF/A-2b and PDF/UA-1 for letters: XMP metadata matching the document information, an sRGB output
intent, the structure tree, a fixed /ID.

reportlab draws the pages with embedded fonts only and marks their content (see :mod:`._document`);
this module adds what ISO 19005-2 level B and ISO 14289-1 ask of the file itself. Level B, not A,
is claimed: the file is tagged as level A would need, but no validator here checks level A
(PDFBox Preflight checks PDF/A-1b). Not supported: transparency, annotations — letters use none.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from importlib import resources

from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from .._pages import Pages
from .._tagging import write_structure
from .._xmp import xmp_metadata

__all__ = ["make_pdfa"]

_ICC = "sRGB.icc"
_CONDITION = "sRGB IEC61966-2.1"


def make_pdfa(pages: Pages, *, title: str, author: str, subject: str, keywords: str, lang: str, creator: str,
              epoch: int) -> bytes:
    """``pages`` (reportlab's PDF and its structure) as a PDF/A-2b, PDF/UA-1 file with the given
    metadata; deterministic."""
    writer = PdfWriter(clone_from=io.BytesIO(pages.data))
    writer.pdf_header = b"%PDF-1.7"  # PDF/A-2 is based on PDF 1.7 (output intents, XMP need >= 1.4)
    created = datetime.fromtimestamp(epoch, UTC)
    pdf_date = created.strftime("D:%Y%m%d%H%M%S+00'00'")
    # The information dictionary and XMP must say the same (ISO 19005-2, 6.6.3); nothing else in it.
    info = {"/Title": title, "/Author": author, "/Subject": subject, "/Keywords": keywords,
            "/Creator": creator, "/Producer": creator, "/CreationDate": pdf_date, "/ModDate": pdf_date}
    writer._info = None  # drop reportlab's own entries (its /Trapped and producer string)
    writer.add_metadata(info)
    root = writer._root_object
    xmp_metadata(writer, info, created, lang, pdfa="2B", pdfua=True)
    write_structure(writer, pages.structure, {}, lang=lang)
    icc = DecodedStreamObject()
    icc.set_data((resources.files("klageformular") / "assets" / _ICC).read_bytes())
    icc[NameObject("/N")] = NumberObject(3)
    root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(DictionaryObject({
        NameObject("/Type"): NameObject("/OutputIntent"),
        NameObject("/S"): NameObject("/GTS_PDFA1"),
        NameObject("/OutputConditionIdentifier"): TextStringObject(_CONDITION),
        NameObject("/Info"): TextStringObject(_CONDITION),
        NameObject("/DestOutputProfile"): writer._add_object(icc.flate_encode()),
    }))])
    # A fixed /ID from the content: the same letter twice is the same file (the register stores its hash).
    digest = ByteStringObject(hashlib.md5(pages.data + repr(sorted(info.items())).encode(),
                                          usedforsecurity=False).digest())
    writer._ID = ArrayObject([digest, digest])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()

