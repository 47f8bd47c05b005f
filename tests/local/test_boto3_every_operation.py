"""Every implemented operation once through boto3 (responses checked against botocore's
output shapes by the ``boto`` fixture)."""

from __future__ import annotations

from typing import Any

import jwt

from cognito_flows import srp
from cognito_local import LocalCognito, TriggerSet
from cognito_local.params import OPERATIONS

from .conftest import PASSWORD, in_thread, timestamp, totp

NEW_PASSWORD = "N3w-Passw0rd!"


class Recorder:
    def __init__(self, client: Any) -> None:
        self.client = client
        self.called: set[str] = set()
        client.meta.events.register("before-call.cognito-identity-provider", self.record)

    def record(self, model: Any, **kwargs: Any) -> None:
        self.called.add(model.name)


def tour(local: LocalCognito, c: Any) -> None:
    pool_id = c.create_user_pool(
        PoolName="tour",
        AutoVerifiedAttributes=["email"],
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
        UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"},
    )["UserPool"]["Id"]
    c.update_user_pool(
        UserPoolId=pool_id,
        AutoVerifiedAttributes=["email"],
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": False,
        },
        UserPoolAddOns={"AdvancedSecurityMode": "AUDIT"},
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
    )
    c.describe_user_pool(UserPoolId=pool_id)
    c.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
        EmailMfaConfiguration={},
    )
    c.get_user_pool_mfa_config(UserPoolId=pool_id)
    c.list_user_pools(MaxResults=10)
    local.pool(pool_id).set_triggers(TriggerSet.email_code())
    flows = [
        "ALLOW_USER_SRP_AUTH",
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_CUSTOM_AUTH",
        "ALLOW_USER_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
        "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    ]
    client_id = c.create_user_pool_client(
        UserPoolId=pool_id, ClientName="tour", ExplicitAuthFlows=flows
    )["UserPoolClient"]["ClientId"]
    c.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, ExplicitAuthFlows=flows, EnableTokenRevocation=True
    )
    c.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    c.list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)
    spare = c.create_user_pool_client(UserPoolId=pool_id, ClientName="spare")
    c.delete_user_pool_client(UserPoolId=pool_id, ClientId=spare["UserPoolClient"]["ClientId"])

    # self-service sign-up
    c.sign_up(
        ClientId=client_id,
        Username="tina",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "tina@example.com"}],
    )
    c.resend_confirmation_code(ClientId=client_id, Username="tina")
    session = c.confirm_sign_up(
        ClientId=client_id,
        Username="tina",
        ConfirmationCode=local.outbox.last(username="tina").code,
    )["Session"]
    c.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=client_id,
        Session=session,
        AuthParameters={"USERNAME": "tina"},
    )

    # SRP sign-in with a new device, ConfirmDevice, then DEVICE_SRP_AUTH
    eph = srp.start_ephemeral()
    first = c.initiate_auth(
        AuthFlow="USER_SRP_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "tina", "SRP_A": eph.srp_a},
    )
    answer = srp.password_verifier_response(
        eph,
        first["ChallengeParameters"],
        user_pool_id=pool_id,
        password=PASSWORD,
        timestamp=timestamp(local),
    )
    tokens = c.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )["AuthenticationResult"]
    access = tokens["AccessToken"]
    meta = tokens["NewDeviceMetadata"]
    device = srp.generate_device_secret(meta["DeviceGroupKey"], meta["DeviceKey"])
    c.confirm_device(
        AccessToken=access,
        DeviceKey=meta["DeviceKey"],
        DeviceSecretVerifierConfig=device.verifier_config,
        DeviceName="tour",
    )
    c.get_device(AccessToken=access, DeviceKey=meta["DeviceKey"])
    c.list_devices(AccessToken=access, Limit=10)
    c.update_device_status(
        AccessToken=access, DeviceKey=meta["DeviceKey"], DeviceRememberedStatus="remembered"
    )
    c.admin_get_device(UserPoolId=pool_id, Username="tina", DeviceKey=meta["DeviceKey"])
    c.admin_list_devices(UserPoolId=pool_id, Username="tina")
    c.admin_update_device_status(
        UserPoolId=pool_id,
        Username="tina",
        DeviceKey=meta["DeviceKey"],
        DeviceRememberedStatus="remembered",
    )
    eph = srp.start_ephemeral()
    first = c.initiate_auth(
        AuthFlow="USER_SRP_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "tina", "SRP_A": eph.srp_a, "DEVICE_KEY": meta["DeviceKey"]},
    )
    answer = srp.password_verifier_response(
        eph,
        first["ChallengeParameters"],
        user_pool_id=pool_id,
        password=PASSWORD,
        timestamp=timestamp(local),
    )
    answer["DEVICE_KEY"] = meta["DeviceKey"]
    step = c.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answer
    )
    device_eph = srp.start_ephemeral()
    step = c.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_SRP_AUTH",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "tina",
            "DEVICE_KEY": meta["DeviceKey"],
            "SRP_A": device_eph.srp_a,
        },
    )
    proof = srp.device_password_verifier_response(
        device_eph,
        step["ChallengeParameters"],
        device_group_key=meta["DeviceGroupKey"],
        device_key=meta["DeviceKey"],
        device_password=device.device_password,
        user_id_for_srp="tina",
        timestamp=timestamp(local),
    )
    tokens = c.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="DEVICE_PASSWORD_VERIFIER",
        Session=step["Session"],
        ChallengeResponses=proof,
    )["AuthenticationResult"]
    access, refresh = tokens["AccessToken"], tokens["RefreshToken"]

    # the user's own account
    c.get_user(AccessToken=access)
    c.get_user_auth_factors(AccessToken=access)
    c.update_user_attributes(
        AccessToken=access,
        UserAttributes=[
            {"Name": "email", "Value": "tina2@example.com"},
            {"Name": "name", "Value": "Tina"},
        ],
    )
    c.get_user_attribute_verification_code(AccessToken=access, AttributeName="email")
    c.verify_user_attribute(
        AccessToken=access, AttributeName="email", Code=local.outbox.last(username="tina").code
    )
    c.delete_user_attributes(AccessToken=access, UserAttributeNames=["name"])
    secret = c.associate_software_token(AccessToken=access)["SecretCode"]
    c.verify_software_token(AccessToken=access, UserCode=totp(local, secret))
    c.set_user_mfa_preference(
        AccessToken=access, SoftwareTokenMfaSettings={"Enabled": False, "PreferredMfa": False}
    )
    c.set_user_settings(AccessToken=access, MFAOptions=[])
    c.change_password(AccessToken=access, PreviousPassword=PASSWORD, ProposedPassword=NEW_PASSWORD)
    c.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=client_id,
        AuthParameters={"REFRESH_TOKEN": refresh, "DEVICE_KEY": meta["DeviceKey"]},
    )
    c.get_tokens_from_refresh_token(
        RefreshToken=refresh, ClientId=client_id, DeviceKey=meta["DeviceKey"]
    )
    event_id = jwt.decode(access, options={"verify_signature": False})["event_id"]
    c.update_auth_event_feedback(
        UserPoolId=pool_id,
        Username="tina",
        EventId=event_id,
        FeedbackToken="token",
        FeedbackValue="Valid",
    )
    c.forget_device(AccessToken=access, DeviceKey=meta["DeviceKey"])
    c.global_sign_out(AccessToken=access)
    c.revoke_token(Token=refresh, ClientId=client_id)
    c.forgot_password(ClientId=client_id, Username="tina")
    c.confirm_forgot_password(
        ClientId=client_id,
        Username="tina",
        Password=PASSWORD,
        ConfirmationCode=local.outbox.last(username="tina", purpose="FORGOT_PASSWORD").code,
    )

    # custom auth
    step = c.initiate_auth(
        AuthFlow="CUSTOM_AUTH", ClientId=client_id, AuthParameters={"USERNAME": "tina"}
    )
    c.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="CUSTOM_CHALLENGE",
        Session=step["Session"],
        ChallengeResponses={
            "USERNAME": "tina",
            "ANSWER": local.outbox.last(username="tina", purpose="CUSTOM_CHALLENGE").code,
        },
    )

    # admin
    c.admin_create_user(
        UserPoolId=pool_id,
        Username="ada",
        TemporaryPassword=PASSWORD,
        MessageAction="SUPPRESS",
        UserAttributes=[
            {"Name": "email", "Value": "ada@example.com"},
            {"Name": "email_verified", "Value": "true"},
        ],
    )
    step = c.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ada", "PASSWORD": PASSWORD},
    )
    done = c.admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "ada", "NEW_PASSWORD": NEW_PASSWORD},
    )
    c.admin_forget_device(
        UserPoolId=pool_id,
        Username="ada",
        DeviceKey=done["AuthenticationResult"]["NewDeviceMetadata"]["DeviceKey"],
    )
    c.admin_set_user_password(UserPoolId=pool_id, Username="ada", Password=PASSWORD, Permanent=True)
    c.admin_get_user(UserPoolId=pool_id, Username="ada")
    c.admin_update_user_attributes(
        UserPoolId=pool_id, Username="ada", UserAttributes=[{"Name": "name", "Value": "Ada"}]
    )
    c.admin_delete_user_attributes(UserPoolId=pool_id, Username="ada", UserAttributeNames=["name"])
    c.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="ada", EmailMfaSettings={"Enabled": True}
    )
    c.admin_set_user_settings(UserPoolId=pool_id, Username="ada", MFAOptions=[])
    c.admin_user_global_sign_out(UserPoolId=pool_id, Username="ada")
    c.admin_disable_user(UserPoolId=pool_id, Username="ada")
    c.admin_enable_user(UserPoolId=pool_id, Username="ada")
    c.admin_reset_user_password(UserPoolId=pool_id, Username="ada")
    c.list_users(UserPoolId=pool_id, Filter='username = "ada"')
    c.sign_up(ClientId=client_id, Username="una", Password=PASSWORD)
    c.admin_confirm_sign_up(UserPoolId=pool_id, Username="una")
    c.admin_delete_user(UserPoolId=pool_id, Username="una")
    c.delete_user(
        AccessToken=c.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id,
            AuthParameters={
                "USERNAME": "tina",
                "PASSWORD": PASSWORD,
            },
        )["AuthenticationResult"]["AccessToken"]
    )
    _passkey_tour(c, pool_id, client_id)
    c.create_user_pool_domain(UserPoolId=pool_id, Domain="tour-domain")
    assert c.describe_user_pool_domain(Domain="tour-domain")["DomainDescription"]["UserPoolId"] == (
        pool_id
    )
    c.delete_user_pool_domain(UserPoolId=pool_id, Domain="tour-domain")
    c.create_resource_server(
        UserPoolId=pool_id,
        Identifier="tour-api",
        Name="Tour",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}],
    )
    c.update_resource_server(UserPoolId=pool_id, Identifier="tour-api", Name="Tour 2", Scopes=[])
    assert c.describe_resource_server(UserPoolId=pool_id, Identifier="tour-api")["ResourceServer"][
        "Name"
    ] == ("Tour 2")
    assert len(c.list_resource_servers(UserPoolId=pool_id, MaxResults=5)["ResourceServers"]) == 1
    c.delete_resource_server(UserPoolId=pool_id, Identifier="tour-api")
    c.delete_user_pool(UserPoolId=pool_id)


