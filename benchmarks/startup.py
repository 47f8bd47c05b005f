"""Start-up cost: ``import cognito_flows``, ``cognito-flows --help`` and the pytest plugin,
next to ``import pycognito``, each in a fresh interpreter (median of several runs).

Prints figures only (targets are printed, never asserted)::

    python benchmarks/startup.py                  # this tree, 9 runs each
    python benchmarks/startup.py --runs 5
    python benchmarks/startup.py --before a3d5dbf # also a git revision, side by side

With ``--before REV`` the tree at ``REV`` is extracted (``git archive``) into a temporary
directory and measured the same way; the runs of both trees are interleaved so load drift
hits both alike. Every run is a new ``python`` process (``-X importtime`` is not used: it
slows what it measures); the figure is the wall time of the whole process minus the median
of an empty interpreter's, so it is what a user waits for on top of Python itself.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: name -> the code a fresh interpreter runs.
CASES: dict[str, str] = {
    "python (empty)": "pass",
    "import cognito_flows": "import cognito_flows",
    "cognito-flows --help": (
        "import sys; sys.argv = ['cognito-flows', '--help']\n"
        "from cognito_flows.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    ),
    "import pytest": "import pytest",
    "import pytest + the plugin": "import pytest, cognito_flows.testing.plugin",
    "from cognito_flows import UserPool": "from cognito_flows import UserPool",
    "import pycognito": "import pycognito",
}
#: What the plugin costs a pytest run: only its module is imported until a fixture is used.
TARGET = 0.3


def _run_once(code: str, tree: Path) -> float:
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONDONTWRITEBYTECODE="")
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, cwd=tree, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def _extract(rev: str, into: Path) -> Path:
    archive = into / "tree.tar"
    subprocess.run(
        [
            "git",
            "-C",
            str(ROOT),
            "archive",
            "-o",
            str(archive),
            rev,
            "cognito_flows",
            "cognito_local",
        ],
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(into / "tree", filter="data")
    return into / "tree"


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--before", metavar="REV", help="also measure this git revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"now": ROOT}
        if args.before:
            trees = {f"at {args.before}": _extract(args.before, Path(tmp)), "now": ROOT}
        times: dict[tuple[str, str], list[float]] = {}
        for tree in trees.values():  # warm the bytecode caches once
            for code in CASES.values():
                _run_once(code, tree)
        for _ in range(args.runs):
            for label, tree in trees.items():
                for name, code in CASES.items():
                    times.setdefault((label, name), []).append(_run_once(code, tree))
    print(f"Python {sys.version.split()[0]}, {args.runs} fresh interpreters per figure")
    print("seconds over an empty interpreter: median (min-max)")
    for label in trees:
        empty = statistics.median(times[(label, "python (empty)")])
        print(f"\n{label}: (empty interpreter {empty:.3f} s)")
        for name in CASES:
            if name == "python (empty)":
                continue
            runs = [t - empty for t in times[(label, name)]]
            print(f"  {name:36} {statistics.median(runs):6.3f}  ({min(runs):.3f}-{max(runs):.3f})")
    print(f"\ntarget: --help and the plugin import well under {TARGET} s")


if __name__ == "__main__":
    main()
