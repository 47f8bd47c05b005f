"""Remembered devices: NewDeviceMetadata, ConfirmDevice, DEVICE_SRP_AUTH /
DEVICE_PASSWORD_VERIFIER, MFA skipping, device operations, device-bound refresh."""

from __future__ import annotations

import base64
from typing import Any

import jwt
import pytest

from cognito_flows import srp
from cognito_local import LocalCognito

from .conftest import PASSWORD, Srp, fails, timestamp, totp


class DevicePool:
    def __init__(
        self,
        local: LocalCognito,
        idp: Any,
        make_srp: Any,
        *,
        prompt: bool = False,
        mfa: str = "OFF",
    ) -> None:
        settings: dict[str, Any] = {
            "DeviceConfiguration": {
                "ChallengeRequiredOnNewDevice": True,
                "DeviceOnlyRememberedOnUserPrompt": prompt,
            }
        }
        if mfa != "OFF":
            settings.update(MfaConfiguration=mfa, SoftwareTokenMfaConfiguration={"Enabled": True})
        self.pool_id = local.create_pool("devices", **settings)
        self.client_id, _ = local.create_client(self.pool_id)
        self.local = local
        self.idp = idp
        self.srp: Srp = make_srp(pool_id=self.pool_id, client_id=self.client_id)
        self.user_id = ""

    async def sign_in(self, username: str, **kwargs: Any) -> dict[str, Any]:
        self.user_id = username
        return await self.srp.sign_in(username, PASSWORD, **kwargs)

    async def remember(self, username: str) -> tuple[dict[str, Any], srp.DeviceSecret]:
        result = await self.srp.sign_in(username, PASSWORD)
        tokens = result["AuthenticationResult"]
        meta = tokens["NewDeviceMetadata"]
        secret = srp.generate_device_secret(meta["DeviceGroupKey"], meta["DeviceKey"])
        await self.idp.confirm_device(
            AccessToken=tokens["AccessToken"],
            DeviceKey=meta["DeviceKey"],
            DeviceSecretVerifierConfig=secret.verifier_config,
            DeviceName="laptop",
        )
        return tokens, secret

    async def device_sign_in(
        self,
        challenge: dict[str, Any],
        meta: dict[str, str],
        secret: srp.DeviceSecret,
        *,
        password: str | None = None,
    ) -> dict[str, Any]:
        assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"
        user_id = self.user_id
        eph = srp.start_ephemeral()
        step = await self.idp.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": user_id,
                "DEVICE_KEY": meta["DeviceKey"],
                "SRP_A": eph.srp_a,
            },
        )
        assert step["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
        responses = srp.device_password_verifier_response(
            eph,
            step["ChallengeParameters"],
            device_group_key=meta["DeviceGroupKey"],
            device_key=meta["DeviceKey"],
            device_password=password or secret.device_password,
            user_id_for_srp=step["ChallengeParameters"]["USERNAME"],
            timestamp=timestamp(self.local),
        )
        result: dict[str, Any] = await self.idp.respond_to_auth_challenge(
            ClientId=self.client_id,
            ChallengeName="DEVICE_PASSWORD_VERIFIER",
            Session=step["Session"],
            ChallengeResponses=responses,
        )
        return result


def meta_of(tokens: dict[str, Any]) -> dict[str, str]:
    return dict(tokens["NewDeviceMetadata"])


async def test_device_srp_after_confirm_device(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("dan", PASSWORD)
    tokens, secret = await dp.remember("dan")
    meta = meta_of(tokens)
    assert meta["DeviceKey"].startswith("us-east-1_")
    claims = jwt.decode(tokens["AccessToken"], options={"verify_signature": False})
    assert claims["device_key"] == meta["DeviceKey"]
    challenge = await dp.sign_in("dan", device_key=meta["DeviceKey"])
    result = await dp.device_sign_in(challenge, meta, secret)
    new_tokens = result["AuthenticationResult"]
    assert "NewDeviceMetadata" not in new_tokens
    claims = jwt.decode(new_tokens["AccessToken"], options={"verify_signature": False})
    assert claims["device_key"] == meta["DeviceKey"]
    device = (
        await idp.get_device(AccessToken=new_tokens["AccessToken"], DeviceKey=meta["DeviceKey"])
    )["Device"]
    attrs = {a["Name"]: a["Value"] for a in device["DeviceAttributes"]}
    assert attrs["device_name"] == "laptop"
    assert attrs["dev:device_remembered_status"] == "remembered"
    assert "DeviceLastAuthenticatedDate" in device


async def test_wrong_device_password(local: LocalCognito, idp: Any, make_srp: Any) -> None:
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("dot", PASSWORD)
    tokens, secret = await dp.remember("dot")
    meta = meta_of(tokens)
    challenge = await dp.sign_in("dot", device_key=meta["DeviceKey"])
    wrong = base64.b64encode(b"\x01" * 40).decode()
    await fails(
        dp.device_sign_in(challenge, meta, secret, password=wrong),
        "NotAuthorizedException",
        "Incorrect username or password.",
    )


async def test_device_challenge_without_session(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    """AWS's Python sign_in_with_tracked_device and Java DeviceAuthDemo answer
    DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER without a Session."""
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("del", PASSWORD)
    tokens, secret = await dp.remember("del")
    meta = meta_of(tokens)
    stranger = {
        "USERNAME": "del",
        "DEVICE_KEY": f"{local.region}_00000000-0000-0000-0000-000000000000",
        "SRP_A": srp.start_ephemeral().srp_a,
    }
    challenge = await dp.srp.sign_in("del", PASSWORD, device_key=meta["DeviceKey"])
    assert challenge["ChallengeName"] == "DEVICE_SRP_AUTH"
    # Without a Session the challenge is found by the device key it was issued for only.
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=dp.client_id, ChallengeName="DEVICE_SRP_AUTH", ChallengeResponses=stranger
        ),
        "InvalidParameterException",
        "Missing required parameter Session",
    )
    eph = srp.start_ephemeral()
    step = await idp.respond_to_auth_challenge(
        ClientId=dp.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        ChallengeResponses={"USERNAME": "del", "DEVICE_KEY": meta["DeviceKey"], "SRP_A": eph.srp_a},
    )
    assert step["ChallengeName"] == "DEVICE_PASSWORD_VERIFIER"
    responses = srp.device_password_verifier_response(
        eph,
        step["ChallengeParameters"],
        device_group_key=meta["DeviceGroupKey"],
        device_key=meta["DeviceKey"],
        device_password=secret.device_password,
        user_id_for_srp=step["ChallengeParameters"]["USERNAME"],
        timestamp=timestamp(local),
    )
    result = await idp.respond_to_auth_challenge(
        ClientId=dp.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        ChallengeResponses=responses,
    )
    assert "AccessToken" in result["AuthenticationResult"]
    # The challenge was used once: answering it again without a Session finds nothing.
    await fails(
        idp.respond_to_auth_challenge(
            ClientId=dp.client_id,
            ChallengeName="DEVICE_SRP_AUTH",
            ChallengeResponses={**stranger, "DEVICE_KEY": meta["DeviceKey"]},
        ),
        "InvalidParameterException",
        "Missing required parameter Session",
    )


async def test_unknown_device_keeps_the_password_session(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("don", PASSWORD)
    eph, first = await dp.srp.start("don")
    responses = dp.srp.answer(eph, first, PASSWORD)
    responses["DEVICE_KEY"] = "us-east-1_00000000-0000-0000-0000-000000000000"
    await fails(dp.srp.verify(responses), "ResourceNotFoundException", "Device does not exist.")
    del responses["DEVICE_KEY"]  # what amazon-cognito-identity-js does next
    result = await dp.srp.verify(responses)
    assert "NewDeviceMetadata" in result["AuthenticationResult"]


async def test_unconfirmed_device_is_not_a_device(
    local: LocalCognito, idp: Any, make_srp: Any
) -> None:
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("dee", PASSWORD)
    first = (await dp.srp.sign_in("dee", PASSWORD))["AuthenticationResult"]
    await fails(
        dp.srp.sign_in("dee", PASSWORD, device_key=meta_of(first)["DeviceKey"]),
        "ResourceNotFoundException",
        "Device does not exist.",
    )
    await fails(
        idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=dp.client_id,
            AuthParameters={
                "USERNAME": "dee",
                "PASSWORD": PASSWORD,
                "DEVICE_KEY": meta_of(first)["DeviceKey"],
            },
        ),
        "ResourceNotFoundException",
        "Device does not exist.",
    )


async def test_remembered_device_skips_mfa(local: LocalCognito, idp: Any, make_srp: Any) -> None:
    dp = DevicePool(local, idp, make_srp, prompt=True, mfa="OPTIONAL")
    user = local.pool(dp.pool_id).create_user("mia", PASSWORD, mfa="SOFTWARE_TOKEN_MFA")
    first = await dp.sign_in("mia")
    assert first["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = await idp.respond_to_auth_challenge(
        ClientId=dp.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=first["Session"],
        ChallengeResponses={
            "USERNAME": "mia",
            "SOFTWARE_TOKEN_MFA_CODE": totp(local, user.totp_secret),
        },
    )
    tokens = done["AuthenticationResult"]
    meta = meta_of(tokens)
    secret = srp.generate_device_secret(meta["DeviceGroupKey"], meta["DeviceKey"])
    confirmed = await idp.confirm_device(
        AccessToken=tokens["AccessToken"],
        DeviceKey=meta["DeviceKey"],
        DeviceSecretVerifierConfig=secret.verifier_config,
    )
    assert confirmed["UserConfirmationNecessary"] is True
    # tracked but not remembered: MFA first, then the device proof
    local.clock.advance(30)
    step = await dp.sign_in("mia", device_key=meta["DeviceKey"])
    assert step["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    step = await idp.respond_to_auth_challenge(
        ClientId=dp.client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "mia",
            "SOFTWARE_TOKEN_MFA_CODE": totp(local, user.totp_secret),
        },
    )
    result = await dp.device_sign_in(step, meta, secret)
    access = result["AuthenticationResult"]["AccessToken"]
    await idp.update_device_status(
        AccessToken=access, DeviceKey=meta["DeviceKey"], DeviceRememberedStatus="remembered"
    )
    # remembered: no MFA, straight to the device proof
    step = await dp.sign_in("mia", device_key=meta["DeviceKey"])
    assert step["ChallengeName"] == "DEVICE_SRP_AUTH"
    assert "AuthenticationResult" in await dp.device_sign_in(step, meta, secret)


