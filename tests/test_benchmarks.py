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


def test_the_cold_start_benchmark_runs_its_nothing_to_do_rows(capsys: pytest.CaptureFixture[str]) -> None:
    cold_start = importlib.import_module("benchmarks.cold_start")
    assert cold_start.main(["--rounds", "1"]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^nothing to do: (.+?) +([\d.]+) ms +[\d.]+x +([\d.]+) ms +installed +\(target 250 ms CPU: "
                      r"(met|missed)\)$", out, re.MULTILINE)
    assert [name for name, *_ in rows] == ["register due", "batch (all done)", "batch --register"]
    assert all(float(wall) > 0 and float(cpu) > 0 for _, wall, cpu, _ in rows)


@pytest.mark.slow
def test_the_resume_benchmark_runs_small(capsys: pytest.CaptureFixture[str]) -> None:
    resume = importlib.import_module("benchmarks.resume")
    assert resume.main(["--lines", "200", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    rows = dict(re.findall(r"^\| 200 \| (\([acde]\)[^|]*?) \|(.*)\|$", out, re.MULTILINE))
    assert [case[:3] for case in rows] == ["(a)", "(c)", "(d)", "(e)"], out
    for figures in rows.values():  # every case measured at 200 lines and when empty, and judged
        cells = [cell.strip() for cell in figures.split("|")]
        assert all(float(cell) > 0 for cell in cells[:2] + cells[3:5]), figures
        assert cells[-1] in ("pass", "**fail**"), figures
    # the register imports what is new: the 10 of the run, then nothing
    assert "(c) batch --register: 10 forms: `register: 10 added" in out, out
    assert "(d) batch --register, a re-run with nothing new: `register: 0 added" in out, out
    assert ", 0 already there`" in out.split("(d) batch --register, a re-run")[-1], out
