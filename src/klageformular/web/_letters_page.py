"""The letters page (``/cases/REF/letters``): the acknowledgement and the decision, previewed, then sent by
email through the outbox or recorded for the post — the register's letters and outbox rules, as
``letter ack|decision REF [--send | --post]`` and ``register posted`` use them.

- ``GET /cases/REF/letters``: the form (which letter, its date, the outcome and the reasons in
  Markdown) and what the case's letters did so far.
- ``POST /cases/REF/letters/preview``: the same page with the letter's pages as images, drawn
  from the PDF :meth:`Register.preview_letter` makes — the code that makes the real letter, with
  its refusals (a profile without the officer's telephone, a decision before the
  acknowledgement) shown as they are.
- ``GET /cases/REF/letters/KIND/pages/P.png?dated=…&outcome=…&reasons=…``: one preview page.
- ``POST /cases/REF/letters/markdown``: the reasons as the letters read their Markdown
  (:func:`~klageformular.letters._markdown.markdown_html`: raw HTML as text, no links), the live
  preview htmx asks for as the officer types.
- ``POST /cases/REF/letters/send``: ``channel=email`` writes the letter, queues it and sends it
  through the mailer (:meth:`Register.send_letter`; without a mail server it stays queued);
  ``channel=post`` records it for the post and offers the PDF to print.
- ``POST /cases/REF/letters/posted``: the paper letter went in the post today (:meth:`Register.posted`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from ..exceptions import ConfigurationError, KlageformularError, StaleCaseError, UnknownReferenceError
from ..letters import LetterKind, Outcome
from ..letters._markdown import markdown_html
from ..letters._text import neutralise
from ..register._documents import list_documents
from ..register._names import OUTCOMES, outcome_code
from ..register._outbox import outbox
from ._app import Visitor
from ._kit import Kit
from ._pdfpages import RenderError, page_count, page_png

__all__ = ["add_letters_page"]

_KINDS: tuple[LetterKind, ...] = ("ack", "decision")
_STATES = ("queued", "sent", "failed", "to_post", "posted")
MAX_REASONS = 20_000  # characters of reasons a form may carry (a decision's reasons are a page or two)


def _kind(text: str) -> LetterKind:
    return "decision" if text == "decision" else "ack"


def _outcome(text: str) -> Outcome | None:
    code = outcome_code(text.strip())
    return cast(Outcome, code) if code in OUTCOMES else None


def _dated(text: str, default: date) -> date:
    try:
        return date.fromisoformat(text.strip()) if text.strip() else default
    except ValueError:
        return default


def add_letters_page(app: FastAPI, kit: Kit) -> None:
    """Add the routes of the module docstring to ``app``."""
    register = kit.register

    def page(seen: Visitor, reference: str, *, kind: LetterKind = "ack", dated: date | None = None,
             outcome: str = "", reasons: str = "", preview: bool = False, status: int = 200,
             error: str | None = None, stale: bool = False, printed: int | None = None) -> Response:
        day = dated or kit.today()
        pages = 0
        with kit.reading() as s:  # the page and its preview record nothing
            try:
                case = register.case(s, reference)
            except UnknownReferenceError:
                return kit.not_found(seen)
            if preview and error is None:
                try:
                    pdf = register.preview_letter(s, case.reference, kind, dated=day, outcome=_outcome(outcome),
                                                  reasons=reasons if kind == "decision" else None,
                                                  today=kit.today())
                    pages = page_count(pdf)
                except (KlageformularError, RenderError) as exc:
                    error, status = str(exc), 422
            letters = list(outbox(s, states=_STATES, copies=False, reference=case.reference))
        query = urlencode({"dated": day.isoformat(), "outcome": outcome, "reasons": reasons})
        return kit.render("letters.html", seen.lang, status, user=seen.user, csrf=seen.session.csrf, case=case,
                          kind=kind, dated=day, outcome=outcome, reasons=reasons, outcomes=OUTCOMES, pages=pages,
                          query=query, error=error, stale=stale, letters=letters, printed=printed,
                          reasons_html=Markup(markdown_html(neutralise(reasons, lines=True))) if reasons else None)

    @app.get("/cases/{reference}/letters", response_class=HTMLResponse)
    def letters(reference: str, kind: str = "ack", seen: Visitor = Depends(kit.worker),
                printed: int | None = None) -> Response:
        return page(seen, reference, kind=_kind(kind), printed=printed)

    @app.post("/cases/{reference}/letters/preview", response_class=HTMLResponse)
    def preview(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
                kind: str = Form("ack"), dated: str = Form(""), outcome: str = Form(""),
                reasons: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        too_long = len(reasons) > MAX_REASONS
        return page(seen, reference, kind=_kind(kind), dated=_dated(dated, kit.today()), outcome=outcome,
                    reasons=reasons[:MAX_REASONS], preview=True,
                    error=f"the reasons are longer than {MAX_REASONS:,} characters" if too_long else None,
                    status=422 if too_long else 200)

    @app.get("/cases/{reference}/letters/{kind}/pages/{number}.png")
    def preview_page(reference: str, kind: str, number: int, seen: Visitor = Depends(kit.worker),
                     dated: str = "", outcome: str = "", reasons: str = "") -> Response:
        try:
            with kit.reading() as s:
                pdf = register.preview_letter(s, reference, _kind(kind), dated=_dated(dated, kit.today()),
                                              outcome=_outcome(outcome), today=kit.today(),
                                              reasons=reasons[:MAX_REASONS] if kind == "decision" else None)
            png = page_png(pdf, number)
        except (KlageformularError, RenderError) as exc:
            return Response(str(exc), status_code=422, media_type="text/plain")
        return Response(png, media_type="image/png")  # our own letter, drawn here

    @app.post("/cases/{reference}/letters/markdown", response_class=HTMLResponse)
    def markdown(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
                 reasons: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        # A fragment for htmx (the preview box); escaped by markdown-it, with no tag it did not write.
        html = markdown_html(neutralise(reasons[:MAX_REASONS], lines=True))
        return HTMLResponse(f'<div id="reasons-preview" class="reasons-preview" aria-live="polite">{html}</div>')

    @app.post("/cases/{reference}/letters/send")
    def send(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
             kind: str = Form("ack"), dated: str = Form(""), outcome: str = Form(""), reasons: str = Form(""),
             channel: str = Form("email"), version: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        letter, day = _kind(kind), _dated(dated, kit.today())
        chosen = _outcome(outcome) if letter == "decision" else None
        text = reasons if letter == "decision" else None
        known = int(version) if version.strip().isdigit() else None
        options: dict[str, Any] = {"dated": day, "who": seen.user.name, "outcome": chosen, "reasons": text,
                                   "version": known, "today": kit.today()}
        ref = reference.strip().upper()
        try:
            if letter == "decision" and chosen is None:
                raise ConfigurationError(f"a decision letter needs an outcome (one of {', '.join(OUTCOMES)})")
            if channel == "email" and kit.mailer is not None:
                register.send_letter(ref, letter, mailer=kit.mailer, copier=kit.copier, **options)
            else:
                with kit.unit() as s:
                    done = register.write_letter(s, ref, letter, None, channel="post" if channel == "post" else
                                                 "email", **options)
                if channel == "post":
                    with kit.unit() as s:
                        number = next((d.number for d in reversed(list_documents(s, ref)) if d.kind == "letter"
                                       and d.sha256 == done.written.sha256), None)
                    return RedirectResponse(f"/cases/{quote(ref)}/letters?kind={letter}"
                                            + (f"&printed={number}" if number else ""), status_code=303)
        except UnknownReferenceError:
            return kit.not_found(seen)
        except KlageformularError as exc:
            return page(seen, ref, kind=letter, dated=day, outcome=outcome, reasons=reasons, error=str(exc),
                        stale=isinstance(exc, StaleCaseError), status=409 if isinstance(exc, StaleCaseError)
                        else 422)
        return RedirectResponse(f"/cases/{quote(ref)}#letters", status_code=303)

    @app.post("/cases/{reference}/letters/posted")
    def posted(request: Request, reference: str, seen: Visitor = Depends(kit.worker), csrf: str = Form(""),
               kind: str = Form(""), version: str = Form("")) -> Response:
        kit.check_csrf(seen, csrf, request)
        ref = reference.strip().upper()
        try:
            with kit.unit() as s:
                register.posted(s, ref, who=seen.user.name, on=kit.today(), today=kit.today(),
                                kind=_kind(kind) if kind in _KINDS else None,
                                version=int(version) if version.strip().isdigit() else None)
        except UnknownReferenceError:
            return kit.not_found(seen)
        except KlageformularError as exc:
            return page(seen, ref, error=str(exc), stale=isinstance(exc, StaleCaseError),
                        status=409 if isinstance(exc, StaleCaseError) else 422)
        return RedirectResponse(f"/cases/{quote(ref)}#letters", status_code=303)
