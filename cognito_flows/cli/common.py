"""What every ``cognito-flows`` subcommand shares: connection options, the terminal, errors."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import json
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..devices import FileDeviceStore
from ..errors import CognitoError, CognitoFlowsError, HandlerError
from ..pool import UserPool

__all__ = [
    "UsageError",
    "Terminal",
    "add_connection_options",
    "check_endpoint_url",
    "default_device_store",
    "guard_process",
    "open_pool",
    "run_async",
]


class UsageError(Exception):
    """A usage error of the command line (exit code 2)."""


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """The connection options every command takes (with their environment variables)."""
    env = os.environ.get
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--user-pool-id",
        default=env("COGNITO_USER_POOL_ID"),
        help="user pool id (env COGNITO_USER_POOL_ID)",
    )
    group.add_argument(
        "--client-id",
        default=env("COGNITO_CLIENT_ID"),
        help="app client id (env COGNITO_CLIENT_ID)",
    )
    group.add_argument(
        "--client-secret",
        default=env("COGNITO_CLIENT_SECRET"),
        help="app client secret (env COGNITO_CLIENT_SECRET)",
    )
    group.add_argument(
        "--region",
        default=env("AWS_REGION") or env("AWS_DEFAULT_REGION"),
        help="AWS region (env AWS_REGION; default: from the pool id)",
    )
    group.add_argument(
        "--endpoint-url",
        default=env("COGNITO_ENDPOINT_URL"),
        help="Cognito endpoint, e.g. the local Cognito (env COGNITO_ENDPOINT_URL)",
    )
    group.add_argument(
        "--device-store",
        default=None,
        help="file for remembered devices (default: $XDG_CONFIG_HOME/cognito-flows/devices.json)",
    )


def default_device_store(path: str | None) -> FileDeviceStore:
    """The CLI's device store: a 0600 JSON file."""
    if path is None:
        base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        path = str(Path(base) / "cognito-flows" / "devices.json")
    return FileDeviceStore(path)


def open_pool(args: argparse.Namespace) -> UserPool:
    """A :class:`UserPool` from the connection options.

    Raises:
        UsageError: the pool id or client id is missing.
    """
    if not args.user_pool_id or not args.client_id:
        raise UsageError(
            "--user-pool-id and --client-id are required "
            "(or COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID)"
        )
    check_endpoint_url(args.endpoint_url)
    return UserPool(
        args.user_pool_id,
        args.client_id,
        client_secret=args.client_secret or None,
        region=args.region or None,
        endpoint_url=args.endpoint_url or None,
        device_store=default_device_store(args.device_store),
        device_name="cognito-flows CLI",
    )


def check_endpoint_url(url: str | None) -> None:
    """Refuse an endpoint URL botocore cannot use (it raises a bare ValueError later).

    Raises:
        UsageError: the URL has no ``http://`` or ``https://`` scheme, or no host.
    """
    if not url:
        return
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"--endpoint-url {url!r} must be a URL with a scheme and a host, "
            "e.g. http://127.0.0.1:9229 or https://cognito-idp.eu-west-1.amazonaws.com"
        )


