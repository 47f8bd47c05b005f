"""The account subcommands of ``cognito-flows`` against the local Cognito served by the test
(answers on stdin, exit codes, ``--json`` output).

The commands run in this process (``cognito_flows.cli.main``, see ``tests/cli_inproc.py``):
these tests are about the commands' logic. One test per family also runs the installed
command as a real process (``subprocess=True``).
"""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import time
from pathlib import Path
from typing import Any

import attrs
import pytest

from cognito_flows.account import Account

try:
    from .cli_inproc import CliProcess, start_cli
except ImportError:  # tests/ is not a package
    from cli_inproc import CliProcess, start_cli  # type: ignore[no-redef]

PoolFactory = Any
PASSWORD = "Corr3ct-Horse!"  # the conftest's default password
NEW_PASSWORD = "N3w-Passw0rd!x"
EMAIL_POOL = {"AutoVerifiedAttributes": ["email"]}


@attrs.frozen
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


class _Subprocess:
    """The installed command as a real process (the smoke test's way to run it)."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    async def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        await self.proc.stdin.drain()

    async def stderr_line(self, timeout: float = 60) -> str:
        assert self.proc.stderr is not None
        return (await asyncio.wait_for(self.proc.stderr.readline(), timeout)).decode()

    async def finish(self, stdin: str = "", timeout: float = 120) -> Result:
        if stdin and self.proc.stdin is not None:
            try:
                self.proc.stdin.write(stdin.encode())
                await self.proc.stdin.drain()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the command ended before reading all of its input: not an error here
        out, err = await asyncio.wait_for(self.proc.communicate(), timeout)
        assert self.proc.returncode is not None
        return Result(self.proc.returncode, out.decode(), err.decode())


class Cli:
    """Runs ``cognito-flows`` against one pool of the test's emulator."""

    def __init__(self, pools: PoolFactory, pool: Any, home: Path, subprocess: bool) -> None:
        self.pools = pools
        self.pool = pool
        self.home = home
        self.subprocess = subprocess
        self.env = {"XDG_CONFIG_HOME": str(home), "PYTHONUNBUFFERED": "1"}

    def connection(self) -> list[str]:
        args = [
            "--user-pool-id",
            self.pool.user_pool_id,
            "--client-id",
            self.pool.client_id,
            "--endpoint-url",
            self.pools.local.endpoint_url,
            "--region",
            self.pools.local.region,
        ]
        return args  # the pools here are public clients (no secret)

    async def start(self, *args: str) -> CliProcess | _Subprocess:
        argv = [*args, *self.connection()]
        if not self.subprocess:
            return start_cli(*argv, env=self.env)
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "cognito_flows.cli",
            *argv,
            env={**os.environ, **self.env},
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return _Subprocess(proc)

    async def run(self, *args: str, stdin: str = "") -> Result:
        proc = await self.start(*args)
        return await self.finish(proc, stdin)

    async def finish(self, proc: CliProcess | _Subprocess, stdin: str = "") -> Result:
        result = await proc.finish(stdin)
        return Result(result.code, result.out, result.err)

    async def send(self, proc: CliProcess | _Subprocess, line: str) -> None:
        await proc.send(line)

    async def code(self, username: str, purpose: str, count: int = 1) -> str:
        """Wait until the emulator has sent ``count`` codes; the newest."""
        outbox = self.pools.local.outbox
        for _ in range(6000):
            messages = outbox.all(username=username, purpose=purpose)
            if len(messages) >= count:
                return str(messages[-1].code)
            await asyncio.sleep(0.01)
        raise AssertionError(f"no {purpose} code for {username}")

    def save_tokens(self, tokens: Any, name: str = "tokens.json") -> Path:
        path = self.home / name
        path.write_text(json.dumps(tokens.to_dict()))
        return path


@pytest.fixture
async def cli_pool(pools: PoolFactory, tmp_path: Path) -> Any:
    async def make(*, subprocess: bool = False, **settings: Any) -> Cli:
        pool = await pools.pool(**settings)
        return Cli(pools, pool, tmp_path, subprocess)

    return make


# ------------------------------------------------------------------ sign-up


