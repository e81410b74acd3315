"""The case page's work: assigning, notes, correcting a review item, the status actions, extend / wait /
resume, and the documents shown as page images or text — every rule the register service's
(:class:`Register`), every change through one helper (``change``: the transaction and the refusals).

Routes (officers and admins; every POST needs the CSRF token, as a form field or, from htmx, the
``X-CSRF-Token`` header):

- ``POST /cases/REF/assign``: :meth:`Register.assign` to the logged-in officer; ``POST
  /cases/REF/notes``: :meth:`Register.add_note`.
- ``POST /cases/REF/correct``: :meth:`Register.correct` (validated as ``register correct``); a
  refused value is shown beside its field (422) and nothing changes.
- ``POST /cases/REF/status``: :meth:`Register.set_status`; the page offers only what
  :meth:`Register.next_statuses` allows from the case's status.
- ``POST /cases/REF/extend`` / ``wait`` / ``resume``: the decision clock (art. 4 and 5), as
  ``register extend|wait|resume``.
- ``GET /cases/REF/documents/N/pages`` and ``…/pages/P.png``: a PDF's pages as PNG images drawn
  here (:mod:`._pdfpages`, in a child process with ceilings); ``GET /cases/REF/documents/N/text``:
  a message or an HTML file as text, never as HTML.

A change on a stale version is 409 with who changed the case and when (the service's
:class:`~klageformular.exceptions.StaleCaseError`), and the page as it is now; a refused change is
409 with the service's reason above the sections. htmx is told to swap the whole page for both
(``HX-Retarget``), so the officer sees the reason and the current state everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from ..exceptions import (
    CorrectionRefusedError,
    KlageformularError,
    RegisterError,
    StaleCaseError,
    UnknownReferenceError,
)
from ..register import Case, Register
from ..register._names import OUTCOMES
from ..register._outbox import outbox
from ._app import Visitor
from ._kit import Kit
from ._pdfpages import MAX_PAGES, RenderError, page_count, page_png

__all__ = ["add_case_actions", "case_context"]

_ALL_LETTER_STATES = ("queued", "sent", "failed", "to_post", "posted")
_TEXT_TYPES = ("message/rfc822", "text/html", "text/plain")


def case_context(register: Register, session: Session, case: Case) -> dict[str, Any]:
    """What the case page shows beyond the case itself: the statuses it may move to (the workflow's
    answer, none for a merged case), the outcomes, and the case's letters with their delivery state."""
    from ._retention_view import retention_context

    return retention_context(session, case) | {
        "next_statuses": () if case.merged_into else register.next_statuses(case.status),
        "outcomes": OUTCOMES,
        "letters": list(outbox(session, states=_ALL_LETTER_STATES, copies=False, reference=case.reference)),
    }


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None


