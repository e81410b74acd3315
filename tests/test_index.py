"""The folder's index (_index.py) and the torn-line repair: what a folder holds, read without its history."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from klageformular._files import JsonLines, repair_lines
from klageformular._index import INDEX, FolderIndex, whole_length
from klageformular.batch import COMPLAINTS, DUPLICATES, REJECTED, convert_folder
from klageformular.records import Record

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
