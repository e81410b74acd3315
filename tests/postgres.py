"""A throw-away PostgreSQL server for the register tests: initdb in a temporary folder, loopback only.

Debian's ``postgresql`` package puts ``initdb`` and ``pg_ctl`` under
``/usr/lib/postgresql/<version>/bin``. PostgreSQL refuses to run as root, so as root the
cluster belongs to the ``postgres`` user the package creates (or a ``klageformular-pg``
system user made here) and the tools run through ``runuser``. The folder is removed after.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text


def _bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _owner() -> str | None:
    """The user to run the server as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "klageformular-pg"):
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    subprocess.run(["useradd", "--system", "--no-create-home", "klageformular-pg"], check=True, capture_output=True)
    return "klageformular-pg"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yields a SQLAlchemy URL of its ``postgres`` database (user ``postgres``, trust auth)."""
    bindir = _bindir()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found (apt-get install postgresql); CI installs them")
    owner = _owner()
    prefix = ["runuser", "-u", owner, "--"] if owner else []
    folder = Path(tempfile.mkdtemp(prefix="klageformular-pg-"))
    if owner:
        info = pwd.getpwnam(owner)
        os.chown(folder, info.pw_uid, info.pw_gid)
    data, port = folder / "data", _free_port()

    def run(*args: str | Path) -> None:
        proc = subprocess.run([*prefix, *map(str, args)], capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0:
            pytest.fail(f"{args[0]} failed: {proc.stderr[-2000:]}")

    try:
        run(bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        start: list[str | Path] = [
            bindir / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-t", "60", "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50", "start"]
        stop: list[str | Path] = [bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
        run(*start)
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        _CONTROL[url] = (lambda: run(*stop), lambda: run(*start))
        try:
            yield url
        finally:
            _CONTROL.pop(url, None)
            with contextlib.suppress(pytest.fail.Exception):  # stopped already by stop_server
                run(*stop)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_CONTROL: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {}


def stop_server(url: str) -> None:
    """Stop the server ``url`` (from :func:`postgres_server`) at once, as a crash or power cut would."""
    _CONTROL[url][0]()


def start_server(url: str) -> None:
    """Start the server ``url`` again after :func:`stop_server` (same data, same port)."""
    _CONTROL[url][1]()


def new_database(server_url: str) -> str:
    """A fresh, empty database on the server; returns its URL."""
    name = "t_" + uuid.uuid4().hex[:12]
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name
