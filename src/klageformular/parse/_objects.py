"""A faster way for pypdf to read one indirect object, giving exactly the objects pypdf gives.

pypdf tokenises objects a byte at a time (``stream.read(1)`` per character); reading a filled
form's field tree that way was most of ``parse_pdf``'s time on the AcroForm path (issue 19).
:class:`Reader` is a ``PdfReader`` whose ``get_object`` first reads the object with regular
expressions over the file's bytes and builds it with pypdf's own constructors (``NameObject``,
``NumberObject``, ``FloatObject``, ``create_string_object``, ``StreamObject``), so the rest of the
code, pypdf included, sees the same objects.

Only the plain, well-formed case is read here. Anything else makes :func:`_read` give up, and
pypdf reads the object itself with its repairs and its warnings (which become the result's
``pdf_repaired`` note): an encrypted file, an object in an object stream or marked free, a header
that is not ``N G obj`` exactly at the cross-reference offset, a comment, a duplicate or non-name
key, a name with ``#`` escapes or bytes that are not UTF-8, a string escape pypdf warns about,
a number pypdf would read differently, a keyword glued to the next token, a stream without a
usable ``/Length`` or whose ``endstream`` is not where ``/Length`` says, and any limit of pypdf's
configuration. tests/test_objects.py reads every object of every fixture and of the hostile corpus
both ways and requires the same result.
"""

from __future__ import annotations

import codecs
import io
import re
from typing import Any

from pypdf import PdfReader, get_configuration
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NullObject,
    NumberObject,
    PdfObject,
    StreamObject,
    create_string_object,
)

__all__ = ["SIMPLE_ESCAPE", "Reader", "content_operations", "unescape"]

_MAX_DEPTH = 64  # nesting beyond this is left to pypdf (its recursion guard decides)

# PDF whitespace without NUL: pypdf skips NUL too, we leave such files to it.
_WS = re.compile(rb"[ \t\r\n\f]*")
_HEADER = re.compile(rb"(\d+)[ \t\r\n\f]+(\d+)[ \t\r\n\f]+obj[ \t\r\n\f]*")
# One token, after optional whitespace. Each kind must be followed by whitespace or a delimiter,
# so pypdf, which reads a number or a name up to the first byte outside it, ends at the same byte;
# anything that matches none of these (a comment, "#" in a name, "1,5", "nullx") is left to pypdf.
# A reference is what pypdf's IndirectPattern ([+-]?(\d+)\s+(\d+)\s+R[^a-zA-Z]) sees in the
# next 20 bytes; Reader checks the 20.
_STOP = rb"(?=[ \t\r\n\f()<>\[\]{}/%])"
_TOKEN = re.compile(
    rb"[ \t\r\n\f]*(?:"
    rb"(?P<ref>(\d+)[ \t\r\n\f]+(\d+)[ \t\r\n\f]+R)" + _STOP +
    rb"|(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))" + _STOP +
    rb"|/(?P<name>[^\s()<>\[\]{}/%#\x00-\x1f\x7f]*)(?=[\s()<>\[\]{}/%])"
    rb"|(?P<open><<|\[)"
    rb"|(?P<close>>>|\])"
    rb"|(?P<word>true|false|null)" + _STOP +
    rb"|<(?P<hex>[0-9A-Fa-f \t\r\n\f\x00]*)>"
    rb"|(?P<str>\())")
# Group numbers of the kinds (Match.lastindex is cheaper than Match.lastgroup).
_REF_GROUP, _NUM_GROUP, _NAME_GROUP, _OPEN_GROUP, _CLOSE_GROUP, _WORD_GROUP, _HEX_GROUP, _STR_GROUP = (
    _TOKEN.groupindex[k] for k in ("ref", "num", "name", "open", "close", "word", "hex", "str"))
