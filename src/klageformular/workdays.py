"""Working days and the acknowledgement deadline: received date + N working days, holidays skipped.

Public holidays come from the maintained ``holidays`` package (the country's statutory,
"public" category), so changes such as Denmark abolishing Store Bededag from 2024 arrive
with a dependency update rather than a code change.

Days that are customary but not statutory days off — in Denmark 24 December,
31 December, Grundlovsdag (5 June) and 1 May — count as **working days** by default: the
deadline is a promise to the customer, and counting them can only make it earlier, never
late. An organisation that is closed on them passes ``closed_days`` to move the deadline
on past them.

>>> from datetime import date
>>> acknowledge_by(date(2026, 12, 23))   # Wed; 25-26 Dec are holidays, 27 Dec a Sunday
datetime.date(2026, 12, 29)
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from functools import cache

from .exceptions import ConfigurationError

__all__ = ["acknowledge_by", "is_working_day"]


@cache
def _public_holidays(country: str, year: int) -> frozenset[date]:
    try:
        import holidays  # loaded by the first deadline counted, not by every command (start-up)

        calendar = holidays.country_holidays(country, years=year)
    except NotImplementedError:
        raise ConfigurationError(f"no public-holiday calendar for country {country!r}") from None
    return frozenset(calendar)


def is_working_day(day: date, country: str = "DK", closed_days: Collection[date] = ()) -> bool:
    """Monday to Friday and not a public holiday in ``country`` (nor one of ``closed_days``).

    >>> from datetime import date
    >>> is_working_day(date(2024, 4, 26))   # Store Bededag 2024: no longer a holiday
    True
    >>> is_working_day(date(2023, 5, 5))    # Store Bededag 2023
    False
    """
    return day.weekday() < 5 and day not in _public_holidays(country, day.year) and day not in closed_days


def acknowledge_by(received: date, working_days: int = 3, country: str = "DK",
                   closed_days: Collection[date] = ()) -> date:
    """The last day to acknowledge a complaint received on ``received``.

    The day of receipt does not count; the deadline is the ``working_days``-th working day
    after it (a complaint received on a Saturday is due on Wednesday with 3 days).

    >>> from datetime import date
    >>> acknowledge_by(date(2026, 11, 27))  # Friday
    datetime.date(2026, 12, 2)
    """
    if working_days < 0:
        raise ValueError("working_days must be >= 0")
    closed = frozenset(closed_days)  # looked up once per day below
    day, left = received, working_days
    while left:
        day += timedelta(days=1)
        if is_working_day(day, country, closed):
            left -= 1
    return day
