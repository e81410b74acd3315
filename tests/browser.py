"""The workbench in a real browser, shared by the browser tests: chromium, logging in, axe-core, screenshots.

- :func:`chrome`: Debian's chromium driven by its chromedriver through Selenium (headless, a
  profile of its own); the test skips with the reason when either is absent (``apt-get install
  chromium chromium-driver``; ``scripts/setup --test`` installs them).
- :func:`log_in`: through the login form by its labels, password and TOTP, as an officer would.
- :func:`axe_violations` / :func:`assert_accessible`: axe-core (npm ``axe-core``, pinned in
  ``tests/axe/package-lock.json``; ``scripts/setup --test`` runs ``npm ci`` there) injected into
  the page as it stands and run on it; nothing is downloaded at test time, and without the
  package the test skips with the reason.
- :func:`shot`: a whole-page screenshot into ``$KLAGEFORMULAR_SCREENSHOTS`` when it is set (to look at).

A new page's test needs only ``assert_accessible(driver, "what")`` after it is loaded.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from .webserver import PASSWORD, Site

__all__ = ["AXE", "Violation", "assert_accessible", "axe_violations", "chrome", "log_in", "shot", "wait_for_download",
           "wait_for_path"]

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# What fails a test: axe's two worst impacts. "moderate" and "minor" are reported in the message only.
_FAILING = ("serious", "critical")


def _binaries() -> tuple[str, str]:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser is None or driver is None:
        pytest.skip("chromium and chromedriver are not installed (apt-get install chromium chromium-driver); "
                    "CI installs them")
    return browser, driver


@contextmanager
def chrome(profile: Path, *, width: int = 1280, height: int = 1100,
           downloads: Path | None = None) -> Iterator[webdriver.Chrome]:
    """A headless chromium with its own profile folder ``profile``, in Danish; quit on leaving.

    ``downloads``: the folder a download lands in, without asking (see :func:`wait_for_download`)."""
    binary, driver = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    if downloads is not None:
        downloads.mkdir(parents=True, exist_ok=True)
        options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                                  "download.prompt_for_download": False})
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     f"--window-size={width},{height}", f"--user-data-dir={profile}", "--lang=da"):
        options.add_argument(argument)
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    browser.implicitly_wait(5)
    try:
        yield browser
    finally:
        browser.quit()


def wait_for_path(browser: webdriver.Chrome, suffix: str, *, leave: bool = False) -> None:
    """Wait until the address ends with ``suffix`` (``leave``: until it no longer does).

    A click returns before the browser has followed the redirect: wait for the page, not a moment."""
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith(suffix) != leave)


def wait_for_download(browser: webdriver.Chrome, folder: Path, suffix: str) -> Path:
    """The one finished file ending with ``suffix`` in ``folder`` (chromium writes ``*.crdownload`` first)."""
    def done(_: webdriver.Chrome) -> Path | None:
        found = [p for p in folder.iterdir() if p.name.endswith(suffix)]
        return found[0] if len(found) == 1 and not list(folder.glob("*.crdownload")) else None

    path = WebDriverWait(browser, 30).until(done)
    assert path is not None  # until() returns only a true value
    return path


def log_in(browser: webdriver.Chrome, site: Site, name: str = "linn", *, password: str = PASSWORD) -> None:
    """Log in through the form (password and, for an officer, the TOTP code) and wait for the due list."""
    browser.get(site.url + "/login")
    browser.find_element(By.ID, "username").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    if name in site.secrets:
        browser.find_element(By.ID, "code").send_keys(site.code(name))
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    wait_for_path(browser, "/login", leave=True)


def shot(browser: webdriver.Chrome, name: str) -> None:
    """The whole page as ``$KLAGEFORMULAR_SCREENSHOTS/<name>.png`` when that variable is set."""
    folder = os.environ.get("KLAGEFORMULAR_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        size = browser.get_window_size()
        height = browser.execute_script("return document.documentElement.scrollHeight")  # the whole page
        browser.set_window_size(size["width"], max(int(height), 600))
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))
        browser.set_window_size(size["width"], size["height"])


@dataclass(frozen=True)
class Violation:
    """One axe-core rule the page breaks: its id, impact, help text and the elements (CSS selectors)."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.impact} {self.rule}: {self.help} — {', '.join(self.targets[:5])}"


def axe_violations(browser: webdriver.Chrome) -> list[Violation]:
    """Every axe-core violation on the page as it stands (WCAG 2.x A/AA and axe's best practices).

    The script goes in through WebDriver, which the page's Content-Security-Policy does not
    govern: the policy the officers get stays what it is."""
    if not AXE.is_file():
        pytest.skip("axe-core is not installed (cd tests/axe && npm ci); CI installs it")
    browser.set_script_timeout(60)
    found: dict[str, Any] = browser.execute_async_script(
        AXE.read_text(encoding="utf-8") + """
        ;const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ["violations"]})
           .then(r => done({violations: r.violations.map(v => ({
               id: v.id, impact: v.impact || "minor", help: v.help,
               targets: v.nodes.map(n => n.target.join(" "))}))}))
           .catch(e => done({error: String(e)}));""")
    assert "error" not in found, found.get("error")
    return [Violation(v["id"], v["impact"], v["help"], tuple(v["targets"])) for v in found["violations"]]


def assert_accessible(browser: webdriver.Chrome, where: str) -> list[Violation]:
    """Fail on any serious or critical axe-core violation on the page; the lesser ones, returned."""
    violations = axe_violations(browser)
    failing = [v for v in violations if v.impact in _FAILING]
    assert not failing, f"{where} ({browser.current_url}): " + "; ".join(map(str, violations))
    return violations
