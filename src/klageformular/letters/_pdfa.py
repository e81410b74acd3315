"""PDF/A-2b for letters: XMP metadata matching the document information, an sRGB output intent, a fixed /ID.

reportlab draws the pages with embedded fonts only (see :mod:`._document`); this module adds
what ISO 19005-2 level B asks of the file itself. Not supported: levels A and U (no structure
tree / tagging), transparency, annotations — letters use none of them.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from importlib import resources
from xml.sax.saxutils import escape

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

__all__ = ["make_pdfa"]

_ICC = "sRGB.icc"
_CONDITION = "sRGB IEC61966-2.1"


def make_pdfa(pages: bytes, *, title: str, author: str, subject: str, keywords: str, lang: str, creator: str,
              epoch: int) -> bytes:
    """``pages`` (reportlab's PDF) as a PDF/A-2b file with the given metadata; deterministic."""
    writer = PdfWriter(clone_from=io.BytesIO(pages))
    writer.pdf_header = b"%PDF-1.7"  # PDF/A-2 is based on PDF 1.7 (output intents, XMP need >= 1.4)
    created = datetime.fromtimestamp(epoch, UTC)
    pdf_date = created.strftime("D:%Y%m%d%H%M%S+00'00'")
    # The information dictionary and XMP must say the same (ISO 19005-2, 6.6.3); nothing else in it.
    info = {"/Title": title, "/Author": author, "/Subject": subject, "/Keywords": keywords,
            "/Creator": creator, "/Producer": creator, "/CreationDate": pdf_date, "/ModDate": pdf_date}
    writer._info = None  # drop reportlab's own entries (its /Trapped and producer string)
    writer.add_metadata(info)
    root = writer._root_object
    xmp = DecodedStreamObject()
    xmp.set_data(_xmp(info, created, lang).encode("utf-8"))
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    root[NameObject("/Metadata")] = writer._add_object(xmp)  # uncompressed: archive tools read it as is
    root[NameObject("/Lang")] = TextStringObject(lang)
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
    digest = ByteStringObject(hashlib.md5(pages + repr(sorted(info.items())).encode(),
                                          usedforsecurity=False).digest())
    writer._ID = ArrayObject([digest, digest])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _xmp(info: dict[str, str], created: datetime, lang: str) -> str:
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def e(key: str) -> str:
        return escape(info[key])

    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e("/Title")}</rdf:li></rdf:Alt></dc:title>
   <dc:creator><rdf:Seq><rdf:li>{e("/Author")}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{e("/Subject")}</rdf:li></rdf:Alt></dc:description>
   <dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>
   <pdf:Keywords>{e("/Keywords")}</pdf:Keywords>
   <pdf:Producer>{e("/Producer")}</pdf:Producer>
   <xmp:CreatorTool>{e("/Creator")}</xmp:CreatorTool>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
