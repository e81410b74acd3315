"""A :class:`Case` as a person reads it: sections with the form's labels in the case's language.

``register show`` prints this; ``register show --json`` prints ``Case.to_json()`` instead.
Values stand as stored (corrected), with the value as typed beside each corrected one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..layout import LAYOUT, FieldSpec, Kind
from ..locales import LANGUAGES, Texts, register_words
from ..org import organisation_keys
from ..values import field_values, format_exact
from ._types import Case, Measure, ReviewEntry

__all__ = ["FieldLine", "Section", "case_sections", "render_case"]


def _section(spec: FieldSpec) -> str | None:
    """The catalogue key of the heading just above a field on its page."""
    above = [b for b in LAYOUT.blocks if b.page == spec.page and b.kind in ("heading", "subheading")
             and b.rect.y0 >= spec.rect.y1 - 1]
    return min(above, key=lambda b: b.rect.y0).key if above else None


@dataclass(frozen=True)
class FieldLine:
    """One field of a case as a person reads it: its label, the value (corrected), the value as typed
    when it was corrected, and its open review item (the workbench and ``register show`` both use it)."""

    path: str
    label: str
    value: str
    multiline: bool
    typed: str | None = None
    corrected: bool = False
    review: ReviewEntry | None = None


@dataclass(frozen=True)
class Section:
    """A heading of the form (in the case's language) and its fields that hold something or need review."""

    title: str | None
    fields: tuple[FieldLine, ...]


def case_sections(case: Case, lang: str) -> list[Section]:
    """The complaint by the form's sections, labels in ``lang``; empty fields without a review item left out."""
    if case.complaint is None:
        return []
    values = field_values(case.complaint, lang)
    typed = {c.path: c.typed for c in case.corrections}
    review = {r.path: r for r in case.review}
    texts = Texts.of(lang, case.organisation if case.organisation in organisation_keys() else None)
    sections: list[tuple[str | None, list[FieldLine]]] = []
    current: str | None = None
    for spec in LAYOUT.fields:
        value = values.get(spec.path)
        item = review.get(spec.path)
        shown = value if isinstance(value, str) and value.strip() else ("✓" if value is True else None)
        if shown is None and item is None:
            continue
        section = _section(spec)
        if not sections or (section != current and section is not None):
            sections.append((texts.text(section) if section is not None else None, []))
            current = section
        if spec.kind is Kind.RADIO and shown:
            shown = texts.option(spec.path, shown)
        sections[-1][1].append(FieldLine(spec.path, texts.label(spec.path).rstrip(" *"), str(shown or ""),
                                         spec.multiline, typed.get(spec.path), spec.path in typed, item))
    return [Section(title, tuple(fields)) for title, fields in sections]


def _fields(case: Case, lang: str) -> list[str]:
    lines: list[str] = []
    for section in case_sections(case, lang):
        if section.title is not None:
            lines += ["", section.title]
        for f in section.fields:
            text = " ".join(f.value.split()) if not f.multiline else f.value.replace("\n", "\n    ")
            extra = ""
            if f.corrected:
                extra = f"   ({_word('show.typed', lang)}: {f.typed!r})"
            if f.review is not None:
                extra += f"   ! {f.review.code}: {f.review.value!r}"
            lines.append(f"  {f.label}: {text}{extra}")
    return lines


def _word(key: str, lang: str) -> str:
    return register_words(lang).get(key, key)


def render_case(case: Case) -> str:
    """The case as text (labels in its language; the codes for statuses stay searchable)."""
    lang = case.language if case.language in LANGUAGES else "da"
    words = register_words(lang)

    def w(key: str) -> str:
        return words.get(key, key)

    head = [f"{case.reference} · {case.status} · {w('column.received')} {case.received.isoformat()} · "
            f"{w('column.acknowledge_by')} {case.acknowledge_by or '-'} · {w('column.decide_by')} "
            f"{case.decide_by or '-'} · {case.channel} · {w('column.language')} {case.language or '?'} · "
            f"v{case.version}"]
    if case.assignee:
        head.append(f"{w('show.assignee')}: {case.assignee}")
    head.append(f"{w('show.profile')}: {case.organisation}"
                + (f" (sha256 {case.profile_sha256[:12]})" if case.profile_sha256 else ""))
    if case.extended_to:
        head.append(f"{w('show.extended')}: {case.extended_to} · {case.extension_reason or ''}")
    if case.waiting_since:
        head.append(f"{w('show.waiting')} {case.waiting_since}: {case.waiting_for or ''}")
    if case.paused_days:
        head.append(f"{case.paused_days} {w('show.paused')}")
    if case.merged_into:
        head.append(f"{w('show.merged_into')}: {case.merged_into}")
    if case.not_a_complaint:
        head.append(w("show.not_a_complaint"))
    if case.held_since:  # retention (0015): in English until the catalogues carry the words
        head.append(f"{words.get('show.held', 'On legal hold')} {case.held_since:%Y-%m-%d} ({case.held_by}): "
                    f"{case.hold_reason} · {words.get('show.held_note', 'never purged or erased until released')}")
    if case.erased_at:
        head.append(f"{words.get('show.erased', 'Personal data erased')} {case.erased_at:%Y-%m-%d}")
    if case.outcome:
        head.append(f"{w('column.outcome')}: {w('outcome.' + case.outcome)}")
    lines = head + _fields(case, lang)
    if case.complaint is None and case.message:
        lines += ["", f"Unreadable: {case.reason}: {case.message}"]
    if case.review:
        lines += ["", w("show.review")] + [f"  {r.path} ({r.label or '-'}): {r.value!r} · {r.code}"
                                            for r in case.review]
    if case.corrections:
        lines += ["", w("show.corrections")] + [
            f"  {c.path}: {c.before!r} → {c.after!r} · {w('show.typed')} {c.typed!r} · {c.who} "
            f"{c.at:%Y-%m-%d %H:%M} · {c.note or ''}" for c in case.corrections]
    if case.category is not None:
        lines += ["", w("show.category"), f"  {w('show.product')}: {case.category.product or '-'} · "
                                          f"{w('show.cause')}: {case.category.cause or '-'}"]
    if case.measures:  # the kinds stay codes (as the statuses do): searchable, the same in every language
        lines += ["", w("show.measures")] + [
            f"  {m.at:%Y-%m-%d %H:%M}  {m.who:<12} {m.kind:<25} {' · '.join(t for t in (_money(m, lang), m.note) if t)}"
            .rstrip() for m in case.measures]
    if case.sender:
        lines += ["", w("show.sender")] + [f"  {key}: {value}" for key, value in
                                            case.sender.model_dump(by_alias=True, exclude_none=True).items()]
    lines += ["", w("show.files")] + [f"  {f.kind:<13} {(f.sha256 or '-')[:12]}  {f.source}" for f in case.files]
    if case.documents:
        lines += ["", w("show.documents")] + [
            f"  {d.content_type or '?':<24} {_size(d.size):>9}  {d.name or '?'}"
            + (f"   ! {w('show.unreadable')}: {d.unreadable}" if d.unreadable else "") for d in case.documents]
    if case.conversation:  # the whole conversation by mail: theirs (in) and ours (out), oldest first
        lines += ["", w("show.correspondence")] + [
            f"  {m.at:%Y-%m-%d %H:%M}  {m.direction:<3} {m.kind:<15} {m.party or '?'}  "
            + (m.subject or (f"{m.message_id or ''} ({m.state})" if m.direction == "out" else ""))
            + "".join(f"\n      {w('show.documents').lower()}: {name}" for name in m.documents)
            for m in case.conversation]
    elif case.correspondence:
        lines += ["", w("show.correspondence")] + [
            f"  {c.at:%Y-%m-%d %H:%M}  {c.kind:<15} {c.sender or '?'}  {c.subject or ''}"
            + (f"   ({c.letter})" if c.letter else "") + (f"   ! {c.delivery_status}" if c.delivery_status else "")
            + "".join(f"\n      {w('show.documents').lower()}: {name}" for name in c.documents)
            + (f"  [{c.reference}]" if c.reference != case.reference else "") for c in case.correspondence]
    lines += ["", w("show.events")] + [
        f"  {e.at:%Y-%m-%d %H:%M:%S}  {e.who:<12} {e.what:<15} "
        f"{(e.from_status or '') + ' → ' + e.to_status if e.to_status else '':<30} "
        f"{(e.note or '').replace(chr(10), chr(10) + ' ' * 6)}"  # a reply's text: its lines under the event
        + (f"  [{e.reference}]" if e.reference != case.reference else "") for e in case.events]
    lines += ["", w("show.related")] + ([f"  {r.reference:<17} {r.status:<13} {r.outcome or '-':<13} "
                                         f"same {', '.join(r.same)}" for r in case.related] or [f"  {w('show.none')}"])
    return "\n".join(lines)


def _money(measure: Measure, lang: str) -> str | None:
    """A compensation as the case's language writes it, with exactly the decimals stored (``1.250,50 DKK``)."""
    if measure.amount is None:
        return None
    return f"{format_exact(measure.amount, lang)} {measure.currency}"


def _size(size: Any) -> str:
    return f"{size:,} B" if isinstance(size, int) else "-"
