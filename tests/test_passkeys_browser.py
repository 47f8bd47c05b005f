"""Passkeys in a real browser: headless Chromium (driven by Playwright) with its virtual
WebAuthn authenticator (DevTools protocol ``WebAuthn.addVirtualAuthenticator``) opens the
example app (docs/examples/passkeys.py), signs in with a password, registers a passkey,
signs out and signs in with the passkey, against the local Cognito.

Needs Debian's ``chromium`` and the ``playwright`` package (its own browsers are not used).
Skipped with the reason when either is missing, unless ``CF_REQUIRE_BROWSER=1`` (then it
fails). ``CF_SCREENSHOT_DIR`` keeps the page's screenshot there.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cognito_flows import UserPool

from .browser import CHROMIUM_ARGS, bound_socket, chromium_for_playwright, load_example, serving

PASSWORD = "Passw0rd!x-browser"
# The page must be on http://localhost (the relying party id), a secure context, served
# from 127.0.0.1 only.
LOCALHOST_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP localhost 127.0.0.1"]


@pytest.fixture
async def served(local: Any) -> AsyncIterator[dict[str, Any]]:
    example = load_example("passkeys")
    pool_id, client_id = example.passkey_pool(local)
    local.pool(pool_id).create_user("alice", PASSWORD, attributes={"email": "alice@example.com"})
    sock = bound_socket()
    port = sock.getsockname()[1]
    async with (
        UserPool(pool_id, client_id, endpoint_url=local.endpoint_url, region=local.region) as pool,
        serving(example.create_app(pool), sock),
    ):
        yield {"base": f"http://localhost:{port}", "pool_id": pool_id}


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where the screenshot goes (``CF_SCREENSHOT_DIR`` keeps it)."""
    folder = Path(os.environ.get("CF_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_register_sign_out_and_sign_in_with_a_passkey(
    local: Any, served: dict[str, Any], shots: Path
) -> None:
    chromium = chromium_for_playwright()
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True, args=LOCALHOST_ARGS
        )
        try:
            page = await browser.new_page()
            cdp = await page.context.new_cdp_session(page)
            await cdp.send("WebAuthn.enable", {"enableUI": False})
            added = await cdp.send(
                "WebAuthn.addVirtualAuthenticator",
                {
                    "options": {
                        "protocol": "ctap2",
                        "transport": "internal",
                        "hasResidentKey": True,
                        "hasUserVerification": True,
                        "isUserVerified": True,
                        "automaticPresenceSimulation": True,
                    }
                },
            )
            status = page.locator("#status")
            await page.goto(served["base"] + "/")
            await page.fill("#username", "alice")
            await page.fill("#password", PASSWORD)
            await page.click("#password-sign-in")
            await status.filter(has_text="Signed in as alice (password).").wait_for()
            await page.click("#add-passkey")
            await status.filter(has_text="Passkey added (1 in all).").wait_for()
            await page.click("#sign-out")
            await status.filter(has_text="Signed out.").wait_for()
            await page.fill("#password", "")
            await page.click("#passkey-sign-in")
            await status.filter(has_text="Signed in as alice (passkey).").wait_for()
            await page.screenshot(path=str(shots / "passkeys.png"))
            credentials = await cdp.send(
                "WebAuthn.getCredentials", {"authenticatorId": added["authenticatorId"]}
            )
        finally:
            await browser.close()
    # The browser's authenticator holds one passkey, used once to sign in; Cognito (the
    # emulator) holds its public key with the same counter.
    [credential] = credentials["credentials"]
    [stored] = local.pool(served["pool_id"]).user("alice").passkeys.values()
    assert credential["signCount"] == stored.sign_count >= 1
