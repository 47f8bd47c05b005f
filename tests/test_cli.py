"""The ``cognito-flows`` command against the local Cognito (served by a ``python -m
cognito_local`` process): in this process where the test is about the command's logic
(``tests/cli_inproc.py``), as a real process for one smoke test per command family and
where the process itself is the subject (exit codes on a closed pipe)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pyotp
import pytest

try:
    from .cli_inproc import run_cli
except ImportError:  # tests/ is not a package
    from cli_inproc import run_cli  # type: ignore[no-redef]

PASSWORD = "Cli-Passw0rd!"


@pytest.fixture(scope="module")
def server() -> Iterator[dict[str, Any]]:
    """``python -m cognito_local --port 0`` and its JSON line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_local", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    info: dict[str, Any] = json.loads(proc.stdout.readline())
    yield info
    proc.terminate()
    assert proc.wait(10) == 0


@pytest.fixture(scope="module")
def admin(server: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp",
        region_name=server["region"],
        endpoint_url=server["endpoint_url"],
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )


def _user(admin: Any, server: dict[str, Any], name: str) -> None:
    admin.admin_create_user(
        UserPoolId=server["user_pool_id"],
        Username=name,
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
    )
    admin.admin_set_user_password(
        UserPoolId=server["user_pool_id"], Username=name, Password=PASSWORD, Permanent=True
    )


def _env(server: dict[str, Any], tmp: Any, env: dict[str, str] | None) -> dict[str, str]:
    full_env = {
        "COGNITO_USER_POOL_ID": server["user_pool_id"],
        "COGNITO_CLIENT_ID": server["client_id"],
        "COGNITO_ENDPOINT_URL": server["endpoint_url"],
        "AWS_REGION": server["region"],
        "COGNITO_CLIENT_SECRET": "",
        "XDG_CONFIG_HOME": str(tmp) if tmp else os.environ.get("XDG_CONFIG_HOME", ""),
    }
    full_env.update(env or {})
    return full_env


