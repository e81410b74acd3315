"""``batch --register`` imports only what is new (register/_marks.py): the run's records, not the folder's."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from klageformular.cli import main
from klageformular.register import _probe, create_register_engine
from klageformular.register._cli import _nothing_to_import
from klageformular.register._marks import MARKS, register_key

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


@pytest.mark.parametrize("form", ["sqlite:///{dir}/klager.db", "sqlite+pysqlite:///{dir}/klager.db",
                                  "sqlite:///klager.db"])
def test_the_key_of_a_plain_sqlite_url_is_the_one_its_engine_renders(tmp_path: Path, form: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = form.format(dir=tmp_path)
    engine = create_register_engine(url)
    try:
        assert register_key(url) == engine.url.render_as_string(hide_password=True)
    finally:
        engine.dispose()
    assert register_key(f"{url}?timeout=5") is None  # options: the engine's own rendering decides


def test_a_re_run_with_nothing_new_prints_what_the_import_would_and_loads_no_sqlalchemy(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    inbox, out, db = tmp_path / "inbox", tmp_path / "out", f"sqlite:///{tmp_path / 'klager.db'}"
    inbox.mkdir()
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "a.pdf")
    args = ["batch", str(inbox), "-o", str(out), "-q", "--workers", "1", "--received", "2026-11-23", "--register",
            "--db", db]
    assert main(args) == 0
    capsys.readouterr()
    marks = (out / MARKS).read_bytes()
    assert main(args) == 0
    shortcut = [line for line in capsys.readouterr().out.splitlines() if line.startswith("register")]
    assert shortcut == ["register: 0 added (0 unreadable), 0 attached to an earlier entry, 0 already there"]
    with monkeypatch.context() as patch:  # the same re-run through the register
        patch.setattr(_probe, "probe", lambda url: None)
        assert main(args) == 0
        assert [line for line in capsys.readouterr().out.splitlines() if line.startswith("register")] == shortcut
    assert (out / MARKS).read_bytes() == marks
    code = ("import sys; from klageformular.cli import main; assert main(sys.argv[1:]) == 0;"
            " print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')))")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines()[-1] == "[]"
    assert "register: 0 added (0 unreadable), 0 attached to an earlier entry, 0 already there" in done.stdout
    assert _nothing_to_import(db, str(out), ())
    assert not _nothing_to_import(db, str(out), ["profile.toml"])  # a profile file recounts open cases
    (inbox / "b.pdf").write_bytes(b"%PDF-1.4 not really")
    assert main(args) == 1 and "register: 1 added (1 unreadable)" in capsys.readouterr().out
    # A register at another revision is opened (and so migrated), even with nothing new.
    engine = create_register_engine(db)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0015'"))
    engine.dispose()
    assert not _nothing_to_import(db, str(out), ())


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

