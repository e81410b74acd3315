"""The list, search, report and admin pages (web/_lists.py, _report_page.py, _admin.py) over real HTTP.

Uvicorn on a loopback port, SQLite and PostgreSQL (tests/webserver.py): the due page's
sections against the register's own due list, the register list's filters and pages, search
(folded case, no words in any log, an audit row without them), the exports byte for byte as
``register export`` writes them, the report's numbers and SVG charts, a user's language, and
the admin page (admins only; each action an audit row).
"""

from __future__ import annotations

import io
import logging
import re
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pyotp
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from klageformular.register import Register, add_record, export_csv, export_xlsx, report_text
from klageformular.register._schema import AuditRow, UserRow
from klageformular.web._accounts import add_user
from klageformular.web._lists import DUE_ROWS
from klageformular.web._pages import LIST_WORDS

from .registers import complaint_record
from .webserver import PASSWORD, Site, csrf_of, workbench

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def site(db_url: str) -> Iterator[Site]:
    """The seeded workbench, plus an admin ``ada`` and cases 3–14 (received 2026-11-02, acknowledgement overdue)."""
    with workbench(db_url) as running:
        for number in range(3, 15):
            add_record(running.engine, complaint_record(number, received="2026-11-02",
                                                        subject=f"Sag om Østergård nummer {number}",
                                                        channel="email" if number == 3 else "file"))
        with Session(running.engine) as s, s.begin():
            made = add_user(s, name="ada", role="admin", password=PASSWORD, now=NOW)
        assert made.otpauth_uri
        running.secrets["ada"] = pyotp.parse_uri(made.otpauth_uri).secret
        yield running


def _audit(site: Site) -> list[tuple[str, str | None]]:
    with Session(site.engine) as s:
        return [(a.action, a.detail) for a in s.scalars(sa.select(AuditRow).order_by(AuditRow.id))]


def test_the_due_page_shows_every_section_with_its_count_first_rows_and_a_link_to_all(site: Site) -> None:
    officer, _ = site.login("linn")
    page = officer.get("/cases/KLA-2026-0004")
    assert officer.post("/cases/KLA-2026-0004/assign", data={"csrf": csrf_of(page.text), "version": "1"}
                        ).status_code == 303
    text = officer.get("/").text
    register = Register(site.engine)
    with register.session() as s:
        due = register.due(s, NOW.date())
    assert len(due.overdue) == 12 > DUE_ROWS
    for name, count in (("overdue", 12), ("upcoming", len(due.upcoming)), ("review", 1),
                        ("unassigned", due.unassigned), ("mine", 1)):
        assert re.search(rf'<a href="#{name}">[^<]+</a> <strong>{count}</strong>', text), name
    overdue = text.split('<section id="overdue"')[1].split("</section>")[0]
    assert overdue.count('<a href="/cases/') == DUE_ROWS
    assert [f"KLA-2026-{n:04d}" for n in range(3, 3 + DUE_ROWS)] == re.findall(r">(KLA-2026-\d{4})</a>", overdue)
    assert "Sag om Østergård nummer 3" in overdue  # the subject's first words
    assert '<a href="/register?section=overdue">Vis alle 12</a>' in overdue
    mine = text.split('<section id="mine"')[1].split("</section>")[0]
    assert ">KLA-2026-0004</a>" in mine and "linn" in mine
    whole = officer.get("/register?section=overdue")
    assert "12 sager" in whole.text and whole.text.count('<a href="/cases/') == 12


