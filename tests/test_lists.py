"""The register's lists (register/_lists.py, _search_text.py, revision 0017): due sections, filters, search, months.

On SQLite and PostgreSQL alike: the due sections count what :meth:`Register.due` counts, a
search folds case beyond ASCII on both (Ø, Ł, ß) and takes ``%`` and ``_`` as letters, the
months add up to the report's ``received`` and the working-day distributions give its medians.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from klageformular.register import Register, add_record, create_register_engine, current_revision, head_revision
from klageformular.register._db import downgrade, upgrade
from klageformular.register._lists import SECTIONS, CaseFilter, received_by_month
from klageformular.register._names import OPEN_STATUSES
from klageformular.register._schema import AuditRow, UserRow
from klageformular.register._search_text import fold, search_text

from .registers import complaint_record, rejected_record

TODAY = date(2026, 11, 25)


@pytest.fixture
def register(db_url: str) -> Iterator[Register]:
    """Cases in every section: overdue, due today, upcoming, later, with review items, assigned, merged, closed."""
    engine = create_register_engine(db_url)
    records = [
        complaint_record(1, received="2026-11-10", subject="Renter fra Østergård ApS\nmere tekst her"),
        complaint_record(2, received="2026-11-23", status="needs_review", subject="50% for lidt i rente"),
        complaint_record(3, received="2026-11-24", subject="Straße und Weg_1"),
        complaint_record(4, received="2026-11-25", email="ŁUKASZ@EXAMPLE.PL", channel="email"),
        complaint_record(5, received="2026-10-02", lang="en"),
        complaint_record(6, received="2026-11-20", acknowledge_by="2026-11-25"),
        rejected_record(7, received="2026-11-01"),
    ]
    for record in records:
        add_record(engine, record)
    register = Register(engine)
    with register.session() as s, s.begin():
        register.assign(s, "KLA-2026-0003", "linn", who="linn")
        register.set_status(s, "KLA-2026-0005", "acknowledged", who="linn", on=date(2026, 10, 5))
        register.merge(s, "KLA-2026-0006", into="KLA-2026-0001", who="linn")
    yield register
    engine.dispose()


def _due(register: Register) -> tuple[dict[str, int], dict[str, list[str]]]:
    with register.session() as s:
        listing = register.due_sections(s, TODAY, me="linn", rows=3)
    return ({x.name: x.count for x in listing.sections},
            {x.name: [r.reference for r in x.rows] for x in listing.sections})


def test_the_due_sections_count_what_the_due_list_counts(register: Register) -> None:
    counts, rows = _due(register)
    with register.session() as s:
        due = register.due(s, TODAY)
        reviewed = {e.reference for e in register.review(s) if register.case(s, e.reference).status in OPEN_STATUSES}
    assert counts["overdue"] == len(due.overdue) and counts["today"] == len(due.due_today)
    assert counts["upcoming"] == len(due.upcoming) and counts["unassigned"] == due.unassigned
    assert counts["review"] == len(reviewed) == 1
    assert rows["overdue"] == [i.reference for i in due.overdue][:3]
    assert rows["today"] == [i.reference for i in due.due_today][:3]
    assert rows["upcoming"] == [i.reference for i in due.upcoming][:3]
    assert rows["mine"] == ["KLA-2026-0003"] and counts["mine"] == 1
    assert "KLA-2026-0006" not in [r for listed in rows.values() for r in listed]  # merged: a pointer, not work
    assert list(counts) == list(SECTIONS)


def test_a_section_lists_at_most_its_rows_and_the_register_list_has_them_all(register: Register) -> None:
    with register.session() as s:
        unassigned = register.due_sections(s, TODAY, me="linn", rows=2).section("unassigned")
        whole = register.find(s, CaseFilter(section="unassigned"), today=TODAY, per_page=100)
    assert len(unassigned.rows) == 2 < unassigned.count == whole.total
    assert [r.reference for r in whole.rows[:2]] == [r.reference for r in unassigned.rows]
    first, second = whole.rows[:2]  # the oldest first
    assert (first.reference, first.deadline) == ("KLA-2026-0005", None)  # acknowledged; no decision date
    assert (second.reference, second.action, second.subject) == ("KLA-2026-0007", "acknowledge",
                                                                 "1 of 1 page(s) have no text layer")


@pytest.mark.parametrize(("words", "found"), [
    ("østergård", ["KLA-2026-0001"]),
    ("ØSTERGÅRD aps", ["KLA-2026-0001"]),  # every word, any order, any case
    ("łukasz@example.pl", ["KLA-2026-0004"]),  # an email typed in capitals
    ("STRASSE", ["KLA-2026-0003"]),  # ß folds to ss
    ("50%", ["KLA-2026-0002"]),
    ("%", ["KLA-2026-0002"]),  # a wildcard is a letter
    ("weg_1", ["KLA-2026-0003"]),
    ("_", ["KLA-2026-0003"]),
    ("kla-2026-0005", ["KLA-2026-0005"]),
    ("KA-2004", ["KLA-2026-0004"]),  # the investment's reference
    ("' OR 1=1 --", []),
    ("østergård 50%", []),  # the words of two cases, not of one
])
def test_search_folds_case_on_both_databases_and_escapes_wildcards(register: Register, words: str,
                                                                   found: list[str]) -> None:
    with register.session() as s:
        page = register.find(s, CaseFilter(text=words), today=TODAY)
    assert sorted(r.reference for r in page.rows) == found
    assert page.total == len(found)


def test_filters_and_pages(register: Register) -> None:
    with register.session() as s:
        def refs(wanted: CaseFilter, **options: int) -> list[str]:
            return [r.reference for r in register.find(s, wanted, today=TODAY, **options).rows]

        assert refs(CaseFilter(channel="email")) == ["KLA-2026-0004"]
        assert refs(CaseFilter(language="en")) == ["KLA-2026-0005"]
        assert refs(CaseFilter(assignee="linn")) == ["KLA-2026-0003"]
        assert "KLA-2026-0003" not in refs(CaseFilter(assignee="-"))
        assert refs(CaseFilter(status=("acknowledged",))) == ["KLA-2026-0005"]
        assert refs(CaseFilter(received_from=date(2026, 11, 23), received_to=date(2026, 11, 24))) == [
            "KLA-2026-0003", "KLA-2026-0002"]  # newest first
        everything = refs(CaseFilter(), per_page=100)
        assert len(everything) == 7
        paged = [refs(CaseFilter(), page=n, per_page=3) for n in (1, 2, 3, 4)]
        assert [r for one in paged for r in one] == everything and paged[3] == []
        assert register.find(s, CaseFilter(), today=TODAY, per_page=3).pages == 3
    with pytest.raises(ValueError, match="needs the user's name"):
        CaseFilter(section="mine")


def test_months_add_up_to_the_report_and_the_distributions_give_its_medians(register: Register) -> None:
    with register.session() as s:
        months = received_by_month(s, date(2026, 9, 15), date(2026, 11, 30))
        report = register.report(s, date(2026, 9, 15), date(2026, 11, 30), today=TODAY)
        days = register.working_days(s, date(2026, 9, 15), date(2026, 11, 30))
    assert [(m.year, m.month) for m in months] == [(2026, 9), (2026, 10), (2026, 11)]
    assert [m.count for m in months] == [0, 1, 6]
    assert sum(m.count for m in months) == report.received
    assert sum(days.acknowledgement.values()) == report.working_days_to_acknowledgement.count == 1
    assert max(days.acknowledgement) == report.working_days_to_acknowledgement.max
    assert days.decision == {}


def test_the_search_text_follows_a_correction() -> None:
    engine = create_register_engine("sqlite://")
    add_record(engine, complaint_record(1, subject="Gammel tekst"))
    register = Register(engine)
    with register.session() as s, s.begin():
        register.correct(s, "KLA-2026-0001", "subject", "Helt NY tekst", who="linn", note="the customer's mail")
    with register.session() as s:
        assert register.find(s, CaseFilter(text="ny tekst"), today=TODAY).total == 1
        assert register.find(s, CaseFilter(text="gammel"), today=TODAY).total == 0


def test_search_text_holds_the_searchable_parts_folded() -> None:
    text = search_text(reference="KLA-2026-0001", complaint={
        "complainant": {"first_name": "Åse", "last_name": "ØSTERGÅRD", "email": "Ase@Example.DK"},
        "investment": {"reference": "KA-1042"}, "subject": "Renten\n  blev   ikke betalt"},
        mail={"from": "Åse <ase@example.dk>"}, message=None)
    assert text.split("\n") == ["kla-2026-0001", "åse østergård", "ase@example.dk", "ka-1042",
                                "åse <ase@example.dk>", "renten blev ikke betalt"]
    assert search_text(reference="KLA-2026-0002", complaint=None, mail=None, message="1 page") == \
        "kla-2026-0002\n1 page"
    assert fold("ＡＢＣ") == "abc"  # full-width letters (NFKC)


def test_upgrade_to_0017_fills_the_search_text_and_widens_the_audit(db_url: str) -> None:
    """0015 (its predecessor) → 0017 on a register with cases:
    each gets its search text, the audit takes the new actions and
    stays append-only; back down drops the search text and keeps the cases and every audit row."""
    engine: Engine = create_register_engine(db_url, migrate=False)
    upgrade(engine, "0015")
    for number in range(1, 4):
        add_record(engine, complaint_record(number, subject=f"ÆBLE nummer {number}"))
    with Session(engine) as s, s.begin():
        s.add(UserRow(name="ada", role="admin", password_hash="-", language="da", disabled=False, failures=0,
                      created_at=datetime(2026, 12, 1, tzinfo=UTC)))
        s.flush()
        s.add(AuditRow(at=datetime(2026, 12, 1, tzinfo=UTC), user_id=1, action="viewed", reference="KLA-2026-0001"))
    upgrade(engine, "0017")
    assert current_revision(engine) == "0017" or head_revision() != "0017"
    register = Register(engine)
    with register.session() as s:
        assert register.find(s, CaseFilter(text="æble"), today=TODAY).total == 3
    with Session(engine) as s, s.begin():
        s.add(AuditRow(at=datetime(2026, 12, 2, tzinfo=UTC), user_id=1, action="user_2fa_reset", detail="user:1"))
        s.add(AuditRow(at=datetime(2026, 12, 2, tzinfo=UTC), user_id=1, action="searched", detail="q: 3"))
    with Session(engine) as s, s.begin():
        s.add(AuditRow(at=datetime(2026, 12, 2, tzinfo=UTC), user_id=1, action="edited"))
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()
        s.rollback()
    for statement in ("UPDATE audit SET action = 'exported'", "DELETE FROM audit"):
        with engine.connect() as connection, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            connection.execute(sa.text(statement))
    add_record(engine, complaint_record(4, subject="Æble igen"))  # written after the upgrade, by the same engine
    with register.session() as s:
        assert register.find(s, CaseFilter(text="æble igen"), today=TODAY).total == 1
    downgrade(engine, "0015")
    with engine.connect() as connection:
        assert "case_search" not in sa.inspect(connection).get_table_names()
        assert connection.execute(sa.text("SELECT count(*) FROM complaints")).scalar() == 4
        assert connection.execute(sa.text("SELECT count(*) FROM audit WHERE action = 'viewed'")).scalar() == 1
    engine.dispose()
