"""Batch records for the register tests, shaped as the batch writes them (the record contract)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from klageformular import Complaint
from klageformular.workdays import acknowledge_by

from .conftest import sample_data


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def complaint_record(i: int, *, received: str = "2026-11-23", org: str = "kameo-dk", lang: str = "da",
                     investment: str | None = None, email: str | None = None, status: str = "complete",
                     subject: str | None = None, amount: str | None = "12500.50", ack: bool = True,
                     **extra: Any) -> dict[str, Any]:
    """A ``complaints.jsonl`` line: complaint ``i`` (its own file, content and customer unless told)."""
    data = sample_data()
    data["complainant"]["email"] = email or f"kunde{i}@example.dk"
    data["complainant"]["client_reference"] = f"K-{i}"
    data["investment"] = {"reference": investment or f"KA-{2000 + i}", "project": f"Projekt {i}"}
    data["subject"] = subject or f"Klage nummer {i}.\nRenten blev ikke udbetalt."
    data["damage"] = {"amount": amount, "currency": "DKK"} if amount else {}
    complaint = Complaint.model_validate(data).model_dump(mode="json")
    day = date.fromisoformat(received[:10])
    return {
        "source": f"inbox/klage-{i}.pdf", "sha256": digest(f"file {i}"), "method": "acroform",
        "form_version": "1.0", "language": lang, "organisation": org, "status": status, "complaint": complaint,
        "review": [{"path": "complainant.phone", "label": "Telefon", "value": "12", "code": "invalid_phone",
                    "message": "not a valid telephone number", "message_local": "ikke et gyldigt telefonnummer"}]
        if status == "needs_review" else [],
        "warnings": [], "content_key": digest(f"content {i}"), "received": received,
        **({"acknowledge_by": acknowledge_by(day).isoformat()} if ack else {}),
    } | extra


def rejected_record(i: int, *, received: str = "2026-11-23") -> dict[str, Any]:
    """A ``rejected.jsonl`` line: an unreadable file."""
    return {"source": f"inbox/scan-{i}.pdf", "sha256": digest(f"scan {i}"), "status": "unreadable",
            "reason": "unreadable", "error": "NoTextLayerError", "message": "1 of 1 page(s) have no text layer",
            "received": received, "acknowledge_by": acknowledge_by(date.fromisoformat(received)).isoformat(),
            "quarantine": f"quarantine/{digest(f'scan {i}')[:16]}.pdf"}


def duplicate_record(of: dict[str, Any], name: str, kind: str = "same_file") -> dict[str, Any]:
    """A ``duplicates.jsonl`` line: another file with the same bytes (or content) as ``of``."""
    sha = of["sha256"] if kind == "same_file" else digest(name)
    return {"source": name, "sha256": sha, "duplicate_of": of["source"], "duplicate_of_sha256": of["sha256"],
            "duplicate_kind": kind, "received": of["received"]}


def write_batch(out: Path, complaints: Iterable[dict[str, Any]] = (), rejected: Iterable[dict[str, Any]] = (),
                duplicates: Iterable[dict[str, Any]] = ()) -> Path:
    """An output folder as ``klageformular batch`` leaves it."""
    out.mkdir(parents=True, exist_ok=True)
    for name, records in (("complaints.jsonl", complaints), ("rejected.jsonl", rejected),
                          ("duplicates.jsonl", duplicates)):
        lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        (out / name).write_text(lines, encoding="utf-8")
    return out


def sent_letter(engine: Any, reference: str, kind: str, message_id: str | None, *, recipient: str | None,
                state: str = "sent", dated: date = date(2026, 11, 30)) -> int:
    """An ``outgoing`` row as the sending code leaves a letter it sent (or printed: ``message_id`` None,
    ``state`` to_post/posted); its id. The register's threading reads these rows only."""
    from datetime import UTC, datetime

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from klageformular.register._schema import ComplaintRow, OutgoingRow

    at = datetime(dated.year, dated.month, dated.day, 8, 2, 11, tzinfo=UTC)
    email = message_id is not None
    with Session(engine) as session, session.begin():
        case = session.scalars(select(ComplaintRow).where(ComplaintRow.reference == reference)).one()
        row = OutgoingRow(complaint_id=case.id, kind=kind, channel="email" if email else "post", state=state,
                          message_id=message_id, recipient=recipient if email else None,
                          sha256=digest(f"message {message_id}") if email else None,
                          letter_sha256=digest(f"letter {reference} {kind}"), dated=dated, who="linn", queued_at=at,
                          sent_at=at if state in ("sent", "posted") else None, attempts=1 if email else 0,
                          last_reply="250 2.0.0 Ok: queued as 4dQ7Zk1S3Fz9vB" if state == "sent" else None)
        session.add(row)
        session.flush()
        return row.id
