"""Render time and size: a blank form, a prefilled one, and all 12 language × profile forms.

    python benchmarks/render.py [--rounds N]
    python benchmarks/render.py --src /tmp/before/src      # also time another source tree

Each source tree is timed in its own interpreter (two versions of one package cannot share one),
the trees interleaved round by round so a noisy neighbour hits them alike; each round renders
every case once after a warm-up render. Figures are medians in milliseconds, with the output's
size in bytes; with ``--src`` the last column is this tree's time as a multiple of the first
other tree's (only ratios mean anything on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

# Runs in the child interpreter: times one round of every case, prints {case: [seconds, bytes]}.
_ROUND = r"""
import json, sys, time
from klageformular.render import render_form
from klageformular.locales import available_languages
from klageformular.org import organisation_keys
sys.path.insert(0, sys.argv[1])
from tests.conftest import sample_data

cases = {"blank da": lambda: render_form("da"), "prefilled da": lambda: render_form("da", prefill=sample_data()),
         "all 12 forms": lambda: [render_form(l, org=o) for o in organisation_keys() for l in available_languages()]}
for case in cases.values():  # warm-up: imports, the font, reportlab's caches
    case()
out = {}
for name, case in cases.items():
    start = time.perf_counter()
    result = case()
    elapsed = time.perf_counter() - start
    out[name] = [elapsed, max(map(len, result)) if isinstance(result, list) else len(result)]
print(json.dumps(out))
"""
ROOT = str(Path(__file__).resolve().parent.parent)


def run_round(src: str | None) -> dict[str, list[float]]:
    """One round in a fresh interpreter, with ``src`` first on ``PYTHONPATH`` when given."""
    env = dict(os.environ)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    proc = subprocess.run([sys.executable, "-c", _ROUND, ROOT], env=env, check=True, capture_output=True, text=True)
    result: dict[str, list[float]] = json.loads(proc.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--src", action="append", default=[], metavar="DIR",
                        help="also time the renders with this source tree first on PYTHONPATH")
    args = parser.parse_args(argv)
    trees: list[tuple[str, str | None]] = [("installed", None), *((f"--src {s}", s) for s in args.src)]
    samples: dict[str, dict[str, list[float]]] = {label: {} for label, _ in trees}
    sizes: dict[str, dict[str, float]] = {label: {} for label, _ in trees}
    for _ in range(args.rounds):
        for label, src in trees:
            for case, (seconds, size) in run_round(src).items():
                samples[label].setdefault(case, []).append(seconds)
                sizes[label][case] = size
    first_other = trees[1][0] if len(trees) > 1 else None
    for label, _ in trees:
        for case, times in samples[label].items():
            median = statistics.median(times)
            ratio = ""
            if first_other and label == "installed":
                ratio = f"{median / statistics.median(samples[first_other][case]):5.2f}x of {first_other}"
            print(f"{case:<14} {median * 1000:8.1f} ms  {int(sizes[label][case]):>7} B  {label:<24} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