async def test_device_operations(local: LocalCognito, idp: Any, make_srp: Any) -> None:
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("lis", PASSWORD)
    keys = []
    access = ""
    for _ in range(3):
        tokens, _secret = await dp.remember("lis")
        keys.append(meta_of(tokens)["DeviceKey"])
        access = tokens["AccessToken"]
    page = await idp.list_devices(AccessToken=access, Limit=2)
    assert [d["DeviceKey"] for d in page["Devices"]] == keys[:2]
    rest = await idp.list_devices(
        AccessToken=access, Limit=2, PaginationToken=page["PaginationToken"]
    )
    assert [d["DeviceKey"] for d in rest["Devices"]] == keys[2:]
    assert "PaginationToken" not in rest
    await idp.update_device_status(
        AccessToken=access, DeviceKey=keys[0], DeviceRememberedStatus="not_remembered"
    )
    device = (await idp.get_device(AccessToken=access, DeviceKey=keys[0]))["Device"]
    assert {"Name": "dev:device_remembered_status", "Value": "not_remembered"} in device[
        "DeviceAttributes"
    ]
    await idp.forget_device(AccessToken=access, DeviceKey=keys[1])
    await fails(
        idp.get_device(AccessToken=access, DeviceKey=keys[1]),
        "ResourceNotFoundException",
        "Device does not exist.",
    )
    listed = await idp.admin_list_devices(UserPoolId=dp.pool_id, Username="lis")
    assert [d["DeviceKey"] for d in listed["Devices"]] == [keys[0], keys[2]]
    await idp.admin_forget_device(UserPoolId=dp.pool_id, Username="lis", DeviceKey=keys[0])
    got = await idp.admin_get_device(UserPoolId=dp.pool_id, Username="lis", DeviceKey=keys[2])
    assert got["Device"]["DeviceKey"] == keys[2]


