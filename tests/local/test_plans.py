"""Feature plans: what UserPoolTier LITE, ESSENTIALS and PLUS let a pool configure."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_local import LocalCognito

from .conftest import PASSWORD, fails

ARN = "arn:aws:lambda:us-east-1:123456789012:function:claims"
PASSWORDLESS = {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}


def refused(tier: str, *features: str) -> str:
    return (
        f"The following features need to be disabled for the {tier} pricing tier configured: "
        + ", ".join(features)
    )


async def test_default_tier_is_essentials(idp: Any) -> None:
    pool = (await idp.create_user_pool(PoolName="p"))["UserPool"]
    assert pool["UserPoolTier"] == "ESSENTIALS"
    described = await idp.describe_user_pool(UserPoolId=pool["Id"])
    assert described["UserPool"]["UserPoolTier"] == "ESSENTIALS"


async def test_lite_refuses_passwordless_sign_in(idp: Any) -> None:
    await fails(
        idp.create_user_pool(PoolName="p", UserPoolTier="LITE", Policies=PASSWORDLESS),
        "FeatureUnavailableInTierException",
        refused("LITE", "Passwordless Sign-In"),
    )
    pool = (
        await idp.create_user_pool(PoolName="p", UserPoolTier="ESSENTIALS", Policies=PASSWORDLESS)
    )["UserPool"]
    assert pool["Policies"]["SignInPolicy"]["AllowedFirstAuthFactors"] == ["PASSWORD", "EMAIL_OTP"]
    # Downgrading a pool that uses it is refused the same way.
    await fails(
        idp.update_user_pool(UserPoolId=pool["Id"], UserPoolTier="LITE", Policies=PASSWORDLESS),
        "FeatureUnavailableInTierException",
        refused("LITE", "Passwordless Sign-In"),
    )


async def test_lite_refuses_email_mfa_and_access_token_customization(idp: Any) -> None:
    pool = (await idp.create_user_pool(PoolName="p", UserPoolTier="LITE"))["UserPool"]
    await fails(
        idp.set_user_pool_mfa_config(
            UserPoolId=pool["Id"],
            MfaConfiguration="OPTIONAL",
            EmailMfaConfiguration={"Message": "Your code is {####}"},
        ),
        "FeatureUnavailableInTierException",
        refused("LITE", "Email MFA"),
    )
    await idp.set_user_pool_mfa_config(
        UserPoolId=pool["Id"],
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    v2 = {"PreTokenGenerationConfig": {"LambdaArn": ARN, "LambdaVersion": "V2_0"}}
    await fails(
        idp.update_user_pool(UserPoolId=pool["Id"], UserPoolTier="LITE", LambdaConfig=v2),
        "FeatureUnavailableInTierException",
        refused("LITE", "Access Token Customization"),
    )
    v1 = {"PreTokenGenerationConfig": {"LambdaArn": ARN, "LambdaVersion": "V1_0"}}
    await idp.update_user_pool(UserPoolId=pool["Id"], UserPoolTier="LITE", LambdaConfig=v1)
    await idp.update_user_pool(UserPoolId=pool["Id"], UserPoolTier="ESSENTIALS", LambdaConfig=v2)


@pytest.mark.parametrize(("tier", "ok"), [("LITE", False), ("ESSENTIALS", False), ("PLUS", True)])
async def test_threat_protection_needs_plus(idp: Any, tier: str, ok: bool) -> None:
    call = idp.create_user_pool(
        PoolName="p", UserPoolTier=tier, UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"}
    )
    if ok:
        assert (await call)["UserPool"]["UserPoolAddOns"] == {"AdvancedSecurityMode": "AUDIT"}
    else:
        await fails(call, "FeatureUnavailableInTierException", refused(tier, "Threat Protection"))


async def test_every_missing_feature_is_named(idp: Any) -> None:
    await fails(
        idp.create_user_pool(
            PoolName="p",
            UserPoolTier="LITE",
            Policies=PASSWORDLESS,
            UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
        ),
        "FeatureUnavailableInTierException",
        refused("LITE", "Passwordless Sign-In", "Threat Protection"),
    )


async def test_lite_default_pool_signs_in_with_passwords_only(idp: Any) -> None:
    async with LocalCognito(config={"tier": "LITE"}) as local:
        pool = local.pool()
        assert pool.settings["UserPoolTier"] == "LITE"
        assert pool.first_factors == ["PASSWORD"]
        assert pool.settings.get("EmailMfaConfiguration") is None
        with pytest.raises(ValueError):
            pool.set_triggers(pre_token_generation=lambda e: e, pre_token_generation_version="V2_0")
    with pytest.raises(Exception, match="FeatureUnavailableInTierException"):
        LocalCognito(config={"tier": "LITE", "first_auth_factors": ["PASSWORD", "SMS_OTP"]})


async def test_unknown_tier(idp: Any) -> None:
    await fails(
        idp.create_user_pool(PoolName="p", UserPoolTier="GOLD"), "InvalidParameterException"
    )


async def test_user_auth_offers_only_what_the_plan_allows(idp: Any) -> None:
    pool = (await idp.create_user_pool(PoolName="p", UserPoolTier="LITE"))["UserPool"]
    client = (
        await idp.create_user_pool_client(
            UserPoolId=pool["Id"], ClientName="c", ExplicitAuthFlows=["ALLOW_USER_AUTH"]
        )
    )["UserPoolClient"]
    await idp.admin_create_user(
        UserPoolId=pool["Id"],
        Username="zed",
        UserAttributes=[{"Name": "email", "Value": "zed@example.com"}],
        MessageAction="SUPPRESS",
    )
    await idp.admin_set_user_password(
        UserPoolId=pool["Id"], Username="zed", Password=PASSWORD, Permanent=True
    )
    answer = await idp.initiate_auth(
        AuthFlow="USER_AUTH", ClientId=client["ClientId"], AuthParameters={"USERNAME": "zed"}
    )
    assert answer["AvailableChallenges"] == ["PASSWORD_SRP", "PASSWORD"]


async def test_admin_auth_factors_totp_removal_and_auth_events(idp: Any) -> None:
    pool_id = (
        await idp.create_user_pool(
            PoolName="p", UserPoolTier="PLUS", UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"}
        )
    )["UserPool"]["Id"]
    await idp.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    client_id = (
        await idp.create_user_pool_client(
            UserPoolId=pool_id, ClientName="c", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
        )
    )["UserPoolClient"]["ClientId"]
    await idp.admin_create_user(UserPoolId=pool_id, Username="kai", MessageAction="SUPPRESS")
    await idp.admin_set_user_password(
        UserPoolId=pool_id, Username="kai", Password=PASSWORD, Permanent=True
    )

    async def sign_in() -> Any:
        return await idp.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={"USERNAME": "kai", "PASSWORD": PASSWORD},
        )

    access = (await sign_in())["AuthenticationResult"]["AccessToken"]
    secret = (await idp.associate_software_token(AccessToken=access))["SecretCode"]
    import pyotp

    await idp.verify_software_token(AccessToken=access, UserCode=pyotp.TOTP(secret).now())
    await idp.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username="kai",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    factors = await idp.admin_get_user_auth_factors(UserPoolId=pool_id, Username="kai")
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD"]
    assert factors["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert (await sign_in())["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    # A lost phone: the admin removes the TOTP factor and the user signs in without it.
    await idp.admin_delete_software_token(UserPoolId=pool_id, Username="kai")
    factors = await idp.admin_get_user_auth_factors(UserPoolId=pool_id, Username="kai")
    assert "UserMFASettingList" not in factors
    assert "AuthenticationResult" in await sign_in()
    events = (await idp.admin_list_user_auth_events(UserPoolId=pool_id, Username="kai"))[
        "AuthEvents"
    ]
    assert len(events) == 2 and all(e["EventType"] == "SignIn" for e in events)
    page = await idp.admin_list_user_auth_events(UserPoolId=pool_id, Username="kai", MaxResults=1)
    assert page["AuthEvents"] == events[:1] and page["NextToken"]
    await idp.admin_update_auth_event_feedback(
        UserPoolId=pool_id, Username="kai", EventId=events[0]["EventId"], FeedbackValue="Valid"
    )
    await fails(
        idp.admin_update_auth_event_feedback(
            UserPoolId=pool_id, Username="kai", EventId="nope", FeedbackValue="Valid"
        ),
        "ResourceNotFoundException",
    )
