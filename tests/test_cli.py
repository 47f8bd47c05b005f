"""The ``cognito-flows`` command, run as a real subprocess against the local Cognito."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pyotp
import pytest

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


def _run(
    server: dict[str, Any],
    *args: str,
    stdin: str = "",
    env: dict[str, str] | None = None,
    tmp: Any = None,
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "COGNITO_USER_POOL_ID": server["user_pool_id"],
        "COGNITO_CLIENT_ID": server["client_id"],
        "COGNITO_ENDPOINT_URL": server["endpoint_url"],
        "AWS_REGION": server["region"],
        "XDG_CONFIG_HOME": str(tmp) if tmp else os.environ.get("XDG_CONFIG_HOME", ""),
    }
    full_env.pop("COGNITO_CLIENT_SECRET", None)
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cognito_flows.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def test_sign_in_json(server: dict[str, Any], admin: Any, tmp_path: Any) -> None:
    _user(admin, server, "cli-alice")
    result = _run(
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
