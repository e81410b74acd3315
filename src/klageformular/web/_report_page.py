"""The report page ``/report?from=&to=``: the period's figures as ``register report`` computes them, with charts.

The figures are :meth:`Register.report`'s (the same numbers the command line prints); the
charts are SVG made here (:mod:`._charts`): received per month, working days to
acknowledgement and to decision (the distributions the report's medians come from), outcomes,
channels and languages. The exports are the command line's own: the text ``register report``
prints and the sheet ``register report --xlsx`` writes, each an audit row.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

from babel.dates import format_date
from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from ..register._lists import received_by_month
from ..register._names import REPORT_LANGUAGES
from ..register._report import Report, WorkingDays
from ..register._report_render import _number, _profiles, _value_label, report_text, write_report_xlsx
from ..register._schema import AuditRow
from ._app import Visitor
from ._charts import bar_chart
from ._kit import Kit
from ._lists import attachment, parse_day, stream_file
from ._pages import page, page_words

__all__ = ["add_report_routes"]

_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def add_report_routes(app: FastAPI, kit: Kit) -> None:
    """``/report`` and its two exports."""
    register = kit.register

    def period(request: Request, errors: list[str]) -> tuple[date, date]:
        today = kit.today()
        start = parse_day(request.query_params.get("from"), errors, "from") or date(today.year, 1, 1)
        end = parse_day(request.query_params.get("to"), errors, "to") or today
        if end < start:
            errors.append("to")
            start, end = end, start
        return start, end

    def figures(start: date, end: date) -> tuple[Report, WorkingDays, list[tuple[str, int]]]:
        with kit.reading() as s:
            report = register.report(s, start, end, today=kit.today())
            days = register.working_days(s, start, end)
            months = received_by_month(s, start, end)
        return report, days, [(f"{m.year}-{m.month:02d}", m.count) for m in months]

    @app.get("/report", response_class=HTMLResponse)
    def report_page(request: Request, seen: Visitor = Depends(kit.reader)) -> Response:
        errors: list[str] = []
        start, end = period(request, errors)
        lang = seen.lang if seen.lang in REPORT_LANGUAGES else "da"
        report, days, months = figures(start, end)
        w = page_words(lang)
        profiles = _profiles(register.profiles)

        def labelled(dimension: str, counts: dict[str, int]) -> list[tuple[str, int]]:
            return [(_value_label(dimension, k, lang, profiles), v) for k, v in counts.items()]

        def month(label: str) -> str:
            year, number = label.split("-")
            return format_date(date(int(year), int(number), 1), "MMM y", locale=lang)

        def day(count: int) -> str:
            return w["chart.day" if count == 1 else "chart.days"].format(n=count)

        charts = [
            ("month", w["chart.month"], [(month(k), v) for k, v in months]),
            ("ack", w["chart.ack"], [(day(d), n) for d, n in days.acknowledgement.items()]),
            ("decision", w["chart.decision"], [(day(d), n) for d, n in days.decision.items()]),
            ("outcome", w["chart.outcome"], labelled("by_outcome", report.by_outcome)),
            ("channel", w["chart.channel"], labelled("by_channel", report.by_channel)),
            ("language", w["chart.language"], labelled("by_language", report.by_language)),
        ]
        drawn = [(key, title, bars, bar_chart(title, bars, chart_id=f"chart-{key}") if bars else None)
                 for key, title, bars in charts]
        query = f"from={start.isoformat()}&to={end.isoformat()}"
        return page("report.html", seen, report=report, charts=drawn, errors=errors, start=start, end=end,
                    query=query, number=lambda value: _number(value, lang))

    def audited(seen: Visitor, detail: str) -> None:
        with kit.unit() as s:
            s.add(AuditRow(at=kit.clock(), user_id=seen.user.id, action="exported", detail=detail[:120]))

    @app.get("/report/export.txt")
    def report_txt(request: Request, seen: Visitor = Depends(kit.reader)) -> Response:
        start, end = period(request, [])
        lang = seen.lang if seen.lang in REPORT_LANGUAGES else "da"
        report, *_ = figures(start, end)
        text = report_text(report, lang=lang, organisations=register.profiles)
        audited(seen, f"report txt {start.isoformat()} {end.isoformat()}")
        return Response(text, media_type="text/plain; charset=utf-8",
                        headers=attachment(f"report-{start.isoformat()}-{end.isoformat()}.txt"))

    @app.get("/report/export.xlsx")
    def report_xlsx(request: Request, seen: Visitor = Depends(kit.reader)) -> Response:
        start, end = period(request, [])
        lang = seen.lang if seen.lang in REPORT_LANGUAGES else "da"
        report, *_ = figures(start, end)
        folder = Path(tempfile.mkdtemp(prefix="klageformular-report-"))
        target = folder / "report.xlsx"
        try:
            write_report_xlsx(report, target, lang=lang, organisations=register.profiles)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        audited(seen, f"report xlsx {start.isoformat()} {end.isoformat()}")
        return StreamingResponse(stream_file(target, folder), media_type=_XLSX,
                                 headers=attachment(f"report-{start.isoformat()}-{end.isoformat()}.xlsx"))
