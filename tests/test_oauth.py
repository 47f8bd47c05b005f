"""OAuth 2.0 / managed login end to end: the library's OAuthClient against the local
Cognito's domain endpoints over real HTTP, the login page filled in like a browser would.

Refused cases carry the errors of the Cognito developer guide's endpoint pages: authorize
(``redirect_mismatch`` error page; ``invalid_request``, ``unauthorized_client``,
``invalid_scope`` sent to the redirect URI) and token (``invalid_request``,
``invalid_client``, ``invalid_grant``, ``unauthorized_client``, ``unsupported_grant_type``).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import attrs
import pytest
from botocore.exceptions import ClientError

from cognito_flows.errors import (
    InvalidClientError,
    InvalidGrantError,
    InvalidScopeError,
    NonceMismatchError,
    NotAuthorizedError,
    OAuthError,
    OAuthStateError,
    UnauthorizedClientError,
)
from cognito_flows.oauth import OAuthClient
from cognito_flows.tokens import SignedOutError, TokenVerifier

from .oauth_helpers import CALLBACK, LOGOUT, PASSWORD, FormBrowser, OAuthPool, make_oauth_pool

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
async def env(local: Any, admin: Any) -> OAuthPool:
    env = await make_oauth_pool(local, admin)
    pool = local.pool(env.pool_id)
    pool.create_user(
        "alice",
        PASSWORD,
        attributes={"email": "alice@example.com"},
        mfa="SOFTWARE_TOKEN_MFA",
        totp_secret=TOTP_SECRET,
    )
    pool.create_user("bob", PASSWORD, attributes={"email": "bob@example.com"})
    return env


@pytest.fixture
async def browser() -> AsyncIterator[FormBrowser]:
    b = FormBrowser()
    yield b
    await b.close()


def oauth_client(env: OAuthPool, name: str = "web", **kwargs: Any) -> OAuthClient:
    info = env.clients[name]
    return OAuthClient(
        domain=env.domain_url,
        client_id=info["ClientId"],
        client_secret=info.get("ClientSecret"),
        redirect_uri=CALLBACK,
        user_pool_id=env.pool_id,
        endpoint_url=env.local.endpoint_url,
        clock=env.local.clock.now,
        **kwargs,
    )


@pytest.fixture
async def web(env: OAuthPool) -> AsyncIterator[OAuthClient]:
    async with oauth_client(env) as client:
        yield client


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def bob_code(web: OAuthClient, browser: FormBrowser, **kwargs: Any) -> tuple[Any, str]:
    request = web.authorization_request(**kwargs)
    result = await browser.sign_in(request.url, "bob")
    assert result.location is not None, result.error
    return request, result.location


# ------------------------------------------------------------------------ the happy path
async def test_code_flow_with_pkce_and_totp_then_refresh_userinfo_revoke(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request = web.authorization_request(scopes=["openid", "email", "aws.cognito.signin.user.admin"])
    assert "code_challenge_method=S256" in request.url and request.code_verifier not in request.url
    result = await browser.open(request.url)
    assert result.page is not None and 'name="password"' in result.page
    result = await browser.submit(username="alice", password=PASSWORD)
    assert result.page is not None and 'name="code"' in result.page  # the TOTP step
    result = await browser.submit(code=env.totp(TOTP_SECRET))
    assert result.location is not None and result.location.startswith(CALLBACK)
    assert query(result.location)["state"] == request.state

    tokens = await web.exchange_code(result.location, request)
    assert tokens.refresh_token
    claims = tokens.unverified_claims("id")
    assert claims["nonce"] == request.nonce and claims["email"] == "alice@example.com"
    access = await web.verifier.verify_access_token(tokens.access_token)  # type: ignore[union-attr]
    assert access["scope"] == "openid email aws.cognito.signin.user.admin"
    assert access["username"] == claims["cognito:username"]

    info = await web.user_info(tokens.access_token)
    assert info["email"] == "alice@example.com" and info["sub"] == claims["sub"]

    manager = web.token_manager(tokens)
    refreshed = await manager.force_refresh()
    assert refreshed.refresh_token == tokens.refresh_token  # no rotation: kept
    assert refreshed.access_token != tokens.access_token

    await web.revoke(tokens.refresh_token)  # type: ignore[arg-type]
    with pytest.raises(SignedOutError):
        await manager.force_refresh()
    assert manager.signed_out
    with pytest.raises(OAuthError) as info_error:
        await web.user_info(refreshed.access_token)
    assert info_error.value.code == "invalid_token"


async def test_access_token_scope_governs_the_self_service_api(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    """Without aws.cognito.signin.user.admin the access token cannot call GetUser."""
    request, location = await bob_code(web, browser, scopes=["openid", "email"])
    tokens = await web.exchange_code(location, request)
    with pytest.raises(ClientError) as error:
        await env.admin.get_user(AccessToken=tokens.access_token)
    assert error.value.response["Error"]["Message"] == "Access Token does not have required scopes"
    request, location = await bob_code(
        web, browser, scopes=["openid", "aws.cognito.signin.user.admin"], prompt="login"
    )
    tokens = await web.exchange_code(location, request)
    user = await env.admin.get_user(AccessToken=tokens.access_token)
    assert user["Username"] == "bob"


async def test_managed_login_session_skips_the_form_until_logout(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    await bob_code(web, browser)
    again = await browser.open(web.authorization_request().url)
    assert again.location is not None and "code=" in again.location  # no form: the cookie
    forced = await browser.open(web.authorization_request(prompt="login").url)
    assert forced.page is not None and 'name="password"' in forced.page

    out = await browser.open(web.logout_url(LOGOUT))
    assert out.location == LOGOUT
    after = await browser.open(web.authorization_request().url)
    assert after.page is not None and 'name="password"' in after.page
    silent = await browser.open(web.authorization_request(prompt="none").url)
    assert silent.location is not None and query(silent.location)["error"] == "login_required"


async def test_login_page_wrong_password_then_wrong_code_are_retried(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request = web.authorization_request()
    await browser.open(request.url)
    wrong = await browser.submit(username="alice", password="Wr0ng-password!")
    assert wrong.status == 400 and wrong.error == "Incorrect username or password."
    await browser.submit(username="alice", password=PASSWORD)
    bad = await browser.submit(code="000000" if env.totp(TOTP_SECRET) != "000000" else "111111")
    assert bad.status == 400 and bad.error == "Invalid code or auth state for the user."
    good = await browser.submit(code=env.totp(TOTP_SECRET))
    assert good.location is not None
    tokens = await web.exchange_code(good.location, request)
    assert tokens.unverified_claims("id")["cognito:username"] == "alice"


async def test_login_page_new_password_and_email_code(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    pool = env.local.pool(env.pool_id)
    pool.create_user(
        "carol",
        "Temp0rary-pass!",
        attributes={"email": "carol@example.com"},
        status="FORCE_CHANGE_PASSWORD",
        mfa="EMAIL_OTP",
    )
    request = web.authorization_request()
    await browser.open(request.url)
    step = await browser.submit(username="carol", password="Temp0rary-pass!")
    assert step.page is not None and 'name="new_password"' in step.page
    weak = await browser.submit(new_password="short")
    assert weak.error is not None and weak.error.startswith("Password did not conform")
    step = await browser.submit(new_password="N3w-password-ok!")
    assert step.page is not None and "We sent a code to" in step.page
    code = env.local.outbox.last(username="carol", purpose="MFA").code
    done = await browser.submit(code=code)
    assert done.location is not None
    tokens = await web.exchange_code(done.location, request)
    assert tokens.unverified_claims("id")["email"] == "carol@example.com"
    assert pool.user("carol").status == "CONFIRMED"


async def test_login_page_sets_up_totp_when_the_pool_requires_mfa(
    local: Any, admin: Any, browser: FormBrowser
) -> None:
    env = await make_oauth_pool(local, admin, mfa="ON")
    await admin.set_user_pool_mfa_config(
        UserPoolId=env.pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="ON",
    )
    local.pool(env.pool_id).create_user("dan", PASSWORD)
    async with oauth_client(env) as web:
        request = web.authorization_request()
        await browser.open(request.url)
        setup = await browser.submit(username="dan", password=PASSWORD)
        assert setup.page is not None and 'id="secret"' in setup.page
        secret = setup.page.split('<code id="secret">')[1].split("</code>")[0]
        wrong = "000000" if env.totp(secret) != "000000" else "111111"
        retry = await browser.submit(code=wrong)
        assert retry.error == "Code mismatch" and 'id="secret"' in (retry.page or "")
        done = await browser.submit(code=env.totp(secret))
        assert done.location is not None, done.error
        tokens = await web.exchange_code(done.location, request)
        assert tokens.unverified_claims("id")["cognito:username"] == "dan"
    assert local.pool(env.pool_id).user("dan").totp_enabled


async def test_confidential_client_secret_by_basic_auth(
    env: OAuthPool, browser: FormBrowser
) -> None:
    async with oauth_client(env, "confidential", scopes=("openid", "api/read")) as client:
        request = client.authorization_request()
        result = await browser.sign_in(request.url, "bob")
        assert result.location is not None
        tokens = await client.exchange_code(result.location, request)
        access = tokens.unverified_claims("access")
        assert access["scope"] == "openid api/read" and access["version"] == 2


async def test_implicit_grant_returns_tokens_in_the_fragment(
    env: OAuthPool, browser: FormBrowser
) -> None:
    info = env.clients["confidential"]
    url = f"{env.domain_url}/oauth2/authorize?" + urlencode(
        {
            "response_type": "token",
            "client_id": info["ClientId"],
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "s1",
            "nonce": "n1",
        }
    )
    result = await browser.sign_in(url, "bob")
    assert result.location is not None
    fragment = {k: v[0] for k, v in parse_qs(urlsplit(result.location).fragment).items()}
    assert set(fragment) == {"access_token", "id_token", "token_type", "expires_in", "state"}
    verifier = TokenVerifier(
        user_pool_id=env.pool_id,
        client_id=info["ClientId"],
        endpoint_url=env.local.endpoint_url,
        clock=env.local.clock.now,
    )
    claims = await verifier.verify_id_token(fragment["id_token"])
    assert claims["nonce"] == "n1" and fragment["state"] == "s1"
    assert fragment["token_type"] == "Bearer"


async def test_client_credentials_grant(env: OAuthPool) -> None:
    async with oauth_client(env, "m2m") as m2m:
        token = await m2m.client_credentials()
        assert token.scopes == ("api/read",)
        claims = await m2m.verifier.verify_access_token(token.access_token)  # type: ignore[union-attr]
        assert claims["sub"] == env.clients["m2m"]["ClientId"] and "username" not in claims
        with pytest.raises(InvalidScopeError):
            await m2m.client_credentials(["api/write"])  # exists, not allowed for the client
        with pytest.raises(InvalidScopeError):
            await m2m.client_credentials(["openid"])


# ------------------------------------------------------------------------ refused: authorize
async def test_wrong_redirect_uri_shows_redirect_mismatch(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request = web.authorization_request(redirect_uri="http://localhost:8765/not-registered")
    result = await browser.open(request.url)
    assert result.status == 400 and result.page is not None
    assert '<p class="error" id="error">redirect_mismatch</p>' in result.page
    assert str(browser.session.cookie_jar.filter_cookies(env.domain_url)) == ""  # not signed in


async def test_scope_not_allowed_is_invalid_scope(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request = web.authorization_request(scopes=["openid", "api/read"])  # not the web client's
    result = await browser.open(request.url)
    assert result.location is not None
    assert query(result.location)["error"] == "invalid_scope"
    with pytest.raises(InvalidScopeError):
        await web.exchange_code(result.location, request)
    email_only = await browser.open(web.authorization_request(scopes=["email"]).url)
    assert query(email_only.location or "")["error"] == "invalid_scope"  # needs openid


async def test_client_without_the_flow_is_unauthorized_client(
    env: OAuthPool, browser: FormBrowser
) -> None:
    async with oauth_client(env, "api-only") as client:
        request = client.authorization_request()
        result = await browser.open(request.url)
        assert result.location is not None
        assert query(result.location)["error"] == "unauthorized_client"
        assert query(result.location)["state"] == request.state
        with pytest.raises(UnauthorizedClientError):
            await client.exchange_code(result.location, request)
        with pytest.raises(UnauthorizedClientError):
            await client.client_credentials(["api/read"])
    implicit = f"{env.domain_url}/oauth2/authorize?" + urlencode(
        {
            "response_type": "token",  # the web client allows the code grant only
            "client_id": env.clients["web"]["ClientId"],
            "redirect_uri": CALLBACK,
            "scope": "openid",
        }
    )
    result = await browser.open(implicit)
    assert query(result.location or "")["error"] == "unauthorized_client"


async def test_bad_pkce_parameters_are_invalid_request(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request = web.authorization_request()
    plain = request.url.replace("code_challenge_method=S256", "code_challenge_method=plain")
    result = await browser.open(plain)
    assert query(result.location or "")["error"] == "invalid_request"


# ------------------------------------------------------------------------ refused: token
async def test_pkce_verifier_mismatch_is_invalid_grant(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request, location = await bob_code(web, browser)
    forged = attrs.evolve(request, code_verifier="x" * 64)
    with pytest.raises(InvalidGrantError) as error:
        await web.exchange_code(location, forged)
    assert isinstance(error.value, NotAuthorizedError)  # TokenManager signs out on it
    with pytest.raises(InvalidGrantError):  # the code was consumed by the failed attempt
        await web.exchange_code(location, request)


async def test_reused_code_is_invalid_grant(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request, location = await bob_code(web, browser)
    await web.exchange_code(location, request)
    with pytest.raises(InvalidGrantError):
        await web.exchange_code(location, request)


async def test_expired_code_is_invalid_grant(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request, location = await bob_code(web, browser)
    env.local.clock.advance(301)  # codes live five minutes
    with pytest.raises(InvalidGrantError):
        await web.exchange_code(location, request)
    request, location = await bob_code(web, browser, prompt="login")
    env.local.clock.advance(299)
    assert (await web.exchange_code(location, request)).refresh_token


async def test_code_redeemed_with_another_redirect_uri_is_invalid_grant(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request, location = await bob_code(web, browser)
    other = attrs.evolve(request, redirect_uri="http://localhost:8765/other")
    with pytest.raises(InvalidGrantError):
        await web.exchange_code(query(location), other)


async def test_wrong_client_secret_is_invalid_client(env: OAuthPool, browser: FormBrowser) -> None:
    info = env.clients["confidential"]
    async with oauth_client(env, "confidential") as good:
        request = good.authorization_request(scopes=["openid"])
        result = await browser.sign_in(request.url, "bob")
        assert result.location is not None
    wrong = OAuthClient(
        domain=env.domain_url,
        client_id=info["ClientId"],
        client_secret="wrong" + info["ClientSecret"][5:],
        redirect_uri=CALLBACK,
        user_pool_id=env.pool_id,
        endpoint_url=env.local.endpoint_url,
    )
    async with wrong:
        with pytest.raises(InvalidClientError):
            await wrong.exchange_code(result.location, request)
        with pytest.raises(InvalidClientError):
            await wrong.client_credentials(["api/read"])
        with pytest.raises(InvalidClientError) as revoke_error:
            await wrong.revoke("any-refresh-token")
        assert revoke_error.value.http_status == 401  # the revoke endpoint's status
    async with oauth_client(env, "m2m") as m2m:
        no_secret = OAuthClient(domain=env.domain_url, client_id=env.clients["m2m"]["ClientId"])
        async with no_secret:
            with pytest.raises(OAuthError):
                await no_secret.revoke("x")  # a confidential client without its secret
        assert m2m is not None


async def test_state_and_nonce_are_checked(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    request, location = await bob_code(web, browser)
    with pytest.raises(OAuthStateError):
        await web.exchange_code(location, attrs.evolve(request, state="forged"))
    with pytest.raises(NonceMismatchError):  # nothing was sent for the state: the code works
        await web.exchange_code(location, attrs.evolve(request, nonce="other"))


async def raw_token(env: OAuthPool, data: dict[str, str], **headers: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{env.domain_url}/oauth2/token", data=data, headers=headers) as response,
    ):
        return response.status, await response.json(content_type=None)


async def test_token_endpoint_request_errors(env: OAuthPool) -> None:
    web_id = env.clients["web"]["ClientId"]
    assert await raw_token(env, {"client_id": web_id}) == (
        400,
        {"error": "invalid_request", "error_description": "grant_type is required."},
    )
    status, body = await raw_token(env, {"grant_type": "password", "client_id": web_id})
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, body = await raw_token(env, {"grant_type": "authorization_code", "client_id": web_id})
    assert (status, body["error"]) == (400, "invalid_request")
    status, body = await raw_token(env, {"grant_type": "refresh_token", "client_id": "nope"})
    assert (status, body["error"]) == (400, "invalid_client")
    status, body = await raw_token(
        env, {"grant_type": "authorization_code", "client_id": web_id, "code": "unknown"}
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    m2m = env.clients["m2m"]
    basic = base64.b64encode(f"{m2m['ClientId']}:{m2m['ClientSecret']}".encode()).decode()
    status, body = await raw_token(
        env, {"grant_type": "client_credentials"}, Authorization=f"Basic {basic}"
    )
    assert status == 200 and set(body) == {"access_token", "token_type", "expires_in"}
    post = {"client_id": m2m["ClientId"], "client_secret": m2m["ClientSecret"]}
    status, body = await raw_token(env, {"grant_type": "client_credentials", **post})
    assert status == 200 and body["token_type"] == "Bearer"  # client_secret_post
    status, body = await raw_token(
        env, {"grant_type": "client_credentials", **post}, Authorization=f"Basic {basic}"
    )
    assert (status, body["error"]) == (400, "invalid_request")  # two ways to authenticate


async def test_refresh_of_api_tokens_at_the_token_endpoint(env: OAuthPool) -> None:
    """Tokens from InitiateAuth refresh at /oauth2/token when ALLOW_REFRESH_TOKEN_AUTH is on."""
    info = env.clients["web"]
    await env.admin.update_user_pool_client(
        UserPoolId=env.pool_id,
        ClientId=info["ClientId"],
        **{
            k: info[k]
            for k in (
                "AllowedOAuthFlowsUserPoolClient",
                "AllowedOAuthFlows",
                "AllowedOAuthScopes",
                "CallbackURLs",
                "LogoutURLs",
                "SupportedIdentityProviders",
            )
        },
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    result = await env.admin.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=info["ClientId"],
        AuthParameters={"USERNAME": "bob", "PASSWORD": PASSWORD},
    )
    refresh = result["AuthenticationResult"]["RefreshToken"]
    status, body = await raw_token(
        env,
        {"grant_type": "refresh_token", "client_id": info["ClientId"], "refresh_token": refresh},
    )
    assert status == 200 and "id_token" in body and "refresh_token" not in body


# ------------------------------------------------------------------------ other endpoints
async def test_userinfo_and_revoke_errors(env: OAuthPool) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{env.domain_url}/oauth2/userInfo") as response:
            assert response.status == 400
            assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]
        async with http.get(
            f"{env.domain_url}/oauth2/userInfo", headers={"Authorization": "Bearer x.y.z"}
        ) as response:
            assert response.status == 401
            assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]
        async with http.post(
            f"{env.domain_url}/oauth2/revoke", data={"client_id": env.clients["web"]["ClientId"]}
        ) as response:
            assert response.status == 400
            assert (await response.json())["error"] == "invalid_request"


async def test_discovery_lists_exactly_the_served_endpoints(env: OAuthPool, local: Any) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{local.endpoint_url}/{env.pool_id}/.well-known/openid-configuration"
        async with http.get(url) as response:
            doc = await response.json()
        endpoints = {k: v for k, v in doc.items() if k.endswith(("_endpoint", "_uri"))}
        assert set(endpoints) == {
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
            "revocation_endpoint",
            "end_session_endpoint",
            "jwks_uri",
        }
        assert doc["issuer"] == f"{local.endpoint_url}/{env.pool_id}"
        for key, endpoint in endpoints.items():
            method = "POST" if key in ("token_endpoint", "revocation_endpoint") else "GET"
            async with http.request(method, endpoint, allow_redirects=False) as response:
                assert response.status not in (404, 405), (key, response.status)
        # The default pool has no domain: no OAuth endpoints are advertised.
        default = f"{local.endpoint_url}/{local.user_pool_id}/.well-known/openid-configuration"
        async with http.get(default) as response:
            assert set(await response.json()) & set(endpoints) == {"jwks_uri"}
        async with http.get(f"{local.endpoint_url}/domain/nope/oauth2/authorize") as response:
            assert response.status == 404


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        (
            {
                "AllowedOAuthFlows": ["code", "client_credentials"],
                "AllowedOAuthScopes": ["api/read"],
            },
            "InvalidOAuthFlowException",
        ),
        (
            {
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid"],
                "CallbackURLs": ["http://example.com/cb"],
            },
            "InvalidParameterException",
        ),
        (
            {
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["api/delete"],
                "CallbackURLs": [CALLBACK],
            },
            "ScopeDoesNotExistException",
        ),
        (
            {"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["api/read"]},
            "InvalidOAuthFlowException",
        ),  # no secret
        (
            {"AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid"]},
            "InvalidParameterException",
        ),  # no callback URL
        (
            {"AllowedOAuthFlows": ["device"], "AllowedOAuthScopes": ["openid"]},
            "InvalidParameterException",
        ),
    ],
)
async def test_client_oauth_settings_are_checked(
    env: OAuthPool, settings: dict[str, Any], code: str
) -> None:
    with pytest.raises(ClientError) as error:
        await env.admin.create_user_pool_client(
            UserPoolId=env.pool_id,
            ClientName="bad",
            AllowedOAuthFlowsUserPoolClient=True,
            **settings,
        )
    assert error.value.response["Error"]["Code"] == code


async def test_domains_and_resource_servers_through_the_api(env: OAuthPool) -> None:
    admin = env.admin
    described = await admin.describe_user_pool(UserPoolId=env.pool_id)
    assert described["UserPool"]["Domain"] == "tests-oauth"
    other = (await admin.create_user_pool(PoolName="other"))["UserPool"]["Id"]
    for domain, message in (
        ("tests-oauth", "Domain already associated with another user pool."),
        ("my-aws-login", "Domain cannot contain reserved word: aws"),
        ("Upper", None),
    ):
        with pytest.raises(ClientError) as error:
            await admin.create_user_pool_domain(UserPoolId=other, Domain=domain)
        assert error.value.response["Error"]["Code"] == "InvalidParameterException"
        if message:
            assert error.value.response["Error"]["Message"] == message
    assert (await admin.describe_user_pool_domain(Domain="unknown"))["DomainDescription"] == {}
    with pytest.raises(ClientError) as error:
        await admin.describe_resource_server(UserPoolId=env.pool_id, Identifier="nope")
    assert error.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as error:
        await admin.create_resource_server(UserPoolId=env.pool_id, Identifier="api", Name="again")
    assert error.value.response["Error"]["Code"] == "InvalidParameterException"
    await admin.delete_user_pool_domain(UserPoolId=env.pool_id, Domain="tests-oauth")
    url = f"{env.local.endpoint_url}/domain/tests-oauth/oauth2/authorize"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 404


async def test_passkeys_use_the_pool_domain_as_relying_party(local: Any, admin: Any) -> None:
    """Without a RelyingPartyId, passkeys belong to the pool's prefix domain."""
    await admin.update_user_pool(
        UserPoolId=local.user_pool_id,
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
    )
    await admin.set_user_pool_mfa_config(
        UserPoolId=local.user_pool_id,
        MfaConfiguration="OFF",
        WebAuthnConfiguration={"UserVerification": "required"},
    )
    local.pool().create_user("pat", PASSWORD)
    token = (
        await admin.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=local.client_id,
            AuthParameters={"USERNAME": "pat", "PASSWORD": PASSWORD},
        )
    )["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as error:
        await admin.start_web_authn_registration(AccessToken=token)
    assert error.value.response["Error"]["Code"] == "WebAuthnConfigurationMissingException"
    await admin.create_user_pool_domain(UserPoolId=local.user_pool_id, Domain="passkeys")
    started = await admin.start_web_authn_registration(AccessToken=token)
    rp_id = started["CredentialCreationOptions"]["rp"]["id"]
    assert rp_id == f"passkeys.auth.{local.region}.amazoncognito.com"


async def test_pre_token_generation_fires_at_the_token_endpoint(
    env: OAuthPool, web: OAuthClient, browser: FormBrowser
) -> None:
    """Managed login's tokens go through PreTokenGeneration as TokenGeneration_HostedAuth,
    their refreshes as TokenGeneration_RefreshTokens (Lambda developer guide, pre token
    generation trigger sources); the claims it adds are in the ID token."""
    events: list[dict[str, Any]] = []

    def add_claim(event: dict[str, Any]) -> None:
        events.append(event)
        event["response"]["claimsOverrideDetails"] = {
            "claimsToAddOrOverride": {"tier": event["triggerSource"]}
        }

    env.local.pool(env.pool_id).set_triggers(pre_token_generation=add_claim)
    request, location = await bob_code(web, browser)
    tokens = await web.exchange_code(location, request)
    assert [e["triggerSource"] for e in events] == ["TokenGeneration_HostedAuth"]
    assert events[0]["userName"] == "bob"
    assert tokens.unverified_claims("id")["tier"] == "TokenGeneration_HostedAuth"
    refreshed = await web.token_manager(tokens).force_refresh()
    assert [e["triggerSource"] for e in events][1:] == ["TokenGeneration_RefreshTokens"]
    assert refreshed.unverified_claims("id")["tier"] == "TokenGeneration_RefreshTokens"
