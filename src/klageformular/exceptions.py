"""Every error and warning the library raises, rooted in :class:`KlageformularError`.

Hierarchy::

    KlageformularError
    ├── ConfigurationError            bad organisation profile, unknown language, bad prefill
    │   └── LanguageNotAvailableError
    ├── PdfReadError                  the bytes cannot be read as a usable PDF
    │   ├── NotAPdfError              not a PDF at all (HTML, image, empty file …)
    │   ├── EncryptedPdfError         needs a password we do not have
    │   ├── XfaFormError              an XFA-only form (no AcroForm fields to read)
    │   ├── NoTextLayerError          a scan: needs manual handling, OCR is not supported
    │   └── LimitExceededError        a configured input limit was breached
    │       ├── FileTooLargeError
    │       ├── TooManyPagesError
    │       ├── TooManyObjectsError
    │       ├── StreamTooLargeError
    │       ├── FieldValueTooLongError
    │       ├── TooMuchContentError   the work budget: operators, glyphs or shapes to draw
    │       └── ParseTimeoutError     the wall-clock deadline
    ├── NotAKlageformularError        a readable PDF, but not our form
    │   └── UnsupportedFormVersionError
    ├── MissingPagesError             a flattened copy lacks pages that carry fields
    ├── OutputError                   batch output cannot be written (permissions, read-only files)
    └── ComplaintValidationError      the form was read, but values are invalid (``errors``)

pydantic's ``ValidationError`` never leaves the public API: :func:`klageformular.parse_pdf`
turns it into per-field errors, and :func:`klageformular.read_complaint` into
:class:`ComplaintValidationError`.

Rule: we *raise* when the caller must handle it, ``warnings.warn`` a
:class:`KlageformularWarning` when the caller should fix their code, and *log* when the
library handled a problem the officer should know about. Messages name fields, never the
values a customer typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ComplaintValidationError",
    "ConfigurationError",
    "EncryptedPdfError",
    "FieldError",
    "FieldValueTooLongError",
    "FileTooLargeError",
    "KlageformularError",
    "KlageformularWarning",
    "LanguageNotAvailableError",
    "LimitExceededError",
    "MissingPagesError",
    "NoTextLayerError",
    "NotAKlageformularError",
    "NotAPdfError",
    "OutputError",
    "ParseTimeoutError",
    "PdfReadError",
    "StreamTooLargeError",
    "TooManyObjectsError",
    "TooManyPagesError",
    "TooMuchContentError",
    "UnsupportedFormVersionError",
    "XfaFormError",
]


class KlageformularError(Exception):
    """Root of every error this library raises on purpose."""

    def __reduce__(self) -> tuple[object, ...]:
        # Errors cross process boundaries (batch workers, a web server's process pool); several
        # take keyword-only arguments, which pickle's default ``cls(*args)`` cannot pass.
        return _rebuild, (type(self), self.args, self.__dict__)


def _rebuild(cls: type[KlageformularError], args: tuple[object, ...], state: dict[str, object]) -> KlageformularError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


class KlageformularWarning(UserWarning):
    """The caller should change how they use the library (e.g. a prefill value is cut)."""


class ConfigurationError(KlageformularError, ValueError):
    """An organisation profile, language or prefill the library cannot use."""


class LanguageNotAvailableError(ConfigurationError):
    """The form has no translation for the requested language."""


class PdfReadError(KlageformularError):
    """The input cannot be read as a usable PDF."""


class NotAPdfError(PdfReadError):
    """The input is not a PDF file (HTML, an image, empty or random bytes)."""


class EncryptedPdfError(PdfReadError):
    """The PDF is encrypted with a password. An empty user password is opened transparently."""


class XfaFormError(PdfReadError):
    """An XFA-only form: there are no AcroForm fields to read. XFA is not supported."""


class NoTextLayerError(PdfReadError):
    """A page has no text layer (a scan): needs manual handling, OCR is not supported."""


class LimitExceededError(PdfReadError):
    """A configured input limit was breached; ``limit`` names it, ``value`` and ``maximum`` measure it."""

    def __init__(self, message: str, *, limit: str, value: float | None = None, maximum: float | None = None):
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.maximum = maximum


class FileTooLargeError(LimitExceededError):
    """The file is larger than ``Limits.max_file_bytes``."""


class TooManyPagesError(LimitExceededError):
    """The document has more pages than ``Limits.max_pages``."""


class TooManyObjectsError(LimitExceededError):
    """The document has more objects than ``Limits.max_objects``."""


class StreamTooLargeError(LimitExceededError):
    """A stream decompresses to more than ``Limits.max_stream_bytes`` (a decompression bomb)."""


class FieldValueTooLongError(LimitExceededError):
    """A field value is longer than ``Limits.max_value_chars``."""


class TooMuchContentError(LimitExceededError):
    """Drawing a page needs more work than the budget allows (``Limits.max_page_operators``,
    ``max_page_glyphs`` or ``max_page_objects``; ``limit`` says which): a small file whose
    content multiplies, such as megabytes of tiny text operators or nested form XObjects.
    """


class ParseTimeoutError(LimitExceededError):
    """Parsing took longer than the wall-clock limit (``Limits.max_seconds`` inside
    :func:`~klageformular.parse_pdf`, or batch mode's ``timeout`` for a worker process).
    """


class NotAKlageformularError(KlageformularError):
    """A readable PDF that is not this complaint form (no known fields, no form identifier)."""


class UnsupportedFormVersionError(NotAKlageformularError):
    """Our complaint form, but from a layout version this library cannot read; ``version`` says which."""

    def __init__(self, message: str, *, version: str):
        super().__init__(message)
        self.version = version


class MissingPagesError(KlageformularError):
    """A flattened or printed copy lacks pages that carry fields; ``pages`` lists them (1-based)."""

    def __init__(self, message: str, *, pages: Sequence[int]):
        super().__init__(message)
        self.pages = tuple(pages)


class OutputError(KlageformularError):
    """Batch output cannot be written: the folder or a file in it is not writable. Checked before
    a run writes anything, so nothing is left half-written; the message names the path."""


@dataclass(frozen=True)
class FieldError:
    """One field that could not be read or validated.

    ``label`` is the field's label in the form's language; ``message`` is in English and
    ``message_local`` in the form's language. Neither contains the value the customer typed.
    """

    path: str
    label: str
    message: str
    message_local: str
    code: str = "invalid"


class ComplaintValidationError(KlageformularError, ValueError):
    """The form was read, but one or more values are missing or invalid; see ``errors``."""

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = tuple(errors)
        fields = ", ".join(e.path for e in self.errors)
        super().__init__(f"{len(self.errors)} invalid field(s): {fields}")
