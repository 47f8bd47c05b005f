"""``python -m cognito_local``: the JSON line, real calls, SIGTERM, config files."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import pytest
from pycognito.aws_srp import AWSSRP

from cognito_local.cli import main

from .conftest import PASSWORD


def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_local", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    try:
        info: dict[str, Any] = json.loads(line)
    except ValueError:
        proc.kill()
        raise AssertionError(
            f"no JSON line: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        ) from None
    return proc, info


def stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()


def client(info: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp",
        region_name=info["region"],
        endpoint_url=info["endpoint_url"],
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )


def outbox(info: dict[str, Any], username: str) -> list[dict[str, Any]]:
    url = f"{info['endpoint_url']}/_local/outbox?username={username}"
    with urllib.request.urlopen(url, timeout=120) as response:
        return list(json.load(response)["messages"])


def test_json_line_calls_and_sigterm() -> None:
    proc, info = start()
    try:
        assert set(info) == {
            "endpoint_url",
            "region",
            "user_pool_id",
            "client_id",
            "secret_client_id",
            "client_secret",
        }
        assert info["endpoint_url"].startswith("http://127.0.0.1:")
        idp = client(info)
        idp.admin_create_user(
            UserPoolId=info["user_pool_id"],
            Username="cli",
            TemporaryPassword=PASSWORD,
            MessageAction="SUPPRESS",
            UserAttributes=[
                {"Name": "email", "Value": "cli@example.com"},
                {"Name": "email_verified", "Value": "true"},
            ],
        )
        idp.admin_set_user_password(
            UserPoolId=info["user_pool_id"], Username="cli", Password=PASSWORD, Permanent=True
        )
        srp = AWSSRP(
            "cli",
            PASSWORD,
            info["user_pool_id"],
            info["secret_client_id"],
            client=idp,
            client_secret=info["client_secret"],
        )
        assert "AccessToken" in srp.authenticate_user()["AuthenticationResult"]
        # command mode: custom auth answers with a code sent by e-mail
        step = idp.initiate_auth(
            AuthFlow="CUSTOM_AUTH", ClientId=info["client_id"], AuthParameters={"USERNAME": "cli"}
        )
        assert step["ChallengeName"] == "CUSTOM_CHALLENGE"
        code = outbox(info, "cli")[-1]["code"]
        done = idp.respond_to_auth_challenge(
            ClientId=info["client_id"],
            ChallengeName="CUSTOM_CHALLENGE",
            Session=step["Session"],
            ChallengeResponses={"USERNAME": "cli", "ANSWER": code},
        )
        assert "AccessToken" in done["AuthenticationResult"]
    finally:
        assert stop(proc) == 0
    assert proc.stdout is not None
    assert proc.stdout.read() == ""  # exactly one line


def test_config_file(tmp_path: Path) -> None:
    config = {
        "region": "eu-west-1",
        "mfa": "ON",
        "mfa_methods": ["SOFTWARE_TOKEN_MFA"],
        "password_policy": {
            "MinimumLength": 6,
            "RequireUppercase": False,
            "RequireLowercase": False,
            "RequireNumbers": False,
            "RequireSymbols": False,
        },
        "username_attributes": ["email"],
        "device_tracking": {
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
        "users": [
            {
                "username": "cfg@example.com",
                "password": "simple",
                "mfa": "SOFTWARE_TOKEN_MFA",
                "totp_secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            }
        ],
        "custom_auth": None,
    }
    path = tmp_path / "local.json"
    path.write_text(json.dumps(config))
    proc, info = start("--config", str(path))
    try:
        assert info["region"] == "eu-west-1"
        assert info["user_pool_id"].startswith("eu-west-1_")
        idp = client(info)
        pool = idp.describe_user_pool(UserPoolId=info["user_pool_id"])["UserPool"]
        assert pool["MfaConfiguration"] == "ON"
        assert pool["UsernameAttributes"] == ["email"]
        assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 6
        assert "DeviceConfiguration" in pool
        step = idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=info["client_id"],
            AuthParameters={"USERNAME": "cfg@example.com", "PASSWORD": "simple"},
        )
        assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
        with pytest.raises(idp.exceptions.InvalidParameterException):
            idp.initiate_auth(
                AuthFlow="CUSTOM_AUTH",
                ClientId=info["client_id"],
                AuthParameters={"USERNAME": "cfg@example.com"},
            )
    finally:
        assert stop(proc) == 0


def test_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "0.0.0.0"]) == 2
    bad = tmp_path / "bad.json"
    bad.write_text('{"nonsense": 1}')
    assert main(["--config", str(bad)]) == 2
    assert "nonsense" in capsys.readouterr().err
