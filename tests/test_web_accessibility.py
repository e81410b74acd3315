"""The workbench's pages for everyone: axe-core on every page, and the whole path by keyboard alone.

axe-core runs in the real browser on each page as it stands (tests/browser.py): the login form
(and its error), the due list, a case page (with a review item, a document and a note), a
case's refused change (409), an unknown case (404), a refused request (403) and the login
page after logging out; then the register list (with filters), search (with results and with
none), the report with its charts, settings, a PDF's pages, an email as text, the letters page
with a preview, a scanned case on legal hold (its crop beside the input), an erased case, and
the admin's users page. Any serious or critical violation fails the test.

The keyboard path uses Tab, Shift-Tab, Enter and Space only — no clicks: the skip link first,
then the login with password and TOTP, the due list, a case, a note, logging out. Every element
the keyboard reaches shows its focus (a computed outline of at least 2 px).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy.orm import Session

from klageformular import render_form
from klageformular.register import BatchFiles, MemoryFiles, Register, add_record
from klageformular.web._accounts import add_user

from .browser import assert_accessible, chrome, log_in, shot, wait_for_path
from .registers import complaint_record
from .webserver import PASSWORD, Site, workbench


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chrome(tmp_path / "profile") as running:
        yield running


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with workbench(f"sqlite:///{tmp_path / 'klager.db'}") as running:
        yield running


def test_every_page_has_no_serious_or_critical_axe_violation(site: Site, browser: webdriver.Chrome) -> None:
    browser.get(site.url + "/login")
    assert_accessible(browser, "login")
    browser.find_element(By.ID, "username").send_keys("linn")
    browser.find_element(By.ID, "password").send_keys("not the password")
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, "p.error"))
    assert_accessible(browser, "login refused")

    log_in(browser, site)
    assert_accessible(browser, "due list")
    browser.get(site.url + "/cases/KLA-2026-0001")
    browser.find_element(By.ID, "note-text").send_keys("Ringede til kunden")
    browser.find_element(By.CSS_SELECTOR, ".note-form button").click()
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: "Ringede til kunden" in b.find_element(By.CSS_SELECTOR, "ol.timeline").text)
    assert_accessible(browser, "case")

    # A refused change (someone else moved the case first): the case as it is now, with the reason.
    browser.execute_script("document.querySelector('.actions input[name=version]').value = '0';")
    browser.find_element(By.CSS_SELECTOR, ".actions button").click()
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, "div.error[role=alert]"))
    assert_accessible(browser, "case, stale change refused")
    shot(browser, "a11y-stale")

    browser.get(site.url + "/cases/KLA-2026-9999")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Ingen sådan sag."
    assert_accessible(browser, "not found")

    # A forged form (its CSRF token changed): 403 with the workbench's own page.
    browser.get(site.url + "/cases/KLA-2026-0001")
    browser.execute_script("document.querySelector('.note-form input[name=csrf]').value = 'forged';")
    browser.find_element(By.ID, "note-text").send_keys("x")
    browser.find_element(By.CSS_SELECTOR, ".note-form button").click()
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_element(By.TAG_NAME, "h1").text == "Det har du ikke adgang til.")
    assert_accessible(browser, "forbidden")
    shot(browser, "a11y-forbidden")

    browser.get(site.url + "/")
    browser.find_element(By.CSS_SELECTOR, "header form button").click()
    wait_for_path(browser, "/login")
    assert_accessible(browser, "logged out")


def test_the_axe_check_fails_on_a_page_that_breaks_a_rule(site: Site, browser: webdriver.Chrome) -> None:
    """The check can fail: a field without a label, added to the login page."""
    browser.get(site.url + "/login")
    browser.execute_script("const i = document.createElement('input'); i.id = 'unlabelled';"
                           "document.querySelector('form.login').append(i);")
    with pytest.raises(AssertionError, match=r"critical label: .*#unlabelled"):
        assert_accessible(browser, "login, broken on purpose")


def _more_cases(site: Site, tmp_path: Path) -> None:
    """What the other pages need: a PDF form (KLA-2026-0003), an HTML email (KLA-2026-0004), an admin ``ada``."""
    form = render_form()
    add_record(site.engine, complaint_record(3, source="web/Klage 3.pdf", sha256=hashlib.sha256(form).hexdigest()),
               files=MemoryFiles({"web/Klage 3.pdf": form}))
    message = (b"From: Eva <eva@example.dk>\r\nTo: klage@kameo.dk\r\nSubject: Klage over renten\r\n"
               b"Message-ID: <m4@example.dk>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
               b"<p>Renten kom <b>ikke</b>.</p>\r\n")
    (tmp_path / "out" / "messages").mkdir(parents=True)
    (tmp_path / "out" / "messages" / "m4.eml").write_bytes(message)
    add_record(site.engine, complaint_record(4, method="email", message_id="<m4@example.dk>", source="mail/m4.eml",
                                             message_file="messages/m4.eml", channel="email",
                                             sha256=hashlib.sha256(message).hexdigest()),
               files=BatchFiles(tmp_path / "out", tmp_path / "inbox"))
    with Session(site.engine) as s, s.begin():
        made = add_user(s, name="ada", role="admin", password=PASSWORD, now=site.clock.now)
    assert made.otpauth_uri
    site.secrets["ada"] = pyotp.parse_uri(made.otpauth_uri).secret


def _loaded(browser: webdriver.Chrome, selector: str) -> None:
    """Wait for ``selector`` and for every image on the page (a page image is drawn on request)."""
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, selector))
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(
        "return [...document.images].every(i => i.complete)"))


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Site]:
    """The workbench with the office's profile (a telephone and a timeframe: letters can be previewed)."""
    from .test_web_case import _office

    org = _office()
    with workbench(f"sqlite:///{tmp_path / 'klager.db'}", profiles={org.key: org}) as running:
        yield running