async def test_confirm_device_errors(
    local: LocalCognito, idp: Any, make_srp: Any, srp_client: Srp
) -> None:
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("cee", PASSWORD)
    tokens, secret = await dp.remember("cee")
    await fails(
        idp.confirm_device(
            AccessToken=tokens["AccessToken"],
            DeviceKey=meta_of(tokens)["DeviceKey"],
            DeviceSecretVerifierConfig=secret.verifier_config,
        ),
        "DeviceKeyExistsException",
    )
    await fails(
        idp.confirm_device(
            AccessToken=tokens["AccessToken"],
            DeviceKey="us-east-1_11111111-1111-1111-1111-111111111111",
            DeviceSecretVerifierConfig=secret.verifier_config,
        ),
        "ResourceNotFoundException",
    )
    local.pool().create_user("nodevice", PASSWORD)
    plain = (await srp_client.sign_in("nodevice", PASSWORD))["AuthenticationResult"]
    assert "NewDeviceMetadata" not in plain  # device tracking is off in the default pool
    await fails(
        idp.confirm_device(
            AccessToken=plain["AccessToken"],
            DeviceKey="us-east-1_11111111-1111-1111-1111-111111111111",
            DeviceSecretVerifierConfig=secret.verifier_config,
        ),
        "InvalidUserPoolConfigurationException",
    )


