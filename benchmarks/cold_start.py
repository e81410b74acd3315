"""Cold start: what a one-file call pays before it does any work, against ``python -c pass``.

    python benchmarks/cold_start.py [--rounds N]
    python benchmarks/cold_start.py --src /tmp/before/src     # also time another source tree

Each command runs in a fresh interpreter, the commands interleaved round by round so a noisy
neighbour hits them all alike; the figures are medians, the ratios are against ``python -c pass``
measured in the same run (only ratios mean anything on a shared machine):

- ``import klageformular``;
- the CLI ``klageformular parse FILE`` on a filled form (AcroForm path) and on a flattened one
  (text path), started as the console script starts it (``from klageformular.cli import main``);
- the floor no parse can go under: the required libraries imported, then also the ``Complaint``
  model created and its validator built;
- commands with nothing to do (issue 25: at most 0.25 CPU s each): ``register due`` on a register
  with nothing open, ``batch`` over an inbox it has already converted, and the same with
  ``--register`` (nothing new to import). The warm-up run makes their register and folders, so
  the timed runs find nothing to do.

Each figure is the median wall time and the median CPU time (user + system, of the process and
its children).

``--src DIR`` (repeatable) times the same commands with ``DIR`` first on ``PYTHONPATH``, e.g. a
``git archive`` of an earlier commit's ``src``: a before/after comparison from one run.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
CLI = "import sys; from klageformular.cli import main; sys.exit(main())"
# What any parse pays before our code runs: the required libraries the parse path imports, then
# also the Complaint model created and its pydantic validator built (a parse cannot do without).
LIBRARIES = "import pydantic, pypdf, email_validator, phonenumbers, stdnum.util"
FLOOR = {
    "floor: required libraries imported": ["-c", LIBRARIES],
    "floor: + Complaint validator built": ["-c", f"{LIBRARIES}; from klageformular.model import Complaint; "
                                                 "Complaint.model_rebuild(force=True)"],
}


def commands(filled: Path, flat: Path, work: Path) -> dict[str, list[str]]:
    """The timed commands, by label: argument lists for ``python`` (``work``: this tree's own folder)."""
    inbox = work / "inbox"
    if not inbox.exists():
        inbox.mkdir(parents=True)
        shutil.copyfile(filled, inbox / filled.name)
    return {
        "import klageformular": ["-c", "import klageformular"],
        f"parse {filled.name}": ["-c", CLI, "parse", str(filled)],
        f"parse {flat.name}": ["-c", CLI, "parse", str(flat)],
        "nothing to do: register due": ["-c", CLI, "register", "due", "--db", f"sqlite:///{work / 'empty.db'}"],
        "nothing to do: batch (all done)": ["-c", CLI, "batch", str(inbox), "-o", str(work / "out"), "-q"],
        "nothing to do: batch --register": ["-c", CLI, "batch", str(inbox), "-o", str(work / "out-r"), "-q",
                                            "--register", "--db", f"sqlite:///{work / 'r.db'}"],
    }


def run_once(args: list[str], src: str | None) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh interpreter running ``args``; a failing command stops the benchmark."""
    env = dict(os.environ)
    # An installed package starts from compiled .pyc files (pip compiles at install); without them
    # every start compiles each module from source. Let the warm-up write them, whatever the shell says.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if src:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (src, env.get("PYTHONPATH")) if p)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--src", action="append", default=[], metavar="DIR",
                        help="also time the commands with this source tree first on PYTHONPATH")
    parser.add_argument("--filled", type=Path, default=FIXTURES / "filled-pdftk.pdf")
    parser.add_argument("--flat", type=Path, default=FIXTURES / "flat-gs.pdf")
    args = parser.parse_args(argv)
    trees: list[tuple[str, str | None]] = [("installed", None), *((f"--src {s}", s) for s in args.src)]
    with tempfile.TemporaryDirectory() as tmp:
        work = {tree: Path(tmp) / str(number) for number, (tree, _) in enumerate(trees)}
        timed = {(tree, label): argv_ for tree, _ in trees
                 for label, argv_ in commands(args.filled, args.flat, work[tree]).items()}
        timed.update({("installed", label): argv_ for label, argv_ in FLOOR.items()})
        source = dict(trees)
        samples: dict[tuple[str, str], list[tuple[float, float]]] = {key: [] for key in timed}
        baseline: list[tuple[float, float]] = []
        for key, argv_ in timed.items():  # warm-up: the OS file cache, .pyc files, the register and folders
            run_once(argv_, source[key[0]])
        for _ in range(args.rounds):
            baseline.append(run_once(["-c", "pass"], None))
            for key, argv_ in timed.items():
                samples[key].append(run_once(argv_, source[key[0]]))
    base = statistics.median(wall for wall, _ in baseline)
    print(f"{'':46} {'wall':>9}   {'× pass':>6}   {'CPU':>9}   (medians of {args.rounds})")
    print(f"{'python -c pass':<46} {base * 1000:6.1f} ms   {1:5.2f}x   "
          f"{statistics.median(cpu for _, cpu in baseline) * 1000:6.1f} ms")
    for (tree, label), times in samples.items():
        median = statistics.median(wall for wall, _ in times)
        cpu = statistics.median(c for _, c in times)
        target = ("  (target 250 ms CPU: " + ("met" if cpu <= 0.25 else "missed") + ")"
                  if label.startswith("nothing to do") else "")
        print(f"{label:<46} {median * 1000:6.1f} ms   {median / base:5.2f}x   {cpu * 1000:6.1f} ms   {tree}{target}")
    if args.src:  # the measure: this tree against the first other tree, command by command
        before = f"--src {args.src[0]}"
        for label in commands(args.filled, args.flat, work["installed"]):
            now, then = (statistics.median(w for w, _ in samples[(t, label)]) for t in ("installed", before))
            print(f"{label:<46} {now / then:5.2f}x of {before}")
        for label in FLOOR:
            floor = statistics.median(w for w, _ in samples[("installed", label)])
            then = statistics.median(w for w, _ in samples[(before, f"parse {args.filled.name}")])
            print(f"{label:<46} {floor / then:5.2f}x of {before}'s parse {args.filled.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
