"""Opening what the mailbox delivered: path, bytes or stream; limits; encryption; pypdf errors."""

from __future__ import annotations

import io
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from pypdf import PasswordType, PdfReader
from pypdf.errors import FileNotDecryptedError, PyPdfError
from pypdf.generic import DictionaryObject

from ..exceptions import (
    EncryptedPdfError,
    FileTooLargeError,
    NotAPdfError,
    PdfReadError,
    TooManyObjectsError,
    TooManyPagesError,
    XfaFormError,
)

__all__ = ["Limits", "Source", "open_pdf", "read_source"]

Source = str | os.PathLike[str] | bytes | BinaryIO
"""What :func:`klageformular.parse_pdf` reads: a path, the file's bytes, or a binary stream."""

log = logging.getLogger("klageformular.parse")


@dataclass(frozen=True)
class Limits:
    """Input limits; each breach raises its own :class:`~klageformular.LimitExceededError` subclass.

    >>> Limits(max_pages=10).max_pages
    10
    """

    max_file_bytes: int = 50_000_000
    max_pages: int = 50
    max_objects: int = 200_000
    max_stream_bytes: int = 100_000_000
    max_value_chars: int = 100_000
    timeout_seconds: float = 30.0


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
        reader = PdfReader(io.BytesIO(data), strict=False)
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
    except (EncryptedPdfError, TooManyObjectsError):
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
