"""Managed login in a real browser: headless Chromium (driven by Playwright) opens the
example app (docs/examples/managed_login.py), is sent to the local Cognito's login page,
types the password and a TOTP code, lands back signed in, and signs out.

Needs Debian's ``chromium`` and the ``playwright`` package (its own browsers are not used).
Skipped with the reason when either is missing, unless ``CF_REQUIRE_BROWSER=1`` (then it
fails). ``CF_SCREENSHOT_DIR`` keeps the login page's screenshot there.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pyotp
import pytest

from cognito_flows.oauth import OAuthClient

from .browser import CHROMIUM_ARGS, bound_socket, chromium_for_playwright, load_example, serving
from .oauth_helpers import PASSWORD

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
async def served_app(local: Any, admin: Any) -> AsyncIterator[dict[str, Any]]:
    """The example app on 127.0.0.1 (uvicorn, in this event loop) and its app client."""
    sock = bound_socket()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    pool_id = (await admin.create_user_pool(PoolName="browser", MfaConfiguration="OFF"))[
        "UserPool"
    ]["Id"]
    await admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        SoftwareTokenMfaConfiguration={"Enabled": True},
        MfaConfiguration="OPTIONAL",
    )
    await admin.create_user_pool_domain(UserPoolId=pool_id, Domain="browser-test")
    client = (
        await admin.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="example",
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthFlows=["code"],
            AllowedOAuthScopes=["openid", "email", "profile"],
            CallbackURLs=[f"{base}/callback"],
            LogoutURLs=[f"{base}/signed-out"],
            SupportedIdentityProviders=["COGNITO"],
            ExplicitAuthFlows=["ALLOW_REFRESH_TOKEN_AUTH"],
        )
    )["UserPoolClient"]
    local.pool(pool_id).create_user(
        "alice",
        PASSWORD,
        attributes={"email": "alice@example.com"},
        mfa="SOFTWARE_TOKEN_MFA",
        totp_secret=TOTP_SECRET,
    )
    example = load_example("managed_login")
    oauth = OAuthClient(
        domain=local.domain_url(pool_id),
        client_id=client["ClientId"],
        redirect_uri=f"{base}/callback",
        user_pool_id=pool_id,
        endpoint_url=local.endpoint_url,
        clock=local.clock.now,
    )
    sessions = example.Sessions()
    app = example.create_app(oauth, base, sessions=sessions)
    try:
        async with serving(app, sock):
            yield {"base": base, "domain": local.domain_url(pool_id), "sessions": sessions}
    finally:
        await oauth.close()


async def test_sign_in_with_totp_and_sign_out_in_chromium(
    served_app: dict[str, Any], local: Any, tmp_path: Path
) -> None:
    chromium = chromium_for_playwright()
    from playwright.async_api import async_playwright

    base, domain = served_app["base"], served_app["domain"]
    hosts: set[str] = set()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            page.set_default_timeout(60_000)
            page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
            await page.goto(f"{base}/")
            assert await page.text_content("#status") == "Signed out."
            await page.click("#sign-in")
            await page.wait_for_url(f"{domain}/login?*")
            shot = tmp_path / "login.png"
            await page.screenshot(path=str(shot), full_page=True)
            assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
            if os.environ.get("CF_SCREENSHOT_DIR"):
                shutil.copy(shot, Path(os.environ["CF_SCREENSHOT_DIR"]) / "managed-login.png")
            await page.fill("#username", "alice")
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_selector("#code")
            if os.environ.get("CF_SCREENSHOT_DIR"):
                await page.screenshot(
                    path=str(Path(os.environ["CF_SCREENSHOT_DIR"]) / "managed-login-totp.png")
                )
            await page.fill("#code", pyotp.TOTP(TOTP_SECRET).at(local.clock.now()))
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{base}/")
            assert await page.text_content("#who") == "alice@example.com"
            assert len(served_app["sessions"].signed_in) == 1

            await page.click("#sign-out")
            await page.wait_for_url(f"{base}/signed-out")
            assert served_app["sessions"].signed_in == {}
            # The managed login session ended too: signing in again shows the form.
            await page.goto(f"{base}/login")
            await page.wait_for_url(f"{domain}/login?*")
            assert await page.is_visible("#password")
        finally:
            await browser.close()
    # No external assets: every request went to the app or the emulator (127.0.0.1).
    assert {h.split(":")[0] for h in hosts} == {"127.0.0.1"}