def test_the_other_pages_have_no_serious_or_critical_axe_violation(office: Site, browser: webdriver.Chrome,
                                                                   tmp_path: Path) -> None:
    """The lists, search, report, settings, letters (with a preview), a PDF's pages, an email as text, admin."""
    site = office
    _more_cases(site, tmp_path)
    log_in(browser, site)
    for where, path, selector in (
            ("register list", "/register", "table"),
            ("register list, filtered", "/register?status=needs_review&from=2026-11-01&to=2026-11-30", "table"),
            ("search with results", "/search?q=KLA-2026-0001", "table"),
            ("search without results", "/search?q=ingen+s%C3%A5dan+klage", "main"),
            ("report with charts", "/report?from=2026-01-01&to=2026-12-31", "svg"),
            ("settings", "/settings", "form"),
            ("a PDF's pages", "/cases/KLA-2026-0003/documents/1/pages", "main img"),
            ("a PDF's pages, not a PDF", "/cases/KLA-2026-0001/documents/1/pages", "main")):
        browser.get(site.url + path)
        _loaded(browser, selector)
        shot(browser, "a11y-" + where.replace(" ", "-").replace(",", "").replace("'", ""))
        assert_accessible(browser, where)

    # A scanned case (its crop beside the input) on legal hold, and an erased case.
    from .test_web_case import _crop_png, _scanned

    scanned = _scanned(site, tmp_path, 5, {"scan-complainant.city.png": _crop_png()})
    register = Register(site.engine)
    with register.session() as s, s.begin():
        register.hold(s, scanned, reason="Retssag 2026-117", who="jurist")
        for status, outcome in (("acknowledged", None), ("under_review", None), ("decided", "not_upheld"),
                                ("closed", None)):
            register.set_status(s, "KLA-2026-0003", status, who="linn", outcome=outcome)
        register.erase(s, "KLA-2026-0003", reason="Kundens mail", who="linn")
    browser.get(site.url + f"/cases/{scanned}")
    _loaded(browser, "img.crop")
    assert browser.find_element(By.ID, "legal-hold").is_displayed()
    shot(browser, "a11y-case-crop-hold")
    assert_accessible(browser, "a scanned case on legal hold")
    browser.get(site.url + "/cases/KLA-2026-0003")
    _loaded(browser, "#erased")
    shot(browser, "a11y-case-erased")
    assert_accessible(browser, "an erased case")

    browser.get(site.url + "/cases/KLA-2026-0004")
    browser.find_element(By.LINK_TEXT, "Vis som tekst").click()
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("/text"))
    assert "Renten kom ikke." in browser.find_element(By.TAG_NAME, "main").text
    shot(browser, "a11y-message-text")
    assert_accessible(browser, "an email as text")

    browser.get(site.url + "/cases/KLA-2026-0002/letters")
    browser.find_element(By.CSS_SELECTOR, "button[formaction$='/letters/preview']").click()
    _loaded(browser, "#letter-preview img")
    shot(browser, "a11y-letters-preview")
    assert_accessible(browser, "letters with a preview")
    browser.get(site.url + "/cases/KLA-2026-0002/letters?kind=decision")
    _loaded(browser, "main form")
    assert_accessible(browser, "decision letter")

    browser.find_element(By.CSS_SELECTOR, "header form button").click()
    wait_for_path(browser, "/login")
    log_in(browser, site, "ada")
    browser.get(site.url + "/admin/users")
    _loaded(browser, "table")
    shot(browser, "a11y-admin-users")
    assert_accessible(browser, "admin users")


