"""The workbench in a real browser: Debian's chromium driven by its chromedriver through Selenium.

Log in with password and TOTP, see the due list, open a case, add a note, log out; correct a
flagged value in place (htmx) and send the acknowledgement by mail — by the page's own labels and
buttons, as an officer would. The browser, screenshots and axe-core come
from tests/browser.py (skipped with the reason when chromium or chromedriver is absent).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait
from sqlalchemy.orm import Session

from klageformular.register import Register

from .browser import chrome, log_in, shot
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
