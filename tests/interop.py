"""The interoperability matrix: fill the form with each program, print or flatten it with each, read it back.

Shared by ``tests/test_interop.py`` and ``python -m tests.interop`` (prints the table the README keeps).
A value counts as *exact* when it reads back equal (whitespace runs normalised: a text layer cannot
tell a tab from a space), as *warned* when it differs but the result has a warning naming its field,
and as *silent* otherwise — the one outcome the project does not accept.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

from klageformular import Complaint, KlageformularError, parse_pdf
from klageformular.layout import LAYOUT, Kind
from klageformular.values import FieldValue, field_values

from .conftest import sample_data
from .fillers import ALL_FILLERS, PRINTERS, flatten

# Warnings that say "this field's value may not be what the customer wrote".
FIELD_WARNINGS = frozenset({"unreadable_text", "overflow", "hidden_in_print", "appearance_mismatch"})


def matrix_values() -> dict[str, FieldValue]:
    """The sample complaint (every section; æøå, Ł Ż, Ğ, „quotes“, €, a 4,000-character text)."""
    return field_values(Complaint.model_validate(sample_data()), "da")


def _ws(value: FieldValue) -> FieldValue:
    return " ".join(value.split()) if isinstance(value, str) else value


@dataclass
class Cell:
    """One filler × printer: how each value came back."""

    exact: list[str] = field(default_factory=list)
    warned: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)
    noisy: list[str] = field(default_factory=list)  # exact, yet warned about (a false alarm for the officer)
    error: str | None = None  # the one-line reason when the copy was not read at all

    @property
    def total(self) -> int:
        return len(self.exact) + len(self.warned) + len(self.silent)

    def ratio(self) -> str:
        return f"{len(self.exact)}/{self.total}" if self.error is None else f"error: {self.error}"


def score(expected: Mapping[str, FieldValue], data: bytes) -> Cell:
    """Parse ``data`` and sort every filled value into exact / warned / silent."""
    cell = Cell()
    try:
        result = parse_pdf(data)
    except KlageformularError as exc:
        cell.error = f"{type(exc).__name__}: {exc}"
        return cell
    flagged = {w.path for w in result.warnings if w.code in FIELD_WARNINGS}
    for spec in LAYOUT.fields:
        want = expected.get(spec.path)
        if want in (None, "", False) and spec.kind is not Kind.CHECKBOX:
            continue
        want = want or False if spec.kind is Kind.CHECKBOX else want
        have = result.raw.get(spec.path)
        have = have or False if spec.kind is Kind.CHECKBOX else have
        if _ws(have) == _ws(want):
            cell.exact.append(spec.path)
            if spec.path in flagged:
                cell.noisy.append(spec.path)
        elif spec.path in flagged:
            cell.warned.append(spec.path)
        else:
            cell.silent.append(spec.path)
    return cell


class ToolFailedError(Exception):
    """The printer itself gave up on the filled file (no copy to read)."""


def run_cell(filler: str, printer: str, blank: bytes, values: Mapping[str, FieldValue]) -> Cell:
    filled = ALL_FILLERS[filler](blank, values)
    if printer == "none":
        return score(values, filled)
    try:
        printed = flatten(printer, filled)
    except RuntimeError as exc:
        raise ToolFailedError(str(exc).splitlines()[0]) from None
    return score(values, printed)


def main() -> None:
    from klageformular import render_form

    blank = render_form("da")
    values = matrix_values()
    fillers = sys.argv[1].split(",") if len(sys.argv) > 1 else list(ALL_FILLERS)
    printers = sys.argv[2].split(",") if len(sys.argv) > 2 else PRINTERS
    exact = total = 0
    print("| filler | " + " | ".join(printers) + " |")
    print("|---" * (len(printers) + 1) + "|")
    for filler in fillers:
        row = []
        for printer in printers:
            try:
                cell = run_cell(filler, printer, blank, values)
            except ToolFailedError as exc:
                row.append(f"no copy ({exc})")
                continue
            exact += len(cell.exact)
            total += cell.total if cell.error is None else len([v for v in values.values() if v])
            row.append(cell.ratio() + (f" (silent: {', '.join(cell.silent)})" if cell.silent else "")
                       + (f" (warned: {', '.join(cell.warned)})" if cell.warned else ""))
        print(f"| {filler} | " + " | ".join(row) + " |", flush=True)
    print(f"\n{exact}/{total} exact ({100 * exact / max(total, 1):.1f} %)")


if __name__ == "__main__":
    main()
