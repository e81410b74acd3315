"""A throw-away Dovecot IMAP server on a loopback port, for the IMAP source tests.

Started from a fresh config in a temporary folder (passwd-file authentication, Maildir
storage, plain IMAP on 127.0.0.1 only, no TLS), stopped when the test ends. Skips with the
reason when Debian's ``dovecot-imapd`` is not installed.
"""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

USER, PASSWORD = "klage@kameo.test", "hemmeligt-test-kodeord"


@dataclass(frozen=True)
class Dovecot:
    """A running server: where to reach it and whom to log in as."""

    host: str
    port: int
    user: str
    password: str
    root: Path
    tls_port: int | None = None  # imaps, when started with TLS (then port also offers STARTTLS)
    ca_file: Path | None = None  # the self-signed certificate to trust
    mail_uid: int = 0  # who owns the mailboxes (what a delivery agent writes them as)
    mail_gid: int = 0

    @property
    def mailboxes(self) -> Path:
        """The folder holding each user's ``USER/Maildir/`` (where a local delivery puts mail)."""
        return self.root / "home"

    def url(self, folder: str = "INBOX") -> str:
        """``imap://user@127.0.0.1:port/Folder`` (the user's @ escaped)."""
        return f"imap://{self.user.replace('@', '%40')}@{self.host}:{self.port}/{folder}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _binary() -> str:
    path = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)
    if path is None or not Path("/usr/lib/dovecot/imap").exists():
        pytest.skip("Dovecot is not installed (apt-get install dovecot-imapd); CI installs it")
    return path


@contextmanager
def dovecot(*, tls: bool = False, users: tuple[str, ...] = ()) -> Iterator[Dovecot]:
    """Start Dovecot for one test in a fresh folder; yields once it accepts connections.

    With ``tls``, a self-signed certificate for 127.0.0.1 (made with openssl) serves imaps on
    ``tls_port`` and STARTTLS on ``port``. ``users``: more mailboxes (the same password), e.g.
    a customer's that a throw-away Postfix delivers into.
    """
    binary = _binary()
    if tls and shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl): needed for a test certificate")
    # Dovecot never delivers mail as root: as root, the mailbox belongs to Dovecot's own user,
    # which must be able to reach it, so the folder is made here (pytest's are private).
    # One shared parent, kept: other tests check that nothing new appears in the temporary folder.
    # Per user: a sudoer running the tests after root finds root's folder not writable.
    parent = Path(tempfile.gettempdir()) / f"klageformular-dovecot-{os.getuid()}"
    parent.mkdir(mode=0o711, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="run-", dir=parent))
    tmp.chmod(0o711)
    try:
        with _running(binary, tmp, tls, users) as server:
            yield server
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def _running(binary: str, tmp: Path, tls: bool, users: tuple[str, ...] = ()) -> Iterator[Dovecot]:
    port, tls_port = _free_port(), _free_port()
    ssl_settings = "ssl = no"
    if tls:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(tmp / "key.pem"), "-out", str(tmp / "cert.pem")],
                       check=True, capture_output=True, timeout=60)
        ssl_settings = f"ssl = yes\nssl_cert = <{tmp}/cert.pem\nssl_key = <{tmp}/key.pem"
    me = getpass.getuser()
    uid, gid = os.getuid(), os.getgid()
    group = grp.getgrgid(gid).gr_name
    if uid == 0 and _user_exists("dovecot"):
        uid, gid = pwd.getpwnam("dovecot").pw_uid, pwd.getpwnam("dovecot").pw_gid
    # As root, Dovecot's own unprivileged users (made by the Debian package) run the login and
    # internal processes; as anyone else, everything runs as that user. Authentication runs as
    # the test's user: the passwd file sits in the test's private (0700) temporary folder.
    internal = "dovecot" if os.getuid() == 0 and _user_exists("dovecot") else me
    login = "dovenull" if os.getuid() == 0 and _user_exists("dovenull") else me
    # Login and anvil processes chroot by default, which only root may do.
    chroot = "" if os.getuid() == 0 else "chroot ="
    (tmp / "run").mkdir(mode=0o755)
    (tmp / "home").mkdir()
    os.chown(tmp / "home", uid, gid)
    (tmp / "passwd").write_text("".join(f"{u}:{{PLAIN}}{PASSWORD}::::::\n" for u in (USER, *users)),
                                encoding="utf-8")
    config = tmp / "dovecot.conf"
    config.write_text(f"""
base_dir = {tmp}/run
state_dir = {tmp}/run/state
log_path = {tmp}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_login_user = {login}
default_internal_group = {group}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{tmp}/home/%u/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {tmp}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={tmp}/home/%u
}}
service imap-login {{
  {chroot}
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port if tls else 0}
  }}
}}
service anvil {{
  {chroot}
}}
service auth {{
  user = {me}
}}
service auth-worker {{
  user = {me}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""", encoding="utf-8")
    (tmp / "run" / "state").mkdir()
    server = Dovecot("127.0.0.1", port, USER, PASSWORD, tmp, tls_port if tls else None,
                     tmp / "cert.pem" if tls else None, uid, gid)
    processes = [_start(binary, config, port, tmp)]

    def stop() -> None:
        _stop(processes.pop())

    def start() -> None:
        processes.append(_start(binary, config, port, tmp))

    _CONTROL[port] = (stop, start)
    try:
        yield server
    finally:
        _CONTROL.pop(port, None)
        while processes:
            _stop(processes.pop())


_CONTROL: dict[int, tuple[Callable[[], None], Callable[[], None]]] = {}


def stop_dovecot(server: Dovecot) -> None:
    """Stop the running server (as a crash would, to the client): connections are refused until it starts."""
    _CONTROL[server.port][0]()


def start_dovecot(server: Dovecot) -> None:
    """Start the server again after :func:`stop_dovecot`: same port, same mailboxes."""
    _CONTROL[server.port][1]()


def _start(binary: str, config: Path, port: int, tmp: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([binary, "-F", "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return process
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = (tmp / "dovecot.log").read_text(errors="replace") if (tmp / "dovecot.log").exists() else ""
            # Stopped first: reading the output of a server that is still running never ends.
            process.kill()
            output = process.communicate()[0].decode(errors="replace")
            pytest.fail(f"Dovecot did not start: {output[-1500:]} {log[-1500:]}")
        time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def append(server: Dovecot, *messages: bytes, folder: str = "INBOX") -> None:
    """Deliver messages with IMAP APPEND (what a mail server's delivery does, seen from IMAP).

    The folder is created if needed; with no messages, that is all.
    """
    from imapclient import IMAPClient

    with IMAPClient(server.host, port=server.port, ssl=False, timeout=30) as client:
        client.login(server.user, server.password)
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for message in messages:
            # Arrival at the message's own Date, as a delivery soon after sending would be: the
            # server's time is trusted over a Date more than 30 days away from it.
            client.append(folder, message, msg_time=_date_of(message))


def _date_of(message: bytes) -> datetime | None:
    from email.parser import BytesHeaderParser
    from email.utils import parsedate_to_datetime

    value = BytesHeaderParser().parsebytes(message).get("Date")
    try:
        return parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError):
        return None