class Terminal:
    """Asks the user: on a terminal with prompts (secrets without echo); otherwise one line
    of stdin per answer, in the order asked, with prompts on stderr."""

    def __init__(self, stdin: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.stdin = stdin or sys.stdin
        self.stderr = stderr or sys.stderr
        self.interactive = self.stdin.isatty()

    def say(self, text: str) -> None:
        """Write a line to stderr."""
        print(text, file=self.stderr, flush=True)

    def _read(self, prompt: str, secret: bool) -> str:
        if self.interactive:
            if secret:
                return getpass.getpass(prompt, stream=self.stderr)
            self.stderr.write(prompt)
            self.stderr.flush()
            return self.stdin.readline().rstrip("\r\n")
        self.stderr.write(prompt + "\n")
        self.stderr.flush()
        line = self.stdin.readline()
        if not line:
            raise UsageError(f"standard input ended while asking: {prompt.strip()}")
        return line.rstrip("\r\n")

    async def ask(self, prompt: str, *, secret: bool = False) -> str:
        """Ask one question."""
        return await in_daemon_thread(lambda: self._read(prompt, secret))

    async def stdin_line(self, what: str) -> str:
        """The next line of stdin, without a prompt (``--password-stdin``).

        Raises:
            UsageError: stdin has ended.
        """

        def read() -> str:
            line = self.stdin.readline()
            if not line:
                raise UsageError(f"{what} was to be read from stdin but stdin is empty")
            return line.rstrip("\r\n")

        return await in_daemon_thread(read)


async def in_daemon_thread(func: Callable[[], str]) -> str:
    """Run a blocking read in a daemon thread of its own, not in the loop's executor.

    On Ctrl-C the command then ends at once, instead of waiting (in ``asyncio.run``'s
    executor shutdown) for a line that may never come; :func:`guard_process` restores the
    terminal that ``getpass`` left without echo.
    """
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(result or "")

    def work() -> None:
        result: str | None = None
        error: BaseException | None = None
        try:
            result = func()
        except Exception as exc:  # raised in the asking task
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop has already closed
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="cognito-flows-prompt", daemon=True).start()
    return await answer


@contextlib.contextmanager
def _terminal_restored() -> Iterator[None]:
    """Put the terminal's settings back however the command ends (getpass turns echo off
    while it reads; a Ctrl-C during that read must not leave the terminal without echo)."""
    try:
        import termios
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    saved: list[Any] | None = None
    fd = -1
    with contextlib.suppress(OSError, ValueError, AttributeError, termios.error):
        fd = sys.stdin.fileno()
        if os.isatty(fd):
            saved = termios.tcgetattr(fd)
    try:
        yield
    finally:
        if saved is not None:
            with contextlib.suppress(OSError, termios.error):
                termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def guard_process(func: Callable[[], int]) -> int:
    """Run the whole command: Ctrl-C anywhere exits 130 with one line and the terminal
    restored; a reader that closed stdout early (``| head``) ends it with exit code 1 and
    one line, never a traceback."""
    try:
        with _terminal_restored():
            return func()
    except KeyboardInterrupt:
        with contextlib.suppress(OSError, ValueError):
            print("\ninterrupted", file=sys.stderr, flush=True)
        return 130
    except BrokenPipeError:
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        with contextlib.suppress(OSError, ValueError):
            print("error: standard output was closed before all was written", file=sys.stderr)
        return 1


def run_async(func: Callable[[], Awaitable[int]], *, json_errors: bool = False) -> int:
    """Run a command's coroutine; map errors to exit codes and one line on stderr."""
    try:
        return asyncio.run(_guard(func))
    except UsageError as exc:
        print(f"usage error: {exc}", file=sys.stderr)
        return 2
    except HandlerError as exc:
        if isinstance(exc.__cause__, UsageError):  # stdin ended inside a prompt
            print(f"usage error: {exc.__cause__}", file=sys.stderr)
            return 2
        _report(type(exc).__name__, str(exc), json_errors)
        return 1
    except CognitoError as exc:
        _report(exc.code, str(exc.message or exc), json_errors)
        return 1
    except CognitoFlowsError as exc:
        _report(type(exc).__name__, str(exc), json_errors)
        return 1
    except (KeyboardInterrupt, asyncio.CancelledError):
        raise KeyboardInterrupt from None  # guard_process reports it (exit code 130)


async def _guard(func: Callable[[], Awaitable[int]]) -> int:
    return await func()


def _report(code: str, message: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": code, "message": message}), file=sys.stderr)
    else:
        print(f"error: {code}: {message}", file=sys.stderr)


def write_private_json(path: str, data: dict[str, Any]) -> None:
    """Write JSON to a file readable only by its owner."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # also when the file already existed
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh, indent=1)
    os.replace(tmp, target)
