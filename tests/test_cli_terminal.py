"""``cognito-flows`` in a real terminal (a pseudo-terminal it has as its controlling tty):
Ctrl-C at a prompt, the terminal's echo afterwards, and the TOTP QR code as a terminal
shows it, decoded with a QR decoder on a light and on a dark theme.

Nothing here waits for a fixed time: each step waits for the text the command prints (or
for the process to end), with a generous deadline only to turn a hang into a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pytest

try:
    from .conftest import PASSWORD, PoolFactory
except ImportError:  # tests/ is not a package
    from conftest import PASSWORD, PoolFactory  # type: ignore[no-redef]

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="needs a Linux pty")

HANG = 60.0  # a deadline that only a hang reaches


def _controlling_tty() -> None:  # pragma: no cover - runs in the child
    import fcntl

    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Pty:
    """A child process whose stdin, stdout and stderr are one pseudo-terminal."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.master, self.slave = os.openpty()
        os.set_blocking(self.master, False)
        self.output = b""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cognito_flows.cli", *args],
            stdin=self.slave,
            stdout=self.slave,
            stderr=self.slave,
            env={**os.environ, "TERM": "xterm", **(env or {})},
            start_new_session=True,
            preexec_fn=_controlling_tty,
            close_fds=True,
        )

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except BlockingIOError:
                return
            except OSError:  # EIO: the child closed the terminal
                return
            if not chunk:
                return
            self.output += chunk

    async def expect(self, text: str) -> None:
        """Wait until the terminal shows ``text``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HANG
        while text.encode() not in self.output:
            readable = asyncio.Event()
            loop.add_reader(self.master, readable.set)
            try:
                await asyncio.wait_for(readable.wait(), max(0.0, deadline - loop.time()))
            except asyncio.TimeoutError:
                raise AssertionError(
                    f"{text!r} never shown; the terminal shows:\n{self.text}"
                ) from None
            finally:
                loop.remove_reader(self.master)
            self._drain()

    def echo(self) -> bool:
        """Whether the terminal echoes what is typed."""
        return bool(termios.tcgetattr(self.slave)[3] & termios.ECHO)

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    async def exit_code(self) -> int:
        """Wait for the process to end (reading what it prints meanwhile)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + HANG
        while self.proc.poll() is None:
            assert loop.time() < deadline, f"the command hangs; it shows:\n{self.text}"
            self._drain()
            await asyncio.sleep(0.05)
        self._drain()
        return self.proc.returncode

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def pty_cli() -> Any:
    opened: list[Pty] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Pty:
        term = Pty(*args, env=env)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()


CONNECTION = [
    "--user-pool-id",
    "eu-west-1_NoCalls",
    "--client-id",
    "no-calls",
    "--endpoint-url",
    "http://127.0.0.1:9",  # never reached: Ctrl-C comes first
]


@pytest.mark.parametrize("presses", [1, 3], ids=["once", "repeatedly"])
async def test_ctrl_c_at_the_password_prompt_exits_130_and_restores_echo(
    pty_cli: Any, tmp_path: Path, presses: int
) -> None:
    term = pty_cli(
        "sign-in", "--username", "alice", *CONNECTION, env={"XDG_CONFIG_HOME": str(tmp_path)}
    )
    await term.expect("Password: ")
    assert not term.echo()  # getpass turned echo off before it asked
    term.type(b"\x03" * presses)
    assert await term.exit_code() == 130, term.text
    assert "interrupted" in term.text
    assert "Traceback" not in term.text
    assert term.echo(), "the terminal was left without echo"


async def _token_file(pools: PoolFactory, home: Path) -> tuple[Any, Path]:
    pool = await pools.pool(mfa="OPTIONAL")
    await pools.user(pool, "qr-user")
    tokens = await pool.sign_in("qr-user", PASSWORD)
    path = home / "tokens.json"
    path.write_text(json.dumps(tokens.to_dict()))
    return pool, path


def _connection(pools: PoolFactory, pool: Any) -> list[str]:
    return [
        "--user-pool-id",
        pool.user_pool_id,
        "--client-id",
        pool.client_id,
        "--endpoint-url",
        pools.local.endpoint_url,
        "--region",
        pools.local.region,
    ]


