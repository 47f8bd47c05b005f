"""The same scenarios against moto server and against the local Cognito give the same outcome.

Each scenario is plain Cognito API calls (aiobotocore), run once per peer; its outcome is the
list of "ok" or error codes. Where moto is known to be lenient (research/emulators.md) the
scenario says so and the expected difference is asserted too, so a change on either side
shows up. docs/local.md lists the differences.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from cognito_flows import UserPool

pytestmark = pytest.mark.moto

PASSWORD = "Parity-Passw0rd!"
FLOWS = ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]


class Peer:
    def __init__(self, name: str, endpoint: str, region: str, client: Any) -> None:
        self.name = name
        self.endpoint = endpoint
        self.region = region
        self.idp = client
        self.pool_id = ""
        self.client_id = ""

    async def setup(self, *, mfa: str = "OFF") -> None:
        pool = await self.idp.create_user_pool(PoolName="parity", AutoVerifiedAttributes=["email"])
        self.pool_id = pool["UserPool"]["Id"]
        if mfa != "OFF":
            await self.idp.set_user_pool_mfa_config(
                UserPoolId=self.pool_id,
                MfaConfiguration=mfa,
                SoftwareTokenMfaConfiguration={"Enabled": True},
            )
        client = await self.idp.create_user_pool_client(
            UserPoolId=self.pool_id,
            ClientName="parity",
            ExplicitAuthFlows=FLOWS,
            PreventUserExistenceErrors="LEGACY",
        )
        self.client_id = client["UserPoolClient"]["ClientId"]

    async def user(self, name: str, *, permanent: bool = True) -> None:
        await self.idp.admin_create_user(
            UserPoolId=self.pool_id,
            Username=name,
            TemporaryPassword=PASSWORD,
            MessageAction="SUPPRESS",
        )
        if permanent:
            await self.idp.admin_set_user_password(
                UserPoolId=self.pool_id, Username=name, Password=PASSWORD, Permanent=True
            )

    async def outcome(self, call: Awaitable[Any]) -> str:
        try:
            await call
        except ClientError as exc:
            return str(exc.response["Error"]["Code"])
        return "ok"

    def password_auth(self, name: str, password: str = PASSWORD) -> Awaitable[Any]:
        return self.idp.initiate_auth(
            ClientId=self.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": password},
        )


@pytest.fixture
async def peers(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[Peer]]:
    from cognito_local import LocalCognito

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = get_session()
    async with (
        LocalCognito() as local,
        session.create_client(
            "cognito-idp",
            region_name="us-east-1",
            endpoint_url=moto_endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ) as moto_client,
        session.create_client(
            "cognito-idp",
            region_name=local.region,
            endpoint_url=local.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ) as local_client,
    ):
        yield [
            Peer("moto", moto_endpoint, "us-east-1", moto_client),
            Peer("local", local.endpoint_url, local.region, local_client),
        ]


Scenario = Callable[[Peer], Awaitable[list[str]]]


async def _both(peers: list[Peer], scenario: Scenario, **setup: Any) -> dict[str, list[str]]:
    results = {}
    for peer in peers:
        await peer.setup(**setup)
        results[peer.name] = await scenario(peer)
    return results


async def test_password_sign_in_outcomes(peers: list[Peer]) -> None:
    async def scenario(p: Peer) -> list[str]:
        await p.user("alice")
        await p.user("temp", permanent=False)
        return [
            await p.outcome(p.password_auth("alice")),
            await p.outcome(p.password_auth("alice", "Wrong-Passw0rd!")),
            await p.outcome(p.password_auth("nobody")),
        ]

    results = await _both(peers, scenario)
    assert (
        results["moto"]
        == results["local"]
        == ["ok", "NotAuthorizedException", "UserNotFoundException"]
    )


async def test_sign_up_duplicate_and_policy(peers: list[Peer]) -> None:
    async def scenario(p: Peer) -> list[str]:
        sign_up = p.idp.sign_up
        return [
            await p.outcome(sign_up(ClientId=p.client_id, Username="bob", Password=PASSWORD)),
            await p.outcome(sign_up(ClientId=p.client_id, Username="bob", Password=PASSWORD)),
            await p.outcome(sign_up(ClientId=p.client_id, Username="carl", Password="short")),
            await p.outcome(p.password_auth("bob")),
        ]

    results = await _both(peers, scenario)
    assert (
        results["moto"]
        == results["local"]
        == [
            "ok",
            "UsernameExistsException",
            "InvalidPasswordException",
            "UserNotConfirmedException",
        ]
    )


async def test_confirm_sign_up_code(peers: list[Peer]) -> None:
    async def scenario(p: Peer) -> list[str]:
        await p.idp.sign_up(
            ClientId=p.client_id,
            Username="dan",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "dan@example.com"}],
        )
        return [
            await p.outcome(
                p.idp.confirm_sign_up(
                    ClientId=p.client_id, Username="dan", ConfirmationCode="000000"
                )
            )
        ]

    results = await _both(peers, scenario)
    # Known leniency: moto never checks sign-up codes.
    assert results == {"moto": ["ok"], "local": ["CodeMismatchException"]}


async def test_library_sign_in_srp_and_refresh(peers: list[Peer]) -> None:
    for peer in peers:
        await peer.setup()
        await peer.user("erin")
        async with UserPool(
            peer.pool_id, peer.client_id, endpoint_url=peer.endpoint, region=peer.region
        ) as pool:
            tokens = await pool.sign_in("erin", PASSWORD)
            assert tokens.username == "erin", peer.name
            refreshed = await pool.refresh_tokens(tokens)
            assert refreshed.access_token != tokens.access_token or peer.name == "moto"
            assert refreshed.refresh_token == tokens.refresh_token, peer.name


async def test_srp_with_wrong_password(peers: list[Peer]) -> None:
    outcomes = {}
    for peer in peers:
        await peer.setup()
        await peer.user("fay")
        async with UserPool(
            peer.pool_id, peer.client_id, endpoint_url=peer.endpoint, region=peer.region
        ) as pool:
            step = await pool.sign_in_flow("fay", "Wrong-Passw0rd!").start()
            outcomes[peer.name] = step.state
    # Known leniency: moto never verifies the SRP signature, so a wrong password signs in.
    assert outcomes == {"moto": "DONE", "local": "FAILED"}


async def test_global_sign_out_revokes_access_token(peers: list[Peer]) -> None:
    async def scenario(p: Peer) -> list[str]:
        await p.user("gus")
        auth = await p.password_auth("gus")
        access = auth["AuthenticationResult"]["AccessToken"]
        return [
            await p.outcome(p.idp.get_user(AccessToken=access)),
            await p.outcome(p.idp.global_sign_out(AccessToken=access)),
            await p.outcome(p.idp.get_user(AccessToken=access)),
        ]

    results = await _both(peers, scenario)
    assert results["moto"] == results["local"] == ["ok", "ok", "NotAuthorizedException"]


async def test_new_password_required(peers: list[Peer]) -> None:
    async def scenario(p: Peer) -> list[str]:
        await p.user("hal", permanent=False)
        auth = await p.password_auth("hal")
        outcomes = [auth.get("ChallengeName", "tokens")]
        respond = p.idp.respond_to_auth_challenge
        outcomes.append(
            await p.outcome(
                respond(
                    ClientId=p.client_id,
                    ChallengeName="NEW_PASSWORD_REQUIRED",
                    Session=auth["Session"],
                    ChallengeResponses={"USERNAME": "hal", "NEW_PASSWORD": "short"},
                )
            )
        )
        auth = await p.password_auth("hal")
        outcomes.append(
            await p.outcome(
                respond(
                    ClientId=p.client_id,
                    ChallengeName="NEW_PASSWORD_REQUIRED",
                    Session=auth["Session"],
                    ChallengeResponses={"USERNAME": "hal", "NEW_PASSWORD": "N3w-Parity-Passw0rd!"},
                )
            )
        )
        return outcomes

    results = await _both(peers, scenario)
    assert (
        results["moto"]
        == results["local"]
        == ["NEW_PASSWORD_REQUIRED", "InvalidPasswordException", "ok"]
    )


async def test_reused_session(peers: list[Peer]) -> None:
    async def scenario(p: Peer) -> list[str]:
        await p.user("ivy", permanent=False)
        auth = await p.password_auth("ivy")
        respond = p.idp.respond_to_auth_challenge
        answer = {"USERNAME": "ivy", "NEW_PASSWORD": "N3w-Parity-Passw0rd!"}
        first = await p.outcome(
            respond(
                ClientId=p.client_id,
                Session=auth["Session"],
                ChallengeName="NEW_PASSWORD_REQUIRED",
                ChallengeResponses=answer,
            )
        )
        again = await p.outcome(
            respond(
                ClientId=p.client_id,
                Session=auth["Session"],
                ChallengeName="NEW_PASSWORD_REQUIRED",
                ChallengeResponses=answer,
            )
        )
        return [first, again]

    results = await _both(peers, scenario)
    # Known difference: moto answers a used session with ResourceNotFoundException,
    # Cognito (and local) with NotAuthorizedException "Invalid session...".
    assert results["local"] == ["ok", "NotAuthorizedException"]
    assert results["moto"][0] == "ok" and results["moto"][1] in (
        "ResourceNotFoundException",
        "NotAuthorizedException",
    )