async def test_refresh_is_bound_to_the_device(local: LocalCognito, idp: Any, make_srp: Any) -> None:
    dp = DevicePool(local, idp, make_srp)
    local.pool(dp.pool_id).create_user("ray", PASSWORD)
    tokens, _secret = await dp.remember("ray")
    key = meta_of(tokens)["DeviceKey"]

    def refresh(device_key: str | None) -> Any:
        params = {"REFRESH_TOKEN": tokens["RefreshToken"]}
        if device_key:
            params["DEVICE_KEY"] = device_key
        return idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH", ClientId=dp.client_id, AuthParameters=params
        )

    await fails(refresh(None), "NotAuthorizedException", "Invalid Refresh Token")
    refreshed = (await refresh(key))["AuthenticationResult"]
    claims = jwt.decode(refreshed["AccessToken"], options={"verify_signature": False})
    assert claims["device_key"] == key
    await idp.forget_device(AccessToken=tokens["AccessToken"], DeviceKey=key)
    await fails(refresh(key), "NotAuthorizedException")


@pytest.mark.parametrize("with_secret", [False, True])
async def test_device_flow_with_client_secret(
    local: LocalCognito, idp: Any, make_srp: Any, with_secret: bool
) -> None:
    dp = DevicePool(local, idp, make_srp)
    if with_secret:
        dp.client_id, secret_value = local.create_client(dp.pool_id, generate_secret=True)
        dp.srp = make_srp(pool_id=dp.pool_id, client_id=dp.client_id, client_secret=secret_value)
    local.pool(dp.pool_id).create_user("sec", PASSWORD)
    tokens, secret = await dp.remember("sec")
    meta = meta_of(tokens)
    challenge = await dp.srp.sign_in("sec", PASSWORD, device_key=meta["DeviceKey"])
    eph = srp.start_ephemeral()
    base = {"USERNAME": "sec", "DEVICE_KEY": meta["DeviceKey"], "SRP_A": eph.srp_a}
    step = await idp.respond_to_auth_challenge(
        ClientId=dp.client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=challenge["Session"],
        ChallengeResponses={**base, **dp.srp.hash("sec")},
    )
    responses = srp.device_password_verifier_response(
        eph,
        step["ChallengeParameters"],
        device_group_key=meta["DeviceGroupKey"],
        device_key=meta["DeviceKey"],
        device_password=secret.device_password,
        user_id_for_srp="sec",
        timestamp=timestamp(local),
    )
    responses.update(dp.srp.hash("sec"))
    result = await idp.respond_to_auth_challenge(
        ClientId=dp.client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=step["Session"],
        ChallengeResponses=responses,
    )
    assert "AuthenticationResult" in result


@pytest.mark.parametrize("flow", ["REFRESH_TOKEN_AUTH", "GetTokensFromRefreshToken"])
async def test_refresh_with_an_unconfirmed_device_is_refused(
    local: LocalCognito, idp: Any, make_srp: Any, flow: str
) -> None:
    """Knowledge Center "cognito-invalid-refresh-token-error": with device tracking on, a
    refresh with a device never confirmed (ConfirmDevice), or without the device key, is
    refused with "Invalid Refresh Token" (issue 11 item 1)."""
    dp = DevicePool(local, idp, make_srp, prompt=True)
    local.pool(dp.pool_id).create_user("una", PASSWORD)
    tokens = (await dp.sign_in("una"))["AuthenticationResult"]
    key = meta_of(tokens)["DeviceKey"]

    def refresh(device_key: str | None) -> Any:
        if flow == "GetTokensFromRefreshToken":
            extra = {"DeviceKey": device_key} if device_key else {}
            return idp.get_tokens_from_refresh_token(
                RefreshToken=tokens["RefreshToken"], ClientId=dp.client_id, **extra
            )
        params = {"REFRESH_TOKEN": tokens["RefreshToken"]}
        if device_key:
            params["DEVICE_KEY"] = device_key
        return idp.initiate_auth(AuthFlow=flow, ClientId=dp.client_id, AuthParameters=params)

    await fails(refresh(key), "NotAuthorizedException", "Invalid Refresh Token")
    await fails(refresh(None), "NotAuthorizedException", "Invalid Refresh Token")
    secret = srp.generate_device_secret(meta_of(tokens)["DeviceGroupKey"], key)
    await idp.confirm_device(
        AccessToken=tokens["AccessToken"],
        DeviceKey=key,
        DeviceSecretVerifierConfig=secret.verifier_config,
    )
    # Confirmed, not remembered (DeviceOnlyRememberedOnUserPrompt): the refresh works.
    assert (await refresh(key))["AuthenticationResult"]["AccessToken"]
    await fails(refresh(None), "NotAuthorizedException", "Invalid Refresh Token")
