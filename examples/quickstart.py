"""Render a pre-filled form, read it back, and convert a small mailbox — the library in 30 lines.

    python examples/quickstart.py [WORKDIR]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from klageformular import convert_folder, parse_pdf, render_form


def main(workdir: Path) -> None:
    inbox = workdir / "indbakke"
    inbox.mkdir(parents=True, exist_ok=True)
    pdf = render_form("da", prefill={
        "complainant": {"last_name": "Żółć", "first_name": "Łukasz", "email": "lukasz@example.dk"},
        "subject": "Renten på lån KA-1042 blev ikke udbetalt den 1. oktober.\nJeg beder om en forklaring.",
        "facts_date": "1/10-2026",
    })
    (inbox / "klage.pdf").write_bytes(pdf)
    (inbox / "ikke-en-pdf.txt").write_text("Hej!", encoding="utf-8")

    result = parse_pdf(inbox / "klage.pdf")
    print(f"parsed: method={result.method} status={result.status} language={result.language}")
    for item in result.review:  # what a person should look at, with the value as typed
        print(f"  review {item.label}: {item.message_local} ({item.value!r})")
    print(json.dumps(result.complaint.model_dump(mode="json", exclude_none=True), ensure_ascii=False, indent=2))

    summary = convert_folder(inbox, workdir / "klager", workers=1, received="today")
    print(f"batch: {summary.complete} complete, {summary.needs_review} to review, {summary.unreadable} unreadable "
          f"-> {workdir / 'klager'}")


if __name__ == "__main__":  # batch workers are separate processes; the guard keeps this importable
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            main(Path(tmp))