def test_the_register_list_filters_and_pages(site: Site) -> None:
    viewer, _ = site.login("revisor")
    everything = viewer.get("/register")
    assert everything.status_code == 200 and "14 sager" in everything.text
    assert "12 sager" in viewer.get("/register?channel=file").text
    assert ">KLA-2026-0001</a>" in viewer.get("/register?channel=web").text
    assert "1 sager" in viewer.get("/register?channel=email").text
    dated = viewer.get("/register?from=2026-11-23&to=2026-11-24").text
    assert "2 sager" in dated and ">KLA-2026-0001</a>" in dated and ">KLA-2026-0003</a>" not in dated
    assert "0 sager" in viewer.get("/register?status=closed").text
    assert "0 sager" in viewer.get("/register?language=en").text
    assert "14 sager" in viewer.get("/register?assignee=-").text
    bad = viewer.get("/register?from=yesterday")
    assert bad.status_code == 200 and "Ugyldig dato" in bad.text and "14 sager" in bad.text
    for number in range(15, 60):  # 59 in all: two pages of 50
        add_record(site.engine, complaint_record(number, received="2026-10-01"))
    first = viewer.get("/register").text
    assert "Side 1 af 2" in first and 'href="?page=2" rel="next"' in first
    second = viewer.get("/register?page=2").text
    assert second.count('<a href="/cases/') == 9 and 'rel="prev"' in second
    filtered = viewer.get("/register?channel=file&page=1").text
    assert 'href="?channel=file&amp;page=2"' in filtered


def test_search_folds_case_and_logs_no_words_and_audits_without_them(site: Site,
                                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    officer, _ = site.login("linn")
    assert officer.get("/search").status_code == 200
    found = officer.get("/search", params={"q": "ØSTERGÅRD NUMMER 12"})
    assert found.status_code == 200
    assert ">KLA-2026-0012</a>" in found.text and "1 sager" in found.text
    assert "1 sager" in officer.get("/search", params={"q": "kunde7@EXAMPLE.dk"}).text
    assert "1 sager" in officer.get("/search", params={"q": "ka-2005"}).text  # the investment's reference
    assert "0 sager" in officer.get("/search", params={"q": "%"}).text  # a wildcard is a letter
    assert "2 sager" in officer.get("/search", params={"q": "łukasz", "from": "2026-11-23"}).text
    assert "0 sager" in officer.get("/search", params={"q": "łukasz", "status": "closed"}).text
    text = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records
                     if not r.name.startswith(("httpx", "httpcore")))
    for words in ("ØSTERGÅRD", "stergård", "kunde7", "EXAMPLE", "ka-2005", "łukasz", "q="):
        assert words not in text, words
    searches = [detail for action, detail in _audit(site) if action == "searched"]
    assert searches == ["q: 1", "q: 1", "q: 1", "q: 0", "q,from: 2", "q,status: 0"]


def test_the_exports_are_the_command_lines_files_and_each_an_audit_row(site: Site, tmp_path: Path) -> None:
    viewer, _ = site.login("revisor")  # a viewer may export
    csv = viewer.get("/register/export.csv")
    assert csv.status_code == 200
    assert csv.headers["content-disposition"].startswith("attachment;")
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    export_csv(site.engine, tmp_path / "cli.csv", dialect="excel-da", lang="da")
    assert csv.content == (tmp_path / "cli.csv").read_bytes()
    plain = viewer.get("/register/export.csv?dialect=rfc4180")
    export_csv(site.engine, tmp_path / "plain.csv", dialect="rfc4180", lang="da")
    assert plain.content == (tmp_path / "plain.csv").read_bytes()
    xlsx = viewer.get("/register/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    export_xlsx(site.engine, tmp_path / "cli.xlsx", lang="da")
    web, cli = load_workbook(io.BytesIO(xlsx.content)), load_workbook(tmp_path / "cli.xlsx")
    assert web.sheetnames == cli.sheetnames
    for name in web.sheetnames:  # the same cells (the files differ only in the time they were made)
        assert list(web[name].values) == list(cli[name].values)
    assert _audit(site) == [("exported", "register csv excel-da"), ("exported", "register csv rfc4180"),
                            ("exported", "register xlsx")]
    assert not list(Path(tempfile.gettempdir()).glob("klageformular-export-*"))  # the private copies are gone


def test_the_report_page_has_the_command_lines_numbers_and_svg_charts(site: Site, tmp_path: Path) -> None:
    viewer, _ = site.login("revisor")
    page = viewer.get("/report?from=2026-01-01&to=2026-11-30")
    assert page.status_code == 200
    register = Register(site.engine)
    with register.session() as s:
        report = register.report(s, datetime(2026, 1, 1).date(), datetime(2026, 11, 30).date(), today=NOW.date())
    assert f"<dt>Modtaget i alt</dt><dd>{report.received}</dd>" in page.text
    assert report.received == 14
    charts = re.findall(r"<svg class=\"chart\" id=\"chart-(\w+)\"", page.text)
    assert charts == ["month", "channel", "language"]  # nothing acknowledged or decided yet: no bars to draw
    assert "Ingen sager i perioden." in page.text
    month = page.text.split('id="chart-month"')[1].split("</svg>")[0]
    assert month.count("<rect") == 11  # January to November, a bar each (zero-wide when none)
    assert "nov. 2026" in month and ">14</text>" in month
    # Nothing the CSP would block: no style attribute, and no script but the workbench's own files.
    assert "style=" not in page.text
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/htmx.min.js" defer>',
                                                      '<script src="/static/workbench.js" defer>']
    assert "unsafe-inline" not in page.headers["content-security-policy"]
    text = viewer.get("/report/export.txt?from=2026-01-01&to=2026-11-30")
    assert text.headers["content-disposition"].startswith("attachment;")
    assert text.text == report_text(report, lang="da")
    sheet = viewer.get("/report/export.xlsx?from=2026-01-01&to=2026-11-30")
    assert load_workbook(io.BytesIO(sheet.content)).active is not None
    assert [d for a, d in _audit(site) if a == "exported"] == ["report txt 2026-01-01 2026-11-30",
                                                               "report xlsx 2026-01-01 2026-11-30"]
    backwards = viewer.get("/report?from=2026-12-31&to=2026-01-01")
    assert backwards.status_code == 200 and "Ugyldig dato" in backwards.text


