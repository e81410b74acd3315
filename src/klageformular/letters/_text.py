"""What a customer wrote, made safe to print in a letter: shown in the letters' font, never spoofed.

Three things happen to every piece of customer text a letter shows (name, subject, attachment
names, the documents listed, the investment reference):

- :func:`neutralise` drops what is invisible and only changes how text *looks*: bidirectional
  controls (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C), other format characters (zero-width
  joiners, U+FEFF) and variation selectors; control characters become spaces. An RTL override
  in a name can then no longer make ``moc.nimda`` read as ``admin.com``.
- :func:`printable` then replaces each character the letters' font (Noto Sans: Latin, Greek,
  Cyrillic, see ``scripts/subset_font.py``) cannot draw with the replacement mark U+FFFD, so the
  letter still goes and the reader sees that something was there; an emoji's skin tone or a
  joined emoji sequence is one mark, not several.
- :func:`scrub` replaces web addresses, email addresses, domain names and phone numbers with
  ``[…]``: a forged sender must not get the organisation to send its text (a number to call, a
  login link) to the person it is impersonating. The acknowledgement quotes only the first words
  of the subject's first line (:func:`subject_quote`).

The officer's own texts (reasons, admissibility reason) are not replaced: a character the font
cannot show there is refused by the letter, so the officer can fix it (:func:`missing`).
"""

from __future__ import annotations

import io
import re
import unicodedata
from functools import cache
from importlib import resources

__all__ = ["REPLACEMENT", "missing", "neutralise", "printable", "scrub", "subject_quote"]

REPLACEMENT = "\ufffd"
FONT_ASSET = "NotoSans-Letters-Regular.ttf"  # the bold and italic subsets cover the same characters
_HIDDEN = frozenset("\u061c\ufeff")  # Arabic letter mark, byte order mark (Cf too; named for the reader)
_JOINERS = frozenset("\u200d")  # zero-width joiner: an emoji sequence continues after it
_QUOTE_WORDS = 8
_QUOTE_CHARS = 80
_CUT = "[…]"

# Web and email addresses, and bare domain names (kameo-login.com, www.x.dk/logon): a word with a
# dot before two or more letters. Unicode word characters on purpose: look-alike domains too.
_LINK = re.compile(r"(?:[a-z][a-z0-9+.\-]*://\S*|\S+@\S+|(?<![\w.])(?:[\w\-]+\.)+[a-z]{2,}(?![\w\-])(?:[/?#]\S*)?)",
                   re.IGNORECASE)
# A phone number: digits with spaces, dots, dashes, slashes or brackets between them, at least six
# digits in all (a loan reference "KA-1042" or a year stays; "+45 12 34 56 78" does not).
_PHONE = re.compile(r"(?<!\w)\+?\(?\d[\d\s().\-/]*\d(?!\w)")
# A file's name is no domain: "kontoudtog.pdf" stays ("kameo-login.com" and "x.html" do not).
_FILE_TYPES = frozenset(("pdf", "png", "jpg", "jpeg", "gif", "tif", "tiff", "heic", "bmp", "webp", "doc", "docx", "odt",
                         "rtf", "txt", "xls", "xlsx", "ods", "csv", "eml", "msg", "zip", "7z", "rar", "p7s", "xml",
                         "json", "mp3", "mp4", "mov", "pages", "numbers", "key"))
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2})")  # 2026-11-24, 24.11.2026


@cache
def _coverage() -> frozenset[str]:
    from reportlab.pdfbase.ttfonts import TTFontFile

    data = (resources.files("klageformular") / "assets" / FONT_ASSET).read_bytes()
    return frozenset(chr(cp) for cp in TTFontFile(io.BytesIO(data), validate=0).charToGlyph)


def _invisible(char: str) -> bool:
    """Format characters and variation selectors: they change how text looks, never what it says."""
    cp = ord(char)
    return (char in _HIDDEN or (unicodedata.category(char) == "Cf" and char != "\u00ad")
            or 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF)


