"""The copies outside the register: prune a batch output folder of erased cases and old unreadable files.

A batch output folder holds the same personal data as the register (``complaints.jsonl``,
``complaints.csv``, ``attachments/``, ``quarantine/``, ``messages.jsonl``). :func:`prune_folder`
removes from it, under the folder's lock (no batch run writes meanwhile):

- every record line whose file or message is *tombstoned* (its case was erased in the register),
  in each of the record files and ``set_aside.jsonl``, with its quarantine copy, saved message and
  attachments (a file another kept line still names stays);
- unreadable records (``rejected.jsonl``) received more than the profile's
  ``unreadable_retention_days`` ago, with their quarantine copies — unless the register lacks the
  file's bytes (a *missing* document: this copy is its only one). A profile that sets no
  ``unreadable_retention_days`` gets no invented default: its records are kept and named in
  ``refused`` (the command exits 1).

Each file is rewritten whole and atomically (a ``.part`` file, fsynced, renamed over it); lines
kept stay byte for byte. ``messages.jsonl``'s line for a pruned message keeps only its key and
hash (``outcome: erased``), so the next run over the same mailbox skips it; the folder's
``tombstones.txt`` (one sha256 a line, no personal data) makes the next run over the same inbox
skip pruned files. The folder's index and import marks are removed (both are rebuilt; the index
held file names), ``complaints.csv`` is written again from what is left.

The mailbox itself keeps its messages: it needs its own retention (``--move-to``, the mail
server's expiry).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ._files import StagedFile, write_private
from ._index import INDEX
from .exceptions import ConfigurationError, UnknownProfileError
from .org import Organisation, profile_for
from .records import (
    ATTACHMENTS,
    COMPLAINTS,
    CSV,
    LEDGER,
    RECORD_FILES,
    REJECTED,
    SET_ASIDE,
    TOMBSTONES,
    folder_tombstones,
)

__all__ = ["TOMBSTONES", "PruneResult", "folder_tombstones", "prune_folder"]

_MARKS = ".klageformular-imported.json"  # register/_marks.py: offsets into the files rewritten here


@dataclass
class PruneResult:
    """What :func:`prune_folder` removed (``dry_run``: would remove): counts only, and the profiles refused."""

    dry_run: bool
    erased_records: int = 0  # lines of erased cases
    unreadable_records: int = 0  # unreadable files past their profile's days
    files: int = 0  # quarantine copies, saved messages and attachments deleted
    messages: int = 0  # messages.jsonl lines reduced to key and hash
    refused: list[str] = field(default_factory=list)  # why unreadable records were kept (no days set)


def _lines(path: Path) -> Iterator[tuple[bytes, dict[str, Any] | None]]:
    """Each line's bytes and its fields as parsed JSON (``None``: not an object). Read raw, not as
    :class:`~klageformular.records.Record`: a kept line is written back byte for byte, and a line no
    model would accept is kept, never lost."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    for line in data.splitlines(keepends=True):
        try:
            value = json.loads(line)
        except ValueError:
            value = None  # kept as it is: never a reason to lose a line
        yield line, value if isinstance(value, dict) else None


def _paths(fields: Mapping[str, Any]) -> set[str]:
    """The files in the folder a record names: its quarantine copy, its saved message, its attachments
    (and ``attachments/<sha256>`` of its own bytes and its message's, where mail intake keeps them)."""
    found = {str(fields[k]) for k in ("quarantine", "message_file") if fields.get(k)}
    # A form attached to a message is saved by its hash without a path on its own record.
    found |= {f"{ATTACHMENTS}/{fields[k]}" for k in ("sha256", "message_sha256") if fields.get(k)}
    for a in fields.get("attachments") or ():
        if isinstance(a, dict) and a.get("path"):
            found.add(str(a["path"]))
    return found


def _digests(fields: Mapping[str, Any]) -> set[str]:
    return {str(fields[k]) for k in ("sha256", "message_sha256", "duplicate_of_sha256") if fields.get(k)}


def _day(text: object) -> date | None:
    try:
        return date.fromisoformat(str(text)[:10])
    except ValueError:
        return None