async def test_sign_up_then_confirm_with_wrong_code_first(cli_pool: Any) -> None:
    cli = await cli_pool(pool_settings=EMAIL_POOL, subprocess=True)  # the family's smoke test
    result = await cli.run(
        "sign-up",
        "--username",
        "alice",
        "--attribute",
        "email=alice@example.com",
        "--password-stdin",
        "--no-confirm",
        "--json",
        stdin=PASSWORD + "\n",
    )
    assert result.code == 0, result.err
    data = result.json()
    assert data["UserConfirmed"] is False and data["UserSub"]
    assert data["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    assert PASSWORD not in result.out + result.err

    code = await cli.code("alice", "SIGN_UP")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    result = await cli.run(
        "confirm-sign-up", "--username", "alice", "--json", stdin=f"{wrong}\n{code}\n"
    )
    assert result.code == 0, result.err
    assert "CodeMismatchException" in result.err and "try again" in result.err
    assert result.json() == {"Username": "alice", "UserConfirmed": True}
    assert (await cli.pool.sign_in("alice", PASSWORD)).username == "alice"


async def test_sign_up_with_auto_sign_in_saves_tokens(cli_pool: Any) -> None:
    cli = await cli_pool(pool_settings=EMAIL_POOL)
    token_file = cli.home / "t.json"
    proc = await cli.start(
        "sign-up",
        "--username",
        "bob",
        "--attribute",
        "email=bob@example.com",
        "--auto-sign-in",
        "--save",
        str(token_file),
        "--json",
    )
    await cli.send(proc, PASSWORD)
    result = await cli.finish(proc, await cli.code("bob", "SIGN_UP") + "\n")
    assert result.code == 0, result.err
    data = result.json()
    assert data["UserConfirmed"] is True
    assert data["AuthenticationResult"]["AccessToken"]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    whoami = await cli.run("whoami", "--tokens", str(token_file), "--json")
    assert whoami.code == 0, whoami.err
    assert whoami.json()["Username"] == "bob"


async def test_resend_code_and_errors(cli_pool: Any) -> None:
    cli = await cli_pool(pool_settings=EMAIL_POOL)
    await cli.pools.user(cli.pool, "carol")
    result = await cli.run(
        "sign-up", "--username", "carol", "--password-stdin", "--json", stdin=PASSWORD + "\n"
    )
    assert result.code == 1
    assert json.loads(result.err.strip().splitlines()[-1])["error"] == "UsernameExistsException"
    result = await cli.run(
        "sign-up", "--username", "dan", "--password-stdin", "--no-confirm", stdin="weak\n"
    )
    assert result.code == 1 and "InvalidPasswordException" in result.err
    result = await cli.run(
        "sign-up",
        "--username",
        "dan",
        "--attribute",
        "email",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.code == 2 and "NAME=VALUE" in result.err

    result = await cli.run(
        "sign-up",
        "--username",
        "erin",
        "--attribute",
        "email=erin@example.com",
        "--password-stdin",
        "--no-confirm",
        stdin=PASSWORD + "\n",
    )
    assert result.code == 0, result.err
    assert "e***@e***" in result.out
    result = await cli.run("resend-code", "--username", "erin", "--json")
    assert result.code == 0, result.err
    assert result.json()["CodeDeliveryDetails"]["Destination"] == "e***@e***"
    assert len(cli.pools.local.outbox.all(username="erin", purpose="SIGN_UP")) == 2
    # stdin ends before the code: a usage error.
    result = await cli.run("confirm-sign-up", "--username", "erin")
    assert result.code == 2 and "standard input ended" in result.err


# ------------------------------------------------------------------ passwords


async def test_forgot_password_and_confirm_later(cli_pool: Any) -> None:
    cli = await cli_pool(pool_settings=EMAIL_POOL)
    await cli.pools.user(
        cli.pool, "fay", attributes={"email": "fay@example.com", "email_verified": "true"}
    )
    proc = await cli.start("forgot-password", "--username", "fay", "--json")
    code = await cli.code("fay", "FORGOT_PASSWORD")
    result = await cli.finish(proc, f"{code}\nweak\n{code}\n{NEW_PASSWORD}\n")
    assert result.code == 0, result.err
    assert "InvalidPasswordException" in result.err
    assert result.json()["PasswordReset"] is True
    assert NEW_PASSWORD not in result.out + result.err
    assert (await cli.pool.sign_in("fay", NEW_PASSWORD)).username == "fay"

    result = await cli.run("forgot-password", "--username", "fay", "--no-confirm")
    assert result.code == 0 and "confirm-forgot-password" in result.out
    code = await cli.code("fay", "FORGOT_PASSWORD", count=2)
    result = await cli.run(
        "confirm-forgot-password", "--username", "fay", stdin=f"{code}\n{PASSWORD}\n"
    )
    assert result.code == 0, result.err
    assert (await cli.pool.sign_in("fay", PASSWORD)).username == "fay"


async def test_change_password(cli_pool: Any) -> None:
    cli = await cli_pool()
    await cli.pools.user(cli.pool, "gus")
    tokens = cli.save_tokens(await cli.pool.sign_in("gus", PASSWORD))
    result = await cli.run(
        "change-password",
        "--tokens",
        str(tokens),
        "--json",
        stdin=f"Wr0ng-password!\n{NEW_PASSWORD}\n",
    )
    assert result.code == 1
    assert json.loads(result.err.strip().splitlines()[-1])["error"] == "NotAuthorizedException"
    result = await cli.run(
        "change-password", "--tokens", str(tokens), stdin=f"{PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.code == 0, result.err
    assert (await cli.pool.sign_in("gus", NEW_PASSWORD)).username == "gus"


# ------------------------------------------------------------------ tokens


async def test_whoami_access_token_and_usage_errors(cli_pool: Any) -> None:
    cli = await cli_pool()
    await cli.pools.user(cli.pool, "hal", attributes={"email": "hal@example.com"})
    tokens = await cli.pool.sign_in("hal", PASSWORD)
    result = await cli.run(
        "whoami", "--access-token", "-", "--json", stdin=tokens.access_token + "\n"
    )
    assert result.code == 0, result.err
    data = result.json()
    assert data["Username"] == "hal"
    assert data["UserAttributes"]["email"] == "hal@example.com"
    result = await cli.run("whoami", "--access-token", tokens.access_token)
    assert result.code == 0 and "username: hal" in result.out

    assert (await cli.run("whoami")).code == 2  # neither --tokens nor --access-token
    missing = await cli.run("whoami", "--tokens", str(cli.home / "nope.json"))
    assert missing.code == 2 and "cannot read" in missing.err
    bad = cli.home / "bad.json"
    bad.write_text('{"access_token": 1}')
    result = await cli.run("whoami", "--tokens", str(bad))
    assert result.code == 2 and "not a token set" in result.err
    result = await cli.run("whoami", "--access-token", "not-a-jwt")
    assert result.code == 1


async def test_refresh_rewrites_the_token_file(cli_pool: Any) -> None:
    cli = await cli_pool(
        client_settings={
            "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}
        }
    )
    await cli.pools.user(cli.pool, "ida")
    tokens = await cli.pool.sign_in("ida", PASSWORD)
    path = cli.save_tokens(tokens)
    result = await cli.run("refresh", "--tokens", str(path), "--json")
    assert result.code == 0, result.err
    saved = json.loads(path.read_text())
    assert saved["access_token"] != tokens.access_token
    assert saved["refresh_token"] != tokens.refresh_token  # rotated, and kept
    assert result.json()["AccessToken"] == saved["access_token"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # Tokens about to expire are refreshed on the way by any command, and saved.
    near = attrs.evolve(tokens.__class__.from_dict(saved), expires_at=time.time() + 5)
    path.write_text(json.dumps(near.to_dict()))
    result = await cli.run("whoami", "--tokens", str(path))
    assert result.code == 0, result.err
    again = json.loads(path.read_text())
    assert again["refresh_token"] != saved["refresh_token"]
    assert again["expires_at"] > time.time() + 60


# ------------------------------------------------------------------ MFA


async def test_mfa_setup_totp_and_prefer(cli_pool: Any) -> None:
    cli = await cli_pool(mfa="OPTIONAL")
    await cli.pools.user(cli.pool, "jon")
    path = cli.save_tokens(await cli.pool.sign_in("jon", PASSWORD))
    result = await cli.run("mfa", "prefer", "totp", "--tokens", str(path))
    assert result.code == 1 and "InvalidParameterException" in result.err

    proc = await cli.start(
        "mfa", "setup-totp", "--prefer", "--device-name", "phone", "--tokens", str(path), "--json"
    )
    secret = None
    while secret is None:
        line = await proc.stderr_line()
        assert line, "the command ended before showing the secret"
        if "secret:" in line:
            secret = line.split("secret:", 1)[1].strip()
    assert (await proc.stderr_line()).strip().startswith("uri:    otpauth://totp/")
    code = cli.pools.totp(secret)
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    result = await cli.finish(proc, f"{wrong}\n{code}\n")
    assert result.code == 0, result.err
    assert result.json() == {"TotpEnabled": True, "Preferred": True}
    assert "EnableSoftwareTokenMFAException" in result.err

    cli.pools.local.clock.advance(30)
    tokens = await cli.pool.sign_in(
        "jon", PASSWORD, handlers={"SOFTWARE_TOKEN_MFA": lambda step: cli.pools.totp(secret)}
    )
    assert tokens.username == "jon"

    result = await cli.run("mfa", "disable", "totp", "--tokens", str(path))
    assert result.code == 0, result.err
    assert (await Account(cli.pool, tokens).get_user()).mfa_settings == []
    result = await cli.run("mfa", "prefer", "totp", "--tokens", str(path), "--json")
    assert result.code == 0 and result.json() == {"PreferredMfa": "totp"}
    assert (await Account(cli.pool, tokens).get_user()).preferred_mfa == "SOFTWARE_TOKEN_MFA"


# ------------------------------------------------------------------ devices, attributes


async def test_devices_list_remember_forget(cli_pool: Any) -> None:
    cli = await cli_pool(
        pool_settings={
            "DeviceConfiguration": {
                "ChallengeRequiredOnNewDevice": False,
                "DeviceOnlyRememberedOnUserPrompt": True,
            }
        }
    )
    await cli.pools.user(cli.pool, "kim")
    first = await cli.pool.sign_in("kim", PASSWORD, remember_device=True)
    await cli.pool.device_store.delete(cli.pool.user_pool_id, "kim")
    tokens = await cli.pool.sign_in("kim", PASSWORD, remember_device=True)
    path = cli.save_tokens(tokens)
    result = await cli.run("devices", "list", "--tokens", str(path), "--json")
    assert result.code == 0, result.err
    keys = {d["DeviceKey"] for d in result.json()["Devices"]}
    assert keys == {first.device_key, tokens.device_key}
    result = await cli.run(
        "devices",
        "remember",
        str(first.device_key),
        "--not-remembered",
        "--tokens",
        str(path),
        "--json",
    )
    assert result.code == 0, result.err
    assert result.json()["RememberedStatus"] == "not_remembered"
    result = await cli.run("devices", "forget", str(first.device_key), "--tokens", str(path))
    assert result.code == 0, result.err
    result = await cli.run("devices", "list", "--tokens", str(path))
    assert result.code == 0 and str(first.device_key) not in result.out
    assert str(tokens.device_key) in result.out


async def test_verify_attribute(cli_pool: Any) -> None:
    cli = await cli_pool(pool_settings=EMAIL_POOL)
    await cli.pools.user(cli.pool, "lea", attributes={"email": "lea@example.com"})
    tokens = await cli.pool.sign_in("lea", PASSWORD)
    path = cli.save_tokens(tokens)
    proc = await cli.start("verify-attribute", "email", "--tokens", str(path), "--json")
    code = await cli.code("lea", "ATTRIBUTE_VERIFICATION")
    result = await cli.finish(proc, code + "\n")
    assert result.code == 0, result.err
    assert result.json() == {"AttributeName": "email", "Verified": True}
    info = await Account(cli.pool, tokens).get_user()
    assert info.attributes["email_verified"] == "true"


# ------------------------------------------------------------------ sign-out, delete


async def test_sign_out_revokes_and_removes_the_file(cli_pool: Any) -> None:
    cli = await cli_pool()
    await cli.pools.user(cli.pool, "max")
    tokens = await cli.pool.sign_in("max", PASSWORD)
    path = cli.save_tokens(tokens)
    result = await cli.run("sign-out", "--access-token", tokens.access_token)
    assert result.code == 2  # revoking needs the refresh token
    result = await cli.run("sign-out", "--tokens", str(path), "--json")
    assert result.code == 0, result.err
    assert result.json() == {"SignedOut": True, "Global": False}
    assert not path.exists()
    result = await cli.run("whoami", "--access-token", tokens.access_token)
    assert result.code == 1 and "NotAuthorizedException" in result.err

    other = await cli.pool.sign_in("max", PASSWORD)
    result = await cli.run("sign-out", "--global", "--access-token", other.access_token)
    assert result.code == 0, result.err
    result = await cli.run("whoami", "--access-token", other.access_token)
    assert result.code == 1


async def test_delete_user(cli_pool: Any) -> None:
    cli = await cli_pool()
    await cli.pools.user(cli.pool, "ned")
    path = cli.save_tokens(await cli.pool.sign_in("ned", PASSWORD))
    result = await cli.run("delete-user", "--tokens", str(path), stdin="someone-else\n")
    assert result.code == 1 and "Not deleted" in result.err
    result = await cli.run("delete-user", "--tokens", str(path), stdin="ned\n")
    assert result.code == 0, result.err
    assert not path.exists()
    with pytest.raises(Exception, match="NotAuthorized"):
        await cli.pool.sign_in("ned", PASSWORD)
