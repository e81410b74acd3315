"""Workbench speed: the due page and a case page on a register of 50,000 cases, against the bare query.

    python benchmarks/workbench.py                      # 10,000 and 50,000 cases, SQLite and PostgreSQL
    python benchmarks/workbench.py --sizes 50000 --requests 400
    python benchmarks/workbench.py --no-postgres        # SQLite only
    python benchmarks/workbench.py --quick              # 300 cases, 10 requests, SQLite (the tests' smoke run)

The register: 250 records imported for real (benchmarks/register.py's builder over
tests/registers.py: five years of complaints, a tenth unreadable, a quarter with review items,
most acknowledged, decided and closed, some still open), then the *closed* ones copied in SQL
with their events up to the size asked, each copy its own customer and investment (so a case
page does not find 200 "related" cases). The open work is the same at every size, as in an
office whose register grows over the years while the week's work does not: what the timings
show at 10,000 and 50,000 is what the size of the register costs, not more rows on the page.
PostgreSQL gets the same register through ``copy_register`` on a throw-away server
(tests/postgres.py, ``fsync=off``: reads are what is measured here, so that changes little).

The app is the real one — ``create_app`` served by uvicorn on a loopback port, in a thread of
this process; the client sends one request at a time, so the server never waits for it (while
a request is in flight the client blocks in a socket read, holding no lock). One officer logs
in through the login form with password and TOTP; then N GETs of ``/`` and N of
``/cases/REF`` (an open case with a review item, its events and a document). The server time
is the app's own ``Server-Timing: app;dur=…`` (the middleware measures from the request to
the response's first byte, the page rendered); the client's round trip is shown beside it,
and this process's CPU time per request (server and client): on a shared machine whose other
work makes wall times queue, the CPU figure is the steadier one. The load average is printed.

The baseline, in the same run on the same engine: a bare ``SELECT`` of the same rows — the
due page's listed cases (the acknowledgement and decision queries' columns), and for a case
page the case's row and its events — N times, as SQLAlchemy Core ``text()`` through a pooled
connection. The ratio says what the page costs beyond reading its rows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "benchmark password 1234"
TODAY = date(2025, 10, 15)  # two days after the builder's last day received
_TEMPLATE = 250
# Copies of closed cases get their own keys, so related-case lookups find what a real register would.
_KEYS = ("content_key", "investment_key", "project_key", "complainant_key", "message_id", "message_sha256")


def build(path: Path, cases: int) -> str:
    """A SQLite register of ``cases`` cases (the module docstring says how); its URL."""
    import sqlite3

    from benchmarks.register import build_register

    url = build_register(path, min(cases, _TEMPLATE))
    con = sqlite3.connect(path)
    columns = [c[1] for c in con.execute("PRAGMA table_info(complaints)")]
    event_columns = [c[1] for c in con.execute("PRAGMA table_info(events)") if c[1] != "id"]
    closed = [i for (i,) in con.execute("SELECT id FROM complaints WHERE status = 'closed' ORDER BY id")]
    top, = con.execute("SELECT max(id) FROM complaints").fetchone()
    span, = con.execute("SELECT max(number) FROM complaints").fetchone()
    con.execute("CREATE TEMP TABLE pick (n INTEGER PRIMARY KEY, id INTEGER)")
    con.executemany("INSERT INTO pick VALUES (?, ?)", enumerate(closed))
    k = 0
    while True:
        have, = con.execute("SELECT count(*) FROM complaints").fetchone()
        if have >= cases:
            break
        k += 1
        room = cases - have
        offset = k * top
        chosen = {"id": f"c.id + {offset}", "number": f"number + {k * span}",
                  "reference": f"printf('%s-%d-%04d', prefix, year, number + {k * span})"}
        chosen |= {key: f"CASE WHEN {key} IS NULL THEN NULL ELSE {key} || ':{k}' END" for key in _KEYS}
        con.execute(f"INSERT INTO complaints ({', '.join(columns)}) SELECT "
                    + ", ".join(chosen.get(c, c) for c in columns)
                    + f" FROM complaints c JOIN pick p ON p.id = c.id WHERE p.n < {room}")
        con.execute(f"INSERT INTO events ({', '.join(event_columns)}) SELECT "
                    + ", ".join(f"e.complaint_id + {offset}" if c == "complaint_id" else c for c in event_columns)
                    + f" FROM events e JOIN pick p ON p.id = e.complaint_id WHERE p.n < {room}")
    con.execute("DROP TABLE pick")
    con.commit()
    con.close()
    return url


@dataclass(frozen=True)
class Timings:
    """Seconds of N runs."""

    values: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def p95(self) -> float:
        ordered = sorted(self.values)
        return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]


def timed(n: int, work: Callable[[], float | None]) -> Timings:
    """Run ``work`` n times (after two warm-ups); its own figure when it returns one, else the wall time."""
    for _ in range(2):
        work()
    values = []
    for _ in range(n):
        start = time.perf_counter()
        own = work()
        values.append(own if own is not None else time.perf_counter() - start)
    return Timings(values)


@dataclass
class Clock:
    """The app's time: :data:`TODAY` at 10:00 UTC, moving with the wall clock (TOTP codes stay fresh)."""

    started: float = time.time()

    def __call__(self) -> datetime:
        return datetime(TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=UTC) + timedelta(
            seconds=time.time() - self.started)


