"""The ``cognito-flows`` command.

Subcommands live in their own modules; each registers its parser and an async runner. The
command holds no logic the library lacks: it parses options, asks the terminal, and calls
:class:`cognito_flows.UserPool`.

Exit codes: 0 success, 1 a Cognito or flow error (one line on stderr naming it), 2 usage.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    from . import account_cmds, demo, diagram, local_cmd, sign_in

    parser = argparse.ArgumentParser(
        prog="cognito-flows",
        description="Amazon Cognito user pool flows as explicit state machines.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in (demo, local_cmd, sign_in, account_cmds, diagram):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code.

    Ctrl-C at any point exits 130 (one line on stderr, the terminal restored); a closed
    stdout (``| head``) exits 1 with one line; neither prints a traceback.
    """
    from .common import guard_process

    def run() -> int:
        parser = build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help (0) or a usage error (2)
            return exc.code if isinstance(exc.code, int) else 2
        code: int = args.run(args)
        return code

    return guard_process(run)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