def test_a_user_chooses_the_language_and_the_pages_follow(site: Site) -> None:
    viewer, _ = site.login("revisor")
    page = viewer.get("/settings")
    assert page.status_code == 200 and '<html lang="da">' in page.text
    assert viewer.post("/settings", data={"csrf": "wrong", "language": "en"}).status_code == 403
    assert viewer.post("/settings", data={"csrf": csrf_of(page.text), "language": "fr"}).status_code == 400
    done = viewer.post("/settings", data={"csrf": csrf_of(page.text), "language": "en"})
    assert (done.status_code, done.headers["location"]) == (303, "/settings?saved=1")
    assert "Saved." in viewer.get("/settings?saved=1").text
    for path, words in (("/", "Deadlines"), ("/register", "14 cases"), ("/report", "Received per month"),
                        ("/search", "Search words")):
        answer = viewer.get(path).text
        assert '<html lang="en">' in answer and words in answer, path
    with Session(site.engine) as s:
        assert s.scalars(sa.select(UserRow.language).where(UserRow.name == "revisor")).one() == "en"


def test_only_an_admin_may_use_the_admin_page(site: Site) -> None:
    for name in ("linn", "revisor"):
        client, _ = site.login(name)
        page = client.get("/")
        assert 'href="/admin/users"' not in page.text
        assert client.get("/admin/users").status_code == 403
        for path in ("/admin/users", "/admin/users/disable", "/admin/users/unlock", "/admin/users/reset-2fa"):
            refused = client.post(path, data={"csrf": csrf_of(page.text), "name": "mikkel", "role": "admin",
                                              "password": PASSWORD})
            assert refused.status_code == 403, (name, path)
    admin, _ = site.login("ada")
    page = admin.get("/admin/users")
    for path in ("/admin/users", "/admin/users/disable", "/admin/users/enable", "/admin/users/unlock",
                 "/admin/users/reset-2fa"):
        assert admin.post(path, data={"csrf": "not-it", "name": "mikkel"}).status_code == 403, path
    assert _audit(site) == []
    with Session(site.engine) as s:
        assert not s.scalars(sa.select(UserRow.disabled).where(UserRow.name == "mikkel")).one()


