"""The cached User-Agent of CognitoClient is the header botocore itself would send."""

from __future__ import annotations

from aiobotocore.session import get_session

from cognito_flows.wire import ClientConfig, CognitoClient

from .scripted_cognito import ScriptedCognito


async def test_cached_user_agent_equals_botocores() -> None:
    async with ScriptedCognito() as server:
        server.on("GetUser", (200, {"Username": "u", "UserAttributes": []}))
        url = server.url
        async with CognitoClient(region="eu-west-1", endpoint_url=url) as client:
            for _ in range(3):
                await client.call("GetUser", AccessToken="t")
        config = ClientConfig().aio_config(unsigned=True)
        async with get_session().create_client(
            "cognito-idp", region_name="eu-west-1", endpoint_url=url, config=config
        ) as plain:
            await plain.get_user(AccessToken="t")
    seen = [request.headers["User-Agent"] for request in server.requests]
    assert len(seen) == 4
    assert seen[0].startswith("aiobotocore/") or "Botocore/" in seen[0]
    assert seen[:3] == [seen[3]] * 3
