"""Shared fixtures: rendered forms, sample complaints, and third-party PDF tools (skipped when absent)."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pytest

from klageformular import Complaint, render_form

if TYPE_CHECKING:
    from .smtpd import Server

# Values that break naive PDF code: non-Latin-1 letters, €, typographic quotes, dashes.
HARD_NAME = "Łukasz Żółć"
LONG_DESCRIPTION = "\n\n".join(
    f"Afsnit {i}: Renten på lån nr. KA-{1000 + i} blev ikke udbetalt til tiden – „beløbet“ på 12.500,00 € "
    "manglede, og jeg har skrevet til kundeservice flere gange uden svar. Ærligt talt er jeg skuffet over "
    "forløbet, og jeg ønsker en forklaring på, hvad der er sket med mine penge." for i in range(1, 19)
)[:4000]


ROOT = Path(__file__).resolve().parent.parent


def load_script(relative: str) -> ModuleType:
    """A script of the repository (``scripts/make_fuzz_corpus.py``) imported as a module, for its functions."""
    path = ROOT / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def require_tool(name: str) -> str:
    """The tool's path, or skip the test with a clear reason."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (apt-get install {_DEBIAN.get(name, name)}); CI installs it")
    return path


_DEBIAN = {"pdftk": "pdftk-java", "gs": "ghostscript", "pdftoppm": "poppler-utils",
           "pdftotext": "poppler-utils", "pdftocairo": "poppler-utils", "qpdf": "qpdf"}


def run_tool(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """Run a tool; fail the test with its stderr if it exits non-zero."""
    require_tool(str(args[0]))
    proc = subprocess.run([str(a) for a in args], capture_output=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        pytest.fail(f"{args[0]} exited {proc.returncode}: {proc.stderr.decode(errors='replace')[-2000:]}")
    return proc


def sample_data() -> dict[str, Any]:
    """A complaint touching every section, with the hard characters."""
    return {
        "complainant": {
            "role": "investor", "client_reference": "K-20417", "last_name": "Żółć", "first_name": "Łukasz",
            "street": "Ærøgade 7, 2. th.", "postcode": "8000", "city": "Aarhus C", "country": "Danmark",
            "phone": "+45 20 12 34 56", "email": "lukasz@example.dk",
        },
        "complainant_contact": {"street": "Øster Allé 1", "postcode": "2100", "city": "København Ø"},
        "representative": {
            "last_name": "Advokatfirmaet Ğül & Søn ApS", "registration_number": "13585628",
            "lei": "5493001KJTIIGC8Y1R12", "country": "Danmark", "email": "kontor@gul.dk",
        },
        "investment": {"reference": "KA-1042", "project": "Café „Blåbær“ ApS", "transactions": "TX-1, TX-2"},
        "subject": LONG_DESCRIPTION,
        "facts_date": "2026-10-01", "facts_date_end": "2026-10-31",
        "damage": {"description": "Tabt rente på ca. 450 €.\nOg besvær.", "amount": "12500.50",
                   "currency": "EUR"},
        "other_comments": "Tab\tindrykket – “citat” og 'apostrof'.",
        "documentation": {"power_of_attorney": True, "contractual_documents": False, "other_documents": True,
                          "other_documents_list": "Kontoudtog 2026\nE-mails"},
        "reply_channel": "electronic",
        "signature": {"place": "Aarhus", "date": "2026-11-03", "signatory": "representative"},
    }


@pytest.fixture
def sample_complaint() -> Complaint:
    return Complaint.model_validate(sample_data())


@pytest.fixture(scope="session")
def blank_form() -> bytes:
    return render_form("da")


@pytest.fixture
def write_pdf(tmp_path: Path) -> Callable[[bytes, str], Path]:
    def write(data: bytes, name: str = "form.pdf") -> Path:
        path = tmp_path / name
        path.write_bytes(data)
        return path

    return write


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """One throw-away PostgreSQL server per test process (skips with the reason when absent)."""
    from .postgres import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty register database: a file for SQLite, a new database on the test server for PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'klager.db'}"
    from .postgres import new_database

    return new_database(request.getfixturevalue("postgres_url"))


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    """A real SMTP server on loopback (aiosmtpd, tests/smtpd.py) that ``letter … --send`` and the outbox use:
    ``KLAGEFORMULAR_SMTP_URL`` names it for the test; ``behaviour`` chooses its replies."""
    from .smtpd import smtp_server

    with smtp_server() as server:
        monkeypatch.setenv("KLAGEFORMULAR_SMTP_URL", server.url)
        monkeypatch.delenv("KLAGEFORMULAR_IMAP_URL", raising=False)
        yield server
