"""Parsers that misbehave on purpose, for batch tests: run in worker processes by name.

Each acts on a marker in the file's bytes and otherwise parses normally, so one folder
can mix well-behaved and pathological files.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from klageformular import Limits, ParseResult, parse_pdf

HANG = b"%HANG-FOR-TEST"
CRASH = b"%CRASH-FOR-TEST"
EAT_MEMORY = b"%EAT-MEMORY-FOR-TEST"


def misbehave(path: str, limits: Limits) -> ParseResult:
    """Hang, crash or exhaust memory when the file says so."""
    data = Path(path).read_bytes()
    if HANG in data:
        time.sleep(3600)
    if CRASH in data:
        os.kill(os.getpid(), signal.SIGKILL)
    if EAT_MEMORY in data:
        hog = [bytearray(64 * 1024 * 1024) for _ in range(64)]  # 4 GB: past any worker ceiling
        del hog
    return parse_pdf(path, limits=limits)


def slow(path: str, limits: Limits) -> ParseResult:
    """A normal parse that takes a while: gives a test time to interrupt a run."""
    time.sleep(0.25)
    return parse_pdf(path, limits=limits)
