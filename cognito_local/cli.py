"""``cognito-flows local``: run the emulator until SIGINT/SIGTERM.

Prints exactly one JSON line on stdout when ready::

    {"endpoint_url": ..., "region": ..., "user_pool_id": ..., "client_id": ...,
     "secret_client_id": ..., "client_secret": ...}

The default pool gets the "code by e-mail" custom-auth triggers
(:meth:`TriggerSet.email_code`) unless the config sets ``"custom_auth": null``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cognito-flows local",
        description="Run a strict local Amazon Cognito User Pool emulator on 127.0.0.1.",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind; only 127.0.0.1 (or localhost) is allowed",
    )
    parser.add_argument("--port", type=int, default=0, help="port (default 0: any free port)")
    parser.add_argument("--region", default="us-east-1", help="region of the default pool")
    parser.add_argument("--config", metavar="FILE", help="JSON configuration file")
    return parser


async def _serve(args: argparse.Namespace, config: dict[str, Any]) -> int:
    from .emulator import LocalCognito
    from .triggers import TriggerSet

    config = dict(config)
    email_code = "custom_auth" not in config
    local = LocalCognito(host=args.host, port=args.port, region=args.region, config=config)
    if email_code:
        local.pool().set_triggers(TriggerSet.email_code())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with local:
        line = {
            "endpoint_url": local.endpoint_url,
            "region": local.region,
            "user_pool_id": local.user_pool_id,
            "client_id": local.client_id,
            "secret_client_id": local.secret_client_id,
            "client_secret": local.client_secret,
        }
        sys.stdout.write(json.dumps(line) + "\n")
        sys.stdout.flush()
        await stop.wait()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``cognito-flows local``; returns the exit status."""
    args = _parser().parse_args(list(argv) if argv is not None else None)
    if args.host not in ("127.0.0.1", "localhost"):
        print("cognito-flows local: only 127.0.0.1 may be bound", file=sys.stderr)
        return 2
    config: dict[str, Any] = {}
    if args.config:
        from .emulator import load_config

        try:
            config = load_config(args.config)
        except (OSError, ValueError) as exc:
            print(f"cognito-flows local: bad config: {exc}", file=sys.stderr)
            return 2
    try:
        return asyncio.run(_serve(args, config))
    except KeyboardInterrupt:
        return 0
    except ValueError as exc:
        print(f"cognito-flows local: {exc}", file=sys.stderr)
        return 2
