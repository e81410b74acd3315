"""The parser's work budget (parse/_budget.py, parse/_pdfminer.py): operators, glyphs, objects, deadline."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from klageformular import Limits, ParseTimeoutError, TooMuchContentError, parse_pdf, render_form
from klageformular.parse._budget import WorkBudget, active_budget, spending

from .conftest import load_script

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
FLAT = (FIXTURES / "flat-gs.pdf").read_bytes()


HEAVY = dict(load_script("scripts/make_fuzz_corpus.py").content_heavy(FLAT))


@pytest.mark.parametrize(("name", "limit"), [
    ("many-tiny-text-ops.pdf", "max_page_glyphs"),  # the reproducer: 2 MB of (A) Tj on page 1
    ("grown-page-content.pdf", "max_page_operators"),
    ("nested-xobjects.pdf", "max_page_objects"),
])
def test_content_heavy_pages_are_stopped_by_the_default_budget(name: str, limit: str) -> None:
    with pytest.raises(TooMuchContentError, match="a page") as info:
        parse_pdf(HEAVY[name], limits=Limits(max_seconds=600))  # the counters, not the clock, on a busy machine
    assert info.value.limit == limit and info.value.maximum == getattr(Limits(), limit)  # the defaults
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("flat-*.pdf")))
@pytest.mark.parametrize(("limit", "value"), [("max_page_operators", 500), ("max_page_glyphs", 500),
                                              ("max_page_objects", 5)])
def test_each_counter_is_a_configurable_limit(fixture: str, limit: str, value: int) -> None:
    data = (FIXTURES / fixture).read_bytes()
    assert parse_pdf(data).valid  # the default budget lets every real copy through
    limits = Limits(max_seconds=600, **{limit: value})
    with pytest.raises(TooMuchContentError) as info:
        parse_pdf(data, limits=limits)
    assert info.value.limit == limit and info.value.value == value + 1


def test_the_deadline_raises_parse_timeout() -> None:
    with pytest.raises(ParseTimeoutError, match="longer than 0 s") as info:
        parse_pdf(FLAT, limits=Limits(max_seconds=0))
    assert info.value.limit == "max_seconds"


def test_a_filled_form_needs_no_drawing_so_no_budget() -> None:
    form = render_form("da", prefill={"complainant": {"last_name": "Ørsted"}, "subject": "Renter"})
    result = parse_pdf(form, limits=Limits(max_page_operators=0, max_page_glyphs=0, max_page_objects=0))
    assert result.method == "acroform" and result.raw["complainant.last_name"] == "Ørsted"


def test_counters_are_per_page() -> None:
    budget = WorkBudget(max_operators=3, max_glyphs=1, max_objects=1, max_seconds=60)
    for _ in range(3):
        budget.charge_operator()
    budget.next_page()
    budget.charge_operator()
    assert budget.totals == [3, 0, 0] and budget.operators == 1


def test_the_budget_belongs_to_one_thread() -> None:
    seen: list[WorkBudget | None] = []
    with spending(WorkBudget(max_operators=1, max_glyphs=1, max_objects=1, max_seconds=1)) as mine:
        thread = threading.Thread(target=lambda: seen.append(active_budget()))
        thread.start()
        thread.join()
        assert active_budget() is mine
    assert seen == [None] and active_budget() is None


def test_quiet_raises_chatty_loggers_and_never_lowers_one() -> None:
    import logging

    from klageformular.parse._pdfminer import quiet

    pypdf, reader, psparser = (logging.getLogger(n) for n in ("pypdf", "pypdf._reader", "pdfminer.psparser"))
    saved = [(lg, lg.level) for lg in (pypdf, reader, psparser, logging.getLogger("pdfminer"))]
    try:
        pypdf.setLevel(logging.ERROR)  # an application that wants pypdf's errors only
        reader.setLevel(logging.NOTSET)
        psparser.setLevel(logging.DEBUG)  # and one that asked pdfminer for everything
        with quiet():
            assert reader.getEffectiveLevel() == logging.ERROR  # not lowered to WARNING
            assert psparser.getEffectiveLevel() == logging.WARNING
        assert (pypdf.level, reader.level, psparser.level) == (logging.ERROR, logging.NOTSET, logging.DEBUG)
    finally:
        for lg, level in saved:
            lg.setLevel(level)