def test_an_admin_adds_disables_enables_unlocks_and_resets_2fa_each_an_audit_row(site: Site) -> None:
    def nora() -> tuple[httpx.Client, httpx.Response]:  # a code works once: each login in a time step of its own
        site.clock.now += timedelta(seconds=30)
        return site.login("nora")

    admin, _ = site.login("ada")
    page = admin.get("/admin/users")
    assert page.status_code == 200 and ">mikkel</td>" in page.text and 'href="/admin/users"' in page.text
    csrf = csrf_of(page.text)
    added = admin.post("/admin/users", data={"csrf": csrf, "name": "nora", "role": "officer",
                                             "password": PASSWORD, "language": "en"})
    assert added.status_code == 200
    uri = re.search(r'<code class="uri">(otpauth://[^<]+)</code>', added.text)
    assert uri is not None and "nora" in uri[1]
    assert "otpauth://" not in admin.get("/admin/users").text  # shown once
    secret = pyotp.parse_uri(uri[1].replace("&amp;", "&")).secret
    site.secrets["nora"] = secret
    assert nora()[1].status_code == 303
    short = admin.post("/admin/users", data={"csrf": csrf, "name": "x", "role": "officer", "password": "short"})
    assert short.status_code == 400 and "Ikke gjort" in short.text
    taken = admin.post("/admin/users", data={"csrf": csrf, "name": "nora", "role": "officer", "password": PASSWORD})
    assert taken.status_code == 400 and "already" in taken.text
    assert admin.post("/admin/users/disable", data={"csrf": csrf, "name": "nora"}).status_code == 303
    assert nora()[1].status_code == 401
    assert admin.post("/admin/users/enable", data={"csrf": csrf, "name": "nora"}).status_code == 303
    for _ in range(5):
        site.login("nora", password="not the password, no")
    assert nora()[1].status_code == 401  # locked
    assert "låst" in admin.get("/admin/users").text
    assert admin.post("/admin/users/unlock", data={"csrf": csrf, "name": "nora"}).status_code == 303
    assert nora()[1].status_code == 303
    reset = admin.post("/admin/users/reset-2fa", data={"csrf": csrf, "name": "nora"})
    fresh = re.search(r'<code class="uri">(otpauth://[^<]+)</code>', reset.text)
    assert reset.status_code == 200 and fresh is not None and fresh[1] != uri[1]
    assert nora()[1].status_code == 401  # the old key is worth nothing now
    site.secrets["nora"] = pyotp.parse_uri(fresh[1].replace("&amp;", "&")).secret
    assert nora()[1].status_code == 303
    myself = admin.post("/admin/users/disable", data={"csrf": csrf, "name": "ada"})
    assert myself.status_code == 400
    unknown = admin.post("/admin/users/unlock", data={"csrf": csrf, "name": "nobody"})
    assert unknown.status_code == 400
    with Session(site.engine) as s:
        nora_id = s.scalars(sa.select(UserRow.id).where(UserRow.name == "nora")).one()
    assert _audit(site) == [(action, f"user:{nora_id}") for action in
                            ("user_added", "user_disabled", "user_enabled", "user_unlocked", "user_2fa_reset")]


def test_the_new_pages_have_both_languages_words() -> None:
    assert LIST_WORDS["da"].keys() == LIST_WORDS["en"].keys()
    assert all(text.strip() for table in LIST_WORDS.values() for text in table.values())


def test_the_pages_that_only_show_render_while_another_writer_holds_the_register(site: Site) -> None:
    """The due page, the register list and the report read without the write lock: an import or a
    command holding SQLite's write lock meanwhile does not make them wait (each request used to begin
    ``BEGIN IMMEDIATE`` and wait for it, up to the 60 s busy timeout)."""
    import sqlite3

    if not site.db_url.startswith("sqlite"):
        pytest.skip("SQLite's file lock; PostgreSQL readers never wait for writers")
    officer, _ = site.login("linn")
    writer = sqlite3.connect(site.db_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process's write, under way
        writer.execute("UPDATE complaints SET assignee = 'mikkel' WHERE number = 3")
        for path in ("/", "/register", "/register?status=received", "/report"):
            page = officer.get(path)
            assert page.status_code == 200, path
    finally:
        writer.execute("ROLLBACK")
        writer.close()