# -- the keyboard alone ---------------------------------------------------------------------------------


def _press(browser: webdriver.Chrome, *keys: str) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def _focused(browser: webdriver.Chrome) -> WebElement:
    found: WebElement = browser.switch_to.active_element
    return found


def _assert_focus_visible(browser: webdriver.Chrome) -> WebElement:
    """The focused element draws an outline of at least 2 px (not ``none``) and is on screen."""
    element = _focused(browser)
    style, width, box = browser.execute_script(
        "const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();"
        "return [s.outlineStyle, parseFloat(s.outlineWidth), [r.width, r.height]];")
    label = element.get_attribute("outerHTML")[:120]
    assert style != "none" and width >= 2, f"no visible focus on {label}: outline {style} {width}px"
    assert box[0] > 0 and box[1] > 0, f"the focused element is not on screen: {label}"
    return element


def _tab_to(browser: webdriver.Chrome, matches: str, *, back: bool = False, limit: int = 40) -> WebElement:
    """Tab (``back``: Shift-Tab) until the focused element matches the CSS selector ``matches``,
    checking each stop shows its focus."""
    for _ in range(limit):
        if back:  # Shift held down: a SHIFT in a send_keys string is let go before the Tab
            ActionChains(browser).key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            _press(browser, Keys.TAB)
        element = _assert_focus_visible(browser)
        if browser.execute_script("return document.activeElement.matches(arguments[0])", matches):
            return element
    raise AssertionError(f"{matches} not reached with {limit} presses of {'Shift-Tab' if back else 'Tab'}")


def test_the_whole_path_works_with_the_keyboard_alone(site: Site, browser: webdriver.Chrome) -> None:
    browser.get(site.url + "/")
    wait_for_path(browser, "/login")
    assert _focused(browser).get_attribute("id") == "username"  # the form's first field has the focus

    # The skip link is the first stop, shown when focused, and takes the focus to the main content.
    skip = _tab_to(browser, "a.skip", back=True)
    assert skip.is_displayed() and skip.rect["x"] >= 0
    shot(browser, "keyboard-1-skip-link")
    _press(browser, Keys.ENTER)
    assert _focused(browser).get_attribute("id") == "main"

    _tab_to(browser, "#username")
    _press(browser, "linn", Keys.TAB)
    _assert_focus_visible(browser)
    _press(browser, PASSWORD, Keys.TAB)
    _assert_focus_visible(browser)
    assert _focused(browser).get_attribute("id") == "code"
    _press(browser, site.code("linn"), Keys.ENTER)
    wait_for_path(browser, "/login", leave=True)

    assert browser.find_element(By.TAG_NAME, "h1").text == "Frister · 2026-11-25"
    link = _tab_to(browser, "a[href='/cases/KLA-2026-0001']")
    shot(browser, "keyboard-2-due-focus")
    assert link.text == "KLA-2026-0001"
    _press(browser, Keys.ENTER)
    wait_for_path(browser, "/cases/KLA-2026-0001")

    _tab_to(browser, "#note-text")
    _press(browser, "Skrevet med tastaturet")
    _tab_to(browser, ".note-form button")
    shot(browser, "keyboard-3-case-focus")
    _press(browser, " ")  # Space presses a button
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: "Skrevet med tastaturet" in b.find_element(By.CSS_SELECTOR, "ol.timeline").text)

    # The swapped section holds the focus (static/workbench.js), not the page's body: Shift-Tab from
    # there back up to the header's log-out button.
    assert browser.execute_script("return document.activeElement.id") == "timeline"
    _tab_to(browser, "header form button", back=True, limit=80)
    _press(browser, Keys.ENTER)
    wait_for_path(browser, "/login")
    browser.get(site.url + "/")
    assert "/login" in browser.current_url  # logged out on the server