def add_case_actions(app: FastAPI, kit: Kit) -> None:
    """Add the routes of the module docstring to ``app``."""
    register = kit.register

    def change(reference: str, seen: Visitor, work: Callable[[Session], object], *,
               refused_as: Callable[[RegisterError], dict[str, Any]] | None = None) -> Response:
        """One change in a transaction; a refusal shows the page as it is now with the service's reason
        (``refused_as``: where on the page a refusal of this action is shown instead of the top)."""
        try:
            with kit.unit() as s:
                work(s)
        except StaleCaseError as exc:
            notice, detail = "stale", str(exc)
        except UnknownReferenceError:
            return kit.not_found(seen)
        except RegisterError as exc:
            if refused_as is not None:  # shown in its own section: htmx swaps that one as usual
                with kit.unit() as s:
                    return kit.case_page(s, seen, reference, status=422, **refused_as(exc))
            notice, detail = "refused", str(exc)
        else:
            return RedirectResponse(f"/cases/{quote(reference.strip().upper())}", status_code=303)
        with kit.unit() as s:
            page = kit.case_page(s, seen, reference, status=409, notice=notice, detail=detail)
        # The reason stands above the sections, and a stale version concerns all of them: htmx swaps the
        # whole page, not the one section the form named (where the reason would not show).
        page.headers["HX-Retarget"] = page.headers["HX-Reselect"] = "#main"
        return page

    def version_of(text: str) -> int | None:
        return int(text) if text.strip().isdigit() else None

    @app.post("/cases/{reference}/correct")
    def correct(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
                path: str = Form(""), value: str = Form(""), note: str = Form(""),
                version: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)

        def refused(exc: RegisterError) -> dict[str, Any]:
            # Kept as typed in the field, with the reason beside it; the case did not change.
            return {"correction_error": {"path": path, "value": value, "note": note, "message": str(exc),
                                         "refused": isinstance(exc, CorrectionRefusedError)}}

        return change(reference, seen, lambda s: register.correct(s, reference, path, value, who=seen.user.name,
                                                                  note=note, version=version_of(version)),
                      refused_as=refused)

    @app.post("/cases/{reference}/status")
    def status(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
               status: str = Form(""), note: str = Form(""), outcome: str = Form(""),
               version: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        return change(reference, seen, lambda s: register.set_status(
            s, reference, status, who=seen.user.name, note=note.strip() or None, outcome=outcome or None,
            version=version_of(version)))

    @app.post("/cases/{reference}/extend")
    def extend(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
               to: str = Form(""), reason: str = Form(""), version: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)

        def work(s: Session) -> object:
            day = _day(to)
            if day is None:
                raise RegisterError("extend needs the new decision date (YYYY-MM-DD)")
            return register.extend(s, reference, day, reason=reason, who=seen.user.name,
                                   version=version_of(version))

        return change(reference, seen, work)

    @app.post("/cases/{reference}/wait")
    def wait(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
             what: str = Form(""), version: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        return change(reference, seen, lambda s: register.wait(s, reference, what=what, who=seen.user.name,
                                                               on=kit.today(), version=version_of(version)))

    @app.post("/cases/{reference}/resume")
    def resume(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
               version: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        return change(reference, seen, lambda s: register.resume(s, reference, who=seen.user.name, on=kit.today(),
                                                                 version=version_of(version)))

    @app.post("/cases/{reference}/assign")
    def assign(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
               version: int = Form(...)) -> Response:
        kit.check_csrf(seen, csrf, request)
        name = seen.user.name
        return change(reference, seen, lambda s: register.assign(s, reference, name, who=name, version=version))

    @app.post("/cases/{reference}/notes")
    def note(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
             text: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        return change(reference, seen, lambda s: register.add_note(s, reference, text, who=seen.user.name))

    # -- documents as images and text ---------------------------------------------------------------

    def document_bytes(reference: str, number: int, seen: Visitor, action: str | None) -> tuple[Any, bytes] | None:
        """The document and its bytes (None: no such document), audited as ``action`` (None: the page that
        shows it was audited already — one row per look, not one per page image)."""
        from ..register._documents import read_document
        from ..register._schema import AuditRow

        try:
            with kit.unit() if action is not None else kit.reading() as s:  # a look is audited; a page image not
                found, data = read_document(s, reference, number)
                if action is not None:
                    s.add(AuditRow(at=kit.clock(), user_id=seen.user.id, action=action, reference=found.reference,
                                   detail=str(number)))
        except RegisterError:
            return None
        return found, data

    @app.get("/cases/{reference}/documents/{number}/pages", response_class=HTMLResponse)
    def pages(reference: str, number: int, seen: Visitor = Depends(kit.reader)) -> Response:
        got = document_bytes(reference, number, seen, "viewed")
        if got is None:
            return kit.not_found(seen)
        found, data = got
        error, count = None, 0
        try:
            count = page_count(data)
        except RenderError as exc:
            error = str(exc)
        return kit.render("pages.html", seen.lang, user=seen.user, csrf=seen.session.csrf, document=found,
                          count=count, shown=min(count, MAX_PAGES), error=error)

    @app.get("/cases/{reference}/documents/{number}/pages/{page}.png")
    def page_image(reference: str, number: int, page: int, seen: Visitor = Depends(kit.reader)) -> Response:
        got = document_bytes(reference, number, seen, None)
        if got is None:
            return Response(status_code=404)
        try:
            png = page_png(got[1], page)
        except RenderError as exc:
            return Response(str(exc), status_code=422, media_type="text/plain")
        # Our own PNG: shown inline; private, for a few minutes (the page lists several of them).
        return Response(png, media_type="image/png", headers={"cache-control": "private, max-age=300"})

    @app.get("/cases/{reference}/documents/{number}/text", response_class=HTMLResponse)
    def as_text(reference: str, number: int, seen: Visitor = Depends(kit.reader)) -> Response:
        from ..intake import html_to_text, read_message

        got = document_bytes(reference, number, seen, "viewed")
        if got is None or got[0].content_type not in _TEXT_TYPES:
            return kit.not_found(seen)
        found, data = got
        subject = sender = None
        if found.content_type == "message/rfc822":
            try:
                message = read_message(data)
            except KlageformularError:  # a message we cannot read: its raw text, and the download
                text = data.decode("utf-8", "replace")
            else:
                text, subject, sender = message.body, message.subject, message.sender
        elif found.content_type == "text/html":
            text = html_to_text(data.decode("utf-8", "replace"))  # never rendered as HTML
        else:
            text = data.decode("utf-8", "replace")
        return kit.render("text.html", seen.lang, user=seen.user, csrf=seen.session.csrf, document=found,
                          text=text, subject=subject, sender=sender)
