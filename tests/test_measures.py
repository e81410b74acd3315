"""Measures taken and categories (register/_measures.py, register/_measures_cli.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from klageformular.cli import main
from klageformular.exceptions import (
    ConfigurationError,
    InvalidMeasureError,
    RegisterError,
    StaleCaseError,
    UnknownCategoryError,
    UnknownReferenceError,
)
from klageformular.org import Categories, get_organisation
from klageformular.orgfile import dumps_organisation
from klageformular.register import (
    MEASURES,
    Register,
    add_record,
    categorize,
    create_register_engine,
    current_revision,
    measures_of,
    record_measure,
    report,
    show,
    upgrade,
)
from klageformular.register._corrections import merge_rows
from klageformular.register._db import downgrade
from klageformular.register._measures import parse_money

from .registers import complaint_record


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_register_engine(db_url)
    add_record(engine, complaint_record(1))
    add_record(engine, complaint_record(2, org="kameo-no", lang="nb"))
    yield engine
    engine.dispose()


def _events(engine: Engine, reference: str, what: str) -> list[dict[str, object]]:
    return [e for e in show(engine, reference)["events"] if e["what"] == what]


# -- categories -----------------------------------------------------------------------------------


def test_categorize_sets_and_changes_with_an_event_each(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        first = categorize(session, "kla-2026-0001", who="linn", product="loan", note="Lånet KA-2001")
    assert (first.product, first.cause, first.previous_product) == ("loan", None, None)
    with Session(engine) as session, session.begin():
        second = categorize(session, "KLA-2026-0001", who="mikkel", cause=" Payments ")
    assert (second.product, second.cause, second.previous_cause) == ("loan", "payments", None)
    events = _events(engine, "KLA-2026-0001", "categorized")
    assert [(e["who"], e["note"]) for e in events] == [
        ("linn", "product: – → loan — Lånet KA-2001"), ("mikkel", "cause: – → payments")]
    with pytest.raises(RegisterError, match=r"already product loan; nothing done"), \
            Session(engine) as session, session.begin():
        categorize(session, "KLA-2026-0001", who="linn", product="loan")
    assert len(_events(engine, "KLA-2026-0001", "categorized")) == 2


def test_unknown_category_is_refused_with_the_known_ones(engine: Engine) -> None:
    with pytest.raises(UnknownCategoryError, match=r"unknown product 'car' for profile 'kameo-no' \(known: "
                                                   r"investment, loan, payment_services, platform, other\)") as info, \
            Session(engine) as session, session.begin():
        categorize(session, "KLA-NO-2026-0001", who="linn", product="car")
    assert info.value.known == ("investment", "loan", "payment_services", "platform", "other")
    with pytest.raises(RegisterError, match="give a product, a cause or both"), Session(engine) as session:
        categorize(session, "KLA-NO-2026-0001", who="linn")
    assert _events(engine, "KLA-NO-2026-0001", "categorized") == []


def test_a_profile_file_sets_the_lists_and_one_without_them_is_refused_clearly(engine: Engine) -> None:
    bare = get_organisation("kameo-dk").model_copy(update={"categories": Categories()})
    with pytest.raises(UnknownCategoryError, match=r"lists no cause categories: add \[\[categories\.cause\]\]"), \
            Session(engine) as session, session.begin():
        categorize(session, "KLA-2026-0001", who="linn", cause="payments", organisations={"kameo-dk": bare})
    own = Categories.model_validate({"product": [{"key": "bond", "label": {"da": "Obligation"}}],
                                     "cause": [{"key": "delay"}]})
    custom = get_organisation("kameo-dk").model_copy(update={"categories": own})
    with Session(engine) as session, session.begin():
        done = categorize(session, "KLA-2026-0001", who="linn", product="bond", cause="delay",
                          organisations={"kameo-dk": custom})
    assert (done.product, done.cause) == ("bond", "delay")


def test_a_case_under_a_profile_that_is_not_given_is_refused(db_url: str) -> None:
    engine = create_register_engine(db_url)
    acme = get_organisation("kameo-dk").model_copy(update={"key": "acme"})
    add_record(engine, complaint_record(1, org="acme"), organisations={"acme": acme})
    reference = _only_reference(engine)
    with pytest.raises(ConfigurationError, match=r"profile 'acme', which is not built in: give its profile file"), \
            Session(engine) as session:
        categorize(session, reference, who="linn", product="loan")
    with Session(engine) as session, session.begin():
        done = categorize(session, reference, who="linn", product="loan", organisations={"acme": acme})
    assert done.product == "loan"
    engine.dispose()


def _only_reference(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(sa.text("SELECT reference FROM complaints")).scalar_one())


# -- measures -------------------------------------------------------------------------------------


def test_every_measure_is_an_event_with_its_row(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        for kind in MEASURES:
            record_measure(session, "KLA-2026-0001", kind, who="linn", note=f"  {kind} done ",
                           amount=Decimal("100") if kind == "compensation" else None)
    with Session(engine) as session:
        taken = list(measures_of(session, "KLA-2026-0001"))
    assert [m.kind for m in taken] == list(MEASURES)
    assert [m.note for m in taken] == [f"{kind} done" for kind in MEASURES]
    assert taken[-1].amount == Decimal("100.00") and taken[-1].currency == "DKK"
    assert all(m.amount is None for m in taken[:-1])
    events = _events(engine, "KLA-2026-0001", "measure")
    assert events[-1]["note"] == "compensation 100.00 DKK — compensation done"
    assert events[0]["note"] == "information_requested — information_requested done"


@pytest.mark.parametrize(("reference", "amount", "currency", "stored"), [
    ("KLA-2026-0001", "1250,50", None, ("1250.50", "DKK")),       # the profile's currency
    ("KLA-NO-2026-0001", "300", None, ("300.00", "NOK")),
    ("KLA-2026-0001", "19.9", "eur", ("19.90", "EUR")),
    ("KLA-2026-0001", "5000", "JPY", ("5000", "JPY")),            # no minor unit
    ("KLA-2026-0001", "1.125", "KWD", ("1.125", "KWD")),          # three decimals
])
def test_compensation_is_exact_in_the_currency(engine: Engine, reference: str, amount: str, currency: str | None,
                                               stored: tuple[str, str]) -> None:
    with Session(engine) as session, session.begin():
        done = record_measure(session, reference, "compensation", who="linn", amount=parse_money(amount),
                              currency=currency)
    assert (str(done.amount), done.currency) == stored
    with Session(engine) as session:
        assert [(str(m.amount), m.currency) for m in measures_of(session, reference)] == [stored]


@pytest.mark.parametrize(("kind", "options", "message"), [
    ("compensation", {}, "compensation needs an amount"),
    ("compensation", {"amount": Decimal("12.345")}, r"12\.345 DKK: DKK has 2 decimal"),
    ("compensation", {"amount": Decimal("10.5"), "currency": "JPY"}, "JPY has 0 decimal"),
    ("compensation", {"amount": Decimal("0")}, "more than 0"),
    ("compensation", {"amount": Decimal("-5")}, "more than 0"),
    ("compensation", {"amount": Decimal("NaN")}, "DKK has 2 decimal"),
    ("compensation", {"amount": Decimal("1e13")}, "less than 10,000,000,000,000.00 DKK"),
    ("compensation", {"amount": Decimal("5"), "currency": "XYZ"}, "'XYZ' is not an ISO 4217 currency code"),
    ("compensation", {"amount": 5.0}, "amounts are Decimal, not float"),
    ("staff_training", {"amount": Decimal("5")}, "staff_training has no amount"),
    ("staff_training", {"currency": "DKK"}, "staff_training has no amount"),
    ("other_consequence", {"note": "   "}, "other_consequence needs a note"),
    ("apology", {}, r"unknown measure 'apology' \(known: information_requested, "),
])
def test_a_measure_that_cannot_be_recorded_is_refused(engine: Engine, kind: str, options: dict[str, object],
                                                      message: str) -> None:
    with pytest.raises(InvalidMeasureError, match=message), Session(engine) as session, session.begin():
        record_measure(session, "KLA-2026-0001", kind, who="linn", **options)  # type: ignore[arg-type]
    assert _events(engine, "KLA-2026-0001", "measure") == []


def test_unknown_reference(engine: Engine) -> None:
    with pytest.raises(UnknownReferenceError, match="KLA-2026-0099"), Session(engine) as session:
        record_measure(session, "KLA-2026-0099", "staff_training", who="linn")


@pytest.mark.parametrize(("text", "value"), [("1250.50", "1250.50"), ("1250,50", "1250.50"), (" 7 ", "7")])
def test_parse_money(text: str, value: str) -> None:
    assert parse_money(text) == Decimal(value)


@pytest.mark.parametrize("text", ["1.250,50", "12 500", "-5", "1e3", "", "kr. 5", "5.", "5,000,000"])
def test_parse_money_refuses_what_it_could_misread(text: str) -> None:
    with pytest.raises(InvalidMeasureError, match="no thousands separator"):
        parse_money(text)


@pytest.mark.parametrize("statement", ["UPDATE measures SET kind = 'staff_training'", "DELETE FROM measures",
                                       "TRUNCATE measures"])
def test_measures_are_append_only_in_the_database(engine: Engine, statement: str) -> None:
    if statement.startswith("TRUNCATE") and engine.dialect.name == "sqlite":
        pytest.skip("SQLite has no TRUNCATE (DELETE fires the row trigger)")
    with Session(engine) as session, session.begin():
        record_measure(session, "KLA-2026-0001", "compensation", who="linn", amount=Decimal("10"))
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
        connection.execute(sa.text(statement))


def test_the_database_refuses_a_compensation_without_an_amount(engine: Engine) -> None:
    """The check constraint holds whatever program writes the row."""
    with engine.connect() as connection:
        event = connection.execute(sa.text("SELECT id FROM events")).scalars().first()
    with pytest.raises(DBAPIError, match=r"ck_measures_amount|CHECK constraint failed"), \
            engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO measures (event_id, kind) VALUES (:e, 'compensation')"), {"e": event})


# -- migration ------------------------------------------------------------------------------------


def test_upgrade_from_the_previous_revision_with_data(db_url: str) -> None:
    """0006 → 0007 on a register with a complaint, a non-complaint and a merged case (0006's columns)."""
    engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0006")
    for number in (1, 2, 3):  # the complaint tables are 0006's: the models' own
        add_record(engine, complaint_record(number, received="2026-11-02", message_id=f"<{number}@example.dk>"))
    register = Register(engine)
    with register.session() as session, session.begin():
        register.set_status(session, "KLA-2026-0002", "closed", who="linn", note="autosvar", not_a_complaint=True)
        # The merge itself, not Register.merge: the Case that returns reads the measures (0007)
        merge_rows(session, register.lock(session, "KLA-2026-0003"), register.lock(session, "KLA-2026-0001"),
                   who="linn", note=None)
    upgrade(engine, "0007")
    assert current_revision(engine) == "0007"
    with register.session() as session, session.begin():
        version = register.case(session, "KLA-2026-0001").version
        register.categorize(session, "KLA-2026-0001", who="linn", product="loan", cause="payments", version=version)
        record_measure(session, "KLA-2026-0001", "compensation", who="linn", amount=Decimal("75.25"))
    figures = report(engine, date(2026, 11, 1), date(2026, 11, 30), today=date(2026, 12, 1))
    assert (figures.received, figures.complaints, figures.not_complaints, figures.merged) == (3, 1, 1, 1)
    assert (figures.by_product, figures.compensation[0].total) == ({"loan": 1}, Decimal("75.25"))
    with engine.connect() as connection:
        events_before = connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    downgrade(engine, "0006")  # and back: the cases and their events stay, the new tables go
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one() == events_before
        assert connection.execute(sa.text("SELECT count(*) FROM complaints WHERE not_a_complaint")).scalar_one() == 1
        assert "measures" not in sa.inspect(connection).get_table_names()
    upgrade(engine)
    assert report(engine, date(2026, 11, 1), date(2026, 11, 30), today=date(2026, 12, 1)).by_product == {"-": 1}
    engine.dispose()


def test_measures_and_categories_refuse_a_stale_version_and_a_merged_case(db_url: str) -> None:
    engine = create_register_engine(db_url)
    for number in (1, 2):
        add_record(engine, complaint_record(number, received="2026-11-02", message_id=f"<{number}@example.dk>"))
    register = Register(engine)
    with register.session() as session, session.begin():
        version = register.case(session, "KLA-2026-0001").version
        register.categorize(session, "KLA-2026-0001", who="linn", product="loan", version=version)
    with pytest.raises(StaleCaseError, match=r"KLA-2026-0001 was categorized by linn at .*; nothing done"), \
            register.session() as session, session.begin():
        register.record_measure(session, "KLA-2026-0001", "staff_training", who="mikkel", version=version)
    with register.session() as session, session.begin():
        done = register.record_measure(session, "KLA-2026-0001", "staff_training", who="mikkel",
                                       version=version + 1)
        assert register.case(session, "KLA-2026-0001").version == version + 2  # a measure moves the version too
        register.merge(session, "KLA-2026-0002", into="KLA-2026-0001", who="linn")
    assert done.kind == "staff_training"
    for call in (lambda s: register.categorize(s, "KLA-2026-0002", who="linn", cause="payments"),
                 lambda s: register.record_measure(s, "KLA-2026-0002", "external_advice", who="linn")):
        with pytest.raises(RegisterError, match="KLA-2026-0002 was merged into KLA-2026-0001: work on that case"), \
                register.session() as session, session.begin():
            call(session)
    with Session(engine) as session:
        assert list(measures_of(session, "KLA-2026-0002")) == []
    engine.dispose()


def test_an_erased_case_takes_measures_and_categories_but_not_their_notes(engine: Engine) -> None:
    """An erasure keeps the measures and the category (the report counts them) and removes the officer's words:
    after it, a measure or a category may still be recorded, without a note."""
    register = Register(engine)
    with register.session() as s, s.begin():
        for status, outcome in (("acknowledged", None), ("under_review", None), ("decided", "not_upheld"),
                                ("closed", None)):
            register.set_status(s, "KLA-2026-0001", status, who="linn", outcome=outcome)
        register.erase(s, "KLA-2026-0001", reason="mail 2026-12-01", who="linn")
    refused = r"KLA-2026-0001 was erased on \d{4}-\d\d-\d\d: nothing personal can be added to it"
    for call, hint in ((lambda s: register.record_measure(s, "KLA-2026-0001", "compensation", who="linn",
                                                          amount=Decimal("500"), note="Kunden fik 500 kr."),
                        "record the measure without a note"),
                       (lambda s: register.categorize(s, "KLA-2026-0001", who="linn", product="loan",
                                                      note="Kunden har et lån"),
                        "set the category without a note")):
        with pytest.raises(RegisterError, match=rf"{refused} \({hint}\)"), register.session() as s, s.begin():
            call(s)
    with register.session() as s, s.begin():
        register.record_measure(s, "KLA-2026-0001", "compensation", who="linn", amount=Decimal("500"), note=" ")
        register.categorize(s, "KLA-2026-0001", who="linn", product="loan")
    with register.session() as s:
        case = register.case(s, "KLA-2026-0001")
    assert [(m.kind, m.amount, m.note) for m in case.measures] == [("compensation", Decimal("500.00"), None)]
    assert case.category is not None and case.category.product == "loan"
    assert [e.note for e in case.events if e.what in ("measure", "categorized")] == [
        "compensation 500.00 DKK", "product: – → loan"]


# -- command line ---------------------------------------------------------------------------------


def test_cli_measure_and_categorize(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'klager.db'}"
    add_record(create_register_engine(db), complaint_record(1))
    base = ["--db", db, "--who", "linn"]
    assert main(["register", "categorize", "KLA-2026-0001", "--product", "loan", "--cause", "payments", *base]) == 0
    assert capsys.readouterr().out == "KLA-2026-0001: product loan, cause payments\n"
    assert main(["register", "measure", "KLA-2026-0001", "compensation", "--amount", "1250,50", "--note",
                 "Renter for november", *base]) == 0
    assert capsys.readouterr().out == "KLA-2026-0001: compensation 1250.50 DKK recorded\n"
    assert main(["register", "measure", "KLA-2026-0001", "staff_training", *base]) == 0
    assert main(["register", "categorize", "KLA-2026-0001", "--cause", "weather", *base]) == 1
    assert "unknown cause 'weather' for profile 'kameo-dk' (known: information, personal_data" in \
        capsys.readouterr().err
    assert main(["register", "measure", "KLA-2026-0001", "compensation", "--amount", "1.250,50", *base]) == 1
    assert "no thousands separator" in capsys.readouterr().err
    assert main(["register", "measure", "KLA-2026-0001", "apology", *base]) == 2
    assert "invalid choice: 'apology'" in capsys.readouterr().err
    assert main(["register", "show", "KLA-2026-0001", "--json", "--db", db]) == 0
    notes = [(e["what"], e["note"]) for e in json.loads(capsys.readouterr().out)["events"]]
    assert notes[-3:] == [("categorized", "product: – → loan; cause: – → payments"),
                          ("measure", "compensation 1250.50 DKK — Renter for november"),
                          ("measure", "staff_training")]
    # Version 1 at import; the categorization and two measures moved it to 4.
    assert main(["register", "measure", "KLA-2026-0001", "external_advice", "--if-version", "3", *base]) == 1
    assert "KLA-2026-0001 was given a measure by linn at" in capsys.readouterr().err
    assert main(["register", "categorize", "KLA-2026-0001", "--cause", "information", "--if-version", "4",
                 *base]) == 0


def test_cli_categorize_with_a_profile_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = f"sqlite:///{tmp_path / 'klager.db'}"
    add_record(create_register_engine(db), complaint_record(1))
    text = dumps_organisation(get_organisation("kameo-dk")).replace('key = "platform"', 'key = "app"')
    profile = tmp_path / "kameo.toml"
    profile.write_text(text, encoding="utf-8")
    args = ["register", "categorize", "KLA-2026-0001", "--product", "app", "--db", db]
    assert main(args) == 1
    assert main([*args, "--org-file", str(profile)]) == 0
    assert capsys.readouterr().out.endswith("KLA-2026-0001: product app, cause –\n")


def test_events_keep_when_and_who(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        done = record_measure(session, "KLA-2026-0001", "external_advice", who="linn", note="Advokat",
                              at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
    assert done.at.isoformat() == "2026-11-24T09:30:00+00:00"
    assert _events(engine, "KLA-2026-0001", "measure")[0]["at"] == "2026-11-24T09:30:00+00:00"


def test_cli_show_gives_the_measures_and_the_category_their_own_sections(
        db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``register show`` (and ``--json``): the current category, and each measure with who, when, its note and
    a compensation's amount exactly as stored in minor units (every decimal its currency has, none invented)."""
    engine = create_register_engine(db_url)
    add_record(engine, complaint_record(1))
    engine.dispose()
    base = ["--db", db_url, "--who", "linn"]
    assert main(["register", "show", "KLA-2026-0001", "--db", db_url]) == 0
    before = capsys.readouterr().out
    assert "\nTiltag\n" not in before and "\nKategori\n" not in before  # nothing recorded, no empty sections
    for args in (["categorize", "--product", "loan"], ["categorize", "--cause", "payments"],
                 ["measure", "compensation", "--amount", "1250,5", "--note", "Renter for november"],
                 ["measure", "compensation", "--amount", "100", "--currency", "eur"],
                 ["measure", "compensation", "--amount", "1500", "--currency", "JPY"],
                 ["measure", "staff_training"]):
        assert main(["register", args[0], "KLA-2026-0001", *args[1:], *base]) == 0
    capsys.readouterr()
    assert main(["register", "show", "KLA-2026-0001", "--db", db_url]) == 0
    text = capsys.readouterr().out
    category = text.split("\nKategori\n", 1)[1].split("\n\n", 1)[0]
    assert category == "  produkt: loan · årsag: payments"
    measures = text.split("\nTiltag\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split(None, 3)[2:] for line in measures] == [
        ["linn", "compensation              1.250,50 DKK · Renter for november"],  # as Danish writes it
        ["linn", "compensation              100,00 EUR"], ["linn", "compensation              1.500 JPY"],
        ["linn", "staff_training"]]
    assert main(["register", "show", "KLA-2026-0001", "--json", "--db", db_url]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["category"] == {"product": "loan", "cause": "payments"}
    assert [(m["kind"], m.get("amount"), m.get("currency"), m["who"], m.get("note")) for m in shown["measures"]] == [
        ("compensation", "1250.50", "DKK", "linn", "Renter for november"),  # JSON: a string, exact, never a float
        ("compensation", "100.00", "EUR", "linn", None), ("compensation", "1500", "JPY", "linn", None),
        ("staff_training", None, None, "linn", None)]
    assert all(m["reference"] == "KLA-2026-0001" and m["at"] for m in shown["measures"])
