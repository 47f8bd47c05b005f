"""Write the snapshot fixtures in ``tests/snapshots/v1/`` from the current code.

Run by hand (``python -m tests.snapshots.generate``) only when a release deliberately adds
snapshot fixtures; the committed files are what an earlier release wrote, and
``tests/test_snapshot_compat.py`` checks that today's code still resumes them. Each fixture
holds the snapshot and the public fields of the step it showed when it was taken.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from aiobotocore.session import get_session

from cognito_flows import Account, NewPassword, Step
from cognito_local import LocalCognito, TriggerSet

from ..conftest import PASSWORD, PoolFactory

OUT = Path(__file__).parent / "v1"


def step_fields(step: Step) -> dict[str, Any]:
    """The fields of a step that a host reads, as JSON."""
    return {
        "flow": step.flow,
        "state": step.state,
        "challenge": step.challenge,
        "done": step.done,
        "handler": step.handler,
        "retry": step.retry,
        "error": type(step.error).__name__ if step.error is not None else None,
        "next_flow": step.next_flow,
        "delivery": None
        if step.delivery is None
        else {
            "medium": step.delivery.medium,
            "destination": step.delivery.destination,
            "attribute": step.delivery.attribute,
        },
        "options": list(step.options),
        "totp": None if step.totp is None else {"account": step.totp.account},
        "required_attributes": list(step.required_attributes),
        "parameters": dict(step.parameters),
        "session_expires_at": step.session_expires_at,
        "username": step.username,
        "has_tokens": step.tokens is not None,
    }


async def _generate(pools: PoolFactory) -> dict[str, dict[str, Any]]:
    local = pools.local
    out: dict[str, dict[str, Any]] = {}

    def keep(name: str, flow: Any) -> None:
        out[name] = {"snapshot": flow.snapshot(), "step": step_fields(flow.step)}

    async def admin_mfa(pool: Any, username: str, **settings: Any) -> None:
        await pools.admin.admin_set_user_mfa_preference(
            UserPoolId=pool.user_pool_id, Username=username, **settings
        )

    mfa = await pools.pool(mfa="OPTIONAL")
    await pools.user(mfa, "erin")
    secret = await pools.enroll_totp(mfa, "erin")
    flow = mfa.sign_in_flow("erin", PASSWORD)
    await flow.start()
    keep("sign_in_software_token_mfa", flow)
    await flow.answer("000000" if pools.totp(secret) != "000000" else "111111")
    keep("sign_in_software_token_mfa_retry", flow)

    await pools.user(mfa, "fay", attributes={"phone_number": "+15555550100"})
    await admin_mfa(mfa, "fay", SMSMfaSettings={"Enabled": True, "PreferredMfa": True})
    flow = mfa.sign_in_flow("fay", PASSWORD)
    await flow.start()
    keep("sign_in_sms_mfa", flow)

    await pools.user(mfa, "gus", attributes={"email": "gus@example.com", "email_verified": "true"})
    await admin_mfa(mfa, "gus", EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    flow = mfa.sign_in_flow("gus", PASSWORD)
    await flow.start()
    keep("sign_in_email_otp", flow)

    await pools.user(mfa, "hal", attributes={"phone_number": "+15555550101"})
    await pools.enroll_totp(mfa, "hal")
    await admin_mfa(
        mfa,
        "hal",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    flow = mfa.sign_in_flow("hal", PASSWORD)
    await flow.start()
    keep("sign_in_select_mfa_type", flow)

    required = await pools.pool(mfa="ON")
    await pools.user(required, "ivy")
    flow = required.sign_in_flow("ivy", PASSWORD)
    step = await flow.start()
    keep(f"sign_in_{step.state.lower()}", flow)
    if step.state == "MFA_SETUP":
        await flow.answer("SOFTWARE_TOKEN_MFA")
        keep("sign_in_mfa_setup_software_token", flow)

    await pools.user(required, "kim", "Temp-Passw0rd!", permanent=False)
    flow = required.sign_in_flow("kim", "Temp-Passw0rd!")
    await flow.start()
    keep("sign_in_new_password_required", flow)
    await flow.answer(NewPassword("N3w-Passw0rd!!"))
    keep("sign_in_after_new_password", flow)

    custom = await pools.pool()
    await pools.user(
        custom, "max", attributes={"email": "max@example.com", "email_verified": "true"}
    )
    local.pool(custom.user_pool_id).set_triggers(TriggerSet.email_code())
    flow = custom.sign_in_flow("max", flow="custom")
    await flow.start()
    keep("sign_in_custom_challenge", flow)

    first = await pools.pool(
        pool_settings={
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}
        }
    )
    await pools.user(
        first, "pat", attributes={"email": "pat@example.com", "email_verified": "true"}
    )
    flow = first.sign_in_flow("pat", flow="user-auth")
    await flow.start()
    keep("sign_in_select_challenge", flow)
    await flow.answer("PASSWORD")
    keep("sign_in_password", flow)

    await pools.admin.admin_create_user(
        UserPoolId=custom.user_pool_id, Username="una", MessageAction="SUPPRESS"
    )
    flow = custom.sign_in_flow("nobody-here", PASSWORD)
    await flow.start()
    keep("sign_in_failed", flow)

    email_pool = await pools.pool(pool_settings={"AutoVerifiedAttributes": ["email"]})
    flow = email_pool.sign_up_flow("alice", PASSWORD, attributes={"email": "alice@example.com"})
    await flow.start()
    keep("sign_up_confirm_sign_up", flow)

    await pools.user(
        email_pool, "hugo", attributes={"email": "hugo@example.com", "email_verified": "true"}
    )
    flow = email_pool.forgot_password_flow("hugo")
    await flow.start()
    keep("forgot_password_confirm", flow)

    await pools.user(
        email_pool, "lea", attributes={"email": "lea@example.com", "email_verified": "true"}
    )
    account = Account(email_pool, await email_pool.sign_in("lea", PASSWORD))
    totp = account.totp_setup_flow()
    await totp.start()
    keep("totp_setup_verify", totp)
    await account.update_attributes({"email": "lea2@example.com"})
    verify = account.verify_attribute_flow("email", code_sent=True)
    keep("verify_attribute_confirm", verify)
    return out


async def main() -> None:
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    async with (
        LocalCognito() as local,
        get_session().create_client(
            "cognito-idp",
            region_name=local.region,
            endpoint_url=local.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ) as admin,
    ):
        pools = PoolFactory(local, admin)
        try:
            fixtures = await _generate(pools)
        finally:
            await pools.close()
    OUT.mkdir(parents=True, exist_ok=True)
    for name, fixture in fixtures.items():
        text = json.dumps(fixture, indent=2, sort_keys=True) + "\n"
        (OUT / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"wrote {len(fixtures)} fixtures to {OUT}")


if __name__ == "__main__":
    asyncio.run(main())
