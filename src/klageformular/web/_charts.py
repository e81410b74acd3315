"""Bar charts as SVG made on the server, for the report page: no script, no inline style.

The page's Content-Security-Policy forbids inline styles, so a chart carries classes only
(``chart``, ``bar``, ``label``, ``value``; ``style.css`` colours them) and its sizes as SVG
geometry. Horizontal bars, one per row, so that long labels (an outcome, a month) stay
readable in both languages. Each chart is an image with a title for screen readers, and the
page shows the same numbers as a table beside it.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

__all__ = ["bar_chart"]

_WIDTH = 640
_LABEL = 190  # the labels' column
_BAR = 360  # the longest bar
_ROW = 24
_TOP = 8


def bar_chart(title: str, bars: Sequence[tuple[str, int | float]], *, chart_id: str) -> Markup:
    """An SVG of one bar per ``(label, value)``; the longest bar is the largest value (all zero: no bars)."""
    largest = max((value for _, value in bars), default=0) or 1
    height = _TOP * 2 + _ROW * max(1, len(bars))
    parts = [f'<svg class="chart" id="{escape(chart_id)}" role="img" aria-labelledby="{escape(chart_id)}-t" '
             f'viewBox="0 0 {_WIDTH} {height}" width="{_WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{escape(chart_id)}-t">{escape(title)}</title>']
    for index, (label, value) in enumerate(bars):
        y = _TOP + index * _ROW
        length = round(_BAR * value / largest, 1)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        parts += [f'<text class="label" x="{_LABEL - 8}" y="{y + 16}" text-anchor="end">{escape(label)}</text>',
                  f'<rect class="bar" x="{_LABEL}" y="{y + 4}" width="{length}" height="{_ROW - 8}" rx="2"/>',
                  f'<text class="value" x="{_LABEL + length + 6}" y="{y + 16}">{escape(shown)}</text>']
    parts.append("</svg>")
    return Markup("".join(parts))
