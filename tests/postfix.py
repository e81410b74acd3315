"""A throw-away Postfix on a loopback port that delivers into a throw-away Dovecot's mailboxes.

Its own configuration, queue and data folders in a temporary folder, SMTP on 127.0.0.1 at a
free port (no TLS: loopback only), every other destination refused. Mail for the given
domains goes to Postfix's ``virtual`` delivery agent, which writes each recipient's
``USER/Maildir/`` under the Dovecot's mailbox folder as the user Dovecot reads them as — so a
test reads a message back over IMAP exactly as the customer's mailbox got it. The master
process must start as root (Postfix's own rule); its daemons run as the ``postfix`` user and
delivery as Dovecot's mail user. Skips with the reason when Debian's ``postfix`` is not
installed or the tests do not run as root.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .dovecot import Dovecot

_SERVICES = """\
{listen} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
proxymap  unix - - n - - proxymap
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
virtual   unix - n n - - virtual
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


@dataclass(frozen=True)
class Postfix:
    """A running Postfix: where to submit, and its log (``maillog``: one line per step of each message)."""

    host: str
    port: int
    root: Path

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def log(self) -> str:
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command() -> str:
    path = shutil.which("postfix") or ("/usr/sbin/postfix" if Path("/usr/sbin/postfix").exists() else None)
    if path is None or not Path("/usr/lib/postfix/sbin/virtual").exists():
        pytest.skip("Postfix is not installed (apt-get install postfix); CI installs it")
    if os.getuid() != 0:
        pytest.skip("Postfix's master process starts only as root; run the delivery tests as root (CI does)")
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        pytest.skip("the postfix user is missing (the Debian package makes it)")
    return path


def _run(command: str, config: Path, action: str) -> subprocess.CompletedProcess[str]:
    # Postfix writes its start-up errors to stderr only on a terminal; the log file has them too.
    return subprocess.run([command, "-c", str(config), action], capture_output=True, text=True, timeout=60,
                          check=False)


@contextmanager
def postfix(mailboxes: Dovecot, *, domains: tuple[str, ...], bounce_later: bool = False) -> Iterator[Postfix]:
    """Start Postfix for one test, delivering mail for ``domains`` into ``mailboxes``; stopped afterwards.

    Every address of those domains that Dovecot has a mailbox for is delivered; any other is refused
    at ``RCPT`` — or, with ``bounce_later``, taken and then bounced by the delivery agent ("User unknown
    in virtual mailbox table"): Postfix's own delivery report goes to the envelope sender, as from a
    mail server behind a relay that does not know the mailboxes.
    """
    command = _command()
    if mailboxes.mail_uid == 0:
        pytest.skip("Dovecot's mailboxes belong to root here; Postfix's virtual delivery never writes as root")
    # Postfix's daemons (the postfix user) must reach the queue: a shared parent they may pass.
    parent = Path(tempfile.gettempdir()) / f"klageformular-postfix-{os.getuid()}"
    parent.mkdir(mode=0o711, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="run-", dir=parent))
    root.chmod(0o711)
    config, queue, data = root / "conf", root / "queue", root / "data"
    for folder in (config, queue, data):
        folder.mkdir()
    shutil.chown(data, "postfix")
    users = [line.split(":", 1)[0] for line in (mailboxes.root / "passwd").read_text(encoding="utf-8").splitlines()]
    (config / "vmailbox").write_text("".join(f"{u} {u}/Maildir/\n" for u in users
                                             if u.rpartition("@")[2] in domains), encoding="utf-8")
    port = _free_port()
    (config / "main.cf").write_text(f"""\
compatibility_level = 3.6
queue_directory = {queue}
data_directory = {data}
mail_owner = postfix
myhostname = mx.klageformular.test
mydomain = klageformular.test
myorigin = $myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = {'permit_mynetworks' if bounce_later else 'reject_unlisted_recipient'}
smtpd_reject_unlisted_recipient = {'no' if bounce_later else 'yes'}
relay_domains =
virtual_mailbox_domains = {", ".join(domains)}
virtual_mailbox_base = {mailboxes.mailboxes}
virtual_mailbox_maps = texthash:{config}/vmailbox
virtual_uid_maps = static:{mailboxes.mail_uid}
virtual_gid_maps = static:{mailboxes.mail_gid}
virtual_minimum_uid = 1
virtual_transport = virtual
default_transport = error:5.7.1 the test server relays nothing
relay_transport = error:5.7.1 the test server relays nothing
alias_maps =
alias_database =
smtputf8_enable = no
biff = no
maillog_file_prefixes = {root}
maillog_file = {root}/maillog
""", encoding="utf-8")
    (config / "master.cf").write_text(_SERVICES.format(listen=f"127.0.0.1:{port}"), encoding="utf-8")
    started = _run(command, config, "start")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    if s.recv(100).startswith(b"220"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                log = (root / "maillog").read_text(errors="replace") if (root / "maillog").exists() else ""
                pytest.fail(f"Postfix did not start: {started.stderr[-1500:]} {log[-1500:]}")
            time.sleep(0.1)
        yield Postfix("127.0.0.1", port, root)
    finally:
        if _run(command, config, "stop").returncode != 0:
            _run(command, config, "abort")
        shutil.rmtree(root, ignore_errors=True)


def wait_for(mailboxes: Dovecot, user: str, count: int, *, timeout: float = 30) -> list[Path]:
    """The files in ``user``'s Maildir once there are ``count`` of them (Postfix delivers in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        found = sorted((mailboxes.mailboxes / user / "Maildir").glob("*/*"))
        found = [p for p in found if p.parent.name in ("new", "cur")]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
