"""What the real-browser tests share: Debian's Chromium driven by Playwright (its own browser
builds are never downloaded), example apps loaded from docs/examples, and serving an app
on 127.0.0.1 in the test's event loop.

A test needing the browser is skipped with the reason when Chromium or Playwright is
missing, unless ``CF_REQUIRE_BROWSER=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium_for_playwright() -> str:
    """The Chromium executable for Playwright; skips (or fails under CF_REQUIRE_BROWSER)."""
    chromium = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    missing = [] if chromium else ["chromium (apt-get install chromium)"]
    if importlib.util.find_spec("playwright") is None:
        missing.append("playwright (pip install playwright)")
    if missing:
        reason = "needs " + " and ".join(missing)
        if os.environ.get("CF_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CF_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    assert chromium is not None
    return chromium


def load_example(name: str) -> ModuleType:
    """``docs/examples/<name>.py`` as a module (examples are not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def bound_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1 (the app's address is known before it runs)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.asynccontextmanager
async def serving(app: Any, sock: socket.socket) -> AsyncIterator[None]:
    """Serve an ASGI ``app`` with uvicorn on ``sock`` in this event loop until the block ends."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task
        sock.close()
