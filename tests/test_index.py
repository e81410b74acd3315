"""The folder's index (_index.py) and the torn-line repair: what a folder holds, read without its history."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from klageformular._files import JsonLines, repair_lines
from klageformular._index import INDEX, FolderIndex, LedgerIndex, whole_length
from klageformular.batch import COMPLAINTS, DUPLICATES, REJECTED, convert_folder
from klageformular.records import LEDGER, Record

FIXTURES = Path(__file__).parent / "fixtures"
FRIDAY = date(2026, 11, 27)


def _write(path: Path, *records: Record) -> None:
    lines = JsonLines(path)
    for record in records:
        lines.write(record.to_line())
    lines.close()


def _complaint(source: str, sha: str, key: str | None = None) -> Record:
    return Record(source=source, sha256=sha, content_key=key, complaint={}, status="complete")


@pytest.mark.parametrize(("content", "kept"), [
    (b'{"a":1}\n{"b":2}\n{"c"', b'{"a":1}\n{"b":2}\n'),
    (b'{"half', b""),
    (b'{"a":1}\n', b'{"a":1}\n'),
    (b"", b""),
    (b'{"a":1}\n' + b"x" * 200_000, b'{"a":1}\n'),  # the half line longer than one block read back
])
def test_a_torn_last_line_is_cut_off(tmp_path: Path, content: bytes, kept: bytes) -> None:
    path = tmp_path / COMPLAINTS
    path.write_bytes(content)
    repair_lines(path)
    assert path.read_bytes() == kept
    assert whole_length(path) == len(kept)


def test_repair_reads_only_the_tail(tmp_path: Path) -> None:
    """A 4 GiB file (sparse) repaired under a 1 GiB address-space limit: reading it whole would fail."""
    path = tmp_path / COMPLAINTS
    with path.open("wb") as f:
        f.truncate(4 << 30)
        f.seek(4 << 30)
        f.write(b'\n{"whole":1}\n{"torn"')
    code = ("import resource, sys; from pathlib import Path; from klageformular._files import repair_lines; "
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30)); repair_lines(Path(sys.argv[1]))")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert path.stat().st_size == (4 << 30) + len(b'\n{"whole":1}\n')


def test_the_index_answers_what_the_files_hold_and_reads_only_new_lines(tmp_path: Path) -> None:
    _write(tmp_path / COMPLAINTS, _complaint("a.pdf", "aa", "k1"), _complaint("b.pdf", "bb", "k2"))
    _write(tmp_path / DUPLICATES, Record(source="c.pdf", sha256="aa", duplicate_of="a.pdf", duplicate_kind="same_file"),
           Record(source="d.pdf", sha256="dd", duplicate_of="a.pdf", duplicate_kind="same_content"))
    index = FolderIndex(tmp_path)
    index.update()
    assert index.is_settled(("a.pdf", "aa")) and index.is_settled(("c.pdf", "aa"))
    assert not index.is_settled(("a.pdf", "bb"))
    assert index.original("aa") == "a.pdf" and index.original("dd") == "d.pdf" and index.original("zz") is None
    assert index.by_content("k2") == ("b.pdf", "bb") and index.by_content("k3") is None
    assert index.is_form("dd") and index.is_form("bb") and not index.is_form("zz")
    index.close()
    # Another run appends; the next index reads the new line, not the file from the start.
    _write(tmp_path / REJECTED, Record(source="e.txt", sha256="ee", status="unreadable"))
    _write(tmp_path / COMPLAINTS, _complaint("f.pdf", "ff", "k1"))
    index = FolderIndex(tmp_path)
    index.update()
    assert index.is_settled(("e.txt", "ee")) and index.is_settled(("f.pdf", "ff"))
    assert index.by_content("k1") == ("a.pdf", "aa")  # the first with the key stays the original
    rows = index.db.execute("SELECT count(*) FROM keys").fetchone()[0]
    assert rows == 6
    index.close()


@pytest.mark.parametrize("change", ["cut", "replaced", "rewritten in place", "removed", "index deleted",
                                    "index damaged", "index of another folder"])
def test_a_stale_or_missing_index_is_built_again_from_the_records(tmp_path: Path, change: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    _write(out / COMPLAINTS, _complaint("a.pdf", "aa", "k1"), _complaint("b.pdf", "bb", "k2"))
    FolderIndex(out).update()
    path = out / COMPLAINTS
    if change == "cut":  # a person removed the last line
        path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    elif change == "replaced":
        path.unlink()
        _write(path, _complaint("x.pdf", "xx"), _complaint("b.pdf", "bb", "k2"), _complaint("y.pdf", "yy"))
    elif change == "rewritten in place":
        data = path.read_bytes().replace(b'"a.pdf"', b'"z.pdf"')
        with path.open("r+b") as f:
            f.write(data)
    elif change == "removed":
        path.unlink()
    elif change == "index deleted":
        (out / INDEX).unlink()
    elif change == "index damaged":
        (out / INDEX).write_bytes(b"not a database" * 100)
    else:
        other = tmp_path / "other"
        other.mkdir()
        _write(other / COMPLAINTS, _complaint("q.pdf", "qq"), _complaint("r.pdf", "rr"), _complaint("s.pdf", "ss"))
        FolderIndex(other).update()
        shutil.copyfile(other / INDEX, out / INDEX)
    index = FolderIndex(out)
    index.update()
    expected = {("a.pdf", "aa"), ("b.pdf", "bb")}
    if change in ("cut", "removed"):
        expected = {("a.pdf", "aa")} if change == "cut" else set()
    elif change == "replaced":
        expected = {("x.pdf", "xx"), ("b.pdf", "bb"), ("y.pdf", "yy")}
    elif change == "rewritten in place":
        expected = {("z.pdf", "aa"), ("b.pdf", "bb")}
    candidates = {("a.pdf", "aa"), ("b.pdf", "bb"), ("x.pdf", "xx"), ("y.pdf", "yy"), ("z.pdf", "aa"),
                  ("q.pdf", "qq"), ("r.pdf", "rr"), ("s.pdf", "ss")}
    assert {key for key in candidates if index.is_settled(key)} == expected
    index.close()


def test_a_batch_resumed_without_its_index_writes_what_one_with_it_writes(tmp_path: Path) -> None:
    """Deleting the index (or finding another folder's there) changes nothing the batch writes."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "a.pdf")
    shutil.copyfile(FIXTURES / "letter.pdf", inbox / "letter.pdf")
    outs = [tmp_path / name for name in ("kept", "deleted", "foreign")]
    for out in outs:
        convert_folder(inbox, out, workers=1, received=FRIDAY)
    (outs[1] / INDEX).unlink()
    shutil.copyfile(outs[0] / INDEX, outs[2] / INDEX)  # the same records, but another folder's files
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "kopi.pdf")  # the same bytes: a copy of a.pdf
    shutil.copyfile(FIXTURES / "filled-pdftk.pdf", inbox / "b.pdf")  # the same content: a copy too
    results = []
    for out in outs:
        summary = convert_folder(inbox, out, workers=1, received=FRIDAY)
        assert (summary.skipped_already_done, summary.duplicates, summary.complaints) == (2, 2, 0)
        results.append({name: (out / name).read_bytes() for name in (COMPLAINTS, REJECTED, DUPLICATES)})
    assert results[0] == results[1] == results[2]
    assert b'"duplicate_of":"a.pdf"' in results[0][DUPLICATES]


