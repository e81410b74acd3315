"""The compliance report (register/_report.py, _report_render.py, ``register report``): figures by hand, SQL only.

The figures are checked against a report computed by hand, on SQLite and on PostgreSQL, and
the two databases against each other on the same (seeded, random) register.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from sqlalchemy import Engine, event, text
from sqlalchemy.orm import Session

from klageformular.cli import main
from klageformular.exceptions import ConfigurationError
from klageformular.org import get_organisation
from klageformular.orgfile import dumps_organisation
from klageformular.register import (
    MEASURES,
    Compensation,
    MeasureFigure,
    Period,
    Register,
    Report,
    Spread,
    add_record,
    build_report,
    categorize,
    create_register_engine,
    record_measure,
    report,
    report_text,
    set_status,
    write_report_xlsx,
)
from klageformular.register._query import working_days_between
from klageformular.register._report import _WorkdayCount

from .postgres import new_database
from .registers import complaint_record, rejected_record

Q4 = Period.of(2026, quarter=4)
TODAY = date(2027, 1, 15)  # after the quarter: deadlines are judged as of its last day
# Kameo Denmark with a decision timeframe of 10 working days, as a profile file would set it.
DK10 = {"kameo-dk": get_organisation("kameo-dk").model_copy(update={"decision_working_days": 10})}


def _add(engine: Engine, record: dict[str, Any]) -> str:
    return add_record(engine, record, organisations=DK10).reference


def _measure(engine: Engine, reference: str, kind: str, amount: str | None = None, currency: str | None = None,
             note: str | None = None) -> None:
    with Session(engine) as session, session.begin():
        record_measure(session, reference, kind, who="linn", amount=Decimal(amount) if amount else None,
                       currency=currency, note=note, organisations=DK10)


def _categorize(engine: Engine, reference: str, product: str, cause: str) -> None:
    with Session(engine) as session, session.begin():
        categorize(session, reference, who="linn", product=product, cause=cause)


def _quarter(engine: Engine) -> None:
    """Six entries received in Q4 2026 (four complaints, one not, one merged into another), two outside it."""
    a = _add(engine, complaint_record(1, received="2026-11-02"))  # Monday; acknowledge by Thu 5 Nov
    set_status(engine, a, "acknowledged", who="linn", on=date(2026, 11, 3))  # 1 working day
    set_status(engine, a, "under_review", who="linn")
    set_status(engine, a, "decided", who="linn", on=date(2026, 11, 17), outcome="upheld")  # 11: decide_by 16 Nov
    _categorize(engine, a, "loan", "payments")
    _measure(engine, a, "information_requested")
    _measure(engine, a, "compensation", "1250.50")
    _measure(engine, a, "compensation", "249.50")

    b = _add(engine, complaint_record(2, received="2026-12-23", lang="en", message_id="<b@example.dk>"))
    set_status(engine, b, "acknowledged", who="linn", on=date(2026, 12, 30))  # 4 (24, 28, 29, 30): late
    _categorize(engine, b, "investment", "information")
    _measure(engine, b, "staff_training", note="Kursus i udbetalingsdatoer")
    _measure(engine, b, "changed_routines", note="Ny tjekliste")

    _add(engine, complaint_record(3, received="2026-12-23"))  # never acknowledged: late as of 31 Dec

    d = _add(engine, complaint_record(4, received="2026-10-05", org="kameo-no", lang="nb"))
    set_status(engine, d, "acknowledged", who="linn", on=date(2026, 10, 7))  # 2
    set_status(engine, d, "inadmissible", who="linn", on=date(2026, 10, 9))  # 4: answered, no outcome
    set_status(engine, d, "closed", who="linn")
    _categorize(engine, d, "platform", "platform_error")
    _measure(engine, d, "compensation", "300")  # NOK, the case's profile's currency
    _measure(engine, d, "compensation", "20", "EUR")
    _measure(engine, d, "other_complaints_checked", note="KLA-2026-0001")

    e = _add(engine, rejected_record(5, received="2026-12-28"))
    register = Register(engine)
    with register.session() as session, session.begin():
        register.set_status(session, e, "closed", who="linn", note="Et nyhedsbrev, ikke en klage",
                            not_a_complaint=True)
    _measure(engine, e, "other_consequence", note="Filter for nyhedsbreve")  # not a complaint: not counted

    # A customer's second mail that became a case of its own, merged into b: counted as merged
    # only; its category and measure stay on its record and count nowhere.
    g = _add(engine, complaint_record(8, received="2026-12-24", lang="en", message_id="<g@example.dk>"))
    _categorize(engine, g, "loan", "payments")
    _measure(engine, g, "external_advice")
    with register.session() as session, session.begin():
        register.merge(session, g, into=b, who="linn", note="the same matter")

    f = _add(engine, complaint_record(6, received="2027-01-04"))
    _measure(engine, f, "compensation", "999")
    _measure(engine, f, "external_advice")
    _add(engine, complaint_record(7, received="2026-09-30"))


def _expected() -> Report:
    """Counted by hand from :func:`_quarter`."""
    measures = {kind: MeasureFigure() for kind in MEASURES}
    measures |= {"information_requested": MeasureFigure(cases=1, measures=1),
                 "other_complaints_checked": MeasureFigure(cases=1, measures=1),
                 "changed_routines": MeasureFigure(cases=1, measures=1),
                 "staff_training": MeasureFigure(cases=1, measures=1),
                 "compensation": MeasureFigure(cases=2, measures=4)}
    return Report(
        start=date(2026, 10, 1), end=date(2026, 12, 31), as_of=date(2026, 12, 31),
        received=6, complaints=4, not_complaints=1, merged=1,
        by_status={"acknowledged": 1, "closed": 1, "decided": 1, "received": 1},
        by_product={"-": 1, "investment": 1, "loan": 1, "platform": 1},
        by_cause={"-": 1, "information": 1, "payments": 1, "platform_error": 1},
        by_outcome={"upheld": 1}, by_channel={"email": 1, "file": 3}, by_language={"da": 2, "en": 1, "nb": 1},
        working_days_to_acknowledgement=Spread(count=3, median=2, max=4),  # 1, 2, 4
        working_days_to_decision=Spread(count=2, median=7.5, max=11),  # 4, 11
        overdue=3, overdue_acknowledgement=2, overdue_decision=1,
        measures=measures,
        compensation=[Compensation(currency="DKK", cases=1, payments=2, total=Decimal("1500.00")),
                      Compensation(currency="EUR", cases=1, payments=1, total=Decimal("20.00")),
                      Compensation(currency="NOK", cases=1, payments=1, total=Decimal("300.00"))],
    )


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    _quarter(engine)
    yield engine
    engine.dispose()


def test_report_computed_by_hand(engine: Engine) -> None:
    figures = report(engine, Q4.start, Q4.end, today=TODAY, organisations=DK10)
    assert figures == _expected()
    assert figures.compensation[0].total.as_tuple().exponent == -2  # exact Decimal, never float


def test_the_report_loads_no_row_whole(engine: Engine) -> None:
    """Every query returns counts per group: none reads a complaint's values or its events' notes."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with Session(engine) as session:
            build_report(session, Q4, today=TODAY, organisations=DK10)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 8
    for statement in selects:
        assert "count(" in statement.lower() or "sum(" in statement.lower()
        for column in ("complaints.complaint", "complaints.raw", "complaints.message", "events.note"):
            assert column not in statement


