"""``cognito-flows diagram``: print a flow's state diagram, generated from its table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..flows._render import FORMATS, diagram, flow_tables

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
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    sys.stdout.write(diagram(args.flow, args.format))
    return 0
