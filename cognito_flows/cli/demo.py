"""``cognito-flows demo``: a guided tour of the sign-in flow against the embedded local Cognito.

It starts the strict local Cognito in this process, sets a pool up through Cognito's own
admin API (as one would on AWS), and runs the flows a user meets, printing every state
transition. It exits 0 only if every step behaved as expected.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..steps import NewPassword, Step
from .common import run_async

if TYPE_CHECKING:  # imported where used, so that --help stays fast
    from ..drivers.sign_in import SignInFlow
    from ..pool import UserPool

__all__ = ["register"]

PASSWORD = "Demo-Passw0rd!"
FLOWS = [
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
]


def register(sub: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="a guided tour against the embedded local Cognito",
        description="Start the local Cognito in-process and walk through SRP sign-in, TOTP "
        "setup and sign-in, a wrong code, NEW_PASSWORD_REQUIRED, a custom challenge and a "
        "remembered device, printing each state transition.",
    )
    parser.set_defaults(run=lambda args: run_async(_demo))


class DemoFailure(Exception):
    """A step of the demo did not behave as expected."""


class Tour:
    """Prints the tour and checks each expectation."""

    def __init__(self, local: Any) -> None:
        self.local = local
        self.failures = 0

    def title(self, text: str) -> None:
        print(f"\n== {text}")

    def observer(self) -> Callable[[str, str, str], None]:
        def show(event: str, source: str, dest: str) -> None:
            print(f"   {source} --{event}--> {dest}")

        return show

    def expect(self, what: str, ok: bool) -> None:
        print(f"   [{'ok' if ok else 'FAILED'}] {what}")
        if not ok:
            self.failures += 1

    def totp(self, secret: str) -> str:
        import pyotp

        return pyotp.TOTP(secret).at(self.local.clock.now())

    def flow(
        self, pool: UserPool, username: str, password: str | None = PASSWORD, **kwargs: Any
    ) -> SignInFlow:
        print(f"   sign in as {username!r} ({kwargs.get('flow', 'srp')})")
        kwargs.setdefault("remember_device", False)
        return pool.sign_in_flow(username, password, on_transition=self.observer(), **kwargs)


async def _setup(local: Any, admin: Any, *, mfa: str) -> UserPool:
    created = await admin.create_user_pool(
        PoolName=f"demo-{mfa.lower()}",
        DeviceConfiguration={
            "ChallengeRequiredOnNewDevice": True,
            "DeviceOnlyRememberedOnUserPrompt": True,
        },
    )
    pool_id = created["UserPool"]["Id"]
    await admin.set_user_pool_mfa_config(
        UserPoolId=pool_id, SoftwareTokenMfaConfiguration={"Enabled": True}, MfaConfiguration=mfa
    )
    client = await admin.create_user_pool_client(
        UserPoolId=pool_id, ClientName="demo", ExplicitAuthFlows=FLOWS
    )
    from cognito_local import TriggerSet

    local.pool(pool_id).set_triggers(TriggerSet.email_code())
    from ..pool import UserPool

    pool = UserPool(
        pool_id,
        client["UserPoolClient"]["ClientId"],
        region=local.region,
        endpoint_url=local.endpoint_url,
        clock=local.clock.now,
        totp_issuer="cognito-flows demo",
    )
    await pool.__aenter__()
    return pool


async def _user(
    admin: Any, pool: UserPool, username: str, *, permanent: bool = True, email: str | None = None
) -> None:
    attributes = (
        [{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]
        if email
        else []
    )
    await admin.admin_create_user(
        UserPoolId=pool.user_pool_id,
        Username=username,
        TemporaryPassword="Temp-Passw0rd!",
        UserAttributes=attributes,
        MessageAction="SUPPRESS",
    )
    if permanent:
        await admin.admin_set_user_password(
            UserPoolId=pool.user_pool_id, Username=username, Password=PASSWORD, Permanent=True
        )


async def _demo() -> int:
    from aiobotocore.session import get_session

    from cognito_local import LocalCognito

    async with (
        LocalCognito() as local,
        get_session().create_client(
            "cognito-idp",
            region_name=local.region,
            endpoint_url=local.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # the emulator's admin API
        ) as admin,
    ):
        print(f"local Cognito at {local.endpoint_url}")
        tour = Tour(local)
        optional = await _setup(local, admin, mfa="OPTIONAL")
        required = await _setup(local, admin, mfa="ON")
        try:
            await _tour(tour, admin, optional, required)
        finally:
            await optional.aclose()
            await required.aclose()
    print()
    if tour.failures:
        print(f"demo: {tour.failures} expectation(s) failed", file=sys.stderr)
        return 1
    print("demo: every step behaved as expected")
    return 0


async def _tour(tour: Tour, admin: Any, optional: UserPool, required: UserPool) -> None:
    tour.title("1. SRP sign-in (USER_SRP_AUTH, PASSWORD_VERIFIER answered by the library)")
    await _user(admin, optional, "alice")
    step = await tour.flow(optional, "alice").start()
    tour.expect("signed in with tokens", step.state == "DONE" and step.tokens is not None)

    tour.title("2. TOTP MFA setup in a pool where MFA is required")
    await _user(admin, required, "bob")
    flow = tour.flow(required, "bob")
    step = await flow.start()
    if step.state == "MFA_SETUP":
        step = await flow.answer("SOFTWARE_TOKEN_MFA")
    tour.expect(
        "asked to enrol an authenticator app",
        step.state == "MFA_SETUP_SOFTWARE_TOKEN" and step.totp is not None,
    )
    secret = step.totp.secret if step.totp else ""
    if step.totp:
        print(f"   authenticator URI: {step.totp.uri}")
    step = await flow.answer(tour.totp(secret))
    tour.expect("enrolled and signed in", step.state == "DONE")

    tour.title("3. Sign-in with TOTP: a wrong code, then the right one")
    tour.local.clock.advance(30)  # a fresh 30 s window: TOTP codes are single-use
    flow = tour.flow(required, "bob")
    step = await flow.start()
    tour.expect("asked for the TOTP code", step.state == "SOFTWARE_TOKEN_MFA")
    right = tour.totp(secret)
    step = await flow.answer("000000" if right != "000000" else "111111")
    tour.expect(
        "wrong code kept the challenge for another try",
        step.state == "SOFTWARE_TOKEN_MFA" and step.retry,
    )
    print(f"   error: {step.error}")
    step = await flow.answer(right)
    tour.expect("right code signed in", step.state == "DONE")

    tour.title("4. NEW_PASSWORD_REQUIRED for an admin-created user")
    await _user(admin, optional, "carol", permanent=False)
    flow = tour.flow(optional, "carol", "Temp-Passw0rd!")
    step = await flow.start()
    tour.expect("asked for a new password", step.state == "NEW_PASSWORD_REQUIRED")
    step = await flow.answer(NewPassword("Brand-N3w-Passw0rd!"))
    tour.expect("new password set and signed in", step.state == "DONE")

    tour.title("5. A custom challenge (CUSTOM_AUTH: a code sent by e-mail)")
    await _user(admin, optional, "dave", email="dave@example.com")
    flow = tour.flow(optional, "dave", None, flow="custom")
    step = await flow.start()
    tour.expect("custom challenge issued", step.state == "CUSTOM_CHALLENGE")
    message = tour.local.outbox.last(username="dave")
    print(f"   outbox: code sent by {message.channel} to {message.destination}")
    step = await flow.answer(message.code)
    tour.expect("custom challenge answered, signed in", step.state == "DONE")

    tour.title("6. A remembered device skips MFA (DEVICE_SRP_AUTH)")
    tour.local.clock.advance(30)

    class Handlers:
        async def software_token_mfa(self, step: Step) -> str:
            return tour.totp(secret)

        async def remember_device(self, step: Step) -> bool:
            print(f"   remember device {step.device_key}? yes")
            return True

    tokens = await required.sign_in(
        "bob", PASSWORD, handlers=Handlers(), on_transition=tour.observer()
    )
    tour.expect("device remembered", tokens.device_key is not None)
    flow = tour.flow(required, "bob")
    step = await flow.start()
    tour.expect("signed in without a TOTP code", step.state == "DONE")
