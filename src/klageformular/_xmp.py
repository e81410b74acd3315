"""XMP metadata packets: what the document information says, plus the PDF/A and PDF/UA identification.

The form claims PDF/UA-1; letters claim PDF/A-2b and PDF/UA-1. PDF/A allows only its predefined
schemas unless the packet describes the others, so a packet that claims both carries the
``pdfaExtension`` description of the ``pdfuaid`` schema (ISO 19005-2, 6.6.2.3.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from xml.sax.saxutils import escape

from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject

__all__ = ["xmp_metadata", "xmp_packet"]

_UA_EXTENSION = """  <rdf:Description rdf:about=""
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>http://www.aiim.org/pdfua/ns/id/</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
        <rdf:li rdf:parseType="Resource">
         <pdfaProperty:name>part</pdfaProperty:name>
         <pdfaProperty:valueType>Integer</pdfaProperty:valueType>
         <pdfaProperty:category>internal</pdfaProperty:category>
         <pdfaProperty:description>Indicates, which part of ISO 14289 standard is followed</pdfaProperty:description>
        </rdf:li>
       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
"""


def xmp_packet(info: Mapping[str, str], created: datetime, lang: str, *, pdfa: str | None = None,
               pdfua: bool = False) -> str:
    """The packet for ``info`` (``/Title``, ``/Author``, ``/Subject``, ``/Keywords``, ``/Producer``,
    ``/Creator``); ``pdfa`` is a part and level such as ``"2B"``."""
    stamp = created.strftime("%Y-%m-%dT%H:%M:%S+00:00")

    def e(key: str) -> str:
        return escape(info[key])

    namespaces = ""
    claims = ""
    extension = ""
    if pdfa:
        namespaces += '\n    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"'
        claims += f"   <pdfaid:part>{pdfa[:-1]}</pdfaid:part>\n   <pdfaid:conformance>{pdfa[-1]}</pdfaid:conformance>\n"
    if pdfua:
        namespaces += '\n    xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/"'
        claims += "   <pdfuaid:part>1</pdfuaid:part>\n"
        if pdfa:  # described before it is used, in a description of its own
            extension = _UA_EXTENSION
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
{extension}  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"{namespaces}>
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
{claims}  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


def xmp_metadata(writer: PdfWriter, info: Mapping[str, str], created: datetime, lang: str, *,
                 pdfa: str | None = None, pdfua: bool = False) -> None:
    """Set the catalog's ``/Metadata`` to :func:`xmp_packet`, unfiltered (archive tools read it as is)."""
    xmp = DecodedStreamObject()
    xmp.set_data(xmp_packet(info, created, lang, pdfa=pdfa, pdfua=pdfua).encode("utf-8"))
    xmp.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    writer.root_object[NameObject("/Metadata")] = writer._add_object(xmp)
