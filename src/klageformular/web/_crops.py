"""A scanned form's crop beside the field it holds: the route that shows a ``scan-<field>.png`` document.

The paper path stores each handwritten box it cut out as a document of the case named
``scan-<field>.png`` (:mod:`klageformular.batch`, :mod:`klageformular.register._documents`); the case
page shows it beside the correction input of that field's ``handwritten`` review item, so the
officer keys the value looking at it.

- ``GET /cases/REF/documents/N/crop.png`` (any role, as the page images): the document decoded
  and written again as a PNG here (Pillow), so what goes inline is an image of our own making.
  Anything else — a document not named ``scan-….png``, bytes that are no PNG, a picture over
  :data:`MAX_PIXELS` — is answered as the original download is (``attachment``, sandboxed).
"""

from __future__ import annotations

import io
import warnings
from urllib.parse import quote

from fastapi import Depends, FastAPI
from fastapi.responses import RedirectResponse, Response

from ..exceptions import RegisterError
from ._app import Visitor
from ._kit import Kit

__all__ = ["MAX_PIXELS", "add_crop_routes", "crop_png"]

#: A crop is one box of a form page: a few hundred pixels a side. Larger is not a crop we made.
MAX_PIXELS = 4_000_000
_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def crop_png(data: bytes) -> bytes | None:
    """``data`` written again as a PNG if it is one (signature, Pillow's own reading, size); else None."""
    from PIL import Image

    if not data.startswith(_SIGNATURE):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.load()
                out = io.BytesIO()
                image.convert("L" if image.mode in ("1", "L", "P", "LA") else "RGB").save(out, format="PNG")
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        return None
    return out.getvalue()


def add_crop_routes(app: FastAPI, kit: Kit) -> None:
    """Add the route of the module docstring to ``app``."""

    @app.get("/cases/{reference}/documents/{number}/crop.png")
    def crop(reference: str, number: int, seen: Visitor = Depends(kit.reader)) -> Response:
        from ..register._documents import read_document

        try:
            with kit.reading() as s:
                found, data = read_document(s, reference, number)
        except RegisterError:
            return Response(status_code=404)
        name = found.name or ""
        png = crop_png(data) if name.startswith("scan-") and name.endswith(".png") else None
        if png is None:  # not ours to show: the download, with its attachment header and sandbox
            return RedirectResponse(f"/cases/{quote(found.reference)}/documents/{number}", status_code=303)
        return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=300"})
