"""The work budget of one ``parse_pdf`` call: operators, glyphs and objects per page, and a deadline.

Input limits (file size, pages, objects, stream bytes) bound what a PDF *holds*; they do
not bound the work of *drawing* it. A 59 kB flattened form whose page 1 holds 2 MB of
``(A) Tj`` (once decompressed) passes every input limit, yet took 23 s and 780 MB to read.
The budget counts the work itself while the text layer is read, and stops the call with
:class:`~klageformular.TooMuchContentError` (or :class:`~klageformular.ParseTimeoutError`
for the wall-clock deadline) once one counter is spent.

The counters are per page (``Limits.max_pages`` bounds the pages; the deadline bounds the
whole call). They live in a :class:`WorkBudget` that is *active* for the duration of one call
(a context variable, so threads and asyncio tasks each see their own). pdfminer calls back
into :mod:`._pdfminer`'s content parser and device, which charge the active budget.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from ..exceptions import ParseTimeoutError, TooMuchContentError

if TYPE_CHECKING:
    from .._limits import Limits

__all__ = ["WorkBudget", "active_budget", "budget_of", "spending"]

_ACTIVE: ContextVar[WorkBudget | None] = ContextVar("klageformular_work_budget", default=None)
_CLOCK_EVERY = 512  # look at the clock every so many units of work: monotonic() is cheap, not free


class WorkBudget:
    """Counters for one parse; each ``charge_*`` raises once its limit for the page is passed.

    >>> budget = WorkBudget(max_operators=2, max_glyphs=10, max_objects=10, max_seconds=60)
    >>> budget.charge_operator(); budget.charge_operator()
    >>> budget.charge_operator()
    Traceback (most recent call last):
    ...
    klageformular.exceptions.TooMuchContentError: a page needs more than 2 content operators (a content bomb?)
    """

    __slots__ = ("_deadline", "_ticks", "glyphs", "max_glyphs", "max_objects", "max_operators", "max_seconds",
                 "objects", "operators", "totals")

    def __init__(self, *, max_operators: int, max_glyphs: int, max_objects: int, max_seconds: float) -> None:
        self.max_operators, self.max_glyphs, self.max_objects = max_operators, max_glyphs, max_objects
        self.max_seconds = max_seconds
        self.operators = self.glyphs = self.objects = 0
        self.totals = [0, 0, 0]  # operators, glyphs, objects over the pages finished so far
        self._deadline = time.monotonic() + max_seconds
        self._ticks = 0

    def next_page(self) -> None:
        """Start counting a new page."""
        self.totals = [self.totals[0] + self.operators, self.totals[1] + self.glyphs, self.totals[2] + self.objects]
        self.operators = self.glyphs = self.objects = 0
        self.check_deadline()

    def charge_operator(self) -> None:
        """One content-stream token interpreted (an operator or an operand)."""
        self.operators += 1
        if self.operators > self.max_operators:
            raise TooMuchContentError(
                f"a page needs more than {self.max_operators:,} content operators (a content bomb?)",
                limit="max_page_operators", value=self.operators, maximum=self.max_operators)
        # _tick, inlined: this runs for every content token of every page.
        self._ticks += 1
        if self._ticks >= _CLOCK_EVERY:
            self._ticks = 0
            self.check_deadline()

    def charge_glyph(self) -> None:
        """One character drawn."""
        self.glyphs += 1
        if self.glyphs > self.max_glyphs:
            raise TooMuchContentError(f"a page draws more than {self.max_glyphs:,} characters",
                                      limit="max_page_glyphs", value=self.glyphs, maximum=self.max_glyphs)
        self._ticks += 1  # _tick, inlined: this runs for every character drawn
        if self._ticks >= _CLOCK_EVERY:
            self._ticks = 0
            self.check_deadline()

    def charge_object(self) -> None:
        """One path, image or form XObject drawn."""
        self.objects += 1
        if self.objects > self.max_objects:
            raise TooMuchContentError(f"a page draws more than {self.max_objects:,} shapes, images and forms",
                                      limit="max_page_objects", value=self.objects, maximum=self.max_objects)
        self._tick()

    def check_deadline(self) -> None:
        """Raise :class:`ParseTimeoutError` if the wall-clock deadline has passed."""
        if time.monotonic() > self._deadline:
            raise ParseTimeoutError(f"reading the file took longer than {self.max_seconds:g} s",
                                    limit="max_seconds", maximum=self.max_seconds)

    def _tick(self) -> None:
        self._ticks += 1
        if self._ticks >= _CLOCK_EVERY:
            self._ticks = 0
            self.check_deadline()


def budget_of(limits: Limits) -> WorkBudget:
    """A fresh work budget for one parse, from ``limits`` (the parse's; batch mode passes them to each worker)."""
    return WorkBudget(max_operators=limits.max_page_operators, max_glyphs=limits.max_page_glyphs,
                      max_objects=limits.max_page_objects, max_seconds=limits.max_seconds)


def active_budget() -> WorkBudget | None:
    """The budget of the parse running in this thread or task, if any."""
    return _ACTIVE.get()


@contextmanager
def spending(budget: WorkBudget) -> Iterator[WorkBudget]:
    """Make ``budget`` the active one for the ``with`` block."""
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)