def test_deadlines_are_judged_as_of_today_within_the_period(engine: Engine) -> None:
    # On 29 Dec the one never acknowledged is not late yet (acknowledge by 29 Dec); the one
    # acknowledged on 30 Dec was late, whenever the report is made, and so was A's decision.
    figures = report(engine, Q4.start, Q4.end, today=date(2026, 12, 29), organisations=DK10)
    assert (figures.as_of, figures.overdue, figures.overdue_acknowledgement) == (date(2026, 12, 29), 2, 1)


def test_a_profile_files_holidays_count(db_url: str) -> None:
    engine = create_register_engine(db_url)
    acme = get_organisation("kameo-dk").model_copy(update={"key": "acme", "holiday_country": "NO"})
    reference = add_record(engine, complaint_record(1, org="acme", received="2026-05-15"),
                           organisations={"acme": acme}).reference
    set_status(engine, reference, "acknowledged", who="linn", on=date(2026, 5, 18))
    with pytest.raises(ConfigurationError, match=r"profile 'acme', which is not built in: give its profile file"):
        report(engine, date(2026, 5, 1), date(2026, 5, 31), today=TODAY)
    # Friday 15 May to Monday 18 May: Norway's 17 May is a Sunday, so one working day; with DK the same.
    assert report(engine, date(2026, 5, 1), date(2026, 5, 31), today=TODAY,
                  organisations={"acme": acme}).working_days_to_acknowledgement == Spread(count=1, median=1, max=1)
    engine.dispose()


