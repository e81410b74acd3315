"""Regenerate the README's field table from the layout (run after changing layout.py).

Usage: python scripts/update_readme.py [--check]   (--check: exit 1 if the README is stale)
"""

from __future__ import annotations

import sys
from pathlib import Path

from klageformular.locales import Texts, field_table

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- fields:start -->", "<!-- fields:end -->"


def table() -> str:
    """The markdown table: one row per field, in tab order."""
    rows = ["| PDF field | JSON path | kind | req. | max | label (da) | options |", "|---|---|---|---|---|---|---|"]
    for r in field_table(Texts.of("da")):
        options = ", ".join(f"`{o['export']}`" for o in r["options"])
        rows.append(f"| `{r['name']}` | `{r['path']}` | {r['kind']} | {'yes' if r['required'] else ''} | "
                    f"{r['max_length'] or ''} | {r['label']} | {options} |")
    return "\n".join(rows)


def updated(text: str) -> str:
    """README text with the table between the markers replaced."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


if __name__ == "__main__":
    current = README.read_text(encoding="utf-8")
    new = updated(current)
    if "--check" in sys.argv:
        sys.exit(0 if new == current else 1)
    README.write_text(new, encoding="utf-8")
