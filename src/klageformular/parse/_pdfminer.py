"""pdfminer under our control: page layout charged to the work budget, and its loggers kept quiet.

pdfplumber builds a page's layout lazily with pdfminer's interpreter and its own device.
:func:`lay_out` builds it instead with subclasses that charge the active
:class:`~._budget.WorkBudget` for every content token, glyph, path, image and form XObject,
and hands the result to pdfplumber (which then derives ``chars``, ``rects`` … from it as
usual). pdfplumber pins pdfminer.six to one exact version, so the two hooks below rely on
internals that only change when pdfplumber is upgraded; ``tests/test_budget.py`` would fail.

Loaded only when a text layer is read (the AcroForm path never needs pdfminer); :func:`quiet`,
which keeps pdfminer's loggers down, lives in ``_quiet`` for that reason and is re-exported here.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any, cast

from pdfminer import pdfinterp
from pdfminer.pdfinterp import PDFContentParser, PDFPageInterpreter
from pdfplumber.page import Page, PDFPageAggregatorWithMarkedContent

from ._budget import active_budget
from ._quiet import quiet

__all__ = ["lay_out", "quiet"]


class _CountingParser(PDFContentParser):
    """pdfminer's content-stream parser, charging one operator per token it yields."""

    def nextobject(self) -> Any:
        budget = active_budget()
        if budget is not None:
            budget.charge_operator()
        return super().nextobject()


# pdfminer's own ``execute`` (kept whole, with its loop protection), reading through the counting
# parser: the same code object with ``PDFContentParser`` bound to ours in its globals. This changes
# nothing for other users of pdfminer in the process, unlike replacing the module attribute.
_original_execute = PDFPageInterpreter.execute
_counting_execute = cast(Callable[..., None], types.FunctionType(
    _original_execute.__code__, {**vars(pdfinterp), "PDFContentParser": _CountingParser},
    _original_execute.__name__, _original_execute.__defaults__, _original_execute.__closure__))


class _Interpreter(PDFPageInterpreter):
    """Charges every token of every content stream, form XObjects included (``subinterp`` and
    ``dup`` create this class again)."""

    def execute(self, streams: Any) -> None:
        _counting_execute(self, streams)


class _Device(PDFPageAggregatorWithMarkedContent):
    """pdfplumber's device, charging each glyph, path, image and form XObject drawn."""

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        budget = active_budget()
        if budget is not None:
            budget.charge_glyph()
        advance: float = super().render_char(*args, **kwargs)
        return advance

    def paint_path(self, *args: Any, **kwargs: Any) -> None:
        self._charge()
        super().paint_path(*args, **kwargs)

    def render_image(self, *args: Any, **kwargs: Any) -> None:
        self._charge()
        super().render_image(*args, **kwargs)

    def begin_figure(self, *args: Any, **kwargs: Any) -> None:
        self._charge()
        super().begin_figure(*args, **kwargs)

    @staticmethod
    def _charge() -> None:
        budget = active_budget()
        if budget is not None:
            budget.charge_object()


def lay_out(page: Page) -> None:
    """Build ``page``'s layout under the active budget (before anything reads ``page.chars``)."""
    budget = active_budget()
    if budget is not None:
        budget.next_page()
    device = _Device(page.pdf.rsrcmgr, pageno=page.page_number, laparams=page.pdf.laparams)
    _Interpreter(page.pdf.rsrcmgr, device).process_page(page.page_obj)
    # pdfplumber caches the layout in this attribute and derives every object list from it.
    page._layout = device.get_result()