# -- SQLite and PostgreSQL ------------------------------------------------------------------------


def _random_register(engine: Engine, seed: int) -> None:
    """A seeded register: statuses, categories, measures and amounts drawn at random."""
    rng = random.Random(seed)
    products = [c.key for c in get_organisation().categories.product]
    causes = [c.key for c in get_organisation().categories.cause]
    for i in range(100, 140):
        received = date(2026, 9, 20) + timedelta(days=rng.randrange(110))
        org, lang = rng.choice([("kameo-dk", "da"), ("kameo-dk", "en"), ("kameo-no", "nb"), ("kameo-se", "sv")])
        if rng.random() < 0.1:
            reference = _add(engine, rejected_record(i, received=received.isoformat()))
            set_status(engine, reference, rng.choice(["closed", "received"]), who="linn")
            continue
        extra: dict[str, Any] = {"message_id": f"<{i}@example.dk>"} if rng.random() < 0.3 else {}
        reference = _add(engine, complaint_record(i, received=received.isoformat(), org=org, lang=lang, **extra))
        day = received
        for status in ("acknowledged", "under_review", "decided")[:rng.randrange(4)]:
            day += timedelta(days=rng.randrange(0, 9))
            set_status(engine, reference, status, who="linn", on=day,
                       outcome=rng.choice(["upheld", "partly_upheld", "not_upheld"]) if status == "decided" else None)
        if rng.random() < 0.7:
            _categorize(engine, reference, rng.choice(products), rng.choice(causes))
        for _ in range(rng.randrange(3)):
            kind = rng.choice(MEASURES)
            amount = f"{rng.randrange(1, 100000)}.{rng.randrange(100):02d}" if kind == "compensation" else None
            _measure(engine, reference, kind, amount, rng.choice([None, "EUR"]) if amount else None,
                     note="andet" if kind == "other_consequence" else None)


@pytest.mark.slow
def test_sqlite_and_postgresql_give_identical_figures(tmp_path: Path, postgres_url: str) -> None:
    engines = [create_register_engine(f"sqlite:///{tmp_path / 'klager.db'}"),
               create_register_engine(new_database(postgres_url))]
    for engine in engines:
        _random_register(engine, seed=24)
        _quarter(engine)
    periods = [Q4, Period.of(2026), Period.of(2026, month=12), Period.between(date(2026, 9, 1), date(2027, 1, 31))]
    for period in periods:
        sqlite, postgresql = (report(e, period.start, period.end, today=TODAY, organisations=DK10) for e in engines)
        assert sqlite.received > 0
        assert sqlite.model_dump_json() == postgresql.model_dump_json()
        assert report_text(sqlite, lang="en") == report_text(postgresql, lang="en")
    for engine in engines:
        engine.dispose()


# -- working days: one running count per country, the same as counting day by day ---------------


@settings(max_examples=300, deadline=None)
@given(first=st.dates(date(2020, 1, 1), date(2030, 12, 31)), length=st.integers(0, 800),
       start_at=st.integers(0, 800), end_at=st.integers(0, 800), country=st.sampled_from(["DK", "NO", "SE"]))
