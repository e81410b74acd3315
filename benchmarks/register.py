"""Register intake speed: batch records per second into SQLite and PostgreSQL, first import and re-run.

    python benchmarks/register.py                    # 2,000 complaint records
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
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--postgres", metavar="URL", help="an empty PostgreSQL database (default: start one)")
    parser.add_argument("--file-bytes", type=int, default=85_000, help="size of each record's file (0: none)")
    args = parser.parse_args()

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
