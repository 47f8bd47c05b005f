"""Trigger functions named by ``module:function`` in the emulator's JSON config tests."""

from __future__ import annotations

from typing import Any

#: Events received, for the tests to read.
EVENTS: list[dict[str, Any]] = []


def auto_confirm(event: dict[str, Any]) -> dict[str, Any]:
    """A pre sign-up function that confirms every user."""
    EVENTS.append(event)
    event["response"]["autoConfirmUser"] = True
    return event


async def add_claim(event: dict[str, Any]) -> dict[str, Any]:
    """An async pre token generation (V2) function adding an access token claim."""
    EVENTS.append(event)
    event["response"]["claimsAndScopeOverrideDetails"] = {
        "accessTokenGeneration": {"claimsToAddOrOverride": {"from_config": "yes"}}
    }
    return event


not_callable = 42
