"""A real redis-server on 127.0.0.1 for the store tests (no mocks of Redis).

Import the fixture into a test module::

    from .redis_server import redis_url  # noqa: F401

``redis_url`` yields ``redis://127.0.0.1:<port>/0`` with an empty database. One server runs
per test session. Without a ``redis-server`` binary the tests skip, unless the environment
sets ``CF_REQUIRE_REDIS=1`` (CI does), in which case they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

__all__ = ["RedisServer", "redis_url", "start_redis"]


def _require() -> bool:
    return os.environ.get("CF_REQUIRE_REDIS", "") not in ("", "0")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """A running ``redis-server`` process bound to 127.0.0.1."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, workdir: str) -> None:
        self.process = process
        self.port = port
        self.workdir = workdir

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def flush(self) -> None:
        """Empty every database."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            sock.recv(64)

    def stop(self) -> None:
        """Kill the server and remove its directory."""
        self.process.kill()
        self.process.wait(timeout=10)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis(binary: str | None = None) -> RedisServer:
    """Start ``redis-server`` on a free 127.0.0.1 port and wait for PING.

    Raises:
        FileNotFoundError: no redis-server binary.
        RuntimeError: it did not answer PING within 10 s.
    """
    binary = binary or shutil.which("redis-server")
    if binary is None:
        raise FileNotFoundError("redis-server is not installed (apt-get install redis-server)")
    for _attempt in range(3):
        port = _free_port()
        workdir = tempfile.mkdtemp(prefix="cf-redis-")
        process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 600  # a hang guard only: start-up under load is slow
        while time.monotonic() < deadline and process.poll() is None:
            if _ping(port):
                return RedisServer(process, port, workdir)
            time.sleep(0.02)
        process.kill()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    raise RuntimeError("redis-server did not answer PING")


_SERVER = pytest.StashKey[RedisServer]()


@pytest.fixture
def redis_url(request: pytest.FixtureRequest) -> str:
    """The URL of an empty Redis database on 127.0.0.1.

    One redis-server runs per test session; it is killed when the session ends. Skips
    without redis-server, unless ``CF_REQUIRE_REDIS=1``.
    """
    config = request.config
    server = config.stash.get(_SERVER, None)
    if server is None or server.process.poll() is not None:
        try:
            server = start_redis()
        except FileNotFoundError as exc:
            if _require():
                pytest.fail(f"CF_REQUIRE_REDIS=1 but {exc}")
            pytest.skip(f"{exc}; set CF_REQUIRE_REDIS=1 to make this a failure")
        config.stash[_SERVER] = server
        config.add_cleanup(server.stop)
    server.flush()
    return server.url
