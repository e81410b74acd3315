"""Resume at scale: what a batch run costs in a folder with a long history, against an empty folder.

    python benchmarks/resume.py                       # a folder of 50,000 record lines
    python benchmarks/resume.py --lines 5000 50000 200000   # how the cost grows with the history
    python benchmarks/resume.py --lines 2000 --runs 1 # quicker
    python benchmarks/resume.py --no-register         # without the register cases (c) and (d)

The folder's history is what ``klageformular batch`` writes (tests/registers.py builds the lines:
every complaint validated by the ``Complaint`` model, each its own file, content and customer):
of N lines, 95 % in ``complaints.jsonl``, 2 % in ``rejected.jsonl`` and 3 % in
``duplicates.jsonl``; the files they name are not in the inbox (they were read long ago). One
``batch`` run with an empty inbox primes the folder, as the run before the measured one would
have: it builds the folder's index (``.klageformular-index.sqlite``). Then, each in a fresh
interpreter through the command line, on a fresh copy of the primed folder, the median of
``--runs`` runs:

(a) ``klageformular batch INBOX -o OUT -q --workers 1``: 10 new filled forms (the Danish form
    filled by pypdf, each a different complainant) into the N-line folder, against the same 10
    into an empty folder;
(c) the same with ``--register --db sqlite:///…``, the register already holding the folder's N
    records (imported once with ``register import``, then one ``batch --register`` with an
    empty inbox, which leaves the folder's import marks): the run imports the 10 only; against
    the 10 into an empty folder and an empty register;
(d) after that run, a re-run with nothing new: it imports 0 (the line it prints is shown);
    against the same re-run in a folder and register holding just the 10;
(e) a mail folder: 10 new ``.eml`` messages, each with a filled form attached, into a folder
    whose ledger ``messages.jsonl`` has N lines (and ``complaints.jsonl`` the N records they
    became), against the same 10 into an empty folder.

The cost of a run is its CPU seconds (user + sys, of the process and its workers: what a
shared machine changes least) and its peak RSS (the largest process); wall seconds are shown
too. The acceptance (issue 25): the N-line run costs within 20 % (CPU) and 25 MB (peak RSS) of
the empty one; each row says pass or fail. The first ``batch --register`` after a
``register import`` (no import marks yet: it reads the whole folder once, adding nothing) is
shown as a row of its own.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_CLI = "import sys; from klageformular.cli import main; sys.exit(main())"
_NEW = 10  # forms (or messages) a run adds
_CPU_SHARE, _RSS_MB = 0.20, 25.0  # the acceptance: within 20 % and 25 MB of the empty folder


@dataclass(frozen=True)
class Cost:
    """One process (and its workers): wall seconds, CPU seconds (user + sys), peak RSS in MB."""

    wall: float
    cpu: float
    rss: float


def run(argv: Sequence[str]) -> tuple[Cost, str]:
    """Run one command in a fresh interpreter; its cost and what it printed (exit code 0 expected).

    The peak RSS is taken by ``/usr/bin/time`` where there is one: Linux counts the memory of the
    process that forked a child in the child's own peak, and this one holds the records it wrote."""
    timer = Path("/usr/bin/time")
    command = [sys.executable, "-c", _CLI, *argv]
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss, tempfile.TemporaryFile("w+") as out:
        wrapped = [str(timer), "-f", "%M", "-o", rss.name, *command] if timer.exists() else command
        start = time.perf_counter()
        process = subprocess.Popen(wrapped, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        printed = out.read()
        if process.returncode != 0:
            raise SystemExit(f"{' '.join(argv[:1])} exited {process.returncode}:\n{printed}")
        peak = int(rss.read().split()[-1]) / 1024 if timer.exists() else usage.ru_maxrss / 1024
    return Cost(wall, usage.ru_utime + usage.ru_stime, peak), printed


def median(costs: Sequence[Cost]) -> Cost:
    return Cost(statistics.median(c.wall for c in costs), statistics.median(c.cpu for c in costs),
                statistics.median(c.rss for c in costs))


# -- the folders ---------------------------------------------------------------------------------


def write_history(out: Path, lines: int) -> None:
    """An output folder of ``lines`` record lines, as earlier batch runs left it."""
    from tests.registers import complaint_record, duplicate_record, rejected_record

    out.mkdir(parents=True, exist_ok=True)
    with ((out / "complaints.jsonl").open("w", encoding="utf-8") as complaints,
          (out / "rejected.jsonl").open("w", encoding="utf-8") as rejected,
          (out / "duplicates.jsonl").open("w", encoding="utf-8") as duplicates):
        last: dict[str, Any] | None = None
        for i in range(lines):
            kind = i % 100  # 2 % unreadable files, 3 % copies, the rest complaints (1 in 7 needs review)
            if kind < 2:
                rejected.write(json.dumps(rejected_record(i, received=_day(i, lines)), ensure_ascii=False) + "\n")
            elif kind < 5 and last is not None:
                duplicates.write(json.dumps(duplicate_record(last, f"inbox/kopi-{i}.pdf"), ensure_ascii=False) + "\n")
            else:
                status = "needs_review" if kind % 7 == 0 else "complete"
                last = complaint_record(i, received=_day(i, lines), status=status)
                complaints.write(json.dumps(last, ensure_ascii=False) + "\n")


def write_ledger(out: Path, lines: int) -> None:
    """A mail folder of ``lines`` messages settled by earlier runs: each a form, its record in complaints.jsonl."""
    from tests.registers import complaint_record, digest

    out.mkdir(parents=True, exist_ok=True)
    with ((out / "messages.jsonl").open("w", encoding="utf-8") as ledger,
          (out / "complaints.jsonl").open("w", encoding="utf-8") as complaints):
        for i in range(lines):
            sha, source = digest(f"message {i}"), f"mail-{i}.eml"
            record = complaint_record(i, received=_day(i, lines), source=f"{source}/klageformular.pdf")
            complaints.write(json.dumps(record, ensure_ascii=False) + "\n")
            ledger.write(json.dumps({"key": f"sha256:{sha}", "source": source, "sha256": sha,
                                     "message_id": f"<{i}.{sha[:12]}@mail.example.dk>",
                                     "received": f"{_day(i, lines)}T09:15:00+00:00", "outcome": "form", "reason": None,
                                     "record": [record["source"], record["sha256"]],
                                     "fingerprint": digest(f"fingerprint {i}")}) + "\n")


def _day(i: int, lines: int) -> str:
    """Line ``i`` of ``lines``: five years of receipt days, oldest first."""
    from datetime import date, timedelta

    return (date(2022, 1, 3) + timedelta(days=i * 1826 // lines)).isoformat()


def make_forms(folder: Path) -> None:
    """10 filled forms, each a different complainant (a new file, new content)."""
    from tests.conftest import sample_data
    from tests.fillers import fill_pypdf

    from klageformular import Complaint, render_form
    from klageformular.values import field_values

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its appearance generator's font notes
    blank = render_form("da")
    folder.mkdir(parents=True)
    for i in range(_NEW):
        data = sample_data()
        data["complainant"] |= {"client_reference": f"K-{90000 + i}", "first_name": f"Ny {i}",
                                "email": f"ny{i}@example.dk"}
        (folder / f"ny-{i}.pdf").write_bytes(fill_pypdf(blank, field_values(Complaint.model_validate(data), "da")))


def make_messages(folder: Path) -> None:
    """10 messages as a mail program sends them, each with a filled form attached."""
    from tests.mailforms import form, mail

    folder.mkdir(parents=True)
    for i in range(_NEW):
        address = f"ny{i}@example.dk"
        (folder / f"ny-{i}.eml").write_bytes(mail(f"Kunde {i} <{address}>", "klage@kameo.dk", "Klage",
                                                  message_id=f"<ny-{i}@example.dk>",
                                                  attachment=form(email=address, name=f"Nyholm{i}")))


# -- the measurements ----------------------------------------------------------------------------


def measured(runs: int, primed: Path, argv: Callable[[Path, str], list[str]],
             db: Path | None = None) -> tuple[Cost, str]:
    """The median of ``runs`` runs, each on a fresh copy of ``primed`` and of the register ``db``.

    The register stays where it is (its URL is the key of the folder's import marks) and is put
    back as it was before each run and after the last."""
    costs, printed = [], ""
    pristine = db.with_name(db.name + ".pristine") if db is not None else None
    if db is not None and pristine is not None:
        shutil.copy(db, pristine)
    try:
        for _ in range(runs):
            with tempfile.TemporaryDirectory(dir=primed.parent) as tmp:
                out = Path(tmp) / "out"
                shutil.copytree(primed, out)
                if db is not None and pristine is not None:
                    shutil.copy(pristine, db)
                cost, printed = run(argv(out, f"sqlite:///{db}" if db is not None else ""))
                costs.append(cost)
    finally:
        if db is not None and pristine is not None:
            shutil.copy(pristine, db)
            pristine.unlink()
    return median(costs), printed


def register_line(printed: str) -> str:
    return next((line for line in printed.splitlines() if line.startswith("register:")), "(no register line)")


def batch(inbox: Path, *extra: str) -> Callable[[Path, str], list[str]]:
    def argv(out: Path, url: str) -> list[str]:
        return ["batch", str(inbox), "-o", str(out), "-q", "--workers", "1", *extra,
                *(["--register", "--db", url] if url else [])]
    return argv


def one_size(tmp: Path, lines: int, runs: int, *, register: bool, forms: Path, messages: Path,
             empty: Path) -> list[tuple[str, Cost, Cost | None, str]]:
    """The rows for a folder of ``lines`` lines: (case, cost at ``lines``, cost when empty, note)."""
    rows: list[tuple[str, Cost, Cost | None, str]] = []
    folder = tmp / f"folder-{lines}"
    write_history(folder, lines)
    run(batch(empty)(folder, ""))  # the run before: builds the folder's index
    blank = tmp / f"blank-{lines}"
    run(batch(empty)(blank, ""))
    big, _ = measured(runs, folder, batch(forms))
    small, _ = measured(runs, blank, batch(forms))
    rows.append((f"(a) batch: {_NEW} forms", big, small, ""))

    if register:
        db, blank_db = tmp / f"klager-{lines}.db", tmp / f"blank-{lines}.db"
        registered = tmp / f"registered-{lines}"
        shutil.copytree(folder, registered)
        cost, printed = run(["register", "import", str(registered), "--db", f"sqlite:///{db}"])
        rows.append((f"register import of the {lines:,} records (once)", cost, None, register_line(printed)))
        cost, printed = run(batch(empty)(registered, f"sqlite:///{db}"))
        rows.append(("first batch --register after it, nothing new", cost, None, register_line(printed)))
        seed = tmp / f"seed-{lines}"
        write_history(seed, 0)
        run(["register", "import", str(seed), "--db", f"sqlite:///{blank_db}"])  # an empty register, migrated
        big, printed = measured(runs, registered, batch(forms), db)
        small, _ = measured(runs, blank, batch(forms), blank_db)
        rows.append((f"(c) batch --register: {_NEW} forms", big, small, register_line(printed)))
        # (d): after the run of (c), the same again; the empty folder's is one holding just those 10.
        run(batch(forms)(registered, f"sqlite:///{db}"))
        seed_db = tmp / f"seed-{lines}.db"
        shutil.rmtree(seed)
        shutil.copytree(blank, seed)
        shutil.copy(blank_db, seed_db)
        run(batch(forms)(seed, f"sqlite:///{seed_db}"))
        big, printed = measured(runs, registered, batch(empty), db)
        small, _ = measured(runs, seed, batch(empty), seed_db)
        rows.append(("(d) batch --register, a re-run with nothing new", big, small, register_line(printed)))
        for path in (db, seed_db, blank_db):
            path.unlink()
        shutil.rmtree(registered)
        shutil.rmtree(seed)
    shutil.rmtree(folder)

    mail_folder = tmp / f"mail-{lines}"
    write_ledger(mail_folder, lines)
    run(batch(empty)(mail_folder, ""))
    big, _ = measured(runs, mail_folder, batch(messages))
    small, _ = measured(runs, blank, batch(messages))
    rows.append((f"(e) batch: {_NEW} messages with a form", big, small, ""))
    shutil.rmtree(mail_folder)
    return rows


def verdict(big: Cost, small: Cost) -> str:
    ok = big.cpu <= small.cpu * (1 + _CPU_SHARE) and big.rss <= small.rss + _RSS_MB
    return "pass" if ok else "**fail**"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[50_000], help="record lines in the folder")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (the median is shown)")
    parser.add_argument("--no-register", dest="register", action="store_false", help="skip (c) and (d)")
    args = parser.parse_args(argv)
    print(f"| lines | case | CPU s | empty CPU s | ratio | peak MB | empty MB | +MB | wall s | empty wall s "
          f"| within {_CPU_SHARE:.0%} and {_RSS_MB:.0f} MB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        forms, messages, empty = Path(tmp) / "forms", Path(tmp) / "messages", Path(tmp) / "empty"
        make_forms(forms)
        make_messages(messages)
        empty.mkdir()
        for lines in args.lines:
            for case, big, small, note in one_size(Path(tmp), lines, args.runs, register=args.register,
                                                   forms=forms, messages=messages, empty=empty):
                if small is None:
                    print(f"| {lines:,} | {case} | {big.cpu:.2f} | | | {big.rss:.0f} | | | {big.wall:.2f} | | |")
                else:
                    print(f"| {lines:,} | {case} | {big.cpu:.2f} | {small.cpu:.2f} | {big.cpu / small.cpu:.2f} "
                          f"| {big.rss:.0f} | {small.rss:.0f} | {big.rss - small.rss:+.0f} | {big.wall:.2f} "
                          f"| {small.wall:.2f} | {verdict(big, small)} |")
                if note:
                    notes.append(f"{lines:,}, {case}: `{note}`")
                sys.stdout.flush()
    for note in notes:
        print(f"- {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
