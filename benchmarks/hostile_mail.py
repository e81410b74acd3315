"""Time and peak memory of reading each pathological message of the hostile inbox (issue 23).

    python benchmarks/hostile_mail.py                        # this checkout
    python benchmarks/hostile_mail.py --src OTHER/src        # another checkout's code (before/after)

Each message is read by ``read_message`` (and its HTML by ``html_to_text``) in a fresh
process under an address-space ceiling (``--memory-mb``, default 3,000) and a deadline
(``--timeout``, default 60 s), so code that needs 17 GB fails here instead of taking the
machine down. Prints one line per case: seconds, peak RSS in MB, and the outcome.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CASES = ("h05-from-200k-words.eml", "h06-1m-parts.eml", "h07-200k-addresses.eml", "h09-html-16k-p.eml",
         "h10-5000-received.eml", "h12-nested-rfc822-5000.eml", "h14-subject-200k.eml", "h41-from-3300-words.eml",
         "h42-subject-3300-words.eml")

_CHILD = """
import json, resource, sys, time
ceiling = int(sys.argv[2]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
from klageformular.intake import read_message
data = open(sys.argv[1], "rb").read()
start = time.monotonic()
try:
    message = read_message(data)
    outcome = f"read: {len(message.body):,} characters of text"
except MemoryError:
    outcome = "MemoryError at the ceiling"
except Exception as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:70]}"
print(json.dumps({"seconds": time.monotonic() - start, "outcome": outcome,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(path: Path, src: Path, memory_mb: int, timeout: float) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, outcome) of reading one message in a fresh process."""
    start = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(memory_mb)], capture_output=True,
                              timeout=timeout, env={"PYTHONPATH": str(src)}, check=False)
    except subprocess.TimeoutExpired:
        return time.monotonic() - start, float("nan"), f"killed after {timeout:g} s"
    if done.returncode != 0 or not done.stdout.strip():
        return time.monotonic() - start, float("nan"), f"exit {done.returncode}: {done.stderr.decode()[-80:].strip()}"
    result = json.loads(done.stdout.decode().splitlines()[-1])
    return float(result["seconds"]), float(result["rss_mb"]), str(result["outcome"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the klageformular source to measure")
    parser.add_argument("--memory-mb", type=int, default=3_000)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    from tests.conftest import load_script

    build = load_script("tests/fixtures/mail/make_hostile_mail.py").build
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        for name in CASES:
            seconds, rss, outcome = measure(Path(tmp) / name, args.src.resolve(), args.memory_mb, args.timeout)
            print(f"{name:30} {seconds:8.2f} s {rss:8.0f} MB  {outcome}", flush=True)


if __name__ == "__main__":
    main()