def _server_seconds(header: str | None) -> float:
    assert header and header.startswith("app;dur="), header
    return float(header.split("=", 1)[1]) / 1000


def measure(url: str, requests: int) -> list[tuple[str, Timings, Timings, Timings, Timings]]:
    """(page, server, client, CPU, baseline) for ``/`` and a case page on the register at ``url``."""
    import httpx
    import pyotp
    from sqlalchemy import text
    from sqlalchemy.orm import Session
    from tests.webserver import csrf_of, serving

    from klageformular.register import create_register_engine
    from klageformular.register._query import _ACKNOWLEDGING, _DECIDING
    from klageformular.web import Settings, create_app
    from klageformular.web._accounts import add_user

    engine = create_register_engine(url)
    clock = Clock()
    try:
        with Session(engine) as s, s.begin():
            uri = add_user(s, name="bench", role="officer", password=PASSWORD, now=clock()).otpauth_uri
        assert uri is not None
        secret = uri.split("secret=", 1)[1].split("&", 1)[0]
        with engine.connect() as c:
            reference = c.execute(text("SELECT reference FROM complaints WHERE status IN ('received', 'acknowledged') "
                                       "AND CAST(review AS TEXT) != '[]' ORDER BY id LIMIT 1")).scalar_one()
            case_id = c.execute(text("SELECT id FROM complaints WHERE reference = :r"), {"r": reference}).scalar_one()
        window_end = TODAY + timedelta(days=7)
        app = create_app(engine, Settings(), clock=clock)
        with serving(app) as base, httpx.Client(base_url=base, timeout=60) as client:
            form = client.get("/login")
            answer = client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf": csrf_of(form.text),
                                                 "code": pyotp.TOTP(secret).at(clock()), "next": "/"})
            assert answer.status_code == 303, answer.text

            def page(path: str) -> Callable[[], float | None]:
                def get() -> float | None:
                    got = client.get(path)
                    assert got.status_code == 200, (path, got.status_code)
                    return _server_seconds(got.headers.get("server-timing"))
                return get

            def wall(path: str) -> Callable[[], float | None]:
                def get() -> float | None:
                    assert client.get(path).status_code == 200
                    return None
                return get

            def cpu(path: str) -> Callable[[], float | None]:
                # This process's CPU time for one request (the server's, and the client's ~1 ms): what
                # a loaded shared machine changes least, where wall times queue behind other work.
                def get() -> float | None:
                    start = time.process_time()
                    assert client.get(path).status_code == 200
                    return time.process_time() - start
                return get

            def bare(sql: str, **params: object) -> Callable[[], float | None]:
                def run() -> float | None:
                    with engine.connect() as c:
                        c.execute(text(sql), params).all()
                    return None
                return run

            due_sql = ("SELECT reference, status, received, assignee, acknowledge_by FROM complaints"
                       f" WHERE status IN {_ACKNOWLEDGING!r} AND acknowledge_by <= :end"
                       " AND coalesce(merged_into, '') = ''"
                       " UNION ALL SELECT reference, status, received, assignee, decide_by FROM complaints"
                       f" WHERE status IN {_DECIDING!r}"
                       " AND waiting_since IS NULL AND decide_by <= :end AND coalesce(merged_into, '') = ''")
            case_sql = "SELECT * FROM complaints WHERE id = :id"
            events_sql = "SELECT * FROM events WHERE complaint_id = :id ORDER BY id"
            rows = []
            for name, path, baseline in (
                    ("due /", "/", bare(due_sql, end=window_end)),
                    (f"case /cases/{reference}", f"/cases/{reference}",
                     lambda: (bare(case_sql, id=case_id)(), bare(events_sql, id=case_id)())[0])):
                rows.append((name, timed(requests, page(path)), timed(requests, wall(path)), timed(requests, cpu(path)),
                             timed(requests, baseline)))
            listed, = engine.connect().execute(text(f"SELECT count(*) FROM ({due_sql}) d"), {"end": window_end}).one()
            print(f"  (the due page lists {listed} cases)", flush=True)
            return rows
    finally:
        engine.dispose()


