"""The pages that list and count: the due page ``/``, the register ``/register`` with its exports, ``/search``.

Thin routes over the register's list service (:mod:`klageformular.register._lists`): the
database counts and pages, a route reads its query string into a :class:`CaseFilter` and
renders. Each section of the due page shows its first rows and links to the whole section in
the register list. The exports are the command line's own writers (``register export``) into
a private temporary file, streamed to the browser and deleted; each is an audit row. A search
is an audit row too, with which fields were used and how many cases matched — never the words
(the access log has the path only, never a query string).

Also hooks in the report (:mod:`._report_page`) and the settings and admin pages (:mod:`._admin`).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy import select

from ..register._lists import SECTIONS, CaseFilter, Section
from ..register._names import CSV_DIALECTS, EXPORT_LANGUAGES, STATUSES
from ..register._schema import AuditRow, ComplaintRow
from ._app import Visitor
from ._kit import Kit
from ._pages import page

__all__ = ["add_list_routes", "parse_day", "stream_file"]

DUE_ROWS = 10  # rows per section on the due page; "show all" opens the section in the register list
PER_PAGE = 50
_CHUNK = 64 * 1024


def parse_day(value: str | None, errors: list[str], name: str) -> date | None:
    """A ``YYYY-MM-DD`` from a form; a bad one is noted in ``errors`` (the page says so) and ignored."""
    if not value or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors.append(name)
        return None


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100_000))
    except ValueError:
        return 1


def stream_file(path: Path, folder: Path) -> Iterator[bytes]:
    """``path`` in chunks; ``folder`` (its private temporary folder) is removed when the last chunk is sent."""
    try:
        with path.open("rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def attachment(name: str) -> dict[str, str]:
    """Headers of a file to save, not to show."""
    return {"content-disposition": f'attachment; filename="{name}"'}


def add_list_routes(app: FastAPI, kit: Kit) -> None:
    """The due page, the register list and its exports, and search; then the report and the admin pages."""
    from ._admin import add_admin_routes
    from ._report_page import add_report_routes

    register = kit.register

    @app.get("/", response_class=HTMLResponse)
    def due(request: Request, seen: Visitor = Depends(kit.reader)) -> Response:
        with kit.reading() as s:
            listing = register.due_sections(s, kit.today(), me=seen.user.name, days=kit.settings.due_days,
                                            rows=DUE_ROWS)
        return page("due.html", seen, due=listing)

    def filters(request: Request, errors: list[str]) -> CaseFilter:
        q = request.query_params
        section = q.get("section")
        status = q.get("status")
        return CaseFilter(
            section=section if section in SECTIONS else None, text=(q.get("q") or "").strip()[:200] or None,
            status=(status,) if status in STATUSES else (), channel=(q.get("channel") or "").strip() or None,
            language=(q.get("language") or "").strip() or None, assignee=(q.get("assignee") or "").strip() or None,
            received_from=parse_day(q.get("from"), errors, "from"), received_to=parse_day(q.get("to"), errors, "to"),
            me=None, days=kit.settings.due_days)

    def listed(request: Request, seen: Visitor, template: str, *, search: bool) -> Response:
        errors: list[str] = []
        wanted = filters(request, errors)
        me = seen.user.name
        if wanted.section == "mine":
            wanted = wanted.model_copy(update={"me": me})
        number = _page_number(request.query_params.get("page"))
        given = {k: v for k, v in request.query_params.items() if v and k != "page"}
        with kit.unit() if search else kit.reading() as s:  # a search is audited; the list only reads
            found = (register.find(s, wanted, today=kit.today(), page=number, per_page=PER_PAGE)
                     if not search or given else None)
            channels = [c for (c,) in s.execute(select(ComplaintRow.channel).distinct().order_by(ComplaintRow.channel))]
            if search and found is not None:
                used = ",".join(k for k in ("q", "status", "from", "to") if k in given)
                s.add(AuditRow(at=kit.clock(), user_id=seen.user.id, action="searched",
                               detail=f"{used}: {found.total}"[:120]))
        links = {n: "?" + urlencode({**given, "page": n}) for n in range(1, (found.pages if found else 1) + 1)
                 if found and abs(n - number) <= 1}
        return page(template, seen, found=found, wanted=wanted, given=given, errors=errors,
                    statuses=STATUSES, channels=channels, languages=EXPORT_LANGUAGES, sections=SECTIONS,
                    links=links, number=number)

    @app.get("/register", response_class=HTMLResponse)
    def register_list(request: Request, seen: Visitor = Depends(kit.reader)) -> Response:
        return listed(request, seen, "register.html", search=False)

    @app.get("/search", response_class=HTMLResponse)
    def search(request: Request, seen: Visitor = Depends(kit.reader)) -> Response:
        return listed(request, seen, "search.html", search=True)

    def export(seen: Visitor, kind: str, detail: str) -> Response:
        from ..register import export_csv, export_xlsx

        lang = seen.lang if seen.lang in EXPORT_LANGUAGES else "da"
        folder = Path(tempfile.mkdtemp(prefix="klageformular-export-"))  # 0700: personal data
        target = folder / f"register.{kind}"
        try:
            if kind == "csv":
                export_csv(register.engine, target, dialect=detail, lang=lang)
            else:
                export_xlsx(register.engine, target, lang=lang)
            with kit.unit() as s:
                s.add(AuditRow(at=kit.clock(), user_id=seen.user.id, action="exported",
                               detail=f"register {kind}" + (f" {detail}" if kind == "csv" else "")))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        media = ("text/csv; charset=utf-8" if kind == "csv"
                 else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        size = target.stat().st_size
        return StreamingResponse(stream_file(target, folder), media_type=media,
                                 headers={**attachment(f"register-{kit.today().isoformat()}.{kind}"),
                                          "content-length": str(size)})

    @app.get("/register/export.xlsx")
    def export_xlsx_route(seen: Visitor = Depends(kit.reader)) -> Response:
        return export(seen, "xlsx", "")

    @app.get("/register/export.csv")
    def export_csv_route(seen: Visitor = Depends(kit.reader), dialect: str = "excel-da") -> Response:
        return export(seen, "csv", dialect if dialect in CSV_DIALECTS else "excel-da")

    add_report_routes(app, kit)
    add_admin_routes(app, kit)


def section_link(name: Section) -> str:
    """The register list of one whole due section."""
    return "/register?" + urlencode({"section": name})
