"""Changing what a case says: corrections of typed values, and merging one case into another.

A correction is validated with the parser's own rules (:func:`klageformular.parse.validate.validate`
on the complaint's field values with the one value replaced): a value the form would flag is
refused with the reason, never stored. The value as typed stays on record (the corrections
table), the review item for the field is resolved, the related-complaint keys (and the content
key, when the field is part of it) follow the corrected complaint.

A merge moves the merged case's source files and attachments to the target; its events stay
where they were written (the history is append-only) and the target's :class:`Case` shows them.
The merged reference stays as a pointer (never reused: the count stays gapless).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from pydantic import ValidationError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..exceptions import CorrectionRefusedError, RegisterError
from ..layout import field_by_path
from ..locales import LANGUAGES, Texts
from ..model import Complaint
from ..org import Organisation, profile_for
from ..parse.content_key import KEY_FIELDS, content_key
from ..parse.validate import validate
from ..values import field_values
from ._intake import related_keys
from ._schema import ComplaintRow, CorrectionRow
from ._types import Correction
from ._workflow import now, record_event

__all__ = ["correct_row", "merge_rows", "typed_complaint"]


Profiles = Mapping[str, Organisation]


def profile_of(row: ComplaintRow, profiles: Profiles | None = None) -> Organisation:
    """The profile a case is handled under (the one rule: :func:`~klageformular.org.profile_for`)."""
    return profile_for(row.organisation, row.language, profiles, holder=row.reference)


def typed_complaint(row: ComplaintRow, profiles: Profiles | None = None) -> Complaint | None:
    """The stored complaint as the typed model (None for an unreadable entry), read under its profile's
    country and currency (a registration number's check digits depend on the country)."""
    if row.complaint is None:
        return None
    org = profile_of(row, profiles)
    try:
        return Complaint.model_validate(row.complaint, context={"country": org.country, "currency": org.currency})
    except ValidationError as exc:
        fields = ", ".join(sorted({".".join(str(p) for p in e["loc"]) for e in exc.errors()}))
        raise RegisterError(f"{row.reference}: the stored complaint does not validate ({fields})") from None


def correct_row(session: Session, row: ComplaintRow, path: str, value: str, *, who: str, note: str,
                today: date | None = None, profiles: Profiles | None = None) -> Correction:
    """Correct ``path`` of ``row`` to ``value`` (see the module's rules); returns the :class:`Correction`."""
    from ._service import to_case

    if not note.strip():
        raise RegisterError("a correction needs a --note saying why (the customer's mail, a call)")
    org = profile_of(row, profiles)
    complaint = typed_complaint(row, profiles)
    if complaint is None:
        raise RegisterError(f"{row.reference} is an unreadable file: there are no values to correct")
    try:
        spec = field_by_path(path)
    except KeyError:
        raise CorrectionRefusedError(f"no field {path!r} on the form (use a dotted path such as complainant.email)",
                                     path=path) from None
    lang = row.language if row.language in LANGUAGES else org.languages[0]
    texts = Texts.of(lang, org)
    values = field_values(complaint, lang)
    before = values.get(path)
    values[path] = value
    corrected, review = validate(values, texts, today=today or now().date())
    problem = next((item for item in review if item.path == path), None)
    if problem is not None and problem.code not in ("phone_not_assigned", "approximate_amount"):
        raise CorrectionRefusedError(f"{row.reference}: {spec.path} ({problem.label}): {problem.message} "
                                     f"({problem.code}); nothing changed", path=path, code=problem.code)
    open_items = [item for item in row.review if isinstance(item, dict)]
    resolved = next((item for item in open_items if item.get("path") == path), None)
    row.review = [item for item in open_items if item is not resolved]
    data = corrected.model_dump(mode="json")
    row.complaint = data
    for key, new in related_keys(data).items():
        setattr(row, key, new)
    if path in KEY_FIELDS:
        row.content_key = content_key(field_values(corrected, lang))
    after = field_values(corrected, lang).get(path)
    typed = resolved.get("value") if resolved else (before if isinstance(before, str) else None)
    correction = CorrectionRow(complaint=row, path=path, typed=typed, before=json.dumps(before, ensure_ascii=False),
                               after=json.dumps(after, ensure_ascii=False),
                               code=resolved.get("code") if resolved else None, who=who, at=now(),
                               note=note.strip())
    session.add(correction)
    record_event(session, row, "correction", who=who,
                 note=f"{path} corrected{' (' + str(correction.code) + ' resolved)' if correction.code else ''}: "
                      f"{note.strip()}")
    session.flush()
    return next(c for c in to_case(session, row, profiles).corrections[::-1] if c.path == path)


def merge_rows(session: Session, source: ComplaintRow, target: ComplaintRow, *, who: str, note: str | None) -> None:
    """Move ``source``'s files and attachments to ``target``; ``source`` stays as a pointer."""
    if source.id == target.id:
        raise RegisterError(f"{source.reference} cannot be merged into itself")
    moved_files, moved_docs = len(source.files), len(source.attachments)
    for file in list(source.files):
        file.complaint = target
    for attachment in list(source.attachments):
        attachment.complaint = target
    source.merged_into = target.reference
    text = f" · {note.strip()}" if note and note.strip() else ""
    record_event(session, source, "merged", who=who, note=f"merged into {target.reference}{text}")
    record_event(session, target, "merge", who=who,
                 note=f"{source.reference} merged in ({moved_files} file(s), {moved_docs} document(s)){text}")
    flag_modified(target, "status")  # the target changed too: its version moves with the flush below
    session.flush()