def _passkey_tour(c: Any, pool_id: str, client_id: str) -> None:
    import json

    from cognito_flows.testing.passkey import SoftwarePasskey

    c.update_user_pool(
        UserPoolId=pool_id,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    c.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OFF",
        WebAuthnConfiguration={"RelyingPartyId": "localhost"},
    )
    c.admin_create_user(UserPoolId=pool_id, Username="pete", MessageAction="SUPPRESS")
    c.admin_set_user_password(
        UserPoolId=pool_id, Username="pete", Password=PASSWORD, Permanent=True
    )
    token = c.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "pete", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    passkey = SoftwarePasskey("https://localhost")
    options = c.start_web_authn_registration(AccessToken=token)["CredentialCreationOptions"]
    c.complete_web_authn_registration(AccessToken=token, Credential=passkey.create(options))
    [listed] = c.list_web_authn_credentials(AccessToken=token)["Credentials"]
    step = c.initiate_auth(
        AuthFlow="USER_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": "pete", "PREFERRED_CHALLENGE": "WEB_AUTHN"},
    )
    request = step["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"]
    result = c.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="WEB_AUTHN",
        Session=step["Session"],
        ChallengeResponses={"USERNAME": "pete", "CREDENTIAL": json.dumps(passkey.get(request))},
    )
    assert "AuthenticationResult" in result
    c.delete_web_authn_credential(AccessToken=token, CredentialId=listed["CredentialId"])


async def test_every_operation_with_boto3(local: LocalCognito, boto: Any) -> None:
    recorder = Recorder(boto)
    await in_thread(tour, local, boto)
    assert recorder.called == set(OPERATIONS), sorted(set(OPERATIONS) - recorder.called)