def _process(
    server: dict[str, Any],
    *args: str,
    stdin: str = "",
    env: dict[str, str] | None = None,
    tmp: Any = None,
) -> subprocess.CompletedProcess[str]:
    """The installed command as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "cognito_flows.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **_env(server, tmp, env)},
        timeout=120,
    )


def _run(
    server: dict[str, Any],
    *args: str,
    stdin: str = "",
    env: dict[str, str] | None = None,
    tmp: Any = None,
) -> subprocess.CompletedProcess[str]:
    """The command in this process (``cognito_flows.cli.main``), in a thread of its own."""

    async def run() -> Any:
        return await run_cli(*args, stdin=stdin, env=_env(server, tmp, env))

    result = asyncio.run(run())
    return subprocess.CompletedProcess(list(args), result.code, result.out, result.err)


def test_sign_in_json(server: dict[str, Any], admin: Any, tmp_path: Any) -> None:
    _user(admin, server, "cli-alice")
    result = _process(  # the sign-in family's smoke test: the installed process
        server,
        "sign-in",
        "--username",
        "cli-alice",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    tokens = json.loads(result.stdout)
    assert set(tokens) >= {"AccessToken", "IdToken", "RefreshToken", "ExpiresIn", "TokenType"}
    assert PASSWORD not in result.stderr


def test_sign_in_password_flow_saves_tokens(
    server: dict[str, Any], admin: Any, tmp_path: Any
) -> None:
    _user(admin, server, "cli-bob")
    target = tmp_path / "tokens.json"
    result = _run(
        server,
        "sign-in",
        "--username",
        "cli-bob",
        "--flow",
        "password",
        "--password-stdin",
        "--save",
        str(target),
        stdin=PASSWORD + "\n",
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Signed in as cli-bob" in result.stdout
    assert target.stat().st_mode & 0o077 == 0
    assert json.loads(target.read_text())


def test_wrong_password_exits_1_with_one_line(
    server: dict[str, Any], admin: Any, tmp_path: Any
) -> None:
    _user(admin, server, "cli-carol")
    result = _run(
        server,
        "sign-in",
        "--username",
        "cli-carol",
        "--password-stdin",
        stdin="Wrong-Passw0rd!\n",
        tmp=tmp_path,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "NotAuthorizedException" in lines[0], result.stderr
    assert "Wrong-Passw0rd!" not in result.stderr


def test_usage_errors_exit_2(server: dict[str, Any], tmp_path: Any) -> None:
    result = _run(
        server,
        "sign-in",
        "--username",
        "x",
        "--password-stdin",
        stdin="pw\n",
        env={"COGNITO_CLIENT_ID": ""},
        tmp=tmp_path,
    )
    assert result.returncode == 2
    result = _run(server, "sign-in", tmp=tmp_path)  # --username missing
    assert result.returncode == 2
    result = _run(server, "sign-in", "--username", "x", "--password-stdin", tmp=tmp_path)
    assert result.returncode == 2  # empty stdin


def test_totp_answers_read_from_stdin(server: dict[str, Any], admin: Any, tmp_path: Any) -> None:
    pool_id = server["user_pool_id"]
    admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    _user(admin, server, "cli-dave")
    public = boto3.client(
        "cognito-idp",
        region_name=server["region"],
        endpoint_url=server["endpoint_url"],
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    auth = public.initiate_auth(
        ClientId=server["client_id"],
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "cli-dave", "PASSWORD": PASSWORD},
    )
    access = auth["AuthenticationResult"]["AccessToken"]
    secret = public.associate_software_token(AccessToken=access)["SecretCode"]
    public.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())
    public.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    # TOTP codes are single-use per 30 s window; the next window's code is accepted (+-1).
    import time

    code = pyotp.TOTP(secret).at(time.time() + 30)
    result = _run(
        server,
        "sign-in",
        "--username",
        "cli-dave",
        "--password-stdin",
        "--json",
        "--no-remember-device",
        stdin=f"{PASSWORD}\n{code}\n",
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "Authenticator code" in result.stderr
    assert code not in result.stderr


def test_demo_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cognito_flows.cli", "demo"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every step behaved as expected" in result.stdout
    assert "[FAILED]" not in result.stdout
    for state in (
        "PASSWORD_VERIFIER",
        "MFA_SETUP_SOFTWARE_TOKEN",
        "NEW_PASSWORD_REQUIRED",
        "CUSTOM_CHALLENGE",
        "DEVICE_PASSWORD_VERIFIER",
    ):
        assert state in result.stdout


def test_saved_tokens_are_not_printed_unless_asked(
    server: dict[str, Any], admin: Any, tmp_path: Any
) -> None:
    _user(admin, server, "cli-erin")
    target = tmp_path / "tokens.json"
    args = ["sign-in", "--username", "cli-erin", "--flow", "password", "--password-stdin"]
    result = _run(server, *args, "--save", str(target), stdin=PASSWORD + "\n", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    saved = json.loads(target.read_text())
    for secret in (saved["access_token"], saved["id_token"], saved["refresh_token"]):
        assert secret not in result.stdout + result.stderr
    assert f"Tokens saved to {target}" in result.stdout
    # --json asks for them: printed as well as saved.
    result = _run(
        server, *args, "--save", str(target), "--json", stdin=PASSWORD + "\n", tmp=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (
        json.loads(result.stdout)["AccessToken"] == json.loads(target.read_text())["access_token"]
    )


@pytest.mark.parametrize("url", ["127.0.0.1:9229", "localhost", "ftp://127.0.0.1:9229"])
def test_endpoint_without_a_scheme_is_one_usage_line(
    server: dict[str, Any], tmp_path: Any, url: str
) -> None:
    result = _run(
        server,
        "whoami",
        "--access-token",
        "x",
        "--endpoint-url",
        url,
        tmp=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--endpoint-url" in lines[0] and "http://" in lines[0], lines
    assert "Traceback" not in result.stderr


def test_local_on_a_busy_port_is_one_line_exit_1(tmp_path: Any) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = asyncio.run(run_cli("local", "--port", str(port)))
    assert result.code == 1, result.err
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and str(port) in lines[0] and "in use" in lines[0], lines
    assert result.out == ""


@pytest.mark.parametrize(
    "args",
    [["diagram", "sign_in"], ["diagram", "sign_up", "--format", "markdown"]],
    ids=["mermaid", "markdown"],
)
def test_stdout_closed_early_is_no_traceback(args: list[str]) -> None:
    """``cognito-flows ... | head``: the reader has gone before the command writes. The
    pipe's reading end is closed before the process starts, so every write fails (no race
    with a reader)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "cognito_flows.cli", *args],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
