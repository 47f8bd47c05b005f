"""Amplify JS v6 (npm ``aws-amplify``, pinned in tests/amplify/package.json) as a second
reference client: every scenario runs once with Amplify in Node and once with cognito_flows'
public API against the same local Cognito, with the emulator's request log on. The test
checks that Amplify gets through (so the emulator speaks what AWS's own client expects) and
that the library's requests carry the same parameters as Amplify's: operation, AuthFlow,
ChallengeName, which members and AuthParameters / ChallengeResponses keys are present
(Session, DEVICE_KEY, SECRET_HASH...), and what kind of identifier USERNAME carries (user
name, alias or sub). Each difference allowed here is a row of the table "Requests compared
with Amplify JS v6" in docs/local.md, with its source; ``test_known_differences_are_documented``
keeps the two in step.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from cognito_flows import NewPassword, ResetPassword, Step, TokenSet, UserPool
from cognito_local import LocalCognito, TriggerSet, User

from ..conftest import npm_modules
from .amplify_peer import (
    AMPLIFY_DIR,
    AmplifyNode,
    Recording,
    identity_kinds,
    run_amplify,
    shapes,
    totp_now,
)
from .conftest import PASSWORD

pytestmark = pytest.mark.node

DOCS = Path(__file__).resolve().parents[2] / "docs" / "local.md"
NEW_PASSWORD = "N3w-Passw0rd!!"
SIGN_IN_OPS = ("InitiateAuth", "RespondToAuthChallenge")


@pytest.fixture(scope="session")
def amplify_modules() -> Path:
    """``tests/amplify/node_modules`` with npm ``aws-amplify``."""
    modules: Path = npm_modules(AMPLIFY_DIR, "aws-amplify")
    return modules


@pytest.fixture(scope="session")
def amplify_node(amplify_modules: Path) -> Iterator[AmplifyNode]:
    """The Node process running Amplify's scenarios, one after another: one per session,
    so one per pytest-xdist worker (restarted on demand, see :class:`AmplifyNode`)."""
    node = AmplifyNode(amplify_modules)
    yield node
    node.close()


# ---------------------------------------------------------------------------- known differences
#: Each id is a row of docs/local.md's table; the function turns Amplify's shapes into
#: what the library is expected to send (or the reverse, see ``Difference.side``).


@dataclass(frozen=True)
class Difference:
    """A documented difference: ``apply`` rewrites the ``side``'s request shapes."""

    id: str
    apply: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
    side: str = "amplify"


