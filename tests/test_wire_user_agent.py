"""The cached User-Agent of CognitoClient is the header botocore itself would send."""

from __future__ import annotations

from aiobotocore.session import get_session
from aiohttp import web

from cognito_flows.wire import ClientConfig, CognitoClient


async def test_cached_user_agent_equals_botocores() -> None:
    seen: list[str] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(request.headers["User-Agent"])
        return web.json_response({"Username": "u", "UserAttributes": []})

    app = web.Application()
    app.router.add_post("/", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{port}"
    try:
        async with CognitoClient(region="eu-west-1", endpoint_url=url) as client:
            for _ in range(3):
                await client.call("GetUser", AccessToken="t")
        config = ClientConfig().aio_config(unsigned=True)
        async with get_session().create_client(
            "cognito-idp", region_name="eu-west-1", endpoint_url=url, config=config
        ) as plain:
            await plain.get_user(AccessToken="t")
    finally:
        await runner.cleanup()
    assert len(seen) == 4
    assert seen[0].startswith("aiobotocore/") or "Botocore/" in seen[0]
    assert seen[:3] == [seen[3]] * 3
