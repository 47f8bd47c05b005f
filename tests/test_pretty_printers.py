"""Printers that follow attrs' field reprs never show a secret (issue 13, item 2).

rich (``rich.print``, ``rich.inspect``, tracebacks with locals) and field-walking printers
ignore a hand-written ``__repr__`` and print attrs objects field by field. Every secret
field therefore has a masking repr. Two checks: every attrs class in the package, found by
walking its modules, has no secret-named field printed as it is (so a new one is caught);
and the objects of real flows, signed in against the local Cognito, printed by rich and by
a field walker, contain none of the secrets those flows hold.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import pkgutil
import re
import secrets
import sys
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import rich
import rich.pretty
from rich.console import Console
from rich.traceback import Traceback

import cognito_flows
from cognito_flows import ResetPassword, TotpCode, srp
from cognito_flows.flows._table import Call, Compute, Device, Fire, Tokens
from cognito_flows.store.base import FlowRecord

from .conftest import PASSWORD, PoolFactory

NEW_PASSWORD = "N3w-Battery-Staple!"

#: Field names that hold a secret wherever they appear.
SECRET_NAME = re.compile(
    r"(^|_)(token|secret|password|code|session|verifier|nonce|salt|ephemeral|params|"
    r"parameters|kwargs|args|result|flow_id)s?($|_)|^(a|A|url)$"
)

#: Fields whose name looks secret but whose value is not, with why.
NOT_SECRET = {
    ("TokenSet", "token_type"): "always 'Bearer'",
    ("ClientCredentialsToken", "token_type"): "always 'Bearer'",
    ("FlowContext", "session_validity"): "a number of seconds",
    ("Step", "session_expires_at"): "a time",
    ("SignInData", "session_expires_at"): "a time",
    ("Step", "tokens"): "a TokenSet, which masks its own tokens",
    ("SignUpResult", "tokens"): "a TokenSet, which masks its own tokens",
    ("Step", "totp"): "a TotpSetup, which masks its secret",
    ("AuthorizationRequest", "redirect_uri"): "a registered URL",
    ("SignInData", "available_challenges"): "challenge names",
    ("State", "run"): "a function",
    ("Compute", "timestamp"): "a flag",
}


#: Names that look secret anywhere but are not.
NOT_SECRET_NAMES = {
    "error_code": "a Cognito error code",
    "has_secret": "a flag",
    "secret_hash_for": "the user name SECRET_HASH is computed over",
}


def _attrs_classes() -> Iterator[type]:
    seen: set[type] = set()
    for info in pkgutil.walk_packages(cognito_flows.__path__, "cognito_flows."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                inspect.isclass(value)
                and attrs.has(value)
                and value.__module__.startswith("cognito_flows")
                and value not in seen
            ):
                seen.add(value)
                yield value


CLASSES = sorted(_attrs_classes(), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def test_the_walk_finds_the_classes() -> None:
    names = {c.__name__ for c in CLASSES}
    assert {"TokenSet", "SignInData", "SignInRuntime", "RememberedDevice", "FlowRecord"} <= names
    assert len(CLASSES) >= 30


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_no_secret_field_is_printed(cls: type) -> None:
    leaks = [
        f.name
        for f in attrs.fields(cls)
        if SECRET_NAME.search(f.name)
        and (cls.__name__, f.name) not in NOT_SECRET
        and f.name not in NOT_SECRET_NAMES
        and f.repr is True
    ]
    assert leaks == [], f"{cls.__name__}: mark {leaks} repr=hidden (cognito_flows.errors)"


def field_walk(value: Any, depth: int = 0) -> str:
    """A printer that follows attrs' field reprs (as rich and structlog-style dumpers do)."""
    if depth > 8:
        return "..."
    if attrs.has(type(value)):
        parts = []
        for f in attrs.fields(type(value)):
            if f.repr is False:
                continue
            item = getattr(value, f.name)
            text = f.repr(item) if callable(f.repr) else field_walk(item, depth + 1)
            parts.append(f"{f.name}={text}")
        return f"{type(value).__name__}({', '.join(parts)})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {field_walk(v, depth + 1)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(field_walk(v, depth + 1) for v in value) + "]"
    return repr(value)


def printed(obj: Any, *, private: bool = True) -> str:
    """``obj`` as rich.print, rich.inspect, rich's pretty repr and the field walker print it
    (``private``: also ``rich.inspect(all=True)``, which shows private attributes)."""
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    console.print(obj)
    rich.inspect(obj, console=console, value=True)
    if private:
        rich.inspect(obj, console=console, value=True, all=True)
    out.write(rich.pretty.pretty_repr(obj, max_depth=10))
    out.write(field_walk(obj))
    out.write(repr(obj))
    return out.getvalue()


def traceback_with_locals(**local_values: Any) -> str:
    def fail(**values: Any) -> None:
        held = values  # noqa: F841 - a local rich shows
        raise RuntimeError("boom")

    try:
        fail(**local_values)
    except RuntimeError:
        exc_type, exc, tb = sys.exc_info()
        assert exc_type is not None and exc is not None
        out = io.StringIO()
        Console(file=out, width=200, color_system=None).print(
            Traceback.from_exception(exc_type, exc, tb, show_locals=True, locals_max_string=10**6)
        )
        return out.getvalue()
    raise AssertionError("unreachable")