def _drop(op: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    return lambda items: [s for s in items if s["op"] != op]


def _without_member(op: str, member: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    def apply(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**s, "members": [m for m in s["members"] if m != member]} if s["op"] == op else s
            for s in items
        ]

    return apply


def _without_key(op: str, key: str) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    def apply(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            {**s, "keys": [k for k in s["keys"] if k != key]}
            if s["op"] == op and "keys" in s
            else s
            for s in items
        ]

    return apply


def _without_secret(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        item = {**item, "members": [m for m in item["members"] if m != "SecretHash"]}
        if "keys" in item:
            item["keys"] = [k for k in item["keys"] if k != "SECRET_HASH"]
        out.append(item)
    return out


def _restart_after_not_found(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for item in items:
        after_not_found = out and out[-1].get("error") == "ResourceNotFoundException"
        if not (after_not_found and item["op"] == "InitiateAuth"):
            out.append(item)
    return out


KNOWN: dict[str, Difference] = {
    d.id: d
    for d in (
        # amplify-js names the device (getDeviceName(): navigator.userAgent); the library
        # sends DeviceName only when UserPool(device_name=...) gives one (optional member).
        Difference("device-name", _without_member("ConfirmDevice", "DeviceName")),
        # The library puts DEVICE_KEY in USER_SRP_AUTH's AuthParameters too (API reference
        # InitiateAuth: "Add DEVICE_KEY if you want to bypass multi-factor authentication
        # with a remembered device"); amplify-js' handlePasswordSRP sends it only in the
        # PASSWORD_VERIFIER answer.
        Difference(
            "srp-initiate-device-key", _without_key("InitiateAuth", "DEVICE_KEY"), "library"
        ),
        # A device the pool no longer knows: amplify-js answers PASSWORD_VERIFIER again
        # without DEVICE_KEY (retryOnResourceNotFoundException.ts); the library starts the
        # sign-in again from InitiateAuth.
        Difference("stale-device-restart", _restart_after_not_found, "library"),
        # amplify-js' signOut() (also run by deleteUser()) revokes the refresh token; the
        # library's delete_user() and global_sign_out() only drop the tokens it holds
        # (Account.revoke() is the library's RevokeToken).
        Difference("sign-out-revokes", _drop("RevokeToken")),
        # Amplify JS v6 has no client secret (peers.md); with one the library adds
        # SECRET_HASH wherever the API reference asks for it, over the request's own
        # USERNAME (checked by check_secret_hash below), and is otherwise the same.
        Difference("client-secret", _without_secret, "library"),
        # The library passes SignUp's Session to ConfirmSignUp (API reference,
        # ConfirmSignUp.Session); amplify-js' confirmSignUp never sends it.
        Difference(
            "confirm-sign-up-session", _without_member("ConfirmSignUp", "Session"), "library"
        ),
    )
}


@dataclass
class Scenario:
    """One scenario's pool, its two users and the request log."""

    local: LocalCognito
    node: AmplifyNode
    pool_id: str
    client_id: str
    recording: Recording
    users: dict[str, User] = field(default_factory=dict)
    library: UserPool | None = None

    @property
    def model(self) -> Any:
        return self.local.pool(self.pool_id)

    def add_users(self, login: str = "{name}", **kwargs: Any) -> None:
        """The same user twice: ``amp`` for Amplify, ``lib`` for the library. ``login``
        (``{name}`` replaced) is the user name given to create_user; in pools with
        UsernameAttributes an e-mail, for which the user gets a UUID user name."""
        for name in ("amp", "lib"):
            extra = dict(kwargs)
            attributes = {
                k: v.format(name=name) for k, v in (extra.pop("attributes", None) or {}).items()
            }
            password = extra.pop("password", PASSWORD)
            self.users[name] = self.model.create_user(
                login.format(name=name), password, attributes=attributes, **extra
            )

    def kinds(self) -> dict[str, str]:
        """What each identifier of the pool's users is (users signed up in the scenario
        included)."""
        return identity_kinds(self.model.users.values())

    async def amplify(
        self,
        scenario: str,
        hooks: Mapping[str, Any] | None = None,
        fresh: bool = False,
        **args: Any,
    ) -> Any:
        """Run ``scenario`` of amplify_flow.js with ``args`` (``fresh``: in a Node process
        of its own)."""
        args.setdefault("username", "amp")
        args.setdefault("password", PASSWORD)
        self.recording.take()
        result = await run_amplify(
            self.local,
            self.node,
            scenario,
            args,
            pool_id=self.pool_id,
            client_id=self.client_id,
            hooks=hooks,
            fresh=fresh,
        )
        return result

    def code(self, username: str = "lib") -> str:
        """The newest code the outbox holds for ``username``."""
        return str(self.local.outbox.last(username=username).code)

    def compare(
        self,
        amplify: Sequence[Any],
        library: Sequence[Any],
        *,
        operations: Sequence[str] | None = None,
        known: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Assert that both clients sent the same request shapes (after the ``known``
        documented differences); returns Amplify's shapes."""
        kinds = self.kinds()
        amp = shapes(amplify, kinds, operations)
        lib = shapes(library, kinds, operations)
        assert amp, "Amplify sent none of the compared requests"
        for name in known:
            difference = KNOWN[name]
            if difference.side == "amplify":
                before = amp
                amp = difference.apply(amp)
            else:
                before = lib
                lib = difference.apply(lib)
            assert before != (amp if difference.side == "amplify" else lib), (
                f"known difference {name} did not occur"
            )
        assert lib == amp, _diff(amp, lib)
        return amp


def _diff(amp: Sequence[Mapping[str, Any]], lib: Sequence[Mapping[str, Any]]) -> str:
    lines = ["requests differ (amplify | library):"]
    for i in range(max(len(amp), len(lib))):
        a = amp[i] if i < len(amp) else None
        b = lib[i] if i < len(lib) else None
        mark = "  " if a == b else "!!"
        lines.append(f"{mark} {a}\n   {b}")
    return "\n".join(lines)


@pytest.fixture
async def scenario(
    local: LocalCognito, amplify_node: AmplifyNode
) -> AsyncIterator[Callable[..., Any]]:
    """Makes a :class:`Scenario`: a new pool (CreateUserPool members), a public app client
    and an opened library ``UserPool`` on it."""
    made: list[Scenario] = []

    async def make(
        client: Mapping[str, Any] | None = None, library_secret: bool = False, **settings: Any
    ) -> Scenario:
        settings.setdefault("AutoVerifiedAttributes", ["email"])
        pool_id = local.create_pool("amplify", **settings)
        client_id, _ = local.create_client(pool_id, **dict(client or {}))
        s = Scenario(local, amplify_node, pool_id, client_id, Recording(local))
        # Amplify JS has no client secret; the library may use a second client with one.
        library_client, secret = client_id, None
        if library_secret:
            library_client, secret = local.create_client(
                pool_id, generate_secret=True, **dict(client or {})
            )
        s.library = UserPool(
            pool_id,
            library_client,
            client_secret=secret,
            endpoint_url=local.endpoint_url,
            region=local.region,
            clock=local.clock.now,
        )
        await s.library.__aenter__()
        made.append(s)
        return s

    yield make
    for s in made:
        s.recording.stop()
        if s.library is not None:
            await s.library.aclose()


async def answer_all(flow: Any, answer: Callable[[Step], Any]) -> Step:
    """Step mode until done; ``answer(step)`` gives each answer."""
    step: Step = await flow.start()
    while not step.done:
        value = answer(step)
        if hasattr(value, "__await__"):
            value = await value
        step = await flow.answer(value)
    return step


def pool_of(s: Scenario) -> UserPool:
    assert s.library is not None
    return s.library


def mfa_pool(mode: str = "OPTIONAL", *methods: str) -> dict[str, Any]:
    """CreateUserPool members plus the SetUserPoolMfaConfig members the emulator takes."""
    settings: dict[str, Any] = {"MfaConfiguration": mode}
    if "SMS_MFA" in methods:
        settings["SmsMfaConfiguration"] = {"SmsAuthenticationMessage": "Your code is {####}"}
    settings["SoftwareTokenMfaConfiguration"] = {"Enabled": "SOFTWARE_TOKEN_MFA" in methods}
    if "EMAIL_OTP" in methods:
        settings["EmailMfaConfiguration"] = {"Message": "Your code is {####}", "Subject": "Code"}
    return settings


# ---------------------------------------------------------------------------- scenarios


@pytest.mark.parametrize("auto_sign_in", ["password", "USER_AUTH"])
async def test_sign_up_with_auto_sign_in(scenario: Callable[..., Any], auto_sign_in: str) -> None:
    s: Scenario = await scenario()
    option: Any = True if auto_sign_in == "password" else {"authFlowType": "USER_AUTH"}
    # A Node process of its own: signUp() with autoSignIn leaves a 3-minute timer that
    # resets the auto sign-in state when it fires (handleCodeAutoSignIn), and autoSignIn()
    # never runs a call made within 300 ms of the previous one, whose promise then never
    # settles (a module-level debounce): both in packages/auth/src/providers/cognito/utils/
    # signUpHelpers.ts, out of the script's reach.
    out = await s.amplify(
        "signUpAutoSignIn", fresh=True, email="amp@example.com", autoSignIn=option
    )
    assert out == {
        "signUpStep": "CONFIRM_SIGN_UP",
        "confirmStep": "COMPLETE_AUTO_SIGN_IN",
        "signedIn": True,
        "user": "amp",
    }
    amplify = s.recording.take()

    class Handlers:
        async def confirm_sign_up(self, step: Step) -> str:
            return s.code("lib")

    result = await pool_of(s).sign_up(
        "lib",
        PASSWORD,
        attributes={"email": "lib@example.com"},
        handlers=Handlers(),
        auto_sign_in=True,
    )
    assert result.tokens is not None
    library = s.recording.take()
    if auto_sign_in == "password":
        # Amplify's plain ``autoSignIn: true`` signs in again with SRP and the password;
        # the library always uses ConfirmSignUp's Session (USER_AUTH), compared below.
        s.compare(
            amplify,
            library,
            operations=("SignUp", "ConfirmSignUp"),
            known=["confirm-sign-up-session"],
        )
    else:
        compared = s.compare(amplify, library, known=["confirm-sign-up-session"])
        assert compared[-1]["AuthFlow"] == "USER_AUTH" and "Session" in compared[-1]["members"]


#: How the user signs in: its user name, an e-mail alias (AliasAttributes), or an e-mail
#: in a pool whose UsernameAttributes make the user name a UUID (the sub).
IDENTITIES: dict[str, tuple[dict[str, Any], str, str]] = {
    "user-name": ({}, "{name}", "{name}"),
    "alias": ({"AliasAttributes": ["email"]}, "{name}", "{name}@example.com"),
    "email-username": (
        {"UsernameAttributes": ["email"]},
        "{name}@example.com",
        "{name}@example.com",
    ),
}


def check_secret_hash(shapes_: Sequence[Mapping[str, Any]]) -> None:
    """Every AuthParameters / ChallengeResponses with a USERNAME carries SECRET_HASH."""
    with_username = [s for s in shapes_ if "USERNAME" in s]
    assert with_username and all("SECRET_HASH" in s["keys"] for s in with_username), shapes_


@pytest.mark.parametrize("secret", [False, True], ids=["public", "secret"])
@pytest.mark.parametrize("identity", list(IDENTITIES))
@pytest.mark.parametrize(
    ("amplify_flow", "library_flow"),
    [("USER_SRP_AUTH", "srp"), ("USER_PASSWORD_AUTH", "password")],
)
async def test_sign_in(
    scenario: Callable[..., Any], amplify_flow: str, library_flow: str, identity: str, secret: bool
) -> None:
    settings, login, typed = IDENTITIES[identity]
    s: Scenario = await scenario(library_secret=secret, **settings)
    s.add_users(login=login, attributes={"email": "{name}@example.com"})
    out = await s.amplify("signIn", authFlowType=amplify_flow, username=typed.format(name="amp"))
    assert out["step"] == "DONE" and out["user"] == s.users["amp"].username
    amplify = s.recording.take()
    tokens = await pool_of(s).sign_in(typed.format(name="lib"), PASSWORD, flow=library_flow)
    assert tokens.username == s.users["lib"].username
    library = s.recording.take()
    compared = s.compare(amplify, library, known=["client-secret"] if secret else ())
    if secret:
        check_secret_hash(shapes(library, s.kinds()))
    # USERNAME is what the user typed in InitiateAuth, then the user name Cognito answered
    # with (USER_ID_FOR_SRP / USERNAME) on both sides.
    if identity == "alias":
        assert [c["USERNAME"] for c in compared] == ["alias", "name"][: len(compared)]


@pytest.mark.parametrize(
    ("amplify_flow", "library_flow"),
    [("USER_SRP_AUTH", "srp"), ("USER_PASSWORD_AUTH", "password")],
)
async def test_wrong_password(
    scenario: Callable[..., Any], amplify_flow: str, library_flow: str
) -> None:
    s: Scenario = await scenario()
    s.add_users()
    out = await s.amplify("wrongPassword", authFlowType=amplify_flow)
    assert out["error"] == "NotAuthorizedException"
    amplify = s.recording.take()
    step = await pool_of(s).sign_in_flow("lib", PASSWORD + "x", flow=library_flow).start()
    assert step.state == "FAILED" and step.error is not None
    assert step.error.code == "NotAuthorizedException"
    compared = s.compare(amplify, s.recording.take())
    assert compared[-1]["error"] == "NotAuthorizedException"


async def test_new_password_required(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario()
    s.add_users(status="FORCE_CHANGE_PASSWORD")
    out = await s.amplify("newPasswordRequired", newPassword=NEW_PASSWORD)
    assert out["steps"] == ["CONFIRM_SIGN_IN_WITH_NEW_PASSWORD_REQUIRED", "DONE"]
    amplify = s.recording.take()

    class Handlers:
        async def new_password_required(self, step: Step) -> NewPassword:
            return NewPassword(NEW_PASSWORD)

    await pool_of(s).sign_in("lib", PASSWORD, handlers=Handlers())
    s.compare(amplify, s.recording.take())


async def test_totp_setup_and_totp_sign_in(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario(**mfa_pool("ON", "SOFTWARE_TOKEN_MFA"))
    s.add_users()
    out = await s.amplify("totpSetupAndSignIn")
    assert out["steps"] == [
        "CONTINUE_SIGN_IN_WITH_TOTP_SETUP",
        "DONE",
        "CONFIRM_SIGN_IN_WITH_TOTP_CODE",
        "DONE",
    ]
    amplify = s.recording.take()
    secrets: list[str] = []

    class Handlers:
        async def mfa_setup(self, step: Step) -> str:
            if step.state == "MFA_SETUP":
                return "SOFTWARE_TOKEN_MFA"
            assert step.totp is not None
            secrets.append(step.totp.secret)
            return totp_now(s.local, step.totp.secret)

        async def software_token_mfa(self, step: Step) -> str:
            return totp_now(s.local, secrets[0])

    pool = pool_of(s)
    await pool.sign_in("lib", PASSWORD, handlers=Handlers())
    await pool.sign_in("lib", PASSWORD, handlers=Handlers())
    ops = (*SIGN_IN_OPS, "AssociateSoftwareToken", "VerifySoftwareToken")
    s.compare(amplify, s.recording.take(), operations=ops)


@pytest.mark.parametrize("choice", ["TOTP", "EMAIL"])
async def test_mfa_setup_selection(scenario: Callable[..., Any], choice: str) -> None:
    """MFA_SETUP offering TOTP and e-mail to a user with neither."""
    s: Scenario = await scenario(**mfa_pool("ON", "SOFTWARE_TOKEN_MFA", "EMAIL_OTP"))
    s.add_users()
    out = await s.amplify("mfaSetupSelection", choice=choice, email="amp@example.com")
    assert sorted(out["allowed"]) == ["EMAIL", "TOTP"]
    expected = {
        "TOTP": ["CONTINUE_SIGN_IN_WITH_TOTP_SETUP", "DONE"],
        "EMAIL": ["CONTINUE_SIGN_IN_WITH_EMAIL_SETUP", "CONFIRM_SIGN_IN_WITH_EMAIL_CODE", "DONE"],
    }
    assert out["steps"] == ["CONTINUE_SIGN_IN_WITH_MFA_SETUP_SELECTION", *expected[choice]]
    amplify = s.recording.take()

    def answer(step: Step) -> str:
        if step.state == "MFA_SETUP":
            return choice
        if step.state == "MFA_SETUP_SOFTWARE_TOKEN":
            assert step.totp is not None
            return totp_now(s.local, step.totp.secret)
        if step.state == "MFA_SETUP_EMAIL":
            return "lib@example.com"
        return s.code()

    step = await answer_all(pool_of(s).sign_in_flow("lib", PASSWORD), answer)
    assert step.state == "DONE", step
    ops = (*SIGN_IN_OPS, "AssociateSoftwareToken", "VerifySoftwareToken")
    s.compare(amplify, s.recording.take(), operations=ops)


@pytest.mark.parametrize(
    ("method", "attributes"),
    [
        ("EMAIL_OTP", {"email": "{name}@example.com"}),
        ("SMS_MFA", {"phone_number": "+15555550100"}),
    ],
)
@pytest.mark.parametrize("secret", [False, True], ids=["public", "secret"])
async def test_mfa_code(
    scenario: Callable[..., Any], method: str, attributes: dict[str, str], secret: bool
) -> None:
    s: Scenario = await scenario(
        library_secret=secret, **mfa_pool("OPTIONAL", method, "SOFTWARE_TOKEN_MFA")
    )
    s.add_users(attributes=attributes, mfa=method)
    out = await s.amplify("mfaCode")
    first = {
        "EMAIL_OTP": "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
        "SMS_MFA": "CONFIRM_SIGN_IN_WITH_SMS_CODE",
    }
    assert out["steps"] == [first[method], "DONE"]
    amplify = s.recording.take()

    async def code(step: Step) -> str:
        assert step.state == method
        return s.code()

    await pool_of(s).sign_in("lib", PASSWORD, handlers={method: code})
    library = s.recording.take()
    s.compare(amplify, library, known=["client-secret"] if secret else ())
    if secret:
        check_secret_hash(shapes(library, s.kinds()))


async def test_wrong_then_right_code(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario(**mfa_pool("OPTIONAL", "SMS_MFA"))
    s.add_users(attributes={"phone_number": "+15555550100"}, mfa="SMS_MFA")
    out = await s.amplify("mfaCode", wrongFirst=True)
    assert out["wrong"] == "CodeMismatchException"
    assert out["steps"] == ["CONFIRM_SIGN_IN_WITH_SMS_CODE", "DONE"]
    amplify = s.recording.take()
    flow = pool_of(s).sign_in_flow("lib", PASSWORD)
    step = await flow.start()
    assert step.state == "SMS_MFA"
    step = await flow.answer("000000")
    assert step.state == "SMS_MFA" and step.retry
    step = await flow.answer(s.code())
    assert step.state == "DONE", step
    compared = s.compare(amplify, s.recording.take())
    assert [c.get("error") for c in compared] == [None, None, "CodeMismatchException", None]


async def test_select_mfa_type(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario(**mfa_pool("OPTIONAL", "SMS_MFA", "EMAIL_OTP"))
    s.add_users(
        attributes={"phone_number": "+15555550100", "email": "{name}@example.com"},
        mfa=["SMS_MFA", "EMAIL_OTP"],
    )
    out = await s.amplify("selectMfaType", choice="SMS")
    assert out["steps"] == [
        "CONTINUE_SIGN_IN_WITH_MFA_SELECTION",
        "CONFIRM_SIGN_IN_WITH_SMS_CODE",
        "DONE",
    ]
    assert sorted(out["allowed"]) == ["EMAIL", "SMS"]
    amplify = s.recording.take()

    def answer(step: Step) -> str:
        return "SMS_MFA" if step.state == "SELECT_MFA_TYPE" else s.code()

    step = await answer_all(pool_of(s).sign_in_flow("lib", PASSWORD), answer)
    assert step.state == "DONE", step
    compared = s.compare(amplify, s.recording.take())
    assert compared[-2]["ANSWER"] == "SMS_MFA"


USER_AUTH_POOL = {
    "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]}},
    "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sns"},
}


@pytest.mark.parametrize("preferred", ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"])
async def test_user_auth_preferred_challenge(scenario: Callable[..., Any], preferred: str) -> None:
    s: Scenario = await scenario(**USER_AUTH_POOL)
    s.add_users(attributes={"email": "{name}@example.com", "phone_number": "+15555550100"})
    out = await s.amplify("userAuthPreferred", preferred=preferred)
    codes = {
        "EMAIL_OTP": "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
        "SMS_OTP": "CONFIRM_SIGN_IN_WITH_SMS_CODE",
    }
    expected = [codes[preferred], "DONE"] if preferred in codes else ["DONE"]
    assert out["steps"] == expected
    amplify = s.recording.take()
    flow = pool_of(s).sign_in_flow(
        "lib",
        None if preferred in codes else PASSWORD,
        flow="user-auth",
        preferred_challenge=preferred,
    )
    step = await answer_all(flow, lambda step: s.code())
    assert step.state == "DONE", step
    compared = s.compare(amplify, s.recording.take())
    assert compared[0]["PREFERRED_CHALLENGE"] == preferred


@pytest.mark.parametrize("secret", [False, True], ids=["public", "secret"])
@pytest.mark.parametrize("choice", ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"])
async def test_user_auth_select_challenge(
    scenario: Callable[..., Any], choice: str, secret: bool
) -> None:
    s: Scenario = await scenario(library_secret=secret, **USER_AUTH_POOL)
    s.add_users(attributes={"email": "{name}@example.com"})
    out = await s.amplify("userAuthSelect", choice=choice)
    confirm = {
        "PASSWORD": "CONFIRM_SIGN_IN_WITH_PASSWORD",
        "PASSWORD_SRP": "CONFIRM_SIGN_IN_WITH_PASSWORD",
        "EMAIL_OTP": "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
    }
    assert out["steps"] == ["CONTINUE_SIGN_IN_WITH_FIRST_FACTOR_SELECTION", confirm[choice], "DONE"]
    amplify = s.recording.take()

    def answer(step: Step) -> str:
        if step.state == "SELECT_CHALLENGE":
            return choice
        if step.state in ("PASSWORD", "PASSWORD_SRP"):
            return PASSWORD
        return s.code()

    step = await answer_all(pool_of(s).sign_in_flow("lib", flow="user-auth"), answer)
    assert step.state == "DONE", step
    library = s.recording.take()
    s.compare(amplify, library, known=["client-secret"] if secret else ())
    if secret:
        check_secret_hash(shapes(library, s.kinds()))


@pytest.mark.parametrize(
    ("amplify_flow", "library_flow", "wrong_first"),
    [
        ("CUSTOM_WITHOUT_SRP", "custom", False),
        ("CUSTOM_WITH_SRP", "custom-srp", False),
        ("CUSTOM_WITHOUT_SRP", "custom", True),
    ],
)
async def test_custom_auth(
    scenario: Callable[..., Any], amplify_flow: str, library_flow: str, wrong_first: bool
) -> None:
    s: Scenario = await scenario()
    s.model.set_triggers(TriggerSet.email_code())
    s.add_users(attributes={"email": "{name}@example.com"})
    out = await s.amplify("customAuth", authFlowType=amplify_flow, wrongFirst=wrong_first)
    assert out["steps"] == ["CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE", "DONE"]
    if wrong_first:
        assert out["wrong"] == "CONFIRM_SIGN_IN_WITH_CUSTOM_CHALLENGE"
    amplify = s.recording.take()
    flow = pool_of(s).sign_in_flow(
        "lib", PASSWORD if library_flow == "custom-srp" else None, flow=library_flow
    )
    step = await flow.start()
    assert step.state == "CUSTOM_CHALLENGE"
    if wrong_first:
        step = await flow.answer("000000")
        assert step.state == "CUSTOM_CHALLENGE"
    step = await flow.answer(s.code())
    assert step.state == "DONE", step
    s.compare(amplify, s.recording.take())


DEVICE_POOL_PROMPT = {
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": True,
    }
}
DEVICE_POOL_ALWAYS = {
    "DeviceConfiguration": {
        "ChallengeRequiredOnNewDevice": True,
        "DeviceOnlyRememberedOnUserPrompt": False,
    }
}


@pytest.mark.parametrize("secret", [False, True], ids=["public", "secret"])
async def test_remembered_device_skips_mfa(scenario: Callable[..., Any], secret: bool) -> None:
    s: Scenario = await scenario(
        library_secret=secret, **mfa_pool("OPTIONAL", "SMS_MFA"), **DEVICE_POOL_PROMPT
    )
    s.add_users(attributes={"phone_number": "+15555550100"}, mfa="SMS_MFA")
    out = await s.amplify("rememberedDevice")
    assert out["steps"] == ["CONFIRM_SIGN_IN_WITH_SMS_CODE", "DONE", "DONE"]
    assert out["devices"][0] and out["devices"][0] == out["devices"][1]
    device = s.users["amp"].devices[out["devices"][0]]
    assert device.confirmed and device.remembered
    amplify = s.recording.take()

    async def sms(step: Step) -> str:
        return s.code()

    async def remember(step: Step) -> bool:
        return True

    pool = pool_of(s)
    first = await pool.sign_in(
        "lib", PASSWORD, handlers={"SMS_MFA": sms, "remember_device": remember}
    )
    second = await pool.sign_in("lib", PASSWORD, handlers={})
    assert first.device_key and second.device_key == first.device_key
    ops = (*SIGN_IN_OPS, "ConfirmDevice", "UpdateDeviceStatus")
    library = s.recording.take()
    compared = s.compare(
        amplify,
        library,
        operations=ops,
        known=["device-name", "srp-initiate-device-key", *(["client-secret"] if secret else [])],
    )
    if secret:
        check_secret_hash(shapes(library, s.kinds()))
    assert [c.get("ChallengeName") for c in compared[-3:]] == [
        "PASSWORD_VERIFIER",
        "DEVICE_SRP_AUTH",
        "DEVICE_PASSWORD_VERIFIER",
    ]


async def test_device_not_remembered(scenario: Callable[..., Any]) -> None:
    """A new device the user does not remember: amplify-js still confirms it."""
    s: Scenario = await scenario(**DEVICE_POOL_PROMPT)
    s.add_users()
    out = await s.amplify("signIn", authFlowType="USER_SRP_AUTH")
    assert out["step"] == "DONE" and out["device"]
    device = s.users["amp"].devices[out["device"]]
    assert device.confirmed and not device.remembered
    amplify = s.recording.take()
    tokens = await pool_of(s).sign_in("lib", PASSWORD, remember_device=False)
    assert tokens.device_key
    # Both confirm the device (amplify-js getNewDeviceMetadata.ts; issue 11 item 1).
    s.compare(amplify, s.recording.take(), known=["device-name"])


async def test_forgotten_device(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario(**DEVICE_POOL_ALWAYS)
    s.add_users()
    out = await s.amplify("forgottenDevice")
    assert out["step"] == "DONE" and out["device"] and out["after"]
    assert out["after"] != out["device"] and out["device"] not in s.users["amp"].devices
    amplify = s.recording.take()
    pool = pool_of(s)
    tokens = await pool.sign_in("lib", PASSWORD, remember_device=True)
    await pool.account(tokens).forget_device()
    again = await pool.sign_in("lib", PASSWORD, remember_device=True)
    assert again.device_key and again.device_key != tokens.device_key
    ops = (*SIGN_IN_OPS, "ConfirmDevice", "ForgetDevice")
    s.compare(amplify, s.recording.take(), operations=ops, known=["device-name"])


async def test_device_forgotten_by_the_pool(scenario: Callable[..., Any], admin: Any) -> None:
    """The pool forgot a device the client still holds (AdminForgetDevice): both clients
    meet ResourceNotFoundException on PASSWORD_VERIFIER and sign in again without it."""
    s: Scenario = await scenario(**DEVICE_POOL_ALWAYS)
    s.add_users()

    async def forget(name: str) -> None:
        for key in list(s.users[name].devices):
            await admin.admin_forget_device(UserPoolId=s.pool_id, Username=name, DeviceKey=key)

    out = await s.amplify("staleDevice", hooks={"signedOut": lambda: forget("amp")})
    assert out["step"] == "DONE" and out["after"] and out["after"] != out["device"]
    amplify = s.recording.take()
    pool = pool_of(s)
    tokens = await pool.sign_in("lib", PASSWORD, remember_device=True)
    await forget("lib")
    again = await pool.sign_in("lib", PASSWORD, remember_device=True)
    assert again.device_key and again.device_key != tokens.device_key
    ops = (*SIGN_IN_OPS, "ConfirmDevice")
    compared = s.compare(
        amplify,
        s.recording.take(),
        operations=ops,
        known=["device-name", "srp-initiate-device-key", "stale-device-restart"],
    )
    assert compared[-3]["error"] == "ResourceNotFoundException"
    assert "DEVICE_KEY" in compared[-3]["keys"] and "DEVICE_KEY" not in compared[-2]["keys"]


async def test_reset_password(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario()
    s.add_users(attributes={"email": "{name}@example.com"})
    out = await s.amplify("resetPassword", newPassword=NEW_PASSWORD)
    assert out == {"resetStep": "CONFIRM_RESET_PASSWORD_WITH_CODE", "step": "DONE"}
    amplify = s.recording.take()

    class Handlers:
        async def confirm_forgot_password(self, step: Step) -> ResetPassword:
            return ResetPassword(s.code(), NEW_PASSWORD)

    pool = pool_of(s)
    await pool.forgot_password("lib", handlers=Handlers())
    await pool.sign_in("lib", NEW_PASSWORD)
    s.compare(amplify, s.recording.take())


async def test_change_password(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario()
    s.add_users()
    out = await s.amplify("changePassword", newPassword=NEW_PASSWORD)
    assert out == {"step": "DONE"}
    amplify = s.recording.take()
    pool = pool_of(s)
    tokens = await pool.sign_in("lib", PASSWORD)
    await pool.account(tokens).change_password(PASSWORD, NEW_PASSWORD)
    await pool.sign_in("lib", NEW_PASSWORD)
    s.compare(amplify, s.recording.take(), operations=(*SIGN_IN_OPS, "ChangePassword"))


@pytest.mark.parametrize("device", [False, True], ids=["no-device", "device"])
async def test_refresh_with_rotation(scenario: Callable[..., Any], device: bool) -> None:
    """Two refreshes with rotation; in a device-tracking pool both send the DeviceKey."""
    s: Scenario = await scenario(
        client={"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}},
        **(DEVICE_POOL_ALWAYS if device else {}),
    )
    s.add_users()
    out = await s.amplify("refresh")
    assert out == {"changed": True, "changedAgain": True}
    amplify = s.recording.take()
    pool = pool_of(s)
    tokens: TokenSet = await pool.sign_in("lib", PASSWORD, remember_device=device)
    rotated = await pool.refresh_tokens(tokens)
    assert rotated.refresh_token and rotated.refresh_token != tokens.refresh_token
    await pool.refresh_tokens(rotated)
    compared = s.compare(amplify, s.recording.take(), known=["device-name"] if device else ())
    refreshes = compared[-2:]
    assert [c["op"] for c in refreshes] == ["GetTokensFromRefreshToken"] * 2
    assert all(("DeviceKey" in c["members"]) == device for c in refreshes)


async def test_attribute_update_and_verification(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario()
    s.add_users(attributes={"email": "{name}@example.com"})
    out = await s.amplify("updateAttribute", email="amp.new@example.com")
    assert out == {
        "nextStep": "CONFIRM_ATTRIBUTE_WITH_CODE",
        "email": "amp.new@example.com",
        "verified": "true",
        "resent": "EMAIL",
    }
    amplify = s.recording.take()
    pool = pool_of(s)
    account = pool.account(await pool.sign_in("lib", PASSWORD))
    deliveries = await account.update_attributes({"email": "lib.new@example.com"})
    assert deliveries
    flow = account.verify_attribute_flow("email", code_sent=True)
    step = await answer_all(flow, lambda step: s.code())
    assert step.state == "VERIFIED", step
    resend = account.verify_attribute_flow("email")
    step = await resend.start()
    assert step.state == "CONFIRM_ATTRIBUTE", step
    user = await account.get_user()
    assert user.attributes["email"] == "lib.new@example.com"
    s.compare(amplify, s.recording.take())


async def test_self_service(scenario: Callable[..., Any]) -> None:
    """Signed in: TOTP setup from the access token, MFA preference, devices, attributes."""
    s: Scenario = await scenario(**mfa_pool("OPTIONAL", "SOFTWARE_TOKEN_MFA"), **DEVICE_POOL_ALWAYS)
    s.add_users(attributes={"given_name": "{name}"})
    out = await s.amplify("selfService")
    assert out == {"preferred": "TOTP", "enabled": ["TOTP"], "devices": 1, "givenName": None}
    amplify = s.recording.take()
    pool = pool_of(s)
    account = pool.account(await pool.sign_in("lib", PASSWORD, remember_device=True))

    class Handlers:
        async def verify_software_token(self, step: Step) -> str:
            assert step.totp is not None
            return totp_now(s.local, step.totp.secret)

    await account.setup_totp(Handlers())
    await account.set_mfa_preference(preferred="totp")
    user = await account.get_user()
    assert user.preferred_mfa == "SOFTWARE_TOKEN_MFA"
    assert len(await account.list_devices()) == 1
    await account.delete_attributes(["given_name"])
    assert "given_name" not in (await account.get_user()).attributes
    ops = (
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
        "GetUser",
        "ListDevices",
        "DeleteUserAttributes",
    )
    s.compare(amplify, s.recording.take(), operations=ops)


async def test_global_sign_out(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario()
    s.add_users()
    out = await s.amplify("globalSignOut")
    assert out == {"signedOut": True}
    amplify = s.recording.take()
    pool = pool_of(s)
    await pool.account(await pool.sign_in("lib", PASSWORD)).global_sign_out()
    s.compare(amplify, s.recording.take())


async def test_delete_user(scenario: Callable[..., Any]) -> None:
    s: Scenario = await scenario()
    s.add_users()
    out = await s.amplify("deleteUser")
    assert out["error"] in ("NotAuthorizedException", "UserNotFoundException")
    amplify = s.recording.take()
    pool = pool_of(s)
    await pool.account(await pool.sign_in("lib", PASSWORD)).delete_user()
    step = await pool.sign_in_flow("lib", PASSWORD).start()
    assert step.state == "FAILED"
    assert "lib" not in s.model.users and "amp" not in s.model.users
    s.compare(amplify, s.recording.take(), known=["sign-out-revokes"])


def test_known_differences_are_documented() -> None:
    """Every difference the comparison allows is a row of docs/local.md's table, and
    every row is one the comparison uses."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Requests compared with Amplify JS v6") :]
    documented = set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))
    assert documented == set(KNOWN)
    source = Path(__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'"([a-z]+(?:-[a-z]+)+)"', source)) & set(KNOWN)
    assert used == set(KNOWN), f"never used: {set(KNOWN) - used}"