_NUMBERS = re.compile(rb"([ \t\r\n\f0-9.+-]*)\]")  # after "[": an array of numbers and nothing else
_NUMBER = re.compile(rb"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
# pypdf's own IndirectPattern, as it applies it to the next 20 bytes of an operand.
_PYPDF_INDIRECT = re.compile(rb"[+-]?(\d+)\s+(\d+)\s+R[^a-zA-Z]")
_STRING_SPECIAL = re.compile(rb"[()\\]")
# A literal string without nested parentheses or line continuations, whose escapes are all ones
# pypdf reads without a word (the common case, e.g. UTF-16 written as octal escapes): decoded by
# one substitution instead of a loop over its backslashes.
SIMPLE_ESCAPE = rb"\\(?:[0-7]{1,3}|[nrtbf()\\/ %<>\[\]#_&$])"
# Possessive quantifiers: an unterminated string fails in linear time, not by backtracking.
_SIMPLE_STRING = re.compile(rb"((?:[^()\\]++|" + SIMPLE_ESCAPE + rb")*+)\)")
_ESCAPE = re.compile(SIMPLE_ESCAPE)
# Python's escape_decode (pickle's) reads \ooo up to 377, \n \r \t \b \f and \\ as PDF does; a body with
# none of the other escapes (or a false alarm such as an escaped backslash before "/") is decoded
# by it in one call instead of one substitution per escape (UTF-16 text is an escape per byte).
_NOT_PYTHON_ESCAPE = re.compile(rb"\\[()/ %<>\[\]#_&$]|\\[4-7][0-7][0-7]")
_OCTAL = re.compile(rb"[0-7]{1,3}")
_ESCAPES = {ord(k): ord(v) for k, v in (("n", "\n"), ("r", "\r"), ("t", "\t"), ("b", "\b"), ("f", "\f"))}
_ESCAPES.update((c, c) for c in b"()/\\ %<>[]#_&$")  # pypdf's __ESCAPE_DICT__: these stand for themselves
_NAME_LENGTH_LIMIT = 4000  # below pypdf's 4096
_OPERATOR = re.compile(rb"[A-Za-z'\"][^\s()<>\[\]{}/%\x00-\x1f\x7f]*")
_NAME_STOP = re.compile(rb"[\s()<>\[\]{}/%]")  # where pypdf's reading of a name or an operator ends
_OPERATOR_LENGTH_LIMIT = 120  # below pypdf's 128


def unescape(m: re.Match[bytes]) -> bytes:
    """One escape's byte; KeyError for an octal escape above 255 (pypdf reads those otherwise)."""
    escape = m.group()
    if escape[1] in _ESCAPES:
        return bytes((_ESCAPES[escape[1]],))
    code = int(escape[1:], 8)
    if code > 255:
        raise KeyError(escape)
    return bytes((code,))


_NAME_TYPE = {NameObject}


class _UnusualError(Exception):
    """Not the plain case: pypdf reads this object itself."""


class _Parser:
    def __init__(self, data: bytes, reader: Reader | None) -> None:
        self.data = data
        self.reader = reader
        self.tokens = 0  # values read: a content stream's parsing budget
        config = get_configuration()
        self.max_array = config.array_maximum_element_count
        self.max_dict = config.dictionary_maximum_element_count
        self.max_stream = config.maximum_declared_stream_length

    def top(self, offset: int, idnum: int, generation: int) -> PdfObject:
        """The object ``idnum generation obj`` at ``offset``, or :class:`_UnusualError`."""
        m = _HEADER.match(self.data, offset)
        if m is None or int(m.group(1)) != idnum or int(m.group(2)) != generation:
            raise _UnusualError
        obj, _ = self.value(m.end(), top=True)
        if isinstance(obj, IndirectObject):
            raise _UnusualError  # an object that is only a reference: pypdf's cache cannot even hold it
        return obj

    def value(self, pos: int, *, top: bool) -> tuple[PdfObject, int]:
        """The object at ``pos`` and the position after it; a stream only for a ``top`` object."""
        data = self.data
        token = _TOKEN.match
        # Open containers: (is_dict, items); a dictionary's items alternate key, value.
        stack: list[tuple[bool, list[Any]]] = []
        items: list[Any] = []  # the innermost open container's
        count = 0
        while True:
            t = token(data, pos)
            if t is None:
                raise _UnusualError
            kind = t.lastindex
            pos = t.end()
            count += 1
            obj: PdfObject
            if kind == _NAME_GROUP:
                name = t.group(_NAME_GROUP)
                if len(name) >= _NAME_LENGTH_LIMIT:
                    raise _UnusualError
                try:
                    obj = NameObject("/" + name.decode("utf-8"))
                except UnicodeDecodeError:
                    raise _UnusualError from None  # pypdf tries other encodings and may warn
            elif kind == _NUM_GROUP:
                text = t.group(_NUM_GROUP)
                if len(text) >= 20:
                    raise _UnusualError
                obj = FloatObject(text) if b"." in text else NumberObject(text)
            elif kind == _OPEN_GROUP:
                is_dict = t.group(_OPEN_GROUP) == b"<<"
                flat = None if is_dict else _NUMBERS.match(data, pos)
                if flat is None:
                    if len(stack) >= _MAX_DEPTH:
                        raise _UnusualError
                    items = []
                    stack.append((is_dict, items))
                    continue
                # An array of numbers only (/Rect, /BBox, colours): one match instead of a token each.
                pieces = flat.group(1).split()
                if len(pieces) > self.max_array:
                    raise _UnusualError
                numbers: list[PdfObject] = []
                for text in pieces:
                    if len(text) >= 20 or not _NUMBER.fullmatch(text):
                        raise _UnusualError  # "1-2", "+": pypdf warns and reads 0
                    numbers.append(FloatObject(text) if b"." in text else NumberObject(text))
                obj = ArrayObject(numbers)
                pos = flat.end()
                count += len(pieces) + 1
            elif kind == _CLOSE_GROUP:
                if not stack or stack[-1][0] != (t.group("close") == b">>"):
                    raise _UnusualError
                is_dict, done = stack.pop()
                items = stack[-1][1] if stack else []
                if is_dict:
                    entries = self._dictionary(done)
                    after = _WS.match(data, pos).end()  # type: ignore[union-attr]
                    if data.startswith(b"stream", after):
                        if stack or not top:
                            raise _UnusualError  # a nested dictionary followed by "stream": pypdf's business
                        self.tokens += count
                        return self._stream(entries, after + 6), -1
                    obj = DictionaryObject()
                    obj.update(entries)
                else:
                    if len(done) > self.max_array:
                        raise _UnusualError
                    obj = ArrayObject(done)
            elif kind == _REF_GROUP:
                if pos - t.start("ref") >= 20 or self.reader is None:
                    raise _UnusualError  # beyond pypdf's look-ahead it is read as a number; or in content
                obj = IndirectObject(int(t.group(2)), int(t.group(3)), self.reader)
            elif kind == _STR_GROUP:
                simple = _SIMPLE_STRING.match(data, pos)
                if simple is not None:
                    body = simple.group(1)
                    if b"\\" in body:
                        if _NOT_PYTHON_ESCAPE.search(body) is None:
                            body = codecs.escape_decode(body)[0]
                        else:
                            try:
                                body = _ESCAPE.sub(unescape, body)
                            except KeyError:
                                raise _UnusualError from None  # an octal escape above 255
                    obj, pos = create_string_object(body), simple.end()
                else:
                    obj, pos = self._string(pos)
            elif kind == _WORD_GROUP:
                word = t.group("word")
                obj = NullObject() if word == b"null" else BooleanObject(word == b"true")
            else:  # a hexadecimal string
                digits = t.group("hex").translate(None, b" \t\r\n\f\x00")
                if len(digits) % 2:
                    digits += b"0"
                obj = create_string_object(bytes.fromhex(digits.decode("ascii")))
            if not stack:
                self.tokens += count
                return obj, pos
            items.append(obj)

    def _dictionary(self, items: list[Any]) -> dict[Any, Any]:
        keys = items[0::2]
        if len(items) % 2 or len(keys) > self.max_dict or not set(map(type, keys)) <= _NAME_TYPE:
            raise _UnusualError
        entries = dict(zip(keys, items[1::2], strict=True))
        if len(entries) != len(keys):
            raise _UnusualError  # pypdf warns about a duplicate key
        return entries

    def _string(self, i: int) -> tuple[PdfObject, int]:
        """A literal string whose "(" ends just before ``i``, as pypdf's read_string_from_stream reads it."""
        data = self.data
        out = bytearray()
        depth = 1
        while True:
            m = _STRING_SPECIAL.search(data, i)
            if m is None:
                raise _UnusualError
            j = m.start()
            out += data[i:j]
            c = data[j]
            if c == 0x28:
                depth += 1
                out.append(c)
                i = j + 1
            elif c == 0x29:
                depth -= 1
                i = j + 1
                if depth == 0:
                    return create_string_object(bytes(out)), i
                out.append(c)
            else:  # a backslash
                if j + 1 >= len(data):
                    raise _UnusualError
                e = data[j + 1]
                if e in _ESCAPES:
                    out.append(_ESCAPES[e])
                    i = j + 2
                elif 0x30 <= e <= 0x37:
                    octal = _OCTAL.match(data, j + 1)
                    assert octal is not None
                    code = int(octal.group(), 8)
                    if code > 255:
                        raise _UnusualError  # pypdf keeps the backslash and reads the digits again
                    out.append(code)
                    i = octal.end()
                elif e in (0x0A, 0x0D):  # a line continuation; pypdf also swallows one more EOL byte
                    i = j + 2
                    if i < len(data) and data[i] in (0x0A, 0x0D):
                        i += 1
                else:
                    raise _UnusualError  # pypdf warns about an unknown escape

    def _stream(self, entries: dict[Any, Any], i: int) -> StreamObject:
        """The stream whose dictionary is ``entries``; ``i`` is just after the keyword ``stream``."""
        data = self.data
        while i < len(data) and data[i] == 0x20:
            i += 1
        if data.startswith(b"\r\n", i):
            i += 2
        elif i < len(data) and data[i] in (0x0A, 0x0D):
            i += 1
        else:
            raise _UnusualError
        length = entries.get("/Length")
        if isinstance(length, IndirectObject) and self.reader is not None:
            length = self.reader.plain_number(length)
        if type(length) is not NumberObject or not 0 <= length <= self.max_stream or i + length > len(data):
            raise _UnusualError
        end = _WS.match(data, i + length).end()  # type: ignore[union-attr]
        if not data.startswith(b"endstream", end):
            raise _UnusualError  # pypdf looks for the real end (and may warn)
        entries["__streamdata__"] = data[i:i + length]
        return StreamObject.initialize_from_dictionary(entries)

    def number(self, offset: int, idnum: int, generation: int) -> PdfObject | None:
        """The object at ``offset`` if it is a plain integer (a stream's indirect ``/Length``)."""
        m = _HEADER.match(self.data, offset)
        if m is None or int(m.group(1)) != idnum or int(m.group(2)) != generation:
            return None
        t = _TOKEN.match(self.data, m.end())
        if t is None or t.lastgroup != "num" or b"." in t.group("num") or len(t.group("num")) >= 20:
            return None
        return NumberObject(t.group("num"))


def content_operations(data: bytes) -> list[tuple[list[Any], bytes]] | None:
    """``ContentStream(stream, None).operations`` for a content stream's decoded ``data``; None if unusual.

    The same operands and operators pypdf gives, for a stream without comments, inline images,
    references or anything else :class:`_Parser` leaves to pypdf; the caller asks pypdf then.
    """
    parser = _Parser(data, None)
    budget = get_configuration().stream_parsing_work_maximum_count
    operations: list[tuple[list[Any], bytes]] = []
    operands: list[Any] = []
    pos = _WS.match(data).end()  # type: ignore[union-attr]
    try:
        while pos < len(data):
            c = data[pos]
            if 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A or c in (0x27, 0x22):  # a letter, ' or ": an operator
                m = _OPERATOR.match(data, pos)
                if m is None or (m.end() < len(data) and not _NAME_STOP.match(data, m.end())):
                    raise _UnusualError
                operator = m.group()
                if operator == b"BI" or len(operator) >= _OPERATOR_LENGTH_LIMIT:
                    raise _UnusualError  # an inline image: pypdf's own reader
                operations.append((operands, operator))
                operands = []
                pos = m.end()
                parser.tokens += 1
            else:
                if _PYPDF_INDIRECT.match(data[pos:pos + 20]):
                    raise _UnusualError  # "1 0 R1": pypdf sees a reference (and fails), not "R1" the operator
                obj, pos = parser.value(pos, top=False)
                operands.append(obj)
            if parser.tokens >= budget:
                raise _UnusualError  # pypdf's limit decides
            pos = _WS.match(data, pos).end()  # type: ignore[union-attr]
    except _UnusualError:
        return None
    return operations


class Reader(PdfReader):
    """A ``PdfReader`` that reads plain objects itself and everything else the way pypdf does.

    Construct it like ``PdfReader`` from the file's bytes: ``Reader(data, strict=False)``.
    """

    def __init__(self, data: bytes, *, strict: bool = False) -> None:
        self._plain: _Parser | None = None
        super().__init__(io.BytesIO(data), strict=strict)
        # Only once pypdf has read the cross-reference table, and never for an encrypted file:
        # pypdf decrypts each object as it reads it.
        if not self.is_encrypted and self._encryption is None:
            self._plain = _Parser(data, self)

    def get_object(self, indirect_reference: int | IndirectObject) -> PdfObject | None:
        parser = self._plain
        if parser is not None:
            if isinstance(indirect_reference, int):
                indirect_reference = IndirectObject(indirect_reference, 0, self)
            key = (indirect_reference.generation, indirect_reference.idnum)
            if key in self.resolved_objects:
                return self.resolved_objects[key]
            obj = _read(parser, self, indirect_reference.idnum, indirect_reference.generation)
            if obj is not None:
                return self.cache_indirect_object(key[0], key[1], obj)
        return super().get_object(indirect_reference)

    def plain_number(self, ref: IndirectObject) -> object:
        """The integer object ``ref`` points at (a stream's ``/Length``), if it is one read plainly."""
        key = (ref.generation, ref.idnum)
        if key in self.resolved_objects:
            return self.resolved_objects[key]
        offset = self._plain_offset(ref.idnum, ref.generation)
        obj = self._plain.number(offset, ref.idnum, ref.generation) if offset is not None and self._plain else None
        return None if obj is None else self.cache_indirect_object(ref.generation, ref.idnum, obj)

    def _plain_offset(self, idnum: int, generation: int) -> int | None:
        if generation == 0 and idnum in self.xref_objStm:
            return None
        if self.xref_free_entry.get(generation, {}).get(idnum, False):
            return None
        offset = self.xref.get(generation, {}).get(idnum)
        return offset if isinstance(offset, int) else None


def _read(parser: _Parser, reader: Reader, idnum: int, generation: int) -> PdfObject | None:
    offset = reader._plain_offset(idnum, generation)
    if offset is None:
        return None
    try:
        return parser.top(offset, idnum, generation)
    except _UnusualError:
        return None
