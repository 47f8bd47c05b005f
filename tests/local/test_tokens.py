"""JWT claims, expiry, refresh (with rotation), RevokeToken and GlobalSignOut."""

from __future__ import annotations

from typing import Any

import jwt
import pytest

from cognito_local import LocalCognito, secret_hash

from .conftest import PASSWORD, Srp, fails


@pytest.fixture
def user(local: LocalCognito) -> Any:
    return local.pool().create_user(
        "tok",
        PASSWORD,
        attributes={"email": "tok@example.com", "phone_number": "+15555550177", "name": "Tok"},
    )


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


async def test_claims(local: LocalCognito, srp_client: Srp, user: Any) -> None:
    tokens = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    id_claims = claims_of(tokens["IdToken"])
    access = claims_of(tokens["AccessToken"])
    assert id_claims["sub"] == access["sub"] == user.sub
    assert id_claims["aud"] == local.client_id == access["client_id"]
    assert id_claims["iss"] == access["iss"] == f"{local.endpoint_url}/{local.user_pool_id}"
    assert id_claims["token_use"] == "id" and access["token_use"] == "access"
    assert id_claims["cognito:username"] == access["username"] == "tok"
    assert id_claims["email"] == "tok@example.com" and id_claims["email_verified"] is True
    assert id_claims["phone_number_verified"] is True and id_claims["name"] == "Tok"
    assert access["scope"] == "aws.cognito.signin.user.admin"
    assert access["exp"] - access["iat"] == 3600
    for key in ("jti", "origin_jti", "event_id", "auth_time"):
        assert key in id_claims and key in access
    assert id_claims["origin_jti"] == access["origin_jti"]
    assert "device_key" not in access
    header = jwt.get_unverified_header(tokens["AccessToken"])
    assert header["alg"] == "RS256" and header["kid"]


async def test_token_validity_settings(local: LocalCognito, make_srp: Any, user: Any) -> None:
    client_id, _ = local.create_client(
        AccessTokenValidity=5,
        IdTokenValidity=2,
        TokenValidityUnits={"AccessToken": "minutes", "IdToken": "hours"},
    )
    tokens = (await make_srp(client_id=client_id).sign_in("tok", PASSWORD))["AuthenticationResult"]
    assert tokens["ExpiresIn"] == 300
    access, ident = claims_of(tokens["AccessToken"]), claims_of(tokens["IdToken"])
    assert access["exp"] - access["iat"] == 300
    assert ident["exp"] - ident["iat"] == 7200


async def test_access_token_expiry_and_tampering(
    local: LocalCognito, srp_client: Srp, idp: Any, user: Any
) -> None:
    tokens = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    head, body, sig = tokens["AccessToken"].split(".")
    forged = ".".join([head, body, sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")])
    await fails(idp.get_user(AccessToken=forged), "NotAuthorizedException", "Invalid Access Token")
    await fails(
        idp.get_user(AccessToken=tokens["IdToken"]),
        "NotAuthorizedException",
        "Invalid Access Token",
    )
    unsigned = jwt.encode(claims_of(tokens["AccessToken"]), key="", algorithm="none")
    await fails(idp.get_user(AccessToken=unsigned), "NotAuthorizedException")
    local.clock.advance(3601)
    await fails(
        idp.get_user(AccessToken=tokens["AccessToken"]),
        "NotAuthorizedException",
        "Access Token has expired",
    )


async def test_refresh_token_auth(
    local: LocalCognito, srp_client: Srp, idp: Any, user: Any
) -> None:
    tokens = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    local.clock.advance(600)
    for flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        refreshed = (
            await idp.initiate_auth(
                AuthFlow=flow,
                ClientId=local.client_id,
                AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
            )
        )["AuthenticationResult"]
        assert "RefreshToken" not in refreshed
        old, new = claims_of(tokens["AccessToken"]), claims_of(refreshed["AccessToken"])
        assert new["origin_jti"] == old["origin_jti"] and new["jti"] != old["jti"]
        assert new["auth_time"] == old["auth_time"] and new["iat"] > old["iat"]
    await fails(
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=local.client_id,
            AuthParameters={"REFRESH_TOKEN": "bogus"},
        ),
        "NotAuthorizedException",
        "Invalid Refresh Token",
    )
    await fails(
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=local.secret_client_id,
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        ),
        "NotAuthorizedException",
    )  # another client's token
    local.clock.advance(30 * 86400)
    await fails(
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=local.client_id,
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        ),
        "NotAuthorizedException",
        "Refresh Token has expired",
    )


async def test_refresh_with_secret_hash(
    local: LocalCognito, make_srp: Any, idp: Any, user: Any
) -> None:
    srp_ = make_srp(client_id=local.secret_client_id, client_secret=local.client_secret)
    tokens = (await srp_.sign_in("tok", PASSWORD))["AuthenticationResult"]
    params = {"REFRESH_TOKEN": tokens["RefreshToken"]}
    await fails(
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH", ClientId=local.secret_client_id, AuthParameters=params
        ),
        "NotAuthorizedException",
    )
    params["SECRET_HASH"] = secret_hash(local.client_secret, "tok", local.secret_client_id)
    result = await idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH", ClientId=local.secret_client_id, AuthParameters=params
    )
    assert "AccessToken" in result["AuthenticationResult"]
    await fails(
        idp.get_tokens_from_refresh_token(
            RefreshToken=tokens["RefreshToken"], ClientId=local.secret_client_id
        ),
        "NotAuthorizedException",
    )
    await fails(
        idp.get_tokens_from_refresh_token(
            RefreshToken=tokens["RefreshToken"],
            ClientId=local.secret_client_id,
            ClientSecret="x" * 40,
        ),
        "NotAuthorizedException",
    )
    ok = await idp.get_tokens_from_refresh_token(
        RefreshToken=tokens["RefreshToken"],
        ClientId=local.secret_client_id,
        ClientSecret=local.client_secret,
    )
    assert "AccessToken" in ok["AuthenticationResult"]