# -- the mail ledger (messages.jsonl) ---------------------------------------------------------------


def _old_ledger(path: Path) -> tuple[set[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]:
    """The ledger as MailIntake read it before the index: every line, each run (the reference)."""
    done: set[Any] = set()
    primary: dict[Any, Any] = {}
    by_id: dict[Any, list[Any]] = {}
    by_sha: dict[Any, Any] = {}
    for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else []):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict):  # the old reader stopped the run here; the index skips the line
            continue
        done.add(entry.get("key", ""))
        if isinstance(entry.get("record"), list) and len(entry["record"]) == 2:
            primary.setdefault(entry["source"], (entry["record"][0], entry["record"][1]))
        if entry.get("outcome") not in ("duplicate", "skipped", "unreadable") and entry.get("sha256"):
            first = (entry["source"], entry["sha256"])
            if entry.get("message_id"):
                by_id.setdefault(entry["message_id"], []).append((entry.get("fingerprint"), first))
            by_sha.setdefault(entry["sha256"], first)
    return done, primary, by_id, by_sha


def _ledger_line(n: int, *, source: str, sha: str | None, outcome: str, message_id: str | None = None,
                 record: list[str] | None = None, fingerprint: str | None = None) -> dict[str, Any]:
    line: dict[str, Any] = {"key": f"sha256:{sha or n}", "source": source, "sha256": sha, "message_id": message_id,
                            "received": "2026-11-27T09:00:00+01:00", "outcome": outcome, "reason": None,
                            "record": record}
    if fingerprint is not None:
        line["fingerprint"] = fingerprint
    return line


def _write_ledger(path: Path, lines: list[dict[str, Any]]) -> None:
    ledger = JsonLines(path)
    for line in lines:
        ledger.write(line)
    ledger.close()


def _agrees(index: LedgerIndex, path: Path, keys: set[str], sources: set[str], shas: set[str],
            ids: set[str]) -> None:
    done, primary, by_id, by_sha = _old_ledger(path)
    assert {k for k in keys if index.is_done(k)} == {k for k in keys if k in done}
    assert {s: index.standing_for(s) for s in sources} == {s: primary.get(s) for s in sources}
    assert {h: index.first_with_sha(h) for h in shas} == {h: by_sha.get(h) for h in shas}
    assert {m: index.with_id(m) for m in ids} == {m: by_id.get(m) for m in ids}


