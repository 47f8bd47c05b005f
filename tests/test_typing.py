"""Types that help (issue 15 item 7): each flow's ``Literal`` of state names and its handler
Protocols match its table, and ``mypy --strict`` on a user's program catches a misspelled
handler method, map key or state.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest

from cognito_flows import handlers, states
from cognito_flows.flows import FLOWS
from cognito_flows.flows._table import FlowTable

ROOT = Path(__file__).resolve().parent.parent

PREFIX = {
    "sign_up": "SignUp",
    "sign_in": "SignIn",
    "forgot_password": "ForgotPassword",
    "totp_setup": "TotpSetup",
    "verify_attribute": "VerifyAttribute",
}


def _handler_names(table: FlowTable) -> list[str]:
    return sorted({spec.handler for spec in table.specs.values() if spec.handler})


@pytest.mark.parametrize("table", FLOWS, ids=lambda t: t.name)
def test_the_state_literal_lists_exactly_the_tables_states(table: FlowTable) -> None:
    literal = getattr(states, f"{PREFIX[table.name]}State")
    args = typing.get_args(literal)
    assert len(args) == len(set(args))
    assert set(args) == set(table.states)
    step = getattr(states, f"{PREFIX[table.name]}Step")
    assert typing.get_args(step) == (literal,)


@pytest.mark.parametrize("table", FLOWS, ids=lambda t: t.name)
def test_the_handler_protocols_name_exactly_the_tables_handlers(table: FlowTable) -> None:
    union = getattr(handlers, f"{PREFIX[table.name]}Handlers")
    methods = set()
    for member in typing.get_args(union):
        if isinstance(member, type) and getattr(member, "_is_protocol", False):
            own = [n for n in vars(member) if not n.startswith("_")]
            assert len(own) == 1, member  # one handler per Protocol: each stays optional
            methods.update(own)
    assert methods == set(_handler_names(table))


@pytest.mark.parametrize("table", FLOWS, ids=lambda t: t.name)
def test_the_handler_map_keys_are_what_run_with_handlers_looks_up(table: FlowTable) -> None:
    mapping = getattr(handlers, f"{PREFIX[table.name]}HandlerMap")
    keys = set()
    for spec in table.specs.values():
        if spec.handler:
            keys |= {spec.handler, spec.name} | ({spec.challenge} if spec.challenge else set())
    assert set(mapping.__annotations__) == keys
    assert not mapping.__required_keys__


GOOD = '''
from __future__ import annotations

from cognito_flows import (
    NewPassword,
    SignInHandlerMap,
    SignInStep,
    Step,
    TotpCode,
    UserPool,
)


class Partial:
    """Only some handlers, one async and one plain: as today, that is enough."""

    async def software_token_mfa(self, step: SignInStep) -> str:
        if step.state == "SOFTWARE_TOKEN_MFA" and step.retry:
            return "000000"
        return "123456"

    def remember_device(self, step: Step) -> bool:
        return step.device_key is not None


class Full:
    async def new_password_required(self, step: SignInStep) -> NewPassword:
        return NewPassword("new password", {"name": "A"})

    async def mfa_setup(self, step: SignInStep) -> str | TotpCode:
        return TotpCode("123456") if step.totp else "SOFTWARE_TOKEN_MFA"


async def sms(step: SignInStep) -> int:
    return 123456


async def main(pool: UserPool) -> None:
    await pool.sign_in("alice", "password", handlers=Partial())
    await pool.sign_in("alice", "password", handlers=Full())
    table: SignInHandlerMap = {"sms_mfa": sms, "SMS_MFA": sms}
    await pool.sign_in("alice", "password", handlers=table)
    await pool.sign_in("alice", "password", handlers={"anything": sms})  # a plain mapping
    flow = pool.sign_in_flow("alice", "password")
    step = await flow.start()
    if step.state in ("SMS_MFA", "EMAIL_OTP"):
        step = await flow.answer("123456")
    if step.state == "DONE":
        print(step.tokens)
'''

BAD = """
from __future__ import annotations

from cognito_flows import SignInHandlerMap, SignInStep, Step, UserPool


class Misspelled:
    async def software_token_mfaa(self, step: Step) -> str:
        return "123456"


class WrongAnswer:
    async def remember_device(self, step: Step) -> str:
        return "yes"


async def sms(step: SignInStep) -> str:
    return "123456"


async def main(pool: UserPool) -> None:
    await pool.sign_in("alice", "password", handlers=Misspelled())  # BAD: handler
    await pool.sign_in("alice", "password", handlers=WrongAnswer())  # BAD: answer
    table: SignInHandlerMap = {"sms_mfaa": sms}  # BAD: key
    print(table)
    step = await pool.sign_in_flow("alice", "password").start()
    if step.state == "SMS_MFAA":  # BAD: state
        print(step)
"""


@pytest.fixture(scope="module")
def mypy_output(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """``mypy --strict`` on both user programs in one run: errors by file."""
    tmp = tmp_path_factory.mktemp("typing")
    (tmp / "good.py").write_text(textwrap.dedent(GOOD))
    (tmp / "bad.py").write_text(textwrap.dedent(BAD))
    env = dict(os.environ, MYPYPATH=str(ROOT))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--cache-dir",
            str(tmp / "cache"),
            "good.py",
            "bad.py",
        ],
        cwd=tmp,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode in (0, 1), result.stderr
    errors: dict[str, list[str]] = {"good.py": [], "bad.py": []}
    for line in result.stdout.splitlines():
        found = re.match(r"(good\.py|bad\.py):(\d+): error: (.*)", line)
        if found:
            errors[found[1]].append(f"{found[2]}: {found[3]}")
        else:
            assert ": note:" in line, line  # nothing else: no crash, no other file
    return errors


def test_mypy_accepts_a_correct_user_program(mypy_output: dict[str, list[str]]) -> None:
    assert mypy_output["good.py"] == []


def _line_of(marker: str) -> str:
    lines = textwrap.dedent(BAD).splitlines()
    return str(next(i for i, line in enumerate(lines, 1) if marker in line))


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("# BAD: handler", 'incompatible type "Misspelled"'),
        ("# BAD: answer", 'incompatible type "WrongAnswer"'),
        ("# BAD: key", '"sms_mfaa"'),
        ("# BAD: state", "Non-overlapping equality check"),
    ],
    ids=["misspelled-handler", "wrong-answer-type", "misspelled-map-key", "unknown-state"],
)
def test_mypy_rejects_a_misspelling(
    mypy_output: dict[str, list[str]], marker: str, message: str
) -> None:
    line = _line_of(marker)
    assert [e for e in mypy_output["bad.py"] if e.startswith(f"{line}: ") and message in e], (
        mypy_output["bad.py"]
    )


def test_mypy_finds_nothing_else_in_the_bad_program(mypy_output: dict[str, list[str]]) -> None:
    bad_lines = {
        _line_of(m) for m in ("# BAD: handler", "# BAD: answer", "# BAD: key", "# BAD: state")
    }
    assert {e.split(":")[0] for e in mypy_output["bad.py"]} == bad_lines
