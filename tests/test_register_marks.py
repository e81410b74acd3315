"""``batch --register`` imports only what is new (register/_marks.py): the run's records, not the folder's."""

from __future__ import annotations

import json
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
