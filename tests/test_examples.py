"""The example scripts run as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quickstart_runs(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "examples" / "quickstart.py"), str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=True)
    assert "parsed: method=acroform status=complete language=da" in proc.stdout
    assert "batch: 1 complete, 0 to review, 1 unreadable" in proc.stdout
    (line,) = (tmp_path / "klager" / "complaints.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["complaint"]["complainant"]["last_name"] == "Żółć"
