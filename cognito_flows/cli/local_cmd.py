"""``cognito-flows local``: run the strict local Cognito on 127.0.0.1."""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add the ``local`` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "local",
        help="run the strict local Cognito emulator",
        description="Serve a strict local Cognito user pool on 127.0.0.1. Prints one JSON "
        "line with endpoint_url, region, user_pool_id, client_id and client_secret when ready; "
        "serves until SIGINT or SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    parser.add_argument("--config", help="JSON file with pool settings and users")
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    from cognito_local.cli import main as local_main

    argv = ["--host", args.host, "--port", str(args.port)]
    if args.config:
        argv += ["--config", args.config]
    try:
        return local_main(argv)
    except OSError as exc:  # e.g. the port is taken: one line, not a traceback
        reason = exc.strerror or str(exc)
        print(
            f"error: cannot serve on {args.host}:{args.port}: {reason}",
            file=sys.stderr,
        )
        return 1
