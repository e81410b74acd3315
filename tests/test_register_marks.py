"""``batch --register`` imports only what is new (register/_marks.py): the run's records, not the folder's."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pytest

from klageformular.cli import main
from klageformular.register._marks import MARKS

FIXTURES = Path(__file__).parent / "fixtures"


def _batch(inbox: Path, out: Path, db: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, int]:
    """One ``batch --register`` run; the import's (added, already there)."""
    main(["batch", str(inbox), "-o", str(out), "-q", "--workers", "1", "--received", "2026-11-23",
          "--register", "--db", db])
    printed = capsys.readouterr().out
    found = re.search(r"register: (\d+) added .*?, (\d+) already there", printed)
    assert found is not None, printed
    return int(found[1]), int(found[2])


def test_batch_register_imports_only_the_records_of_this_run(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    inbox, out, db = tmp_path / "inbox", tmp_path / "out", f"sqlite:///{tmp_path / 'klager.db'}"
    inbox.mkdir()
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "a.pdf")
    shutil.copyfile(FIXTURES / "letter.pdf", inbox / "letter.pdf")
    assert _batch(inbox, out, db, capsys) == (2, 0)
    assert _batch(inbox, out, db, capsys) == (0, 0)  # a re-run: nothing new, nothing read again
    shutil.copyfile(FIXTURES / "scan.pdf", inbox / "scan.pdf")
    assert _batch(inbox, out, db, capsys) == (1, 0)  # only the new file's record
    # Another register gets the whole folder; the first keeps its own mark.
    other = f"sqlite:///{tmp_path / 'other.db'}"
    assert _batch(inbox, out, other, capsys) == (3, 0)
    assert len(json.loads((out / MARKS).read_text(encoding="utf-8"))) == 2
    assert _batch(inbox, out, db, capsys) == (0, 0)


@pytest.mark.parametrize("change", ["marks deleted", "marks damaged", "records replaced"])
def test_without_a_valid_mark_everything_is_imported_again_and_nothing_twice(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], change: str) -> None:
    inbox, out, db = tmp_path / "inbox", tmp_path / "out", f"sqlite:///{tmp_path / 'klager.db'}"
    inbox.mkdir()
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "a.pdf")
    shutil.copyfile(FIXTURES / "letter.pdf", inbox / "letter.pdf")
    assert _batch(inbox, out, db, capsys) == (2, 0)
    if change == "marks deleted":
        (out / MARKS).unlink()
    elif change == "marks damaged":
        (out / MARKS).write_text("{not json", encoding="utf-8")
    else:  # the same lines in another order: the marked offset is no longer where it was
        path = out / "rejected.jsonl"
        path.write_bytes(b'{"source":"x"}\n' + path.read_bytes())
    added, already = _batch(inbox, out, db, capsys)
    assert added == (1 if change == "records replaced" else 0)
    assert already >= 1


def test_register_import_leaves_the_marks_so_the_next_batch_register_reads_only_what_is_new(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A folder imported whole with ``register import`` then run with ``batch --register``: its first
    run imports its own records, not the folder's history again (at 50,000 lines that was 2 minutes)."""
    inbox, out, db = tmp_path / "inbox", tmp_path / "out", f"sqlite:///{tmp_path / 'klager.db'}"
    inbox.mkdir()
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "a.pdf")
    shutil.copyfile(FIXTURES / "letter.pdf", inbox / "letter.pdf")
    main(["batch", str(inbox), "-o", str(out), "-q", "--workers", "1", "--received", "2026-11-23"])
    capsys.readouterr()
    assert main(["register", "import", str(out), "--db", db]) == 0
    assert "register: 2 added" in capsys.readouterr().out
    assert _batch(inbox, out, db, capsys) == (0, 0)  # nothing new, and nothing read again
    shutil.copyfile(FIXTURES / "scan.pdf", inbox / "scan.pdf")
    assert _batch(inbox, out, db, capsys) == (1, 0)
    # register import still reads the whole folder whatever the marks say (adding nothing twice)
    assert main(["register", "import", str(out), "--db", db]) == 0
    assert "0 attached to an earlier entry, 3 already there" in capsys.readouterr().out


def test_register_import_of_a_folder_it_cannot_write_to_imports_all_the_same(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    inbox, out, db = tmp_path / "inbox", tmp_path / "out", f"sqlite:///{tmp_path / 'klager.db'}"
    inbox.mkdir()
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "a.pdf")
    main(["batch", str(inbox), "-o", str(out), "-q", "--workers", "1", "--received", "2026-11-23"])
    capsys.readouterr()
    (out / MARKS).mkdir()  # where the marks go cannot be written (a read-only copy; root may write anywhere)
    with caplog.at_level(logging.WARNING, logger="klageformular.register"):
        assert main(["register", "import", str(out), "--db", db]) == 0
    assert "register: 1 added" in capsys.readouterr().out
    assert "the import marks cannot be written (IsADirectoryError)" in caplog.text
    assert _batch(inbox, out, db, capsys) == (0, 1)  # unreadable marks: the whole folder again, nothing twice

