"""Kameo's complaint form: render the fillable PDF, parse filled or flattened copies, batch a mailbox.

>>> from klageformular import render_form
>>> render_form("da")[:5]
b'%PDF-'
"""

# Only the version and the exception classes are loaded eagerly (both cheap, and ``except
# klageformular.X`` must work before anything else is touched). Everything else is loaded on
# first use by ``__getattr__`` below, so ``import klageformular`` and a one-file ``parse`` never
# pay for reportlab, holidays, SQLAlchemy, rich or the mail stack (issue 19: cold start).
from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__
from .exceptions import (
    AccountError,
    ComplaintValidationError,
    ConfigurationError,
    CorrectionRefusedError,
    EncryptedPdfError,
    FieldValueTooLongError,
    FileTooLargeError,
    ImageReadError,
    ImageTooLargeError,
    InvalidMeasureError,
    InvalidTransitionError,
    KlageformularError,
    KlageformularWarning,
    LanguageNotAvailableError,
    LetterNotAllowedError,
    LimitExceededError,
    LoginRefusedError,
    MailboxError,
    MailLimitExceededError,
    MailReadError,
    MailSendError,
    NotAKlageformularError,
    NotAPdfError,
    NoTextLayerError,
    OidcError,
    OrganisationFileError,
    OutputError,
    ParseTimeoutError,
    PdfReadError,
    PermanentSendError,
    ReadOnlySessionError,
    RegisterError,
    ScanUnreadableError,
    StaleCaseError,
    StreamTooLargeError,
    TemporarySendError,
    TooManyObjectsError,
    TooManyPagesError,
    TooMuchContentError,
    UnknownCategoryError,
    UnknownProfileError,
    UnknownReferenceError,
    UnknownUserError,
    UnreadableTextError,
    UnsupportedFormVersionError,
    WatchLockedError,
    WorkerCrashedError,
    XfaFormError,
)

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ provides these
    from ._limits import Limits
    from .batch import BatchSummary, convert_folder
    from .layout import FORM_VERSION
    from .model import Complaint
    from .org import Organisation, get_organisation
    from .parse import ParseResult, ParseWarning, ReviewItem, parse_image, parse_pdf, read_complaint
    from .render import render_form
    from .workdays import acknowledge_by

# public name -> submodule that defines it
_LAZY = {
    "BatchSummary": "batch", "convert_folder": "batch",
    "FORM_VERSION": "layout",
    "Complaint": "model",
    "Organisation": "org", "get_organisation": "org",
    "Limits": "_limits", "ParseResult": "parse", "ParseWarning": "parse", "ReviewItem": "parse",
    "parse_image": "parse", "parse_pdf": "parse", "read_complaint": "parse",
    "render_form": "render",
    "acknowledge_by": "workdays",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())


__all__ = [
    "FORM_VERSION",
    "AccountError",
    "BatchSummary",
    "Complaint",
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
    "Limits",
    "LoginRefusedError",
    "MailLimitExceededError",
    "MailReadError",
    "MailSendError",
    "MailboxError",
    "NoTextLayerError",
    "NotAKlageformularError",
    "NotAPdfError",
    "OidcError",
    "Organisation",
    "OrganisationFileError",
    "OutputError",
    "ParseResult",
    "ParseTimeoutError",
    "ParseWarning",
    "PdfReadError",
    "PermanentSendError",
    "ReadOnlySessionError",
    "RegisterError",
    "ReviewItem",
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
    "__version__",
    "acknowledge_by",
    "convert_folder",
    "get_organisation",
    "parse_image",
    "parse_pdf",
    "read_complaint",
    "render_form",
]