@contextlib.contextmanager
def postgres(enabled: bool) -> Iterator[str | None]:
    """A throw-away PostgreSQL server's URL (None when disabled or its binaries are absent)."""
    if not enabled:
        yield None
        return
    from tests.postgres import postgres_server

    try:
        with postgres_server() as server:
            yield server
    except BaseException as exc:  # pytest.skip when the binaries are absent
        if type(exc).__name__ != "Skipped":
            raise
        print(f"PostgreSQL: skipped ({exc})")
        yield None


def run(sizes: list[int], requests: int, with_postgres: bool) -> list[tuple[str, ...]]:
    """The table's rows: each database and size, each page."""
    from tests.postgres import new_database

    from klageformular.register import copy_register, create_register_engine

    table: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp, postgres(with_postgres) as server:
        for cases in sizes:
            print(f"building {cases:,} cases …", flush=True)
            sqlite_url = build(Path(tmp) / f"r{cases}.db", cases)
            targets = [("SQLite", sqlite_url)]
            if server:
                pg_url = new_database(server)
                source, target = create_register_engine(sqlite_url), create_register_engine(pg_url)
                copy_register(source, target)
                with target.connect() as c:  # what autovacuum does soon after a bulk load
                    from sqlalchemy import text

                    c.execute(text("ANALYZE"))
                    c.commit()
                source.dispose()
                target.dispose()
                targets.append(("PostgreSQL", pg_url))
            for db, url in targets:
                print(f"{db}, {cases:,} cases: {requests} requests per page …", flush=True)
                for page, server_t, client_t, cpu_t, base_t in measure(url, requests):
                    table.append((db, f"{cases:,}", page, f"{server_t.median * 1000:.1f}", f"{server_t.p95 * 1000:.1f}",
                                  f"{client_t.median * 1000:.1f}", f"{cpu_t.median * 1000:.1f}",
                                  f"{base_t.median * 1000:.2f}", f"{server_t.median / base_t.median:.0f}"))
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 50_000], metavar="CASES")
    parser.add_argument("--requests", type=int, default=200, help="GETs of each page (default: %(default)s)")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--quick", action="store_true", help="300 cases, 10 requests, SQLite: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.requests, args.no_postgres = [300], 10, True
    table = run(args.sizes, args.requests, not args.no_postgres)
    print(f"\n(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print("\n| database | cases | page | server median ms | server p95 ms | client median ms | CPU median ms"
          " | bare SELECT median ms | server ÷ SELECT |\n|---|---|---|---|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
