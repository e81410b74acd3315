"""Register speed: intake into SQLite and PostgreSQL; lists and exports at scale against the raw query.

    python benchmarks/register.py                    # 2,000 complaint records
    python benchmarks/register.py --scale 2000 20000 # export xlsx, list --json, export --csv (SQLite)
    python benchmarks/register.py --scale 2000 --src /tmp/before/src   # also another source tree
    python benchmarks/register.py --records 500      # quicker
    python benchmarks/register.py --postgres postgresql://user@host/db   # an existing (empty) database
    python benchmarks/register.py --file-bytes 0     # records whose files are not there (listed missing)

The records are what ``klageformular batch`` writes (tests/registers.py builds them: every
complaint validated by the ``Complaint`` model, each its own file, content and customer);
parsing PDFs is measured by benchmarks/batch.py, so this measures the register alone. Each
record is one transaction (a reference number taken under a lock), as in real intake.
Without ``--postgres`` a throw-away server is started as the tests do (tests/postgres.py),
with ``fsync=off``: PostgreSQL figures are an upper bound, SQLite's are real (WAL,
``synchronous=NORMAL``). A second import of the same folder measures the idempotent re-run.

Each record's file is in the inbox (``--file-bytes``, default 85,000: a filled form from
pypdf; random bytes, which neither database can compress, as a PDF's streams mostly are), so
the import stores every file in the database; "db MB" is the database's size after it.

``--scale N …`` builds registers of N cases on SQLite (250 imported records of five years,
varied statuses and events, copied in SQL to N) and runs ``register export x.xlsx``,
``register list --json`` and ``register export --csv`` each in a fresh interpreter, against the
same query in Python's ``sqlite3`` writing the same kind of output (``json.dumps``, ``csv.writer``,
openpyxl's write-only sheet) in the same run: seconds, the ratio to the raw query and each
process's peak RSS. A command still running after ``--timeout`` seconds is stopped and shown
as ">". ``--src DIR`` runs the commands with ``DIR`` first on ``PYTHONPATH`` too (a ``git
archive`` of an earlier commit's ``src``): before and after from one run.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def measure(url: str, out: Path, records: int) -> dict[str, float]:
    from sqlalchemy import text

    from klageformular.register import create_register_engine, import_batch

    engine = create_register_engine(url)
    start = time.perf_counter()
    summary = import_batch(engine, out)
    first = time.perf_counter() - start
    assert summary.added == records, summary
    start = time.perf_counter()
    again = import_batch(engine, out)
    second = time.perf_counter() - start
    assert again.already == records and again.added == 0
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            size = int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
    engine.dispose()
    if engine.dialect.name != "postgresql":  # closing the last connection folded the WAL into the file
        size = sum(p.stat().st_size for p in Path(str(engine.url.database)).parent.glob("klager.db*"))
    return {"records/s": round(records / first, 1), "seconds": round(first, 2),
            "re-run records/s": round(records / second, 1), "db MB": round(size / 1e6, 1)}


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str | None]:
    if url:
        yield url
        return
    from tests.postgres import new_database, postgres_server

    try:
        with postgres_server() as server:
            yield new_database(server)
    except BaseException as exc:  # pytest.skip when the binaries are absent
        if type(exc).__name__ == "Skipped":
            print(f"PostgreSQL: skipped ({exc})")
            yield None
        else:
            raise


# -- lists and exports at scale ----------------------------------------------------------------------

_TEMPLATE = 250  # records imported for real; the rest are copies made in SQL
_CLI = "import sys; from klageformular.cli import main; sys.exit(main())"
# The raw queries: the same rows read with sqlite3 and written the cheapest way for their format.
_LIST_SQL = ("SELECT reference, status, version, received, received_at, acknowledge_by, decide_by, acknowledged_on,"
             " decided_on, outcome, organisation, language, channel, assignee, merged_into, not_a_complaint,"
             " message, method, profile_sha256, extended_to, extension_reason, waiting_since, waiting_for,"
             " paused_days, complaint, review FROM complaints ORDER BY received, prefix, year, number")
_EXPORT_SQL = ("SELECT reference, received, acknowledge_by, decide_by, status, complaint, review, message, language,"
               " channel, acknowledged_on, decided_on, outcome FROM complaints ORDER BY prefix, year, number")
_EVENTS_SQL = ("SELECT c.reference, e.at, e.who, e.what, e.from_status, e.to_status, e.note FROM events e"
               " JOIN complaints c ON c.id = e.complaint_id ORDER BY c.prefix, c.year, c.number, e.id")
_RAW = {
    "list --json": f"""
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1]); out = sys.stdout
cursor = con.execute({_LIST_SQL!r})
names = [d[0] for d in cursor.description]
for row in cursor:
    item = dict(zip(names, row)); item["complaint"] = json.loads(item["complaint"] or "null")
    item["review"] = json.loads(item["review"]); out.write(json.dumps(item) + "\\n")
