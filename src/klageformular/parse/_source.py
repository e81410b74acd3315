"""Opening what the mailbox delivered: path, bytes or stream; limits; encryption; pypdf errors."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast

from pypdf import PasswordType, PdfReader, apply_configuration
from pypdf.errors import FileNotDecryptedError, LimitReachedError, PyPdfError
from pypdf.generic import DictionaryObject, StreamObject

from .._limits import Limits
from ..exceptions import (
    EncryptedPdfError,
    FileTooLargeError,
    NotAPdfError,
    PdfReadError,
    StreamTooLargeError,
    TooManyObjectsError,
    TooManyPagesError,
    XfaFormError,
)
from ._objects import Reader

__all__ = ["Limits", "Source", "check_page_streams", "open_pdf", "pypdf_limits", "read_source"]

Source = str | os.PathLike[str] | bytes | BinaryIO
"""What :func:`klageformular.parse_pdf` reads: a path, the file's bytes, or a binary stream."""

log = logging.getLogger("klageformular.parse")


@contextmanager
def pypdf_limits(limits: Limits) -> Iterator[None]:
    """pypdf's own resource limits, set from ours for this call (a context variable, so thread-safe).

    ``jbig2dec_binary=None``: reading a complaint never starts another program.
    """
    size = limits.max_stream_bytes
    with apply_configuration(
        maximum_declared_stream_length=size, array_based_stream_maximum_output_length=size,
        zlib_maximum_output_length=size, lzw_maximum_output_length=size, run_length_maximum_output_length=size,
        brotli_maximum_output_length=size, jbig2_maximum_output_length=size, image_maximum_buffer_size=size,
        stream_decoding_work_maximum_length=3 * size, jbig2dec_binary=None, disable_legacy_handling=True,
    ):
        try:
            yield
        except LimitReachedError as exc:
            raise StreamTooLargeError(f"a resource limit was reached while reading ({str(exc)[:120]})",
                                      limit="max_stream_bytes", maximum=size) from None


def check_page_streams(reader: PdfReader, limits: Limits) -> None:
    """Decode every page's content and form XObjects under pypdf's limits.

    pdfminer, which reads the text layer, decompresses without any limit: a Flate bomb in a
    page would exhaust memory there. pypdf decodes the same streams first, within limits.
    """
    for page in reader.pages:
        contents = page.get_contents()
        if contents is not None:
            contents.get_data()
        pending = [page.get("/Resources")]
        seen: set[int] = set()
        while pending and len(seen) < 1000:
            resources = pending.pop()
            resources = resources.get_object() if resources is not None else None
            if not isinstance(resources, DictionaryObject):
                continue
            xobjects = resources.get("/XObject")
            for ref in (xobjects.get_object().values() if xobjects is not None else []):
                obj = ref.get_object()
                if id(obj) in seen or not isinstance(obj, StreamObject) or obj.get("/Subtype") != "/Form":
                    continue
                seen.add(id(obj))
                obj.get_data()
                pending.append(obj.get("/Resources"))


def read_source(source: Source, limits: Limits) -> tuple[bytes, str | None]:
    """The file's bytes and its path (None for bytes and streams). Closes only what it opened."""
    if isinstance(source, bytes | bytearray | memoryview):
        data, name = bytes(source), None
    elif isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.max_file_bytes:
                raise FileTooLargeError(f"file is {size:,} bytes; the limit is {limits.max_file_bytes:,}",
                                        limit="max_file_bytes", value=size, maximum=limits.max_file_bytes)
            data = path.read_bytes()
        except OSError as exc:
            raise PdfReadError(f"cannot read the file: {exc.strerror or type(exc).__name__}") from None
        name = str(path)
    else:
        data = source.read(limits.max_file_bytes + 1)
        name = getattr(source, "name", None) if isinstance(getattr(source, "name", None), str) else None
    if len(data) > limits.max_file_bytes:
        raise FileTooLargeError(f"file is over the {limits.max_file_bytes:,}-byte limit",
                                limit="max_file_bytes", value=len(data), maximum=limits.max_file_bytes)
    return data, name


def open_pdf(data: bytes, limits: Limits) -> PdfReader:
    """A pypdf reader for ``data``, decrypted if the user password is empty, within the limits."""
    head = data[:1024]
    if b"%PDF-" not in head:
        kind = "an empty file" if not data.strip() else "HTML" if b"<html" in head.lower() else "not a PDF"
        raise NotAPdfError(f"{kind}: no PDF header")
    try:
        reader = Reader(data, strict=False)  # pypdf's reader, faster on plain objects
        if reader.is_encrypted:
            # Viewers often save with an empty user password (owner restrictions only): open those.
            try:
                if reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                    raise EncryptedPdfError("the PDF is protected by a password")
            except (NotImplementedError, FileNotDecryptedError):
                raise EncryptedPdfError("the PDF is encrypted with an unsupported method or a password") from None
        objects = sum(len(v) for v in reader.xref.values()) + len(reader.xref_objStm)
        if objects > limits.max_objects:
            raise TooManyObjectsError(f"{objects:,} objects; the limit is {limits.max_objects:,}",
                                      limit="max_objects", value=objects, maximum=limits.max_objects)
        pages = len(reader.pages)
    except (EncryptedPdfError, TooManyObjectsError, LimitReachedError):
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            OSError, AssertionError, ZeroDivisionError) as exc:
        # pypdf signals broken files with many exception types; the reason is enough for the officer.
        raise PdfReadError(f"broken PDF ({type(exc).__name__})") from None
    if pages > limits.max_pages:
        raise TooManyPagesError(f"{pages} pages; the limit is {limits.max_pages}", limit="max_pages",
                                value=pages, maximum=limits.max_pages)
    if pages == 0:
        raise PdfReadError("the PDF has no pages")
    _reject_xfa_only(reader)
    return reader


def _reject_xfa_only(reader: PdfReader) -> None:
    root = cast(DictionaryObject, reader.trailer["/Root"].get_object())
    form = root.get("/AcroForm")
    form = form.get_object() if form is not None else None
    if form is not None and "/XFA" in form and not form.get("/Fields"):
        raise XfaFormError("an XFA form (no AcroForm fields): XFA is not supported")