def test_the_ledger_index_answers_what_the_whole_ledger_said_and_reads_only_new_lines(tmp_path: Path) -> None:
    path = tmp_path / LEDGER
    lines = [_ledger_line(1, source="mbox:1", sha="aa", outcome="form", message_id="<m@x>", record=["a.pdf", "11"],
                          fingerprint="f1"),
             _ledger_line(2, source="mbox:2", sha="bb", outcome="duplicate", message_id="<m@x>"),
             _ledger_line(3, source="mbox:3", sha="cc", outcome="email", message_id="<m@x>", fingerprint="f2",
                          record=["mbox:3", "cc"]),
             _ledger_line(4, source="mbox:4", sha=None, outcome="unreadable")]
    _write_ledger(path, lines)
    index = LedgerIndex(tmp_path)
    index.update()
    everything = ({"sha256:aa", "sha256:bb", "sha256:cc", "sha256:4", "sha256:zz"},
                  {"mbox:1", "mbox:2", "mbox:3", "mbox:4", "mbox:9"}, {"aa", "bb", "cc", "zz"}, {"<m@x>", "<n@x>"})
    _agrees(index, path, *everything)
    assert index.with_id("<m@x>") == [("f1", ("mbox:1", "aa")), ("f2", ("mbox:3", "cc"))]
    index.close()
    # The next run appends; the index reads the new lines only (one row per line, none twice).
    _write_ledger(path, [_ledger_line(5, source="mbox:5", sha="aa", outcome="form", message_id="<n@x>",
                                      record=["e.pdf", "55"])])
    index = LedgerIndex(tmp_path)
    index.update()
    _agrees(index, path, *everything)
    assert index.db.execute("SELECT count(*) FROM ledger").fetchone()[0] == 5
    assert index.first_with_sha("aa") == ("mbox:1", "aa")  # the first with the bytes stays the original
    index.close()


@pytest.mark.parametrize("change", ["rewritten in place", "cut", "index deleted", "broken line"])
def test_a_changed_ledger_is_indexed_again(tmp_path: Path, change: str) -> None:
    path = tmp_path / LEDGER
    _write_ledger(path, [_ledger_line(1, source="mbox:1", sha="aa", outcome="email", record=["mbox:1", "aa"]),
                         _ledger_line(2, source="mbox:2", sha="bb", outcome="email", record=["mbox:2", "bb"])])
    LedgerIndex(tmp_path).update()
    if change == "rewritten in place":
        data = path.read_bytes().replace(b'"mbox:1"', b'"mbox:7"')
        with path.open("r+b") as f:
            f.write(data)
    elif change == "cut":
        path.write_bytes(path.read_bytes().splitlines(keepends=True)[0])
    elif change == "index deleted":
        (tmp_path / INDEX).unlink()
    else:
        with path.open("ab") as f:
            f.write(b"not json\n[1, 2]\n")
    index = LedgerIndex(tmp_path)
    index.update()
    _agrees(index, path, {"sha256:aa", "sha256:bb"}, {"mbox:1", "mbox:2", "mbox:7"}, {"aa", "bb"}, set())
    index.close()


_SOURCES = st.sampled_from(["mbox:1", "mbox:2", "imap:INBOX/3", "mail/a.eml"])
_SHAS = st.sampled_from(["aa", "bb", "cc", None, ""])
_IDS = st.sampled_from(["<1@x>", "<2@x>", None, ""])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.lists(st.builds(
    _ledger_line, st.integers(0, 5), source=_SOURCES, sha=_SHAS,
    outcome=st.sampled_from(["form", "email", "set_aside", "duplicate", "skipped", "unreadable", "recovered"]),
    message_id=_IDS, record=st.one_of(st.none(), st.tuples(_SOURCES, st.sampled_from(["aa", "dd"])).map(list)),
    fingerprint=st.sampled_from([None, "f1", "f2"])), max_size=6), min_size=1, max_size=4))
def test_run_after_run_the_index_says_what_reading_the_whole_ledger_says(tmp_path_factory: pytest.TempPathFactory,
                                                                        runs: list[list[dict[str, Any]]]) -> None:
    folder = tmp_path_factory.mktemp("out")
    path = folder / LEDGER
    for lines in runs:
        _write_ledger(path, lines)
        index = LedgerIndex(folder)
        index.update()
        _agrees(index, path, {f"sha256:{s}" for s in ("aa", "bb", "cc", "0", "1", "2", "3", "4", "5")}
                | {"sha256:"}, {"mbox:1", "mbox:2", "imap:INBOX/3", "mail/a.eml"}, {"aa", "bb", "cc"},
                {"<1@x>", "<2@x>"})
        index.close()
