"""Run ``cognito-flows`` in this process: ``cognito_flows.cli.main(argv)`` in a thread of
its own (it runs its own event loop, as the installed command does), with stdin a pipe the
test writes to and stdout/stderr captured.

A test about the command's logic (what it asks, prints and exits with) runs it this way,
which spares an interpreter start and botocore's import per command; one subprocess smoke
test per command family checks the installed process itself. Tests run one at a time per
process (pytest-xdist runs them in separate processes), so swapping ``sys.stdin`` and
friends for the duration of a command is safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

__all__ = ["CliProcess", "Result", "run_cli", "start_cli"]

_lock = threading.Lock()  # one command at a time owns sys.stdin/stdout/stderr


@attrs.frozen
class Result:
    """What one command did."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class _Lines(io.TextIOBase):
    """A text stream that keeps everything written and hands out complete lines to an
    asyncio reader in the test's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parts: list[str] = []
        self._pending = ""
        self.lines: asyncio.Queue[str] = asyncio.Queue()
        self._guard = threading.Lock()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        with self._guard:
            self._parts.append(text)
            self._pending += text
            *complete, self._pending = self._pending.split("\n")
        for line in complete:
            self._loop.call_soon_threadsafe(self.lines.put_nowait, line + "\n")
        return len(text)

    def flush(self) -> None:
        pass

    def value(self) -> str:
        with self._guard:
            return "".join(self._parts)


@contextlib.contextmanager
def _swapped(stdin: Any, stdout: Any, stderr: Any, env: dict[str, str]) -> Iterator[None]:
    saved = sys.stdin, sys.stdout, sys.stderr
    saved_env = {key: os.environ.get(key) for key in env}
    sys.stdin, sys.stdout, sys.stderr = stdin, stdout, stderr
    os.environ.update(env)
    try:
        yield
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class CliProcess:
    """One running command: write lines to its stdin, read its stderr line by line."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None) -> None:
        from cognito_flows.cli import main

        loop = asyncio.get_running_loop()
        read_fd, write_fd = os.pipe()
        self._stdin = os.fdopen(read_fd, "r", encoding="utf-8")
        self._writer = os.fdopen(write_fd, "w", encoding="utf-8")
        self.out = _Lines(loop)
        self.err = _Lines(loop)
        self._done: asyncio.Future[int] = loop.create_future()

        def settle(code: int | None, error: BaseException | None) -> None:
            if error is not None:
                self._done.set_exception(error)
            else:
                self._done.set_result(int(code or 0))

        def run() -> None:
            code: int | None = None
            error: BaseException | None = None
            with _lock, _swapped(self._stdin, self.out, self.err, env or {}):
                try:
                    code = main(list(argv))
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 1
                except BaseException as exc:  # reported to the test
                    error = exc
            self._stdin.close()
            loop.call_soon_threadsafe(settle, code, error)

        self._thread = threading.Thread(target=run, name="cognito-flows-cli", daemon=True)
        self._thread.start()

    async def send(self, line: str) -> None:
        """Write one line to the command's stdin."""
        self._writer.write(line + "\n")
        self._writer.flush()

    async def stderr_line(self, timeout: float = 60) -> str:
        """The next line the command writes to stderr."""
        return await asyncio.wait_for(self.err.lines.get(), timeout)

    async def finish(self, stdin: str = "", timeout: float = 120) -> Result:
        """Write the rest of stdin, close it, and wait for the exit code."""
        try:
            if stdin:
                self._writer.write(stdin)
            self._writer.close()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the command ended before reading all of its input: not an error here
        code = await asyncio.wait_for(asyncio.shield(self._done), timeout)
        return Result(code, self.out.value(), self.err.value())


def start_cli(*argv: str, env: dict[str, str] | None = None) -> CliProcess:
    """Start ``cognito-flows ARGV`` in this process (call from a running event loop)."""
    return CliProcess(argv, env)


async def run_cli(*argv: str, stdin: str = "", env: dict[str, str] | None = None) -> Result:
    """Run ``cognito-flows ARGV`` in this process with ``stdin``; its result."""
    return await start_cli(*argv, env=env).finish(stdin)
