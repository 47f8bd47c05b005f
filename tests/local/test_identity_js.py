"""AWS's reference client, npm ``amazon-cognito-identity-js``, against the emulator: SRP,
ConfirmDevice and DEVICE_SRP_AUTH on the next sign-in, errors, sign-up + confirmation."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from cognito_local import LocalCognito

from .conftest import PASSWORD

HERE = Path(__file__).parent

pytestmark = pytest.mark.node


async def test_amazon_cognito_identity_js(local: LocalCognito, identity_js_modules: Path) -> None:
    pool_id = local.create_pool(
        "js",
        AutoVerifiedAttributes=["email"],
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
    )
    client_id, _ = local.create_client(pool_id)
    pool = local.pool(pool_id)
    user = pool.create_user("jsuser", PASSWORD)
    config = {
        "endpoint": local.endpoint_url,
        "userPoolId": pool_id,
        "clientId": client_id,
        "username": "jsuser",
        "password": PASSWORD,
    }
    proc = await asyncio.create_subprocess_exec(
        "node",
        str(HERE / "js" / "identity_js_flow.js"),
        json.dumps(config),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "NODE_PATH": str(identity_js_modules)},
    )
    stdout, stderr = await asyncio.wait_for(proc.communicate(), 600)  # a hang guard only
    assert proc.returncode == 0, stderr.decode()
    out = json.loads(stdout.decode().strip().splitlines()[-1])
    first, second = out["first"], out["second"]
    assert first["ok"] and first["deviceKey"], out
    assert first["confirmationNecessary"] is False
    assert len(user.devices) == 1 and user.devices[first["deviceKey"]].confirmed
    # the second sign-in proved the remembered device with DEVICE_SRP_AUTH
    assert second["ok"] and second["deviceKey"] == first["deviceKey"], out
    assert len(user.devices) == 1
    assert user.devices[first["deviceKey"]].last_authenticated is not None
    assert out["wrong"]["code"] == "NotAuthorizedException"
    assert out["signUp"]["ok"] and out["badConfirm"]["code"] == "CodeMismatchException"
    assert out["confirm"]["ok"] and out["newUser"]["ok"], out