def prune_folder(outdir: str | os.PathLike[str], *, tombstones: Collection[str], today: date,
                 needed: Callable[[str], bool] = lambda _sha: False,
                 profiles: Mapping[str, Organisation] | None = None, dry_run: bool = False) -> PruneResult:
    """Prune ``outdir`` (rules in the module docstring). ``tombstones``: the register's erased sha256
    digests; ``needed(sha256)``: whether the register still needs this folder's copy of a file."""
    from .batch import _locked, write_csv

    out = Path(outdir)
    if not any((out / name).is_file() for name in (*RECORD_FILES, SET_ASIDE)):
        raise ConfigurationError(f"{out}: no batch records here ({', '.join((*RECORD_FILES, SET_ASIDE))})")
    result = PruneResult(dry_run=dry_run)
    with _locked(out):
        kept: dict[str, list[bytes]] = {}
        dropped_paths: set[str] = set()
        kept_paths: set[str] = set()
        gone: set[str] = set()  # digests of dropped lines: tombstones for the folder
        refused: set[str] = set()
        erased = set(tombstones)
        for name in (*RECORD_FILES, SET_ASIDE):
            lines: list[bytes] = []
            for raw, fields in _lines(out / name):
                drop = None
                if fields is not None and _digests(fields) & erased:
                    drop = "erased"
                elif fields is not None and name == REJECTED:
                    drop = _unreadable_expired(fields, today, needed, profiles, refused)
                if drop is None:
                    lines.append(raw)
                    kept_paths |= _paths(fields or {})
                    continue
                dropped_paths |= _paths(fields or {})
                gone |= {str(fields[k]) for k in ("sha256", "message_sha256") if fields and fields.get(k)}
                if drop == "erased":
                    result.erased_records += 1
                else:
                    result.unreadable_records += 1
            kept[name] = lines
        result.refused = sorted(refused)
        ledger = [_ledger_line(raw, fields, gone | erased, result) for raw, fields in _lines(out / LEDGER)]
        doomed = sorted(p for p in dropped_paths - kept_paths if _inside(out, p))
        result.files = sum(1 for p in doomed if (out / p).is_file())
        changed = result.erased_records + result.unreadable_records + result.messages
        if dry_run or not changed:
            return result
        known = folder_tombstones(out)
        write_private(out / TOMBSTONES, "".join(f"{d}\n" for d in sorted(known | gone)).encode("ascii"))
        for name, lines in kept.items():
            if (out / name).exists():
                _rewrite(out / name, b"".join(lines))
        if (out / LEDGER).exists():
            _rewrite(out / LEDGER, b"".join(ledger))
        for relative in doomed:
            (out / relative).unlink(missing_ok=True)
        for stale in (INDEX, INDEX + "-journal", INDEX + "-wal", INDEX + "-shm", _MARKS):
            (out / stale).unlink(missing_ok=True)
        if (out / CSV).exists():
            write_csv(out / COMPLAINTS, out / CSV)
    return result


def _unreadable_expired(fields: Mapping[str, Any], today: date, needed: Callable[[str], bool],
                        profiles: Mapping[str, Organisation] | None, refused: set[str]) -> str | None:
    received = _day(fields.get("received"))
    sha = fields.get("sha256")
    if received is None or (sha and needed(str(sha))):
        return None
    try:
        org = profile_for(fields.get("organisation"), fields.get("language"), profiles)
    except UnknownProfileError as exc:
        refused.add(str(exc))
        return None
    # A record without a key is under the home profile; a profile file with that key replaces it (as the
    # batch's own --org-file does).
    org = (profiles or {}).get(org.key, org)
    if org.unreadable_retention_days is None:
        refused.add(f"profile {org.key!r} sets no unreadable_retention_days: its unreadable files are kept; set "
                    f"it in a profile file (--org-file) to prune them")
        return None
    return "unreadable" if today > received + timedelta(days=org.unreadable_retention_days) else None


def _ledger_line(raw: bytes, fields: dict[str, Any] | None, gone: set[str], result: PruneResult) -> bytes:
    """A message's ledger line; a pruned message's reduced to its key and hash (a re-run skips it)."""
    if fields is None or not fields.get("sha256") or str(fields["sha256"]) not in gone \
            or fields.get("outcome") == "erased":
        return raw
    result.messages += 1
    reduced = {"key": fields.get("key"), "sha256": fields["sha256"], "outcome": "erased"}
    return (json.dumps(reduced, separators=(",", ":")) + "\n").encode()


def _inside(out: Path, relative: str) -> bool:
    """Only files inside the folder are deleted, whatever a line names."""
    try:
        target = (out / relative).resolve()
        return target.is_relative_to(out.resolve()) and target != out.resolve() and not (out / relative).is_symlink()
    except (OSError, ValueError):
        return False


def _rewrite(path: Path, data: bytes) -> None:
    staged = StagedFile(path, data)  # written 0600 and fsynced beside it, then renamed over it
    staged.commit()

