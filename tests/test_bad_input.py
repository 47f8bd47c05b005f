"""Bad host input and a --save that cannot be written (issue 13, items 6 and 9).

* A user name that is not valid Unicode (lone surrogates: what Python makes of invalid
  UTF-8 in argv) is an InvalidAnswerError, as a password already is; the CLI prints one
  line.
* ``sign-in --save`` to a path that cannot be written prints the tokens first, then one
  error line, exit status 1: never a traceback that loses a successful sign-in.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cognito_flows import InvalidAnswerError, UserPool
from cognito_flows.cli import main
from cognito_flows.inputs import require_username

from .conftest import PASSWORD, PoolFactory

SURROGATE_NAMES = ["al\udcffice", "\ud800", "bob\udc80@example.com", "\udfff\ud800"]


@pytest.mark.parametrize("name", SURROGATE_NAMES)
def test_require_username_refuses_lone_surrogates(name: str) -> None:
    with pytest.raises(InvalidAnswerError) as caught:
        require_username(name)
    assert name not in str(caught.value)


@pytest.mark.parametrize("name", ["", "  ", None, 5, b"alice"])
def test_require_username_refuses_empty_and_non_text(name: Any) -> None:
    with pytest.raises(InvalidAnswerError):
        require_username(name)


def test_require_username_keeps_good_names() -> None:
    for name in ("alice", "jörg-Ünïcødé-用户", "a@example.com", "+15555550100"):
        assert require_username(name) == name


@pytest.mark.parametrize("name", SURROGATE_NAMES[:2])
@pytest.mark.parametrize("kind", ["sign_in", "sign_up", "confirm_sign_up", "forgot_password"])
def test_pool_refuses_a_surrogate_user_name(kind: str, name: str) -> None:
    pool = UserPool("us-east-1_Input1", "client", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(InvalidAnswerError):
        if kind == "sign_in":
            pool.sign_in_flow(name, PASSWORD)
        elif kind == "sign_up":
            pool.sign_up_flow(name, PASSWORD)
        elif kind == "confirm_sign_up":
            pool.confirm_sign_up_flow(name)
        else:
            pool.forgot_password_flow(name)


# --------------------------------------------------------------------------------------
# The CLI, in process (its logic) and once as a real process (argv bytes).


@pytest.fixture
async def cli_env(pools: PoolFactory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    pool = await pools.pool()
    await pools.user(pool, "alice")
    env = {
        "COGNITO_USER_POOL_ID": pool.user_pool_id,
        "COGNITO_CLIENT_ID": pool.client_id,
        "COGNITO_ENDPOINT_URL": pools.local.endpoint_url,
        "AWS_REGION": pools.local.region,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("COGNITO_CLIENT_SECRET", raising=False)
    return env


def _cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str, str]:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _sign_in_args(*extra: str, username: str = "alice") -> list[str]:
    return ["sign-in", "--username", username, "--flow", "password", "--password-stdin", *extra]


async def _in_thread(fn: Any) -> Any:
    """Run the CLI's own ``asyncio.run`` in a thread, while this loop serves the emulator."""
    return await asyncio.to_thread(fn)


@pytest.mark.parametrize("as_json", [False, True])
async def test_cli_surrogate_user_name_is_one_line(
    cli_env: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], as_json: bool
) -> None:
    args = _sign_in_args(*(["--json"] if as_json else []), username="al\udcffice")
    code, out, err = await _in_thread(lambda: _cli(monkeypatch, capsys, *args))
    assert code == 1
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert "InvalidAnswerError" in err and "Traceback" not in err


def _unwritable(tmp_path: Path) -> dict[str, Path]:
    """Paths that cannot be written, also as root (no permission bits involved)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    directory = tmp_path / "a-directory"
    directory.mkdir()
    (directory / "keep").write_text("x")
    return {
        "parent is a file": blocker / "tokens.json",
        "target is a directory": directory,
        "parent of parent is a file": blocker / "sub" / "tokens.json",
    }


@pytest.mark.parametrize("case", ["parent is a file", "target is a directory"])
@pytest.mark.parametrize("as_json", [False, True])
async def test_cli_save_failure_keeps_the_sign_in(
    cli_env: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    case: str,
    as_json: bool,
) -> None:
    target = _unwritable(tmp_path)[case]
    args = _sign_in_args("--save", str(target), *(["--json"] if as_json else []))
    code, out, err = await _in_thread(lambda: _cli(monkeypatch, capsys, *args))
    assert code == 1
    if as_json:
        assert json.loads(out)["AccessToken"]
        assert json.loads(err)["error"] == "SaveFailed"
    else:
        assert "Signed in as alice" in out and "AccessToken:" in out
        assert err.startswith("error: SaveFailed:") and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert PASSWORD not in out + err
    access = json.loads(out)["AccessToken"] if as_json else out.split("AccessToken: ")[1][:40]
    assert access not in err  # the error line names the path, never a token


async def test_cli_save_still_works(
    cli_env: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    target = tmp_path / "deep" / "tokens.json"
    code, _out, err = await _in_thread(
        lambda: _cli(monkeypatch, capsys, *_sign_in_args("--save", str(target)))
    )
    assert code == 0, err
    assert json.loads(target.read_text())["access_token"]
    assert target.stat().st_mode & 0o077 == 0


async def test_cli_invalid_utf8_argv_in_a_real_process(cli_env: Any) -> None:
    """The bytes of the command line, as a shell passes them: one line, exit 1."""
    env = {**os.environ, **cli_env}
    result = await asyncio.to_thread(
        subprocess.run,
        [
            os.fsencode(sys.executable),
            b"-m",
            b"cognito_flows.cli",
            b"sign-in",
            b"--username",
            b"al\xffice",
            b"--flow",
            b"password",
            b"--password-stdin",
        ],
        input=(PASSWORD + "\n").encode(),
        capture_output=True,
        env=env,
        timeout=120,
    )
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, err
    assert len(err.strip().splitlines()) == 1, err
    assert "not valid Unicode" in err
