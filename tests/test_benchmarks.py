"""The benchmarks still run: each one's quick size, as a smoke test (no timing is asserted)."""

from __future__ import annotations

import importlib
import re

import pytest


def test_the_workbench_benchmark_runs_quick(capsys: pytest.CaptureFixture[str]) -> None:
    workbench = importlib.import_module("benchmarks.workbench")
    assert workbench.main(["--quick"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^\| SQLite \| 300 \| (due /|case /cases/KLA-\d{4}-\d{4}) \|(.*)\|$", out, re.MULTILINE)
    assert [page.split()[0] for page, _ in rows] == ["due", "case"]
    for _, figures in rows:  # every figure measured (a page that failed would have stopped the run)
        assert all(float(cell) > 0 for cell in figures.split("|")), figures
