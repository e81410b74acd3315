"""Organisation profiles from files: load a TOML or JSON profile, export a built-in one as TOML.

Kameo's legal team keeps the profile (officer's phone, decision timeframe, escalation
bodies) in a file instead of in code. The file has the keys of
:class:`~klageformular.org.Organisation` and is validated by that same pydantic model;
every mistake becomes an :class:`~klageformular.exceptions.OrganisationFileError` naming
the key (``complaints_officer.phone``) and, where the file shows it, the line.

>>> from klageformular.org import get_organisation
>>> text = dumps_organisation(get_organisation("kameo-dk"))
>>> loads_organisation(text).complaints_officer.email
'linn@kameo.no'
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import tomli_w
from pydantic import ValidationError

from ._paths import get_path
from .exceptions import OrganisationFileError
from .org import Organisation

__all__ = ["dumps_organisation", "load_organisation", "loads_organisation", "read_organisation"]

Format = Literal["toml", "json"]
_MAX_BYTES = 1_000_000  # a profile is a few kilobytes; anything near this is the wrong file

# Optional keys a starting file should mention even when the built-in profile leaves them unset:
# TOML has no null, so they would otherwise be invisible to whoever edits the file.
_WORTH_SETTING = {
    "complaints_officer.phone": "the officer's telephone number; the acknowledgement letter needs it "
                                "(Delegated Regulation (EU) 2022/2117 art. 3)",
    "decision_working_days": "working days from receipt to the decision; the acknowledgement letter "
                             "needs it (art. 3)",
    "postal_address": "where paper complaints go; printed on letters",
    "helpdesk_email": "for questions that are not complaints",
    "unreadable_retention_days": "days an unreadable file that never became a case is kept; 'prune' "
                                 "needs it (no default: counsel decides)",
}


def load_organisation(path: str | os.PathLike[str]) -> Organisation:
    """Read and validate a profile file (``.json`` is JSON, anything else TOML).

    >>> load_organisation("kameo.toml").decision_working_days   # doctest: +SKIP
    15
    """
    return read_organisation(path)[0]


def read_organisation(path: str | os.PathLike[str]) -> tuple[Organisation, bytes]:
    """:func:`load_organisation` and the file's bytes as read (the register records their sha256)."""
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > _MAX_BYTES:
            raise OrganisationFileError(f"{file}: {size:,} bytes is too large for a profile", path=str(file))
        raw = file.read_bytes()
    except OSError as exc:
        raise OrganisationFileError(f"{file}: cannot read the profile: {exc.strerror}", path=str(file)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise OrganisationFileError(f"{file}: not UTF-8 text", path=str(file)) from None
    fmt: Format = "json" if file.suffix.lower() == ".json" else "toml"
    return loads_organisation(text, fmt, name=str(file)), raw


def loads_organisation(text: str, fmt: Format = "toml", *, name: str = "<profile>") -> Organisation:
    """Validate a profile given as TOML or JSON text; ``name`` is how errors refer to it."""
    data = _decode(text, fmt, name)
    try:
        return Organisation.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = tuple(first["loc"])
        key = _dotted(loc) or "(top level)"
        line = _toml_line(text, loc) if fmt == "toml" else _json_line(text, loc)
        where = f" (line {line})" if line else ""
        more = f"; and {exc.error_count() - 1} more" if exc.error_count() > 1 else ""
        raise OrganisationFileError(f"{name}: {key}{where}: {first['msg']}{more}", path=name, key=key,
                                    line=line) from None


def dumps_organisation(org: Organisation, fmt: Format = "toml") -> str:
    """A profile as a file's text: a starting point to edit, which loads back to an equal profile.

    Unset optional keys that matter for letters are listed in a comment at the top of TOML.
    """
    data = org.model_dump(mode="json", exclude_none=True)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    missing = [f"#   {key} = ...  # {why}" for key, why in _WORTH_SETTING.items() if get_path(data, key) is None]
    head = [f"# Organisation profile {org.key!r} for klageformular (--org-file). Keys: the Organisation model.",
            *(["# Not set yet: add each under its table ([complaints_officer] for its phone); top-level",
               "# keys go above the first [table], or TOML files them under that table:", *missing]
              if missing else [])]
    return "\n".join(head) + "\n\n" + tomli_w.dumps(data)


def _decode(text: str, fmt: Format, name: str) -> dict[str, Any]:
    try:
        data = json.loads(text) if fmt == "json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise OrganisationFileError(f"{name}: line {exc.lineno}: invalid JSON: {exc.msg}", path=name,
                                    line=exc.lineno) from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib ends its message with "(at line L, column C)"; keep the line as a number too.
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise OrganisationFileError(f"{name}: invalid TOML: {exc}", path=name, line=line) from None  # has the line
    if not isinstance(data, dict):
        raise OrganisationFileError(f"{name}: a profile is a table of keys, not {type(data).__name__}", path=name)
    return data


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def _toml_line(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line that sets (or, for a missing key, opens the table of) the key pydantic named.

    A reader of TOML's common shapes — ``[table]``, ``[[array]]``, ``key = value`` and dotted keys —
    not a second parser: when it cannot tell, the error still names the key, without a line.
    """
    want = [str(p) for p in loc]
    table: list[str] = []
    counts: dict[str, int] = {}
    best: int | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if header := _HEADER.match(line):
            parts = [p.strip().strip("\"'") for p in header.group(2).split(".")]
            if header.group(1) == "[[":
                dotted = ".".join(parts)
                counts[dotted] = counts.get(dotted, -1) + 1
                parts = [*parts, str(counts[dotted])]
            else:  # [escalation.remit] inside the latest [[escalation]]: index it like pydantic does
                parts = _indexed(parts, counts)
            table = parts
            if table == want[:len(table)] and best is None and len(table) < len(want):
                best = number  # the table holding the key: right for a missing key
            if table == want:
                return number
            continue
        if key := _KEY.match(line):
            path = table + [p.strip().strip("\"'") for p in key.group(1).split(".")]
            if path == want[:len(path)]:  # the key itself, or an inline table holding it
                return number
    return best


def _indexed(parts: list[str], counts: dict[str, int]) -> list[str]:
    out: list[str] = []
    for part in parts:
        out.append(part)
        dotted = ".".join(p for p in out if not p.isdigit())
        if dotted in counts:
            out.append(str(counts[dotted]))
    return out


def _json_line(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The first line holding the innermost key's name: a hint, good enough for a hand-edited file."""
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return None
    needle = json.dumps(names[-1]) + ":"
    lines = text.splitlines()
    found = [n for n, line in enumerate(lines, start=1) if needle in line.replace('" :', '":')]
    return found[0] if len(found) == 1 else None
