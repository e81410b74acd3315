"""Regenerate the README's workbench screenshots: the due list and a case page, 1280 px wide.

    python scripts/workbench_screenshots.py          # needs chromium, chromium-driver and the [web,test] extras

A small Danish register (eight complaints, one needing review with a PDF form as its document, two
overdue, one acknowledged and assigned) in a temporary folder, the workbench over it on a loopback
port, an officer logged in with password and TOTP, and two screenshots written as palette PNGs
(Pillow) to ``docs/workbench-due.png`` and ``docs/workbench-case.png``; ``optipng`` squeezes them
further when it is installed. Every name, address and number is invented.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402
from tests.browser import chrome, log_in  # noqa: E402
from tests.registers import complaint_record  # noqa: E402
from tests.webserver import Site, workbench  # noqa: E402

from klageformular import Complaint, render_form  # noqa: E402
from klageformular.register import MemoryFiles, Register, add_record  # noqa: E402

DOCS = ROOT / "docs"
# (first name, last name, email, received, subject, channel): invented customers with Danish letters.
CUSTOMERS = (
    ("Mette", "Østergård", "mette.ostergaard@example.dk", "2026-11-24",
     "Renten for oktober er ikke udbetalt.\nJeg har skrevet to gange uden svar.", "web"),
    ("Søren", "Kjærsgaard", "soren.k@example.dk", "2026-11-03",
     "Projektet er forsinket, og jeg er ikke blevet orienteret.", "email"),
    ("Åse", "Brøndum", "aase.brondum@example.dk", "2026-11-05",
     "Gebyret på min konto er trukket to gange.", "file"),
    ("Jens", "Æbelø", "jens.aebelo@example.dk", "2026-11-18",
     "Afdraget blev bogført på et forkert lån.", "email"),
    ("Karen", "Lindqvist", "karen.lindqvist@example.dk", "2026-11-20",
     "Jeg kan ikke logge ind og se mine investeringer.", "web"),
    ("Niels", "Holm", "niels.holm@example.dk", "2026-11-23",
     "Årsopgørelsen mangler renter for 2025.", "email"),
    ("Birgitte", "Skovbø", "b.skovbo@example.dk", "2026-11-25",
     "Jeg ønsker at klage over afslaget på min udbetaling.", "paper"),
    ("Poul", "Dræby", "poul.draeby@example.dk", "2026-11-25",
     "Kundeservice lovede at ringe tilbage, men gjorde det ikke.", "web"),
)


def _record(i: int, first: str, last: str, email: str, received: str, subject: str, channel: str) -> dict[str, Any]:
    record = complaint_record(i, received=received, email=email, subject=subject, channel=channel,
                              status="needs_review" if i == 3 else "complete")
    complainant = record["complaint"]["complainant"]
    complainant.update(first_name=first, last_name=last, client_reference=f"K-{30400 + i}")
    record["complaint"]["representative"] = {}
    record["complaint"]["damage"] = {"description": "Tabt rente.", "amount": "4250.00", "currency": "DKK"}
    record["complaint"] = Complaint.model_validate(record["complaint"]).model_dump(mode="json")
    return record


def _seed(site: Site) -> None:
    register = Register(site.engine)
    for i, customer in enumerate(CUSTOMERS, start=3):  # 1 and 2 are the test seed's
        record = _record(i, *customer)
        if i == 3:  # the one to review: its PDF form as the document
            form = render_form()
            record |= {"source": "web/Klage Østergård.pdf", "sha256": hashlib.sha256(form).hexdigest()}
            add_record(site.engine, record, files=MemoryFiles({"web/Klage Østergård.pdf": form}))
        else:
            add_record(site.engine, record)
    with register.session() as s, s.begin():
        for case in register.cases(s):
            if case.reference in ("KLA-2026-0001", "KLA-2026-0002"):
                continue
            if case.received.isoformat() == "2026-11-18":
                register.assign(s, case.reference, "linn", who="linn")
                register.set_status(s, case.reference, "acknowledged", who="linn", note="Kvittering sendt pr. brev")


def _save(browser: Any, name: str, most: int) -> Path:
    """The page's top ``most`` pixels (the whole page when shorter) as ``docs/<name>``."""
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(max(int(height), 700), most))
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw.png"
        browser.save_screenshot(str(raw))
        out = DOCS / name
        with Image.open(raw) as image:
            image.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    if shutil.which("optipng"):
        subprocess.run(["optipng", "-quiet", "-o2", str(out)], check=True)
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size:,} bytes")
    return out


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, workbench(f"sqlite:///{Path(folder) / 'klager.db'}") as site, \
            chrome(Path(folder) / "profile", width=1280, height=900) as browser:
        _seed(site)
        log_in(browser, site)
        browser.get(site.url + "/")
        WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, "main table"))
        _save(browser, "workbench-due.png", 1000)
        browser.set_window_size(1280, 900)
        browser.get(site.url + "/cases/KLA-2026-0003")
        WebDriverWait(browser, 30).until(lambda b: b.execute_script(
            "return [...document.images].every(i => i.complete && i.naturalWidth > 0)"))
        _save(browser, "workbench-case.png", 1250)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