async def test_refresh_token_rotation(
    local: LocalCognito, make_srp: Any, idp: Any, user: Any
) -> None:
    client_id, _ = local.create_client(
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}
    )
    tokens = (await make_srp(client_id=client_id).sign_in("tok", PASSWORD))["AuthenticationResult"]
    local.clock.freeze()
    first = (
        await idp.get_tokens_from_refresh_token(
            RefreshToken=tokens["RefreshToken"], ClientId=client_id
        )
    )["AuthenticationResult"]
    assert first["RefreshToken"] != tokens["RefreshToken"]
    # within the grace period the old token still works
    again = (
        await idp.get_tokens_from_refresh_token(
            RefreshToken=tokens["RefreshToken"], ClientId=client_id
        )
    )["AuthenticationResult"]
    assert again["RefreshToken"] not in (tokens["RefreshToken"], first["RefreshToken"])
    local.clock.advance(11)
    await fails(
        idp.get_tokens_from_refresh_token(RefreshToken=tokens["RefreshToken"], ClientId=client_id),
        "RefreshTokenReuseException",
    )
    newer = await idp.get_tokens_from_refresh_token(
        RefreshToken=first["RefreshToken"], ClientId=client_id
    )
    assert newer["AuthenticationResult"]["RefreshToken"]


async def test_revoke_token(local: LocalCognito, srp_client: Srp, idp: Any, user: Any) -> None:
    tokens = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    other = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    await fails(
        idp.revoke_token(Token=tokens["AccessToken"], ClientId=local.client_id),
        "UnsupportedTokenTypeException",
    )
    await fails(
        idp.revoke_token(
            Token=tokens["RefreshToken"],
            ClientId=local.secret_client_id,
            ClientSecret=local.client_secret,
        ),
        "UnauthorizedException",
    )
    await idp.revoke_token(Token=tokens["RefreshToken"], ClientId=local.client_id)
    await fails(
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=local.client_id,
            AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
        ),
        "NotAuthorizedException",
        "Refresh Token has been revoked",
    )
    await fails(
        idp.get_user(AccessToken=tokens["AccessToken"]),
        "NotAuthorizedException",
        "Access Token has been revoked",
    )
    assert (await idp.get_user(AccessToken=other["AccessToken"]))["Username"] == "tok"


async def test_revocation_can_be_disabled(
    local: LocalCognito, make_srp: Any, idp: Any, user: Any
) -> None:
    client_id, _ = local.create_client(EnableTokenRevocation=False)
    tokens = (await make_srp(client_id=client_id).sign_in("tok", PASSWORD))["AuthenticationResult"]
    await fails(
        idp.revoke_token(Token=tokens["RefreshToken"], ClientId=client_id),
        "UnsupportedOperationException",
    )


async def test_global_sign_out(local: LocalCognito, srp_client: Srp, idp: Any, user: Any) -> None:
    one = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    two = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    await idp.global_sign_out(AccessToken=one["AccessToken"])
    for tokens in (one, two):
        await fails(
            idp.get_user(AccessToken=tokens["AccessToken"]),
            "NotAuthorizedException",
            "Access Token has been revoked",
        )
        await fails(
            idp.initiate_auth(
                AuthFlow="REFRESH_TOKEN_AUTH",
                ClientId=local.client_id,
                AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
            ),
            "NotAuthorizedException",
            "Refresh Token has been revoked",
        )
    fresh = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    assert (await idp.get_user(AccessToken=fresh["AccessToken"]))["Username"] == "tok"


async def test_tokens_of_a_deleted_or_disabled_user(
    local: LocalCognito, srp_client: Srp, idp: Any, user: Any
) -> None:
    tokens = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    await idp.admin_disable_user(UserPoolId=local.user_pool_id, Username="tok")
    await fails(idp.get_user(AccessToken=tokens["AccessToken"]), "NotAuthorizedException")
    await idp.admin_enable_user(UserPoolId=local.user_pool_id, Username="tok")
    fresh = (await srp_client.sign_in("tok", PASSWORD))["AuthenticationResult"]
    await idp.delete_user(AccessToken=fresh["AccessToken"])
    await fails(idp.get_user(AccessToken=fresh["AccessToken"]), "NotAuthorizedException")
    await fails(
        idp.initiate_auth(
            AuthFlow="REFRESH_TOKEN_AUTH",
            ClientId=local.client_id,
            AuthParameters={"REFRESH_TOKEN": fresh["RefreshToken"]},
        ),
        "NotAuthorizedException",
    )


def test_signer_matches_pyjwt_byte_for_byte() -> None:
    from cognito_local.tokens import Signer

    signer = Signer()
    claims = {"sub": "s-1", "token_use": "access", "exp": 1_700_003_600, "iat": 1_700_000_000,
              "cognito:groups": ["a", "b"], "name": "Zoë"}  # fmt: skip
    key = signer._ensure()
    expected = jwt.encode(claims, key, algorithm="RS256", headers={"kid": signer.kid})
    assert signer.sign(claims) == expected
    assert signer.decode(expected) == claims