def test_the_running_count_is_the_day_by_day_count(first: date, length: int, start_at: int, end_at: int,
                                                   country: str) -> None:
    last = first + timedelta(days=length)
    start, end = (first + timedelta(days=min(start_at, length)), first + timedelta(days=min(end_at, length)))
    count = _WorkdayCount({country: (first, last)})
    assert count.between(start, end, country) == working_days_between(start, end, country)


def _spread_case_by_case(engine: Engine, period: Period, column: str) -> Spread:
    """The old computation: every case's working days counted day by day, the median of the sorted list."""
    countries = {"kameo-dk": "DK", "kameo-no": "NO", "kameo-se": "SE"}
    with engine.connect() as connection:
        rows = connection.execute(text(
            f"SELECT organisation, received, {column} FROM complaints WHERE received BETWEEN :a AND :b "
            f"AND NOT not_a_complaint AND merged_into IS NULL AND {column} IS NOT NULL"),
            {"a": period.start, "b": period.end}).all()
    days = sorted(working_days_between(_day(r[1]), _day(r[2]), countries[r[0]]) for r in rows)
    if not days:
        return Spread()
    middle = len(days) // 2
    median = float(days[middle]) if len(days) % 2 else (days[middle - 1] + days[middle]) / 2
    return Spread(count=len(days), median=median, max=days[-1])


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32))
def test_working_days_match_the_case_by_case_count_on_random_registers(tmp_path_factory: pytest.TempPathFactory,
                                                                        seed: int) -> None:
    engine = create_register_engine(f"sqlite:///{tmp_path_factory.mktemp('r') / 'klager.db'}")
    _random_register(engine, seed=seed)
    for period in (Q4, Period.of(2026), Period.between(date(2026, 9, 1), date(2027, 1, 31))):
        figures = report(engine, period.start, period.end, today=TODAY, organisations=DK10)
        assert figures.working_days_to_acknowledgement == _spread_case_by_case(engine, period, "acknowledged_on")
        assert figures.working_days_to_decision == _spread_case_by_case(engine, period, "decided_on")
    engine.dispose()


