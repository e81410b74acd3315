"""Batch and the file system (_files.py): names of any bytes, symlinks, private modes, permissions."""

from __future__ import annotations

import base64
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from klageformular import OutputError, convert_folder
from klageformular._files import one_line, source_fields
from klageformular._index import INDEX
from klageformular.batch import COMPLAINTS, DUPLICATES, QUARANTINE, REJECTED, SUMMARY
from klageformular.cli import main
from klageformular.register import create_register_engine, list_complaints

from .conftest import sample_data
from .test_register_letters import _org_file

FIXTURES = Path(__file__).parent / "fixtures"
FILLED = (FIXTURES / "filled-pypdf.pdf").read_bytes()
LETTER = (FIXTURES / "letter.pdf").read_bytes()


def _lines(out: Path, name: str) -> list[dict[str, Any]]:
    path = out / name
    # Strict UTF-8: a record that is not valid UTF-8 is a broken record.
    return [json.loads(line) for line in path.read_bytes().decode("utf-8").splitlines()] if path.exists() else []


def _summary(out: Path) -> dict[str, Any]:
    summary: dict[str, Any] = json.loads((out / SUMMARY).read_text(encoding="utf-8"))
    assert summary["inputs"] == (summary["complete"] + summary["needs_review"] + summary["unreadable"]
                                 + summary["duplicates"] + summary["skipped_already_done"])
    return summary


# --- names --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "readable"), [
    (b"x\xff.pdf", "x\\xff.pdf"),  # Latin-1 from an old mail client: not UTF-8
    (b"Klage fra \xd8rsted.pdf", "Klage fra \\xd8rsted.pdf"),
    ("Klage fra Łukasz.pdf".encode(), "Klage fra Łukasz.pdf"),
])
def test_source_fields_keep_any_name_losslessly(name: bytes, readable: str) -> None:
    fields = source_fields(os.fsdecode(name))
    assert fields["source"] == readable
    assert base64.b64decode(fields.get("source_bytes", base64.b64encode(readable.encode()))) == name


@pytest.mark.parametrize(("text", "shown"), [
    ("a\nb.pdf", "a\\nb.pdf"), ("a\rb\tc", "a\\rb\\tc"), ("\x1b[31mred", "\\x1b[31mred"),
    ("a\u2028b", "a\\u2028b"), (os.fsdecode(b"x\xff"), "x\\xff"), ("Żółć.pdf", "Żółć.pdf"),
])
def test_one_line_escapes_what_would_break_a_line(text: str, shown: str) -> None:
    assert one_line(text) == shown


