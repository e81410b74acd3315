"""The workbench in a real browser: Debian's chromium driven by its chromedriver through Selenium.

Log in with password and TOTP, see the due list, open a case, add a note, log out; correct a
flagged value in place (htmx) and send the acknowledgement by mail; and the whole path of the
issue in one test: log in, correct, acknowledge (delivered), decide with outcome and reasons,
search, export the register as CSV (the file the browser downloads), log out — by the page's own
labels and buttons, as an officer would. The browser, screenshots and axe-core come
from tests/browser.py (skipped with the reason when chromium or chromedriver is absent).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy.orm import Session

from klageformular.register import Register

from .browser import chrome, log_in, shot, wait_for_download, wait_for_path
from .smtpd import Server
from .webserver import PASSWORD, Site, workbench


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    with chrome(tmp_path / "profile") as running:
        yield running


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    with workbench(f"sqlite:///{tmp_path / 'klager.db'}") as running:
        yield running


def test_an_officer_logs_in_with_totp_reads_a_case_adds_a_note_and_logs_out(site: Site,
                                                                             browser: webdriver.Chrome) -> None:
    browser.get(site.url + "/")
    assert browser.current_url.endswith("/login")  # no session: to the login page
    assert browser.find_element(By.ID, "username").get_attribute("autocomplete") == "username"
    assert browser.find_element(By.ID, "password").get_attribute("autocomplete") == "current-password"
    assert browser.find_element(By.ID, "code").get_attribute("autocomplete") == "one-time-code"
    shot(browser, "1-login")
    browser.find_element(By.ID, "username").send_keys("linn")
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    browser.find_element(By.ID, "code").send_keys(site.code("linn"))
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    WebDriverWait(browser, 20).until(lambda b: not b.current_url.endswith("/login"))

    assert browser.find_element(By.TAG_NAME, "h1").text == "Frister · 2026-11-25"
    assert "linn" in browser.find_element(By.CSS_SELECTOR, "header .who").text
    shot(browser, "2-due")
    browser.find_element(By.LINK_TEXT, "KLA-2026-0001").click()
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("/cases/KLA-2026-0001"))

    assert browser.find_element(By.TAG_NAME, "h1").text == "Sag KLA-2026-0001"
    assert browser.find_element(By.CSS_SELECTOR, "code.typed").text == "12"  # the phone number as typed
    shot(browser, "3-case")
    browser.find_element(By.ID, "note-text").send_keys("Ringede til kunden")
    browser.find_element(By.CSS_SELECTOR, ".note-form button").click()
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: "Ringede til kunden" in b.find_element(By.CSS_SELECTOR, "ol.timeline").text)
    shot(browser, "4-case-with-note")
    with Session(site.engine) as s:
        last = Register(site.engine).case(s, "KLA-2026-0001").events[-1]
    assert (last.who, last.what, last.note) == ("linn", "note", "Ringede til kunden")

    browser.find_element(By.CSS_SELECTOR, "header form button").click()
    # The click returns before the browser has followed the redirect: wait for the page, not a moment.
    WebDriverWait(browser, 20).until(lambda b: b.current_url.endswith("/login"))
    browser.get(site.url + "/cases/KLA-2026-0001")
    assert "/login" in browser.current_url  # logged out on the server, not only in the page
    shot(browser, "5-logged-out")


@pytest.fixture
def office(tmp_path: Path) -> Iterator[tuple[Site, Server]]:
    """The workbench with the office's profile (a telephone and a timeframe: acknowledgements allowed) and a
    real SMTP server on loopback."""
    from klageformular.smtp import SmtpMailer, parse_smtp_url

    from .smtpd import smtp_server
    from .test_web_case import _office

    org = _office()
    with smtp_server() as smtp, workbench(f"sqlite:///{tmp_path / 'klager.db'}", profiles={org.key: org},
                                          mailer=SmtpMailer(parse_smtp_url(smtp.url), None)) as running:
        yield running, smtp


def test_an_officer_corrects_a_flagged_value_in_place_and_sends_the_acknowledgement(
        office: tuple[Site, Server], browser: webdriver.Chrome) -> None:
    site, smtp = office
    log_in(browser, site)
    browser.get(site.url + "/cases/KLA-2026-0001")
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return !!window.htmx"))  # our htmx ran (CSP)
    shot(browser, "6-case-to-correct")
    field = browser.find_element(By.ID, "fix-1")
    assert field.get_attribute("value") == "12"  # the value as typed
    field.clear()
    field.send_keys("12 34")  # still not a telephone number: refused beside the field
    browser.find_element(By.ID, "fix-1-note").send_keys("Kunden ringede")
    browser.execute_script("window.notReloaded = true")  # gone if the browser loads a whole new page
    browser.find_element(By.CSS_SELECTOR, ".correct-form button").click()
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: b.find_elements(By.ID, "fix-1-error"))
    assert browser.execute_script("return window.notReloaded === true")  # htmx swapped the section
    assert browser.find_element(By.ID, "fix-1").get_attribute("value") == "12 34"
    shot(browser, "7-correction-refused")
    field = browser.find_element(By.ID, "fix-1")
    field.clear()
    field.send_keys("+45 70 20 30 40")
    browser.find_element(By.CSS_SELECTOR, ".correct-form button").click()
    WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: not b.find_elements(By.CSS_SELECTOR, ".correct-form"))
    assert browser.execute_script("return window.notReloaded === true")
    assert "+4570203040" in browser.find_element(By.ID, "complaint").text  # the other sections followed
    shot(browser, "8-corrected")

    browser.find_element(By.LINK_TEXT, "Breve").click()
    WebDriverWait(browser, 20).until(lambda b: "/letters" in b.current_url)
    browser.find_element(By.CSS_SELECTOR, "button[formaction$='/letters/preview']").click()
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#letter-preview img"))
    WebDriverWait(browser, 30).until(lambda b: b.execute_script(
        "return [...document.querySelectorAll('#letter-preview img')].every(i => i.complete && i.naturalWidth > 0)"))
    shot(browser, "9-letter-preview")
    browser.find_element(By.CSS_SELECTOR, "button[name='channel'][value='email']").click()
    WebDriverWait(browser, 30).until(lambda b: b.current_url.endswith("/cases/KLA-2026-0001#letters"))
    assert "sendt" in browser.find_element(By.ID, "letters").text
    shot(browser, "10-acknowledged")
    assert len(smtp.messages) == 1
    with Session(site.engine) as s:
        case = Register(site.engine).case(s, "KLA-2026-0001")
    assert case.status == "acknowledged" and case.corrections[-1].who == "linn"


def test_the_whole_path_log_in_correct_acknowledge_decide_search_export_log_out(tmp_path: Path) -> None:
    """The issue's path end to end, by the page's labels and buttons: every letter through the real SMTP
    server, the export as the browser downloads it."""
    from klageformular.smtp import SmtpMailer, parse_smtp_url

    from .smtpd import smtp_server
    from .test_web_case import _office

    org, downloads = _office(), tmp_path / "downloads"
    with (smtp_server() as smtp,
          workbench(f"sqlite:///{tmp_path / 'klager.db'}", profiles={org.key: org},
                    mailer=SmtpMailer(parse_smtp_url(smtp.url), None)) as site,
          chrome(tmp_path / "profile", downloads=downloads) as browser):
        # Password and TOTP, by the form's labels.
        browser.get(site.url + "/")
        wait_for_path(browser, "/login")
        browser.find_element(By.ID, "username").send_keys("linn")
        browser.find_element(By.ID, "password").send_keys(PASSWORD)
        browser.find_element(By.ID, "code").send_keys(site.code("linn"))
        browser.find_element(By.CSS_SELECTOR, "form.login button").click()
        wait_for_path(browser, "/login", leave=True)

        # The due list, and the case with a flagged value from it.
        assert browser.find_element(By.TAG_NAME, "h1").text == "Frister · 2026-11-25"
        browser.find_element(By.LINK_TEXT, "KLA-2026-0001").click()
        wait_for_path(browser, "/cases/KLA-2026-0001")
        WebDriverWait(browser, 20).until(lambda b: b.execute_script("return !!window.htmx"))
        assert browser.find_element(By.CSS_SELECTOR, "code.typed").text == "12"
        field = browser.find_element(By.ID, "fix-1")
        field.clear()
        field.send_keys("+45 70 20 30 40")
        browser.find_element(By.ID, "fix-1-note").send_keys("Kunden ringede")
        browser.find_element(By.CSS_SELECTOR, ".correct-form button").click()
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda b: not b.find_elements(By.CSS_SELECTOR, ".correct-form"))
        assert "+4570203040" in browser.find_element(By.ID, "complaint").text

        # The acknowledgement by mail: delivered, and the case page says so.
        browser.find_element(By.LINK_TEXT, "Breve").click()
        wait_for_path(browser, "/letters")
        browser.find_element(By.CSS_SELECTOR, "button[name='channel'][value='email']").click()
        wait_for_path(browser, "/cases/KLA-2026-0001#letters")
        assert "sendt" in browser.find_element(By.ID, "letters").text
        assert len(smtp.messages) == 1

        # The decision: outcome and reasons (Markdown, previewed live), sent by mail.
        browser.find_element(By.LINK_TEXT, "Breve").click()
        wait_for_path(browser, "/letters?kind=decision")
        Select(browser.find_element(By.ID, "letter-outcome")).select_by_value("upheld")
        browser.find_element(By.ID, "letter-reasons").send_keys("Renten er **udbetalt** den 1. december.")
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda b: "udbetalt" in b.find_element(By.CSS_SELECTOR, "#reasons-preview strong").text)
        browser.find_element(By.CSS_SELECTOR, "button[name='channel'][value='email']").click()
        wait_for_path(browser, "/cases/KLA-2026-0001#letters")
        rows = browser.find_elements(By.CSS_SELECTOR, "#letters tbody tr")
        assert len(rows) == 2 and all("sendt" in r.text for r in rows)
        assert "decided" in browser.find_element(By.ID, "facts").text
        assert len(smtp.messages) == 2
        shot(browser, "path-decided")

        # Search for the case by the customer's email address.
        browser.find_element(By.LINK_TEXT, "Søg").click()
        wait_for_path(browser, "/search")
        browser.find_element(By.CSS_SELECTOR, "input[name=q]").send_keys("kunde1@example.dk\n")
        WebDriverWait(browser, 20).until(lambda b: "q=" in b.current_url)
        found = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "main table a[href^='/cases/']")]
        assert found == ["KLA-2026-0001"]

        # Export the register: the CSV arrives in the download folder, with the case in it.
        browser.find_element(By.LINK_TEXT, "Registret").click()
        wait_for_path(browser, "/register")
        browser.find_element(By.CSS_SELECTOR, "a[href='/register/export.csv?dialect=rfc4180']").click()
        exported = wait_for_download(browser, downloads, ".csv")
        assert "KLA-2026-0001" in exported.read_text(encoding="utf-8-sig")

        # Log out: the session ends on the server too.
        browser.find_element(By.CSS_SELECTOR, "header form button").click()
        wait_for_path(browser, "/login")
        browser.get(site.url + "/cases/KLA-2026-0001")
        assert "/login" in browser.current_url
    with Session(site.engine) as s:
        case = Register(site.engine).case(s, "KLA-2026-0001")
    assert (case.status, case.outcome) == ("decided", "upheld")
    assert case.corrections[-1].who == "linn"
    worked = [e for e in case.events if e.to_status in ("acknowledged", "decided")]
    assert [(e.to_status, e.who) for e in worked] == [("acknowledged", "linn"), ("decided", "linn")]