""",
    "export --csv": f"""
import csv, json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8-sig", newline="") as f:
    writer = csv.writer(f, delimiter=";")
    for row in con.execute({_EXPORT_SQL!r}):
        c = json.loads(row[5] or "null") or {{}}; p = c.get("complainant") or {{}}
        writer.writerow([*row[:5], p.get("first_name"), p.get("email"), c.get("subject") or row[7],
                         json.loads(row[6]), *row[8:]])
""",
    "export xlsx": f"""
import json, sqlite3, sys
from openpyxl import Workbook
con = sqlite3.connect(sys.argv[1])
book = Workbook(write_only=True); sheet = book.create_sheet("c")
for row in con.execute({_EXPORT_SQL!r}):
    c = json.loads(row[5] or "null") or {{}}; p = c.get("complainant") or {{}}
    sheet.append([*row[:5], p.get("first_name"), p.get("email"), c.get("subject") or row[7], row[6], *row[8:]])
events = book.create_sheet("e")
for row in con.execute({_EVENTS_SQL!r}):
    events.append(list(row))
book.save(sys.argv[2])
""",
}


def build_register(path: Path, cases: int) -> str:
    """A SQLite register of ``cases`` cases: :data:`_TEMPLATE` imported, then copied in SQL."""
    import sqlite3
    from datetime import date, timedelta

    from tests.registers import complaint_record, rejected_record, write_batch

    from klageformular.register import create_register_engine, import_batch, set_status

    url = f"sqlite:///{path}"
    engine = create_register_engine(url)
    template = min(cases, _TEMPLATE)
    records, rejected = [], []
    for i in range(template):
        received = (date(2021, 1, 4) + timedelta(days=(i * 7) % 1800)).isoformat()  # five years
        if i % 10 == 9:
            rejected.append(rejected_record(i, received=received))
        else:
            records.append(complaint_record(i, received=received, status="needs_review" if i % 4 == 0 else "complete"))
    with tempfile.TemporaryDirectory() as tmp:
        import_batch(engine, write_batch(Path(tmp), complaints=records, rejected=rejected))
    with engine.connect() as connection:
        from sqlalchemy import text

        references = [r for (r,) in connection.execute(text("SELECT reference FROM complaints WHERE status = "
                                                            "'received' ORDER BY id"))]
    for n, reference in enumerate(references):  # most cases closed, some open, a few escalated
        steps = [("acknowledged", None), ("under_review", None), ("decided", "not_upheld"), ("closed", None)]
        for status, outcome in steps[:(4 if n % 5 else n % 3)] + ([("escalated", None)] if n % 23 == 0 else []):
            set_status(engine, reference, status, who="linn", outcome=outcome, note="sendt")
    engine.dispose()
    con = sqlite3.connect(path)
    columns = [c[1] for c in con.execute("PRAGMA table_info(complaints)")]
    top, = con.execute("SELECT max(id) FROM complaints").fetchone()
    span, = con.execute("SELECT max(number) FROM complaints").fetchone()
    event_columns = [c[1] for c in con.execute("PRAGMA table_info(events)") if c[1] != "id"]
    for k in range(1, -(-cases // template)):
        chosen = {"id": f"id + {k * top}", "number": f"number + {k * span}",
                  "reference": f"printf('%s-%d-%04d', prefix, year, number + {k * span})"}
        con.execute(f"INSERT INTO complaints ({', '.join(columns)}) SELECT "
                    + ", ".join(chosen.get(c, c) for c in columns)
                    + f" FROM complaints WHERE id <= {top} AND id + {k * top} <= {cases}")
        con.execute(f"INSERT INTO events ({', '.join(event_columns)}) SELECT "
                    + ", ".join(f"complaint_id + {k * top}" if c == "complaint_id" else c for c in event_columns)
                    + f" FROM events WHERE complaint_id <= {top} AND complaint_id + {k * top} <= {cases}")
    con.commit()
    assert con.execute("SELECT count(*) FROM complaints").fetchone()[0] == cases
    con.close()
    return url


def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float) -> tuple[float, float, float] | None:
    """Seconds, CPU seconds and peak RSS (MB) of one process (None when it ran past ``timeout``).

    CPU seconds are what a loaded shared machine changes least; the ratios are of those."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, env=env)
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            os.wait4(process.pid, 0)
            return None
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    assert os.waitstatus_to_exitcode(status) == 0, argv
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def scale(sizes: list[int], sources: list[str], timeout: float) -> None:
    trees = [("", None)] + [(f" ({Path(src).parent.name})", src) for src in sources]
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for cases in sizes:
            db = Path(tmp) / f"r{cases}.db"
            print(f"building {cases:,} cases …", flush=True)
            # In a child of its own: Linux counts a parent's peak RSS in a forked child's, so the
            # parent stays small (it never imports the package).
            subprocess.run([sys.executable, __file__, "--build", str(cases), str(db)], check=True)
            url = f"sqlite:///{db}"
            commands = {"export xlsx": ["register", "export", f"{tmp}/x.xlsx"],
                        "list --json": ["register", "list", "--json"],
                        "export --csv": ["register", "export", "--csv", f"{tmp}/x.csv"]}
            targets = {"export xlsx": f"{tmp}/raw.xlsx", "list --json": "", "export --csv": f"{tmp}/raw.csv"}
            for name, args in commands.items():
                raw = run([sys.executable, "-c", _RAW[name], str(db), targets[name]], timeout=timeout)
                assert raw is not None
                rows.append((f"{name} — raw sqlite3", f"{cases:,}", f"{raw[0]:.2f}", f"{raw[1]:.2f}", "1.0",
                             f"{raw[2]:.0f}"))
                for label, src in trees:
                    env = os.environ | {"PYTHONPATH": src} if src else None
                    got = run([sys.executable, "-c", _CLI, *args, "--db", url], env=env, timeout=timeout)
                    rows.append((f"{name}{label}", f"{cases:,}",
                                 *((f"{got[0]:.2f}", f"{got[1]:.2f}", f"{got[1] / raw[1]:.1f}", f"{got[2]:.0f}")
                                   if got else (f"> {timeout:.0f}", "—", "—", "—"))))
    print("\n| command | cases | seconds | CPU s | CPU × raw | peak RSS MB |\n|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--scale", type=int, nargs="+", metavar="CASES", help="lists and exports at these sizes")
    parser.add_argument("--src", action="append", default=[], help="with --scale: also time this source tree")
    parser.add_argument("--timeout", type=float, default=120, help="with --scale: seconds before a command stops")
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database (default: start one)")
    parser.add_argument("--file-bytes", type=int, default=85_000, help="size of each record's file (0: none)")
    parser.add_argument("--build", nargs=2, metavar=("CASES", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build_register(Path(args.build[1]), int(args.build[0]))
        return
    if args.scale:
        scale(args.scale, args.src, args.timeout)
        return

    from tests.registers import complaint_record, write_batch

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"building {args.records} records …")
        records = [complaint_record(i) for i in range(args.records)]
        if args.file_bytes:
            (folder / "inbox").mkdir()
            for record in records:
                data = os.urandom(args.file_bytes)
                (folder / record["source"]).write_bytes(data)
                record["sha256"] = hashlib.sha256(data).hexdigest()
        out = write_batch(folder / "out", complaints=records)
        (out / "summary.json").write_text(json.dumps({"inbox": str(folder)}), encoding="utf-8")
        results = {"SQLite (WAL, file)": measure(f"sqlite:///{folder / 'klager.db'}", out, args.records)}
        with postgres(args.postgres) as url:
            if url:
                results["PostgreSQL (psycopg 3, loopback)"] = measure(url, out, args.records)
    for name, figures in results.items():
        print(f"{name:<34} " + "  ".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
