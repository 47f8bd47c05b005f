"""Execute every notebook here top to bottom and save it with its fresh outputs.

Run it after changing a notebook or the library (``python notebooks/run_all.py``, or name
notebooks to run only those). The notebooks start the local Cognito themselves and need no
AWS account. ``tests/test_notebooks.py`` re-executes them and checks that the saved outputs
are still what they print.

Exit status: 0 when every notebook ran without an error, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
#: Seconds one cell may take.
CELL_TIMEOUT = 120


def notebooks() -> list[Path]:
    """Every notebook in this folder, in name order."""
    return sorted(HERE.glob("*.ipynb"))


def execute_node(nb: Any) -> Any:
    """Run an in-memory notebook (an ``nbformat.NotebookNode``) in a fresh kernel, with this
    folder as the working directory; returns it, run.

    Raises:
        CellExecutionError: a cell raised.
    """
    for cell in nb.cells:  # no timestamps: a re-run changes only what the cells print
        cell.metadata.pop("execution", None)
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(HERE)}},
    )
    client.execute()
    return nb


def execute(path: Path) -> Any:
    """Read a notebook and run it (see :func:`execute_node`)."""
    return execute_node(nbformat.read(path, as_version=4))  # type: ignore[no-untyped-call]


def main(argv: list[str] | None = None) -> int:
    """Execute and save the notebooks named (default: all)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook")
    args = parser.parse_args(argv)
    failed = 0
    for path in args.notebooks or notebooks():
        start = time.monotonic()
        try:
            nb = execute(path)
        except CellExecutionError as exc:
            failed += 1
            print(f"FAILED {path.name}:\n{exc}", file=sys.stderr)
            continue
        nbformat.write(nb, path)  # type: ignore[no-untyped-call]
        print(f"ok     {path.name} ({time.monotonic() - start:.1f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
