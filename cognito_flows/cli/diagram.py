"""``cognito-flows diagram``: print a flow's state diagram, generated from its table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..flows._render import FORMATS, FULL, diagram, flow_tables, parts

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``diagram`` subcommand."""
    names = list(flow_tables())
    parser: argparse.ArgumentParser = sub.add_parser(
        "diagram",
        help="print a flow's state diagram (Mermaid or Markdown)",
        description="Print the state diagram of a flow, generated from the transition table "
        "the library runs: a Mermaid stateDiagram-v2, or a Markdown section with the diagram "
        "and tables of states (with the handler method answering each) and events.",
    )
    parser.add_argument("flow", metavar="FLOW", choices=names, help=f"the flow: {', '.join(names)}")
    parser.add_argument(
        "--format", choices=FORMATS, default="mermaid", help="mermaid (default) or markdown"
    )
    choices = sorted({FULL, *(p for name in names for p in parts(name))})
    parser.add_argument(
        "--part",
        choices=choices,
        metavar="PART",
        help="Mermaid only: which diagram of a flow drawn in parts (sign_in: overview, a "
        "phase, or full); default: the overview, or the whole diagram of a small flow",
    )
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    try:
        sys.stdout.write(diagram(args.flow, args.format, args.part))
    except KeyError as exc:
        print(f"cognito-flows diagram: {exc.args[0]}", file=sys.stderr)
        return 2
    return 0
