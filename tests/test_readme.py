"""The README's field table is generated from the layout and must not go stale."""

from __future__ import annotations

from pathlib import Path

from .conftest import load_script

ROOT = Path(__file__).resolve().parent.parent


def test_readme_field_table_matches_layout() -> None:
    module = load_script("scripts/update_readme.py")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert module.updated(text) == text, "run: python scripts/update_readme.py"