async def test_real_secrets_are_not_printed(pools: PoolFactory, local: Any) -> None:
    pool = await pools.pool(
        mfa="OPTIONAL",
        secret=True,
        pool_settings={
            "AutoVerifiedAttributes": ["email"],
            "DeviceConfiguration": {
                "ChallengeRequiredOnNewDevice": False,
                "DeviceOnlyRememberedOnUserPrompt": False,
            },
        },
    )
    objects: dict[str, Any] = {}
    found: dict[str, str] = {"password": PASSWORD, "new password": NEW_PASSWORD}
    assert pool.client_secret_for_refresh
    found["client secret"] = pool.client_secret_for_refresh

    # A sign-in that is signed in, with a remembered device.
    await pools.user(pool, "alice", attributes={"email": "a@example.com", "email_verified": "true"})
    flow = pool.sign_in_flow("alice", PASSWORD, remember_device=True)
    step = await flow.start()
    assert step.state == "DONE" and step.tokens is not None
    tokens = step.tokens
    found.update(access=tokens.access_token, id=tokens.id_token)
    assert tokens.refresh_token
    found["refresh"] = tokens.refresh_token
    device = await pool.device_store.get(pool.user_pool_id, "alice")
    assert device is not None
    found["device password"] = device.device_password
    objects.update(flow=flow, data=flow.data, rt=flow.rt, step=step, tokens=tokens, device=device)

    # A sign-in in the middle of a challenge: its Session and SRP values.
    await pools.user(pool, "bob", permanent=False)
    waiting = pool.sign_in_flow("bob", PASSWORD)
    new_password_step = await waiting.start()
    assert new_password_step.state == "NEW_PASSWORD_REQUIRED"
    assert waiting.data.session
    found["session"] = waiting.data.session
    objects.update(waiting=waiting, waiting_data=waiting.data, waiting_step=new_password_step)

    # A TOTP setup showing its secret.
    account = pool.account(tokens)
    totp = account.totp_setup_flow()
    totp_step = await totp.start()
    assert totp_step.totp is not None
    found["totp secret"] = totp_step.totp.secret
    code = pools.totp(totp_step.totp.secret)
    objects.update(totp=totp, totp_rt=totp.rt, totp_step=totp_step, totp_code=TotpCode(code))

    # A sign-up and its code; a password reset answer.
    sign_up = pool.sign_up_flow("carol", PASSWORD, attributes={"email": "c@example.com"})
    await sign_up.start()
    sign_up_code = local.outbox.last(username="carol").code
    found["sign-up code"] = sign_up_code
    objects.update(
        sign_up=sign_up, sign_up_rt=sign_up.rt, reset=ResetPassword("83710495", NEW_PASSWORD)
    )
    found["reset code"] = "83710495"

    # SRP values, effects, a stored flow record.
    ephemeral = srp.start_ephemeral()
    found["srp a"] = str(ephemeral.a)
    found["srp a hex"] = format(ephemeral.a, "x")
    secret = srp.generate_device_secret("group", "key")
    found["verifier"] = secret.verifier_b64
    found["device secret"] = secret.device_password
    flow_id = secrets.token_urlsafe(16)
    found["flow id"] = flow_id
    snapshot = json.dumps(waiting.snapshot())
    objects.update(
        ephemeral=ephemeral,
        device_secret=secret,
        record=FlowRecord(flow_id=flow_id, data=snapshot, version=1),
        call=Call(
            "ChangePassword", {"PreviousPassword": PASSWORD, "AccessToken": tokens.access_token}
        ),
        compute=Compute("password_verifier_response", (ephemeral, PASSWORD)),
        put=Device("put", "key", "group", device.device_password),
        result=Tokens({"AccessToken": tokens.access_token}),
        fire=Fire("x", {"session": waiting.data.session}),
        account=account,
    )
    assert waiting.data.session in snapshot  # the record holds a real secret

    texts = {name: printed(obj) for name, obj in objects.items()}
    # UserPool and its client keep the client secret in a private attribute, Concealed:
    # rich.inspect(all=True), which shows private attributes by value, prints <hidden>.
    objects_private = {"pool": pool, "client": pool.client}
    texts.update({f"{name} (private)": printed(obj) for name, obj in objects_private.items()})
    texts["all at once"] = printed(objects)
    texts["traceback"] = traceback_with_locals(**objects)
    leaks = [
        (what, name)
        for name, text in texts.items()
        for what, value in found.items()
        if len(value) >= 6 and value in text
    ]
    assert sorted(set(leaks)) == [], sorted(set(leaks))
    # The printers did print the objects (the check above is not vacuous).
    assert "SignInData" in texts["data"] and "<hidden>" in texts["tokens"]
    assert "alice" in texts["traceback"]