def neutralise(text: str, *, lines: bool = False) -> str:
    """``text`` without bidirectional controls and other invisible format characters, NFC-composed.

    Control characters become spaces (line breaks and tabs are kept with ``lines``, for the
    officer's Markdown); zero-width joiners are kept for :func:`printable`, which needs them to
    see an emoji sequence as one.

    >>> neutralise("Eva \\u202egnissaP\\u202c Hansen")
    'Eva gnissaP Hansen'
    """
    out = []
    for char in unicodedata.normalize("NFC", text):
        if unicodedata.category(char) == "Cc":
            out.append(char if lines and char in "\n\t" else " ")
        elif char in _JOINERS or not _invisible(char):
            out.append(char)
    return "".join(out)


def printable(text: str) -> str:
    """``text`` neutralised, with every character the letters' font lacks replaced by U+FFFD.

    A combining mark, an emoji modifier or a joined character that follows a replaced character
    belongs to it and is not marked again.

    >>> printable("Ивана Šťastná 👍🏽 王")
    'Ивана Šťastná � �'
    """
    font = _coverage()
    out: list[str] = []
    for char in neutralise(text):
        replaced = bool(out) and out[-1] == REPLACEMENT
        if char in _JOINERS:
            if replaced:
                out.append(char)  # the sequence goes on: what follows joins the mark
            continue
        joined = len(out) > 1 and out[-1] in _JOINERS
        if joined:
            out.pop()
            if char not in font:
                continue
        cp = ord(char)
        attached = unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me") \
            or 0x1F3FB <= cp <= 0x1F3FF
        if char in font:
            out.append(char)
        elif not (replaced and attached):
            out.append(REPLACEMENT)
    return "".join(c for c in out if c not in _JOINERS)


def missing(text: str) -> set[str]:
    """The characters of ``text`` (neutralised, line breaks aside) the letters' font cannot show.

    >>> sorted(missing("Svar: 您好 – Ελλάδα"))
    ['好', '您']
    """
    font = _coverage()
    return {c for c in neutralise(text, lines=True) if c not in font and c not in _JOINERS and c not in "\n\t"}


def _link(match: re.Match[str]) -> str:
    found = match.group(0)
    plain = not any(c in found for c in "@/?#") and not found.lower().startswith("www.")
    return found if plain and found.rpartition(".")[2].lower() in _FILE_TYPES else _CUT


def _phone(match: re.Match[str]) -> str:
    found = match.group(0)
    return _CUT if sum(c.isdigit() for c in found) >= 6 and not _DATE.fullmatch(found.strip()) else found


def scrub(text: str, *, phones: bool = True) -> str:
    """``text`` with links, email addresses, domain names and phone numbers replaced by ``[…]``.

    ``phones=False`` keeps runs of digits (an investment reference is one).

    >>> scrub("Ring +45 70 20 30 40 eller log ind på https://kameo-login.com nu (lån KA-1042)")
    'Ring […] eller log ind på […] nu (lån KA-1042)'
    """
    text = _LINK.sub(_link, text)
    if phones:
        text = _PHONE.sub(_phone, text)
    return re.sub(r"\[…\](?:[\s.,;:]*\[…\])+", _CUT, text)


def subject_quote(subject: str | None) -> str:
    """At most the first eight words (80 characters) of the subject's first line, scrubbed and
    printable, with `` …`` when cut; "" when there is nothing to quote.

    >>> subject_quote("Renten kom ikke\\n\\nRing 70 20 30 40")
    'Renten kom ikke …'
    >>> subject_quote("Konto spærret – log ind på kameo-secure.com for at åbne den igen i dag")
    'Konto spærret – log ind på […] for …'
    """
    # The first line only: a plain email's subject matter is its Subject header, a blank line, then
    # the whole message. Scrubbed before it is cut, so no part of a phone number is left behind.
    lines = [line for line in (subject or "").splitlines() if line.strip()]
    first = lines[0] if lines else ""
    words = scrub(neutralise(first)).split()
    shown = words[:_QUOTE_WORDS]
    while len(shown) > 1 and len(" ".join(shown)) > _QUOTE_CHARS:
        shown.pop()
    quote = " ".join(shown)[:_QUOTE_CHARS]
    cut = len(shown) < len(words) or len(quote) < len(" ".join(shown)) or len(lines) > 1
    quote = printable(quote)
    return f"{quote} …" if cut and quote else quote