async def test_totp_qr_code_decodes_on_light_and_dark_terminals_and_ctrl_c_at_a_code_prompt(
    pools: PoolFactory, pty_cli: Any, tmp_path: Path
) -> None:
    pool, path = await _token_file(pools, tmp_path)
    term = pty_cli(
        "mfa",
        "setup-totp",
        "--tokens",
        str(path),
        *_connection(pools, pool),
        env={"XDG_CONFIG_HOME": str(tmp_path)},
    )
    await term.expect("Code from the authenticator app: ")
    uri = re.search(r"uri:\s+(otpauth://\S+)", term.text)
    assert uri is not None, term.text
    for theme in ("light", "dark"):
        assert decode_qr(term.text, theme=theme) == uri.group(1), theme

    assert term.echo()
    term.type(b"\x03")  # at a prompt that reads a line (not getpass)
    assert await term.exit_code() == 130, term.text
    assert "Traceback" not in term.text
    assert term.echo()


# ------------------------------------------------------------------ a terminal, drawn

THEMES = {"light": (0, 255), "dark": (230, 20)}  # (foreground, background) grey levels
ANSI_GREY = {30: 0, 37: 200, 90: 100, 97: 255, 40: 0, 47: 200, 100: 100, 107: 255}
SGR = re.compile(r"\x1b\[([0-9;]*)m")


def render(text: str, *, theme: str, scale: int = 4) -> tuple[bytes, int, int]:
    """Draw terminal output as a grey image, as a terminal with ``theme`` would: block
    characters in the foreground colour, spaces in the background, SGR colours applied."""
    default_fg, default_bg = THEMES[theme]
    rows: list[list[int]] = []
    for line in text.replace("\r", "").split("\n"):
        if not any(ch in line for ch in "\u2580\u2584\u2588") and "\x1b[" not in line:
            if rows:
                break  # the code has ended
            continue  # lines before the code
        fg, bg = default_fg, default_bg
        top: list[int] = []
        bottom: list[int] = []
        pos = 0
        for match in [*SGR.finditer(line), None]:
            end = match.start() if match else len(line)
            for ch in line[pos:end]:
                upper = fg if ch in "\u2580\u2588" else bg
                lower = fg if ch in "\u2584\u2588" else bg
                top.append(upper)
                bottom.append(lower)
            if match is None:
                break
            pos = match.end()
            for code in [int(c) for c in match.group(1).split(";") if c] or [0]:
                if code == 0:
                    fg, bg = default_fg, default_bg
                elif code == 7:
                    fg, bg = bg, fg
                elif 30 <= code <= 37 or 90 <= code <= 97:
                    fg = ANSI_GREY.get(code, 128)
                elif 40 <= code <= 47 or 100 <= code <= 107:
                    bg = ANSI_GREY.get(code, 128)
        rows += [top, bottom]
    assert rows, "no QR code in the output"
    width = max(len(r) for r in rows)
    pixels = bytearray()
    for row in rows:
        row = row + [default_bg] * (width - len(row))  # the terminal's own background
        line = bytes(v for v in row for _ in range(scale))
        pixels += line * scale
    # A margin of the terminal's background around the code, as on a screen.
    margin = 8 * scale
    full_width = width * scale + 2 * margin
    framed = bytearray(bytes([default_bg]) * full_width * margin)
    for y in range(len(rows) * scale):
        framed += bytes([default_bg]) * margin
        framed += pixels[y * width * scale : (y + 1) * width * scale]
        framed += bytes([default_bg]) * margin
    framed += bytes([default_bg]) * full_width * margin
    return bytes(framed), full_width, len(rows) * scale + 2 * margin


def decode_qr(text: str, *, theme: str) -> str | None:
    """The QR code in terminal output as a phone would read it off the screen: dark modules
    on light only (``try_invert=False``: many scanners do not read inverted codes)."""
    zxingcpp = pytest.importorskip("zxingcpp")
    pixels, width, height = render(text, theme=theme)
    image = memoryview(pixels).cast("B", (height, width))
    found = zxingcpp.read_barcodes(image, try_invert=False)
    return found[0].text if found else None


def test_segnos_own_compact_output_fails_on_a_light_terminal() -> None:
    """What the CLI printed before: light modules in the foreground colour. A scanner reads
    it on a dark theme only, which is why the CLI sets both colours itself."""
    import io

    import segno

    uri = "otpauth://totp/pool:alice?secret=JBSWY3DPEHPK3PXP&issuer=pool"
    out = io.StringIO()
    segno.make(uri).terminal(out=out, compact=True)
    assert decode_qr(out.getvalue(), theme="dark") == uri
    assert decode_qr(out.getvalue(), theme="light") is None

    from cognito_flows.cli.sign_in import qr_for_terminal

    for theme in THEMES:
        assert decode_qr(qr_for_terminal(uri), theme=theme) == uri
