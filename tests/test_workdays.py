"""The acknowledgement deadline: working days, weekends and each country's public holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from klageformular import ConfigurationError, acknowledge_by, get_organisation
from klageformular.workdays import is_working_day


@pytest.mark.parametrize(("received", "due", "why"), [
    (date(2026, 11, 23), date(2026, 11, 26), "Monday: plain week"),
    (date(2026, 11, 27), date(2026, 12, 2), "Friday: over the weekend"),
    (date(2026, 11, 28), date(2026, 12, 2), "Saturday: the day of receipt does not count"),
    (date(2026, 12, 23), date(2026, 12, 29), "25-26 Dec public holidays, 24 Dec a working day"),
    (date(2026, 12, 30), date(2027, 1, 5), "31 Dec a working day, 1 Jan not"),
    (date(2026, 4, 1), date(2026, 4, 9), "Easter: Maundy Thursday to Easter Monday"),
    (date(2026, 6, 3), date(2026, 6, 8), "Grundlovsdag (5 June) counts as a working day"),
    (date(2023, 5, 3), date(2023, 5, 9), "Store Bededag 2023 was a holiday"),
    (date(2024, 4, 24), date(2024, 4, 29), "Store Bededag 2024 (26 April) is not"),
])
def test_danish_deadline(received: date, due: date, why: str) -> None:
    assert acknowledge_by(received) == due, why


def test_organisation_may_close_on_customary_days() -> None:
    closed = {date(2026, 12, 24), date(2026, 12, 31)}
    assert acknowledge_by(date(2026, 12, 22), closed_days=closed) == date(2026, 12, 29)
    assert acknowledge_by(date(2026, 12, 22)) == date(2026, 12, 28)


@pytest.mark.parametrize(("country", "received", "due"), [
    ("NO", date(2026, 5, 15), date(2026, 5, 20)),  # 17 May is a Sunday in 2026; 14 May Ascension before
    ("NO", date(2027, 5, 14), date(2027, 5, 20)),  # 17 May 2027, a Monday: Constitution Day
    ("SE", date(2026, 6, 4), date(2026, 6, 9)),    # 6 June, the national day, is a Saturday: no day lost
    ("SE", date(2027, 1, 5), date(2027, 1, 11)),   # Trettondedag jul, 6 January
])
def test_other_countries(country: str, received: date, due: date) -> None:
    assert acknowledge_by(received, country=country) == due


def test_the_profile_sets_days_and_country() -> None:
    org = get_organisation()
    assert (org.acknowledge_working_days, org.holiday_country) == (3, "DK")
    assert acknowledge_by(date(2026, 11, 27), org.acknowledge_working_days, org.holiday_country) == date(2026, 12, 2)
    assert acknowledge_by(date(2026, 11, 27), 10) == date(2026, 12, 11)  # the EU rule's maximum


def test_unknown_country_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="XX"):
        acknowledge_by(date(2026, 1, 1), country="XX")


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)), st.integers(0, 15),
       st.sampled_from(["DK", "NO", "SE"]))
def test_deadline_is_exactly_n_working_days_later(received: date, days: int, country: str) -> None:
    due = acknowledge_by(received, days, country)
    span = [received + timedelta(days=i) for i in range(1, (due - received).days + 1)]
    assert sum(is_working_day(d, country) for d in span) == days
    assert days == 0 or is_working_day(due, country)