def test_any_file_name_goes_through_batch_with_one_stderr_line_per_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 15: a name that is not UTF-8 crashed the whole batch on every re-run (UnicodeEncodeError),
    # and a newline in a name split its line on stderr.
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (Path(os.fsdecode(bytes(inbox))) / os.fsdecode(b"x\xff.pdf")).write_bytes(FILLED)
    (inbox / "Klage\nfra mig.pdf").write_bytes(LETTER)
    (inbox / os.fsdecode(b"kopi \xe6\xf8\xe5")).write_bytes(FILLED)
    (inbox / os.fsdecode(b"brev\xff\n2.pdf")).write_bytes(LETTER + b"\n")
    # One receipt date: files are then taken by path, so the original of the two copies is known.
    assert main(["batch", str(inbox), "-o", str(out), "--workers", "1", "-q", "--received", "2026-11-27"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert sorted(err.splitlines()) == [
        "Klage\\nfra mig.pdf: unreadable (unreadable): not the complaint form: none of its fields and no form "
        "identifier on any page",
        "brev\\xff\\n2.pdf: unreadable (unreadable): not the complaint form: none of its fields and no form "
        "identifier on any page",
    ]
    records = [r for name in (COMPLAINTS, REJECTED, DUPLICATES) for r in _lines(out, name)]
    by_bytes = {base64.b64decode(r["source_bytes"]) if "source_bytes" in r else r["source"].encode(): r
                for r in records}
    assert set(by_bytes) == {b"x\xff.pdf", b"Klage\nfra mig.pdf", b"kopi \xe6\xf8\xe5", b"brev\xff\n2.pdf"}
    assert by_bytes[b"kopi \xe6\xf8\xe5"]["source"] == "kopi \\xe6\\xf8\\xe5"  # readable, valid UTF-8
    assert by_bytes[b"x\xff.pdf"]["duplicate_of"] == "kopi \\xe6\\xf8\\xe5"
    summary = _summary(out)
    assert (summary["inputs"], summary["complete"], summary["unreadable"], summary["duplicates"]) == (4, 1, 2, 1)
    # The re-run adds nothing and does not crash.
    assert main(["batch", str(inbox), "-o", str(out), "-q", "--received", "2026-11-27"]) == 0
    assert _summary(out)["inputs"] == 4


# --- symlinks -----------------------------------------------------------------------------------------------


def test_symlinks_are_listed_never_followed(tmp_path: Path) -> None:
    # Issue 15: `ln -s /etc/passwd in/link.pdf` put a copy of /etc/passwd into quarantine/.
    inbox, out = tmp_path / "in", tmp_path / "out"
    inbox.mkdir()
    (inbox / "real.pdf").write_bytes(FILLED)
    (inbox / "link.pdf").symlink_to("/etc/passwd")
    (inbox / "etc").symlink_to("/etc", target_is_directory=True)
    (inbox / "inside.pdf").symlink_to(inbox / "real.pdf")
    (inbox / "dangling.pdf").symlink_to(tmp_path / "nowhere")
    summary = convert_folder(inbox, out, workers=1)
    rejected = {r["source"]: r for r in _lines(out, REJECTED)}
    assert set(rejected) == {"link.pdf", "etc", "inside.pdf", "dangling.pdf"}
    assert {(r["reason"], r["error"], r["quarantine"]) for r in rejected.values()} == {
        ("symlink", "SymlinkNotFollowed", None)}
    assert summary.unreadable_by_reason == {"symlink": 4} and summary.complete == 1
    assert not (out / QUARANTINE).exists()  # nothing was copied, so no passwd in quarantine
    on_disk = _summary(out)
    assert on_disk["inputs"] == 5
    again = convert_folder(inbox, out, workers=1)  # a re-run knows the links (by where they point)
    assert (again.skipped_already_done, again.unreadable) == (5, 0)


def test_a_file_swapped_for_a_symlink_is_not_read_through_it(tmp_path: Path) -> None:
    from klageformular._pool import parse_file
    from klageformular.exceptions import PdfReadError
    from klageformular.parse import Limits

    link = tmp_path / "swapped.pdf"
    link.symlink_to(FIXTURES / "filled-pypdf.pdf")
    with pytest.raises(PdfReadError, match="cannot read the file"):
        parse_file(str(link), Limits())


# --- private modes ------------------------------------------------------------------------------------------


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755 unless we say otherwise
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("open_umask")
def test_everything_batch_writes_is_private(tmp_path: Path) -> None:
    # Issue 15: quarantine copies were 0644 while the .jsonl files were 0600.
    inbox, out = tmp_path / "in", tmp_path / "new" / "out"
    inbox.mkdir()
    (inbox / "a.pdf").write_bytes(FILLED)
    (inbox / "b.pdf").write_bytes(FILLED)
    (inbox / "letter.pdf").write_bytes(LETTER)
    convert_folder(inbox, out, workers=1, write_csv_file=True)
    written = [out, *out.rglob("*")]
    assert {p.name for p in written} >= {COMPLAINTS, REJECTED, DUPLICATES, SUMMARY, "complaints.csv", QUARANTINE}
    for path in [*written, out.parent]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path.name, oct(mode))
    assert [p.read_bytes() for p in (out / QUARANTINE).iterdir()] == [LETTER]


# --- permissions --------------------------------------------------------------------------------------------


def _run_unprivileged(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess as a user that file permissions apply to (root ignores them)."""
    command = [sys.executable, "-m", "klageformular", *args]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv (util-linux): permissions cannot be tested")
        command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        # A checkout under root's home (0700 on Debian) is out of that user's reach: say so rather
        # than fail on "No module named klageformular".
        probe = subprocess.run([*command[:4], sys.executable, "-c", "import klageformular"], capture_output=True,
                               text=True, timeout=120, check=False)
        if probe.returncode != 0:
            why = probe.stderr.strip().splitlines()[-1] if probe.stderr.strip() else f"exit {probe.returncode}"
            pytest.skip(f"uid 65534 cannot import this checkout's package (is it under a private folder such as "
                        f"/root?): {why}")
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder the unprivileged user can reach (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix="kf-perm-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for p in path.rglob("*"):
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(path)


@pytest.mark.parametrize("case", ["read-only folder", "read-only complaints.jsonl", "read-only summary.json",
                                  "folder cannot be created"])
def test_unwritable_output_gives_one_line_and_exit_3_and_writes_nothing(shared_dir: Path, case: str) -> None:
    inbox, out = shared_dir / "in", shared_dir / "out"
    inbox.mkdir(mode=0o755)
    (inbox / "a.pdf").write_bytes(FILLED)
    (inbox / "letter.pdf").write_bytes(LETTER)
    for f in inbox.iterdir():
        f.chmod(0o644)
    target = out
    if case == "folder cannot be created":
        shared_dir.joinpath("locked").mkdir(mode=0o555)
        target = shared_dir / "locked" / "out"
    else:
        out.mkdir()
        (out / COMPLAINTS).write_text('{"sha256": "00"}\n', encoding="utf-8")
        (out / SUMMARY).write_text("{}\n", encoding="utf-8")
        if case == "read-only folder":
            out.chmod(0o555)
        else:
            out.chmod(0o777)
            (out / (COMPLAINTS if "complaints" in case else SUMMARY)).chmod(0o444)
    before = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else {}
    proc = _run_unprivileged("batch", str(inbox), "-o", str(target), "-q")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("klageformular: cannot ") and "Permission denied" in proc.stderr
    after = {p.name: p.read_bytes() for p in out.iterdir()} if out.exists() else {}
    assert after == before  # nothing half-written, not even a lock file


def test_output_error_is_raised_by_the_api(tmp_path: Path) -> None:
    inbox = tmp_path / "in"
    inbox.mkdir()
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        convert_folder(inbox, tmp_path / "file" / "out")


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_every_file_with_personal_data_is_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    """Issue 23: the register (and its -wal/-shm), ``render --prefill``, letters and their .eml,
    exports and batch's CSV, walked after one real run of each under a umask of 022 and of 000."""
    inbox, work = tmp_path / "in", tmp_path / "work"
    inbox.mkdir()
    work.mkdir(mode=0o700)
    (inbox / "a.pdf").write_bytes(FILLED)
    (inbox / "letter.pdf").write_bytes(LETTER)
    (tmp_path / "prefill.json").write_text(json.dumps(sample_data()), encoding="utf-8")
    db = f"sqlite:///{work / 'klager.db'}"
    old = os.umask(umask)
    try:
        assert main(["batch", str(inbox), "-o", str(work / "out" / "today"), "--csv", "-q", "--workers", "1",
                     "--register", "--db", db]) == 1  # 1: the letter is unreadable
        engine = create_register_engine(db)
        ref = next(e["reference"] for e in list_complaints(engine) if e["status"] == "received")
        engine.dispose()
        assert main(["render", "-o", str(work / "prefilled.pdf"), "--prefill", str(tmp_path / "prefill.json")]) == 0
        assert main(["letter", "ack", ref, "--db", db, "-o", str(work / "ack.pdf"),
                     "--eml", str(work / "ack.eml"), "--org-file", _org_file(tmp_path, "da")]) == 0
        assert main(["register", "export", str(work / "register.xlsx"), "--db", db]) == 0
        assert main(["register", "export", str(work / "register.csv"), "--db", db]) == 0
        assert main(["render", "-o", str(tmp_path / "blank.pdf")]) == 0  # a blank form is for publishing
    finally:
        os.umask(old)
    names = {p.relative_to(work).as_posix() for p in work.rglob("*")}
    assert names >= {"klager.db", "prefilled.pdf", "ack.pdf", "ack.eml", "register.xlsx", "register.csv",
                     "out", "out/today", "out/today/complaints.csv", "out/today/quarantine"}, names
    assert {"klager.db-wal", "klager.db-shm"} & names or (work / "klager.db").stat().st_size > 0
    for path in [work, *work.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path.relative_to(work).as_posix(), oct(mode))
    assert stat.S_IMODE((tmp_path / "blank.pdf").stat().st_mode) == 0o666 & ~umask


# --- a full disk --------------------------------------------------------------------------------------------


def _disk_full_inbox(inbox: Path) -> None:
    """Forms, a copy, unreadable files of several sizes (quarantine copies), and a mail with a form."""
    inbox.mkdir()
    for name in ("filled-pypdf.pdf", "filled-pdftk.pdf", "filled-pdftk-nb.pdf", "flat-gs.pdf", "letter.pdf",
                 "scan.pdf", "encrypted-password.pdf"):
        shutil.copyfile(FIXTURES / name, inbox / name)
    shutil.copyfile(FIXTURES / "filled-pypdf.pdf", inbox / "kopi.pdf")
    shutil.copyfile(FIXTURES / "mail" / "mutt-form.eml", inbox / "mutt-form.eml")
    (inbox / "note.txt").write_text("Hej, jeg vil klage.\n" * 200, encoding="utf-8")


def _batch_args(inbox: Path, out: Path) -> list[str]:
    return ["batch", str(inbox), "-o", str(out), "--csv", "-q", "--workers", "1", "--received", "2026-11-23"]


def _outputs(out: Path) -> dict[str, bytes]:
    """Everything a run leaves except summary.json (its counts and times say how the run went)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and p.name not in (SUMMARY, ".klageformular-batch.lock", INDEX)}


@contextmanager
def _tmpfs(path: Path, size: int) -> Iterator[Callable[[int], None]]:
    """A real file system of ``size`` bytes at ``path``; yields a function that resizes it."""
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8): the RLIMIT_FSIZE test covers the rest")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}): the RLIMIT_FSIZE test covers the rest")

    def resize(new: int) -> None:
        subprocess.run(["mount", "-o", f"remount,size={new}", str(path)], check=True, capture_output=True)

    try:
        yield resize
    finally:
        subprocess.run(["umount", str(path)], check=True, capture_output=True)


@pytest.mark.slow
def test_a_full_disk_stops_batch_with_one_line_and_exit_3_and_the_next_run_finishes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 23: a full disk gave a traceback (exit 1) and once left ``quarantine: null`` for good.
    A real tmpfs, 18 sizes from one page up to just below what the run needs, so the disk fills at
    a quarantine copy, a record line, the mail's files, summary.json or the CSV; each time exit 3 and
    one line, then with space the same command leaves exactly what one clean run leaves."""
    inbox = tmp_path / "in"
    _disk_full_inbox(inbox)
    assert main(_batch_args(inbox, tmp_path / "clean")) == 1  # 1: unreadable files
    clean = _outputs(tmp_path / "clean")
    assert {"quarantine", "attachments"} <= {name.split("/")[0] for name in clean if "/" in name}
    needed = sum(-(-len(data) // 4096) * 4096 for data in clean.values()) + 4096 * 4
    capsys.readouterr()
    failed_at: set[str] = set()
    for step in range(18):
        size = 4096 + (needed - 8192) * step // 17
        with _tmpfs(tmp_path / f"disk-{step}", size) as resize:
            out = tmp_path / f"disk-{step}" / "out"
            code = main(_batch_args(inbox, out))
            err = capsys.readouterr().err
            if code == 1:  # the size happened to be enough (page rounding): nothing to resume
                assert _outputs(out) == clean
                continue
            assert code == 3, err
            assert err.count("\n") == 1 and err.startswith("klageformular: the output folder") and "full" in err, err
            assert not list(out.rglob("*.part"))  # no half copy holding the space
            failed_at.add(max(_outputs(out), default="", key=lambda n: (out / n).stat().st_mtime_ns))
            resize(needed * 4)
            assert main(_batch_args(inbox, out)) in (0, 1)  # 0: every line was written, only the summary not
            capsys.readouterr()
            assert _outputs(out) == clean
            records = [json.loads(line) for line in (out / REJECTED).read_text(encoding="utf-8").splitlines()]
            assert all(r["quarantine"] for r in records if r["error"] != "SymlinkNotFollowed" and r["sha256"])
    assert len(failed_at) >= 3, failed_at  # the disk filled at different points of the run


@pytest.mark.slow
@pytest.mark.parametrize("limit", [1, 2_000, 20_000, 70_000, 100_000])
def test_a_file_size_limit_stops_batch_with_one_line_and_exit_3(tmp_path: Path, limit: int) -> None:
    """The same without mounting anything: RLIMIT_FSIZE (EFBIG) in a subprocess, SIGXFSZ ignored."""
    inbox = tmp_path / "in"
    _disk_full_inbox(inbox)
    assert main(_batch_args(inbox, tmp_path / "clean")) == 1
    out = tmp_path / "out"
    code = (f"import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit})); "
            f"from klageformular.cli import main; sys.exit(main({_batch_args(inbox, out)!r}))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("\n") == 1 and "File too large" in proc.stderr, proc.stderr
    assert main(_batch_args(inbox, out)) == 1
    assert _outputs(out) == _outputs(tmp_path / "clean")
