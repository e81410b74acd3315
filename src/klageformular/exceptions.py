"""Every error and warning the library raises, rooted in :class:`KlageformularError`.

Hierarchy::

    KlageformularError
    ├── ConfigurationError            bad organisation profile, unknown language, bad prefill
    │   ├── LanguageNotAvailableError
    │   ├── OrganisationFileError     a profile file that cannot be read or validated (key, line)
    │   ├── UnknownProfileError       a stored profile key neither built in nor given (``key``)
    │   └── LetterNotAllowedError     a letter the rules forbid sending as asked (e.g. no phone)
    ├── PdfReadError                  the bytes cannot be read as a usable PDF
    │   ├── NotAPdfError              not a PDF at all (HTML, image, empty file …)
    │   ├── EncryptedPdfError         needs a password we do not have
    │   ├── XfaFormError              an XFA-only form (no AcroForm fields to read)
    │   ├── NoTextLayerError          a scan: needs manual handling, OCR is not supported
    │   │   ├── UnreadableTextError   text drawn without a Unicode map: no value can be read
    │   │   └── ScanUnreadableError   a scan, but no page of it can be read as our form (``reason``)
    │   ├── ImageReadError            a page image (PNG, JPEG, TIFF, a scanned page) cannot be decoded
    │   └── LimitExceededError        a configured input limit was breached
    │       ├── FileTooLargeError
    │       ├── TooManyPagesError
    │       ├── TooManyObjectsError
    │       ├── StreamTooLargeError
    │       ├── FieldValueTooLongError
    │       ├── ImageTooLargeError    a page image beyond ``Limits.max_scan_pixels`` (an image bomb)
    │       ├── TooMuchContentError   the work budget: operators, glyphs or shapes to draw
    │       ├── ParseTimeoutError     the wall-clock deadline
    │       └── WorkerCrashedError    batch mode's parser process died (memory ceiling, a signal)
    ├── NotAKlageformularError        a readable PDF, but not our form
    │   └── UnsupportedFormVersionError
    ├── ComplaintValidationError      strict reading only: the form needs review (``review``)
    ├── OutputError                   batch output cannot be written (permissions, read-only files, disk full)
    ├── MailReadError                 an email message cannot be read (broken .msg, …)
    │   └── MailLimitExceededError    a mail limit was breached (size, parts, nesting depth)
    ├── MailboxError                  a mailbox cannot be opened (IMAP login, folder, TLS, mbox file)
    ├── WatchLockedError              another watch run works on the same register and source
    ├── MailSendError                 the SMTP server did not take a message (``reply``: what it said)
    │   ├── TemporarySendError        4xx, a dropped connection, no server, a failed login: stays queued
    │   └── PermanentSendError        5xx to the recipient or the message: failed, the case is flagged
    ├── AccountError                  the workbench's accounts refuse an operation (``users …``)
    │   ├── UnknownUserError          no account with that name
    │   └── LoginRefusedError         a login refused (``reason``: credentials, locked, rate_limited)
    └── RegisterError                 the complaint register refuses an operation
        ├── UnknownReferenceError     no complaint with that reference
        ├── InvalidTransitionError    a status change the workflow does not allow
        ├── StaleCaseError            someone else changed the case since it was read (who, when)
        ├── CorrectionRefusedError    a corrected value fails the form's rules (the reason)
        ├── UnknownCategoryError      a category the case's profile does not list (``known``)
        ├── InvalidMeasureError       a measure that cannot be recorded as given (amount, currency)
        └── ReadOnlySessionError      a change tried in a unit of work opened for reading only

pydantic's ``ValidationError`` never leaves the public API: :func:`klageformular.parse_pdf`
turns it into review items (the complaint is kept), and the strict
:func:`klageformular.read_complaint` into :class:`ComplaintValidationError`.

Rule: we *raise* when the caller must handle it, ``warnings.warn`` a
:class:`KlageformularWarning` when the caller should fix their code, and *log* when the
library handled a problem the officer should know about. Messages name fields, never the
values a customer typed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._review import ReviewItem

__all__ = [
    "AccountError",
    "ComplaintValidationError",
    "ConfigurationError",
    "CorrectionRefusedError",
    "EncryptedPdfError",
    "FieldValueTooLongError",
    "FileTooLargeError",
    "ImageReadError",
    "ImageTooLargeError",
    "InvalidMeasureError",
    "InvalidTransitionError",
    "KlageformularError",
    "KlageformularWarning",
    "LanguageNotAvailableError",
    "LetterNotAllowedError",
    "LimitExceededError",
    "LoginRefusedError",
    "MailLimitExceededError",
    "MailReadError",
    "MailSendError",
    "MailboxError",
    "NoTextLayerError",
    "NotAKlageformularError",
    "NotAPdfError",
    "OidcError",
    "OrganisationFileError",
    "OutputError",
    "ParseTimeoutError",
    "PdfReadError",
    "PermanentSendError",
    "ReadOnlySessionError",
    "RegisterError",
    "ScanUnreadableError",
    "StaleCaseError",
    "StreamTooLargeError",
    "TemporarySendError",
    "TooManyObjectsError",
    "TooManyPagesError",
    "TooMuchContentError",
    "UnknownCategoryError",
    "UnknownProfileError",
    "UnknownReferenceError",
    "UnknownUserError",
    "UnreadableTextError",
    "UnsupportedFormVersionError",
    "WatchLockedError",
    "WorkerCrashedError",
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


class UnknownProfileError(ConfigurationError):
    """A record or case names a profile that is neither built in nor given (its profile file, ``--org-file``).

    Never guessed: another organisation's name in a letter or its holidays in a deadline would be
    silently wrong. ``key`` is the profile's key. The command line exits 2 (a usage error) for it.
    """

    def __init__(self, message: str, *, key: str):
        super().__init__(message)
        self.key = key


class OrganisationFileError(ConfigurationError):
    """A profile file (``--org-file``) that cannot be read, parsed or validated.

    ``key`` is the dotted key at fault (``complaints_officer.phone``) and ``line`` its line in
    the file, when known.
    """

    def __init__(self, message: str, *, path: str, key: str | None = None, line: int | None = None):
        super().__init__(message)
        self.path, self.key, self.line = path, key, line


class LetterNotAllowedError(ConfigurationError):
    """A letter cannot be written as asked: the profile lacks what the rules require in it
    (the officer's phone, the decision timeframe), or the case lacks a required reason."""


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


class UnreadableTextError(NoTextLayerError):
    """The form was found, but every filled value was drawn with glyphs that map to no character.

    Typical of a copy printed through PostScript or by a tool that embeds fonts without a
    ``ToUnicode`` map: the page looks right, the text layer is ``(cid:N)`` glyphs. Not OCR'd;
    the message names the tool the copy says made it, so the officer can ask for the filled form.
    """


class ScanUnreadableError(NoTextLayerError):
    """A scanned form (no text layer) that the scan reader cannot read: no page carries a readable
    page code, or none can be located. ``reason`` is a short code (``no_page_code``,
    ``no_scan_reader``, ``no_marks`` …); the message says what to do. Handled by a person, as before.
    """

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason


class ImageReadError(PdfReadError):
    """A page image cannot be decoded: a truncated JPEG, a broken TIFF, a PDF page pdfium cannot draw."""


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


class ImageTooLargeError(LimitExceededError):
    """A page image has more pixels than ``Limits.max_scan_pixels`` (checked before it is decoded)."""


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


class WorkerCrashedError(LimitExceededError):
    """Batch mode's parser process died on the file: out of memory under its ceiling, killed by the
    system, or a crash inside a C library. The file is set aside; a fresh worker takes the next.
    """

    def __init__(self, message: str, *, limit: str = "worker", value: float | None = None,
                 maximum: float | None = None):
        super().__init__(message, limit=limit, value=value, maximum=maximum)


class NotAKlageformularError(KlageformularError):
    """A readable PDF that is not this complaint form (no known fields, no form identifier)."""


class UnsupportedFormVersionError(NotAKlageformularError):
    """Our complaint form, but from a layout version this library cannot read; ``version`` says which."""

    def __init__(self, message: str, *, version: str):
        super().__init__(message)
        self.version = version


class ComplaintValidationError(KlageformularError, ValueError):
    """Strict reading: the form was read, but fields need review; ``review`` lists the items.

    The message names the fields, never the values (those are in the items).
    """

    def __init__(self, review: Sequence[ReviewItem]):
        self.review = tuple(review)
        fields = ", ".join(r.path for r in self.review)
        super().__init__(f"{len(self.review)} field(s) need review: {fields}")


class OutputError(KlageformularError):
    """Batch output cannot be written: the folder or a file in it is not writable (checked before
    a run writes anything), or the disk filled up during the run (what was written is whole, and
    the same command run again with space finishes the work); the message names the path."""


class MailReadError(KlageformularError):
    """An email message (``.eml``, ``.msg``, a message in an mbox, Maildir or IMAP folder) cannot be read.

    Broken MIME and wrong character sets do *not* raise: they are read as well as they can be
    and reported as problems on the message. This is for what cannot be read at all.
    """


class MailLimitExceededError(MailReadError):
    """A mail limit was breached; ``limit`` names it, ``value`` and ``maximum`` measure it."""

    def __init__(self, message: str, *, limit: str, value: float | None = None, maximum: float | None = None):
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.maximum = maximum


class MailboxError(KlageformularError):
    """A mailbox cannot be opened or read: IMAP connection, TLS, login or folder; a missing mbox file."""


class WatchLockedError(KlageformularError):
    """Another ``watch`` run holds the lock of the same working folder (the same register and source):
    two runs at once would both import. Nothing was read; the next run goes on."""


class MailSendError(KlageformularError):
    """The SMTP server did not take a message. ``code`` is its reply code (None: no reply, e.g. the
    connection dropped), ``reply`` what it said; the message names neither the password nor the
    recipient's address (the server's reply may quote it: that stays in ``reply`` and the register)."""

    def __init__(self, message: str, *, code: int | None = None, reply: str = ""):
        super().__init__(message)
        self.code, self.reply = code, reply


class TemporarySendError(MailSendError):
    """Worth trying again later: a 4xx reply, a dropped connection, a server that cannot be reached,
    and our side's settings (a failed login, no STARTTLS): the message itself is fine."""


class PermanentSendError(MailSendError):
    """A 5xx reply to the recipient or to the message itself: sending it again will not help."""


class RegisterError(KlageformularError):
    """The complaint register cannot do what was asked (the database itself is fine)."""


class UnknownReferenceError(RegisterError, LookupError):
    """No complaint in the register has this reference."""


class InvalidTransitionError(RegisterError, ValueError):
    """The workflow does not allow this status change; ``allowed`` lists the statuses that are."""

    def __init__(self, message: str, *, current: str, requested: str, allowed: Sequence[str]):
        super().__init__(message)
        self.current, self.requested, self.allowed = current, requested, tuple(allowed)


class StaleCaseError(RegisterError):
    """The case changed since the caller read it; nothing was done. ``version`` is the case's version now."""

    def __init__(self, message: str, *, reference: str, version: int):
        super().__init__(message)
        self.reference, self.version = reference, version


class CorrectionRefusedError(RegisterError, ValueError):
    """A corrected value fails the same rules as parsing; ``code`` is the review code, the message the reason."""

    def __init__(self, message: str, *, path: str, code: str | None = None):
        super().__init__(message)
        self.path, self.code = path, code


class UnknownCategoryError(RegisterError, ValueError):
    """The case's profile lists no such category; ``known`` holds the keys it does (may be empty)."""

    def __init__(self, message: str, *, facet: str, value: str, known: Sequence[str]):
        super().__init__(message)
        self.facet, self.value, self.known = facet, value, tuple(known)


class InvalidMeasureError(RegisterError, ValueError):
    """A measure cannot be recorded as given: an unknown step, a bad amount or currency, a missing note."""


class ReadOnlySessionError(RegisterError):
    """A unit of work opened for reading (:meth:`Register.reading() <klageformular.register.Register.reading>`)
    tried to change the register; nothing was written. A change needs a session of its own
    (``register.session()`` with ``s.begin()``): a read holds no write lock, so it cannot turn into a write
    half-way without failing on a lock another writer holds."""


class AccountError(KlageformularError):
    """The workbench's accounts refuse an operation (a name taken, a password too short, a bad role)."""


class OidcError(AccountError):
    """An OpenID Connect login refused: the identity provider's answer could not be trusted (discovery, the
    token exchange, the ID token's signature or claims)."""


class UnknownUserError(AccountError, LookupError):
    """No workbench account has that name."""


class LoginRefusedError(AccountError):
    """A login was refused; ``reason`` is ``credentials`` (also for a disabled or unknown account: the
    page must not tell which), ``locked`` (too many failures: an admin unlocks) or ``rate_limited``
    (too many failures from one address: wait)."""

    def __init__(self, message: str, *, reason: str):
        super().__init__(message)
        self.reason = reason
