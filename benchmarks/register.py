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

``--scale 10000 100000`` (``--slow`` adds 1,000,000, SQLite only) builds registers of N cases on
SQLite (250 imported records of five years, varied statuses and events, copied in SQL to N, each
copy's days moved by up to a year) and runs ``register export x.xlsx``, ``register list --json``
and ``register export --csv`` each in a fresh interpreter, against the same query in Python's
``sqlite3`` writing the same kind of output (``json.dumps``, ``csv.writer``, XlsxWriter's
constant-memory sheet; openpyxl's write-only sheet as a further row) in the same run: seconds, the
ratio to the raw query and each process's peak RSS. A command still running after ``--timeout``
seconds is stopped and shown as ">". The same register is copied to PostgreSQL (the throw-away
server, or ``--postgres``; ``--no-postgres``: SQLite only) and measured again against the same
queries in psycopg with a server-side cursor. ``register report`` and ``register due`` are
measured against their queries in plain SQL, and ``register due`` on an empty register against
``python -c pass``. ``--only 'export --csv'`` (repeatable) measures only those commands. Past Excel's
1,048,576 rows the raw XlsxWriter script continues on a next sheet as the export does (XlsxWriter
drops rows past the limit: at 1,000,000 cases, three quarters of the 4.1 million events).
``--src DIR`` runs the commands with ``DIR`` first on ``PYTHONPATH`` too (a
``git archive`` of an earlier commit's ``src``): before and after from one run.
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
def text(v):
    return v if isinstance(v, str) else json.dumps(v)
book = Workbook(write_only=True); sheet = book.create_sheet("c")
for row in con.execute({_EXPORT_SQL!r}):
    c = json.loads(row[5] or "null") or {{}}; p = c.get("complainant") or {{}}
    sheet.append([*row[:5], p.get("first_name"), p.get("email"), c.get("subject") or row[7], text(row[6]),
                  *row[8:]])
events = book.create_sheet("e")
for row in con.execute({_EVENTS_SQL!r}):
    events.append([v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v for v in row])
book.save(sys.argv[2])
""",
    # The writer the export uses, in the same mode: the raw figure the export is measured against.
    "export xlsx (XlsxWriter)": f"""
import json, sqlite3, sys
from xlsxwriter import Workbook
con = sqlite3.connect(sys.argv[1])
def text(v):
    return v if isinstance(v, str) else json.dumps(v)
book = Workbook(sys.argv[2], {{"constant_memory": True}}); sheet = book.add_worksheet("c")
for r, row in enumerate(con.execute({_EXPORT_SQL!r})):
    c = json.loads(row[5] or "null") or {{}}; p = c.get("complainant") or {{}}
    sheet.write_row(r, 0, [*row[:5], p.get("first_name"), p.get("email"), c.get("subject") or row[7], text(row[6]),
                           *row[8:]])
for r, row in enumerate(con.execute({_EVENTS_SQL!r})):
    if r % 1048575 == 0:  # a full sheet continues on the next, as the export's (XlsxWriter drops rows past it)
        events = book.add_worksheet(f"e{{r // 1048575 + 1}}")
    events.write_row(r % 1048575, 0, [v.replace(tzinfo=None) if getattr(v, "tzinfo", None) else v for v in row])
book.close()
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
    days = ("received", "acknowledge_by", "decide_by", "acknowledged_on", "decided_on")
    for k in range(1, -(-cases // template)):
        # Each copy's days moved by up to a year, all by the same amount: as many different days
        # of receipt and of answer as a real register has, for the report's working days.
        chosen = {"id": f"id + {k * top}", "number": f"number + {k * span}",
                  "reference": f"printf('%s-%d-%04d', prefix, year, number + {k * span})",
                  **{d: f"date({d}, '+{k % 365} days')" for d in days}}
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


def run(argv: list[str], *, env: dict[str, str] | None = None, timeout: float,
        codes: tuple[int, ...] = (0,)) -> tuple[float, float, float] | None:
    """Seconds, CPU seconds and peak RSS (MB) of one process (None when it ran past ``timeout``).

    CPU seconds are what a loaded shared machine changes least; the ratios are of those. The peak
    RSS is taken by ``/usr/bin/time`` where there is one: Linux counts the memory of the process
    that forked a child in the child's own peak, and this one may have started PostgreSQL."""
    timer = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:
        wrapped = [str(timer), "-f", "%M", "-o", rss.name, *argv] if timer.exists() else argv
        got = _wait(wrapped, env=env, timeout=timeout, codes=codes)
        if got is None or not timer.exists():
            return got
        return got[0], got[1], int(rss.read().split()[-1]) / 1024


def _wait(argv: list[str], *, env: dict[str, str] | None, timeout: float,
          codes: tuple[int, ...]) -> tuple[float, float, float] | None:
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
    assert os.waitstatus_to_exitcode(status) in codes, argv
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


_PERIOD = ["--from", "2021-01-01", "--to", "2026-12-31", "--today", "2027-01-15"]
_REPORT_SQL = [  # what ``register report`` asks, as plain SQL (its GROUP BYs and counts)
    "SELECT count(*), count(CASE WHEN not_a_complaint AND merged_into IS NULL THEN 1 END),"
    " count(CASE WHEN merged_into IS NOT NULL THEN 1 END) FROM complaints"
    " WHERE received BETWEEN '2021-01-01' AND '2026-12-31'",
    "SELECT c.status, k.product, k.cause, c.outcome, c.channel, c.language, count(*) FROM complaints c"
    " LEFT JOIN case_categories k ON k.complaint_id = c.id WHERE c.received BETWEEN '2021-01-01' AND '2026-12-31'"
    " AND NOT c.not_a_complaint AND c.merged_into IS NULL GROUP BY 1, 2, 3, 4, 5, 6",
    *(f"SELECT organisation, received, {done}, count(*) FROM complaints WHERE received BETWEEN '2021-01-01'"
      f" AND '2026-12-31' AND NOT not_a_complaint AND merged_into IS NULL AND {done} IS NOT NULL GROUP BY 1, 2, 3"
      for done in ("acknowledged_on", "decided_on")),
    "SELECT count(CASE WHEN acknowledged_on > acknowledge_by OR decided_on > decide_by THEN 1 END) FROM complaints"
    " WHERE received BETWEEN '2021-01-01' AND '2026-12-31' AND NOT not_a_complaint AND merged_into IS NULL",
]
_OPEN = "status IN ('unreadable', 'received', 'acknowledged', 'under_review', 'escalated')"
_DUE_SQL = [  # what ``register due`` asks: the counts, the deadlines in order, review items, failed letters
    "SELECT count(CASE WHEN assignee IS NULL THEN 1 END) FROM complaints WHERE " + _OPEN
    + " AND coalesce(merged_into, '') = ''",
    "SELECT * FROM (SELECT reference, status, received, assignee, acknowledge_by AS deadline FROM complaints"
    " WHERE status IN ('unreadable', 'received') AND acknowledge_by <= '2027-01-22' AND coalesce(merged_into, '') = ''"
    " UNION ALL SELECT reference, status, received, assignee, decide_by FROM complaints WHERE status IN"
    " ('acknowledged', 'under_review') AND waiting_since IS NULL AND decide_by <= '2027-01-22'"
    " AND coalesce(merged_into, '') = '') AS due ORDER BY deadline, reference",
    "SELECT review FROM complaints WHERE " + _OPEN + " AND coalesce(merged_into, '') = '' AND NOT not_a_complaint"
    " AND CAST(review AS TEXT) != '[]'",
    "SELECT o.id FROM outgoing o JOIN complaints c ON c.id = o.complaint_id WHERE o.state = 'failed'"
    " AND c.merged_into IS NULL AND NOT EXISTS (SELECT 1 FROM outgoing l WHERE l.complaint_id = o.complaint_id"
    " AND l.kind = o.kind AND l.id > o.id)",
]
_RAW_QUERIES = f"""
import sys
queries = {{"report": {_REPORT_SQL!r}, "due": {_DUE_SQL!r}}}[sys.argv[3]]
"""
_CONNECT = """
if sys.argv[1].startswith("postgresql"):
    import psycopg
    con = psycopg.connect(sys.argv[1].replace("postgresql+psycopg", "postgresql"))
    def rows(sql):
        with con.cursor(name="c") as cursor:  # server-side, as the register streams
            cursor.itersize = 1000
            cursor.execute(sql)
            yield from cursor
        con.rollback()
else:
    import sqlite3
    con = sqlite3.connect(sys.argv[1].removeprefix("sqlite:///"))
    rows = con.execute
"""


def _raw(name: str) -> str:
    """The plain-driver script for a command: the same query, the cheapest writer of its output."""
    if name in ("report", "due"):
        return _RAW_QUERIES + _CONNECT + "for q in queries:\n    list(rows(q))\n"
    if name == "list --json":
        names = [n.strip() for n in _LIST_SQL[len("SELECT "):_LIST_SQL.index(" FROM ")].split(",")]
        return "import json, sys\n" + _CONNECT + f"""
def loads(v):
    return v if not isinstance(v, (str, bytes)) else json.loads(v)
out, names = sys.stdout, {names!r}
for row in rows({_LIST_SQL!r}):
    item = dict(zip(names, row)); item["complaint"] = loads(item["complaint"] or "null")
    item["review"] = loads(item["review"]); out.write(json.dumps(item, default=str) + "\\n")
"""
    body = "\n".join(line for line in _RAW[name].splitlines()  # without sqlite3's import and connection
                     if not line.startswith(("import ", "con = sqlite3.connect")))
    body = body.replace("con.execute(", "rows(")
    return "import csv, json, sys\n" + _CONNECT + (
        "def loads(v):\n    return v if not isinstance(v, (str, bytes)) else json.loads(v)\n"
        + body.replace("json.loads(", "loads("))


def _copy_to_postgres(sqlite_url: str, url: str) -> None:
    from klageformular.register import copy_register, create_register_engine

    copy_register(create_register_engine(sqlite_url), create_register_engine(url))


def scale(sizes: list[int], sources: list[str], timeout: float, *, postgres_url: str | None = None,
          postgres_sizes: frozenset[int] = frozenset(), only: frozenset[str] = frozenset()) -> None:
    trees = [("", None)] + [(f" ({Path(src).parent.name})", src) for src in sources]
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        empty = f"sqlite:///{tmp}/empty.db"
        subprocess.run([sys.executable, "-c", _CLI, "register", "due", "--db", empty], check=True,
                       stdout=subprocess.DEVNULL)
        floor = run([sys.executable, "-c", "pass"], timeout=timeout)
        assert floor is not None
        rows.append(("python -c pass", "0", f"{floor[0]:.2f}", f"{floor[1]:.2f}", "1.0", f"{floor[2]:.0f}"))
        for label, src in trees:
            env = os.environ | {"PYTHONPATH": src} if src else None
            got = run([sys.executable, "-m", "klageformular", "register", "due", "--db", empty], env=env,
                      timeout=timeout)
            assert got is not None
            rows.append((f"register due, empty register{label}", "0", f"{got[0]:.2f}", f"{got[1]:.2f}",
                         f"{got[1] / max(floor[1], 0.01):.0f}", f"{got[2]:.0f}"))
        for cases in sizes:
            db = Path(tmp) / f"r{cases}.db"
            print(f"building {cases:,} cases …", flush=True)
            # In a child of its own: Linux counts a parent's peak RSS in a forked child's, so the
            # parent stays small (it never imports the package).
            subprocess.run([sys.executable, __file__, "--build", str(cases), str(db)], check=True)
            urls = [("SQLite", f"sqlite:///{db}", "sqlite3")]
            if postgres_url and cases in postgres_sizes:
                from tests.postgres import new_database

                target = new_database(postgres_url)
                print(f"copying {cases:,} cases to PostgreSQL …", flush=True)
                subprocess.run([sys.executable, __file__, "--copy", f"sqlite:///{db}", target], check=True)
                urls.append(("PostgreSQL", target, "psycopg"))
            for database, url, driver in urls:
                commands = {"export xlsx": ["register", "export", f"{tmp}/x.xlsx"],
                            "list --json": ["register", "list", "--json"],
                            "export --csv": ["register", "export", "--csv", f"{tmp}/x.csv"],
                            "report": ["register", "report", *_PERIOD],
                            "due": ["register", "due", "--today", "2027-01-15"]}
                targets = {"export xlsx": f"{tmp}/raw.xlsx", "export --csv": f"{tmp}/raw.csv"}
                for name, args in commands.items():
                    if only and name not in only:
                        continue
                    if name == "export xlsx":  # openpyxl's write-only sheet too: the writer the export left
                        other = run([sys.executable, "-c", _raw(name), url, targets[name], name], timeout=timeout)
                        assert other is not None
                        rows.append((f"{name} — raw {driver} + openpyxl", f"{cases:,} {database}",
                                     f"{other[0]:.2f}", f"{other[1]:.2f}", "—", f"{other[2]:.0f}"))
                    key = "export xlsx (XlsxWriter)" if name == "export xlsx" else name
                    raw = run([sys.executable, "-c", _raw(key), url, targets.get(name, ""), name], timeout=timeout)
                    assert raw is not None
                    rows.append((f"{name} — raw {driver}", f"{cases:,} {database}", f"{raw[0]:.2f}",
                                 f"{raw[1]:.2f}", "1.0", f"{raw[2]:.0f}"))
                    for label, src in trees:
                        env = os.environ | {"PYTHONPATH": src} if src else None
                        got = run([sys.executable, "-c", _CLI, *args, "--db", url], env=env, timeout=timeout,
                                  codes=(0, 1) if name == "due" else (0,))  # due: 1 when something is overdue
                        rows.append((f"{name}{label}", f"{cases:,} {database}",
                                     *((f"{got[0]:.2f}", f"{got[1]:.2f}", f"{got[1] / raw[1]:.1f}", f"{got[2]:.0f}")
                                       if got else (f"> {timeout:.0f}", "—", "—", "—"))))
                    print("| " + " | ".join(rows[-1]) + " |", flush=True)
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
    parser.add_argument("--slow", action="store_true", help="with --scale: add 1,000,000 cases (SQLite only)")
    parser.add_argument("--no-postgres", action="store_true", help="with --scale: SQLite only")
    parser.add_argument("--only", action="append", default=[], metavar="COMMAND",
                        choices=("export xlsx", "list --json", "export --csv", "report", "due"),
                        help="with --scale: only this command (repeatable; e.g. --only 'export --csv')")
    parser.add_argument("--build", nargs=2, metavar=("CASES", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--copy", nargs=2, metavar=("FROM", "TO"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        build_register(Path(args.build[1]), int(args.build[0]))
        return
    if args.copy:
        _copy_to_postgres(*args.copy)
        return
    if args.scale or args.slow:
        sizes = sorted(set(args.scale or []) | ({1_000_000} if args.slow else set()))
        server = contextlib.nullcontext(None) if args.no_postgres else postgres(args.postgres)
        with server as url:
            # PostgreSQL at the sizes asked for but the slow million (the copy alone takes long);
            # each size in a new database on that server.
            scale(sizes, args.src, args.timeout, postgres_url=url,
                  postgres_sizes=frozenset(n for n in sizes if n < 1_000_000), only=frozenset(args.only))
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