# -- periods --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("options", "start", "end"), [
    ({}, "2026-01-01", "2026-12-31"),
    ({"quarter": 1}, "2026-01-01", "2026-03-31"),
    ({"quarter": 4}, "2026-10-01", "2026-12-31"),
    ({"month": 2}, "2026-02-01", "2026-02-28"),
])
def test_calendar_periods(options: dict[str, int], start: str, end: str) -> None:
    period = Period.of(2026, **options)
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: Period.of(2026, quarter=5), "quarter 5: use 1 to 4"),
    (lambda: Period.of(2026, month=13), "month 13: use 1 to 12"),
    (lambda: Period.of(2026, quarter=1, month=1), "a quarter or a month, not both"),
    (lambda: Period.between(date(2026, 2, 1), date(2026, 1, 1)), r"ends \(2026-01-01\) before it starts"),
])
def test_impossible_periods_are_refused(call: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        call()


# -- for people and machines ----------------------------------------------------------------------


@pytest.mark.parametrize(("lang", "lines"), [
    ("da", ["Klagerapport 01-10-2026 – 31-12-2026", "Ikke klager 1", "Lån 1", "Til afgørelse 2 7,5 11",
            "Oplæring af ansatte 1 1", "Arbejdsdage Sager Median Højst", "DKK 1 2 1.500,00 DKK", "NOK 1 1 300,00 NOK"]),
    ("en", ["Complaints report 01-10-2026 – 31-12-2026", "Not complaints 1", "Loan 1", "To decision 2 7.5 11",
            "Staff training 1 1", "Working days Cases Median Max", "DKK 1 2 1,500.00 DKK", "NOK 1 1 300.00 NOK"]),
])
def test_text_for_a_person(engine: Engine, lang: str, lines: list[str]) -> None:
    text = report_text(report(engine, Q4.start, Q4.end, today=TODAY, organisations=DK10), lang=lang)
    assert all(len(line) <= 100 for line in text.splitlines())  # a terminal, a mail
    columns = [" ".join(line.split()) for line in text.splitlines()]
    for line in lines:
        assert line in columns


def test_text_refuses_an_unknown_language() -> None:
    with pytest.raises(ConfigurationError, match=r"no report labels in 'sv' \(known: da, en\)"):
        report_text(_expected(), lang="sv")


def test_xlsx_read_back(tmp_path: Path) -> None:
    target = tmp_path / "rapport.xlsx"
    write_report_xlsx(_expected(), target, lang="da")
    assert target.stat().st_mode & 0o777 == 0o600
    sheet = load_workbook(target).active
    assert sheet is not None
    rows = {row[0]: row[1:] for row in sheet.iter_rows(values_only=True) if row[0]}
    assert sheet["A1"].value == "Klagerapport"
    assert [v.date() for v in rows["Periode"][:2]] == [date(2026, 10, 1), date(2026, 12, 31)]  # date cells
    assert rows["Ikke klager"][0] == 1
    assert rows["Til afgørelse"][:3] == (2, 7.5, 11)
    assert rows["DKK"][:3] == (1, 2, 1500)
    assert rows["Kompensation"][:2] == (2, 4)
    dkk = next(c for c in sheet["D"] if c.value == 1500)
    assert dkk.number_format == "#,##0.00"
    assert (sheet.page_setup.orientation, sheet.page_setup.fitToWidth, sheet.page_setup.paperSize) == \
        ("portrait", 1, int(sheet.PAPERSIZE_A4))


def test_cli_report_text_json_and_xlsx(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'klager.db'}"
    _quarter(create_register_engine(db))
    profile = tmp_path / "kameo.toml"
    profile.write_text(dumps_organisation(DK10["kameo-dk"]), encoding="utf-8")
    base = ["register", "report", "--db", db, "--today", TODAY.isoformat(), "--org-file", str(profile)]
    assert main([*base, "--year", "2026", "--quarter", "4", "--json"]) == 0
    assert Report.model_validate_json(capsys.readouterr().out) == _expected()
    assert main([*base, "--from", "2026-10-01", "--to", "2026-12-31", "--lang", "en"]) == 0
    assert "  Not complaints" in capsys.readouterr().out
    assert main([*base, "--year", "2026", "--month", "12", "--json"]) == 0
    december = json.loads(capsys.readouterr().out)
    assert (december["start"], december["end"], december["received"], december["merged"]) == (
        "2026-12-01", "2026-12-31", 4, 1)
    assert main([*base, "--year", "2026", "--xlsx", str(tmp_path / "r.xlsx")]) == 0
    assert capsys.readouterr().out == f"{tmp_path / 'r.xlsx'}: report 2026-01-01 to 2026-12-31\n"
    assert main([*base, "--year", "2026", "--from", "2026-01-01"]) == 1
    assert "give --from/--to or --year" in capsys.readouterr().err
    assert main([*base, "--quarter", "1", "--month", "1"]) == 2


@pytest.mark.slow
def test_the_sheet_prints_one_a4_page_wide(tmp_path: Path) -> None:
    """LibreOffice prints it A4 portrait, every column on the page, the title on top (if installed)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    target = tmp_path / "rapport.xlsx"
    write_report_xlsx(_expected(), target, lang="da")
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                    "--outdir", str(tmp_path), str(target)], check=True, capture_output=True, timeout=180)
    pdf = tmp_path / "rapport.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    assert re.search(r"^Page size:\s+595.\d+ x 841.\d+ pts \(A4\)$", info, re.M)  # portrait
    first = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout
    assert "Klagerapport 01-10-2026 – 31-12-2026" in first  # the page header
    assert re.search(r"Arbejdsdage\s+Sager\s+Median\s+Højst", first)  # the right-most column on the same page
