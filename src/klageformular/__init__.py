"""Kameo's complaint form: render the fillable PDF, parse filled or flattened copies, batch a mailbox.

>>> from klageformular import render_form
>>> render_form("da")[:5]
b'%PDF-'
"""

from ._version import __version__
from .batch import BatchSummary, convert_folder
from .exceptions import (
    ComplaintValidationError,
    ConfigurationError,
    EncryptedPdfError,
    KlageformularError,
    KlageformularWarning,
    LanguageNotAvailableError,
    LimitExceededError,
    MailboxError,
    MailLimitExceededError,
    MailReadError,
    NotAKlageformularError,
    NotAPdfError,
    NoTextLayerError,
    OutputError,
    ParseTimeoutError,
    PdfReadError,
    TooMuchContentError,
    UnreadableTextError,
    UnsupportedFormVersionError,
    XfaFormError,
)
from .layout import FORM_VERSION
from .model import Complaint
from .org import Organisation, get_organisation
from .parse import Limits, ParseResult, ParseWarning, ReviewItem, parse_pdf, read_complaint
from .render import render_form
from .workdays import acknowledge_by

__all__ = [
    "FORM_VERSION",
    "BatchSummary",
    "Complaint",
    "ComplaintValidationError",
    "ConfigurationError",
    "EncryptedPdfError",
    "KlageformularError",
    "KlageformularWarning",
    "LanguageNotAvailableError",
    "LimitExceededError",
    "Limits",
    "MailLimitExceededError",
    "MailReadError",
    "MailboxError",
    "NoTextLayerError",
    "NotAKlageformularError",
    "NotAPdfError",
    "Organisation",
    "OutputError",
    "ParseResult",
    "ParseTimeoutError",
    "ParseWarning",
    "PdfReadError",
    "ReviewItem",
    "TooMuchContentError",
    "UnreadableTextError",
    "UnsupportedFormVersionError",
    "XfaFormError",
    "__version__",
    "acknowledge_by",
    "convert_folder",
    "get_organisation",
    "parse_pdf",
    "read_complaint",
    "render_form",
]
