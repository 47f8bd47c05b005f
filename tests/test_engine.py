"""Tests of cognito_flows.engine: FlowTable, FlowMachine (sequential callbacks, cancellation
that propagates: guards the private-API override of transitions 0.9.x), run_with_handlers
and answer validation."""

from __future__ import annotations

import asyncio
import contextvars
import sys
from typing import Any

import attrs
import pytest

from cognito_flows.engine import (
    FlowMachine,
    FlowTable,
    Step,
    Transition,
    require_code,
    require_text,
    run_with_handlers,
)
from cognito_flows.errors import (
    CodeMismatchError,
    HandlerError,
    InvalidAnswerError,
    MissingHandlerError,
    NotAuthorizedError,
    ProtocolError,
)

STATES = ("idle", "waiting", "done", "failed")


@attrs.define  # slotted and eq=True: must still work, because flows are never add_model()-ed
class Flow:
    name: str = "flow"
    state: str = "idle"
    seen: list[Any] = attrs.field(factory=list)


def _record(data: Flow, **kwargs: Any) -> None:
    data.seen.append(kwargs)


def make_table(**overrides: Any) -> FlowTable:
    spec: dict[str, Any] = {
        "states": STATES,
        "initial": "idle",
        "final": ("done", "failed"),
        "internal": ("waiting",),
        "transitions": [
            Transition("start", ("idle",), "waiting", before=_record),
            Transition("answer", ("waiting",), "=", before=_record),
            Transition("finish", ("waiting",), "done"),
            Transition("fail", ("idle", "waiting"), "failed"),
        ],
    }
    spec.update(overrides)
    return FlowTable("test_flow", **spec)


# --------------------------------------------------------------------------------------
# FlowTable


def test_valid_table() -> None:
    table = make_table()
    assert table.states == STATES
    assert table.events == ("start", "answer", "finish", "fail")
    assert sorted(table.events_from("waiting")) == ["answer", "fail", "finish"]
    assert sorted(table.events_from("idle")) == ["fail", "start"]
    assert table.events_from("done") == []
    assert table.can("idle", "start") and not table.can("idle", "finish")


@pytest.mark.parametrize(
    "overrides",
    [
        {"transitions": [Transition("start", ("idle",), "nowhere")]},
        {"transitions": [Transition("start", ("limbo",), "waiting")]},
        {"transitions": [Transition("start", ("idle", "limbo"), "=")]},
        {"initial": "limbo"},
        {"final": ("done", "limbo")},
    ],
    ids=["unknown-dest", "unknown-source", "unknown-second-source", "initial", "final"],
)
def test_table_rejects_unknown_states(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        make_table(**overrides)


async def test_fire_moves_state_and_before_gets_kwargs() -> None:
    table = make_table()
    flow = Flow()
    response = {"ChallengeName": "SMS_MFA"}
    await table.fire(flow, "start", response=response, attempt=1)
    assert flow.state == "waiting"
    assert flow.seen == [{"response": response, "attempt": 1}]
    await table.fire(flow, "finish")
    assert flow.state == "done"


async def test_reflexive_transition_stays_and_runs_before() -> None:
    table = make_table()
    flow = Flow(state="waiting")
    await table.fire(flow, "answer", code="123456")
    await table.fire(flow, "answer", code="654321")
    assert flow.state == "waiting"
    assert flow.seen == [{"code": "123456"}, {"code": "654321"}]


@pytest.mark.parametrize(
    ("state", "event"),
    [
        ("idle", "finish"),
        ("idle", "answer"),
        ("done", "start"),
        ("failed", "fail"),
        ("idle", "no_such_event"),
        ("waiting", ""),
    ],
)
async def test_fire_invalid_event_is_protocol_error(state: str, event: str) -> None:
    table = make_table()
    flow = Flow(state=state)
    with pytest.raises(ProtocolError):
        await table.fire(flow, event)
    assert flow.state == state
    assert flow.seen == []


async def test_before_exception_propagates_and_state_is_kept() -> None:
    def boom(data: Flow, **kwargs: Any) -> None:
        raise RuntimeError("callback failed")

    table = make_table(transitions=[Transition("start", ("idle",), "waiting", before=boom)])
    flow = Flow()
    with pytest.raises(RuntimeError):
        await table.fire(flow, "start")
    assert flow.state == "idle"


def test_mermaid_lists_every_state_and_event() -> None:
    table = make_table()
    text = table.mermaid(title="Test flow")
    assert "stateDiagram-v2" in text and "title: Test flow" in text
    for state in table.states:
        assert f" as {state}" in text
    for event in table.events:
        assert f": {event}\n" in text
    assert "[*] --> idle" in text
    assert "done --> [*]" in text and "failed --> [*]" in text
    assert "waiting --> waiting: answer" in text  # "=" drawn as a self-loop
    assert "idle --> failed: fail" in text and "waiting --> failed: fail" in text
    assert "(answered by the library)" in text


async def test_ten_thousand_equal_flows_are_independent() -> None:
    table = make_table()
    flows = [Flow() for _ in range(10_000)]
    assert flows[0] == flows[1]  # attrs eq=True: all equal
    for flow in flows[::2]:
        await table.fire(flow, "start", n=1)
    assert all(f.state == "waiting" for f in flows[::2])
    assert all(f.state == "idle" and f.seen == [] for f in flows[1::2])
    for flow in flows[::4]:
        await table.fire(flow, "finish")
    assert sum(f.state == "done" for f in flows) == 2_500
    assert sum(f.state == "waiting" for f in flows) == 2_500
    assert sum(f.state == "idle" for f in flows) == 5_000
    assert table.machine.models == []  # nothing was bound to the shared machine
    assert not hasattr(flows[0], "trigger")


# --------------------------------------------------------------------------------------
# FlowMachine: cancellation and sequential callbacks in the caller's task


def _slow_machine(entered: asyncio.Event, delay: float = 30) -> FlowMachine:
    async def slow_enter(*args: Any, **kwargs: Any) -> None:
        entered.set()
        await asyncio.sleep(delay)

    return FlowMachine(
        model=None,
        states=["idle", {"name": "busy", "on_enter": [slow_enter]}],
        transitions=[{"trigger": "go", "source": "idle", "dest": "busy"}],
        initial="idle",
        auto_transitions=False,
    )


async def test_cancellation_propagates() -> None:
    entered = asyncio.Event()
    machine = _slow_machine(entered)
    flow = Flow()
    task = asyncio.ensure_future(machine.events["go"].trigger(flow))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def test_wait_for_times_out() -> None:
    machine = _slow_machine(asyncio.Event())
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(machine.events["go"].trigger(Flow()), 0.05)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is new in 3.11")
async def test_asyncio_timeout_raises() -> None:
    machine = _slow_machine(asyncio.Event())
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await machine.events["go"].trigger(Flow())


async def test_cancellation_through_flow_table() -> None:
    entered = asyncio.Event()

    table = make_table()
    table.machine.get_state("waiting").add_callback("enter", _sleeper(entered))
    flow = Flow()
    task = asyncio.ensure_future(table.fire(flow, "start"))
    await entered.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def _sleeper(entered: asyncio.Event) -> Any:
    async def sleep(*args: Any, **kwargs: Any) -> None:
        entered.set()
        await asyncio.sleep(30)

    return sleep


VAR: contextvars.ContextVar[str] = contextvars.ContextVar("VAR", default="unset")


async def test_callbacks_run_sequentially_in_the_callers_task() -> None:
    order: list[str] = []
    tasks: list[asyncio.Task[Any] | None] = []

    async def first(*args: Any, **kwargs: Any) -> None:
        order.append("first-start")
        tasks.append(asyncio.current_task())
        await asyncio.sleep(0.01)
        VAR.set("set-in-callback")
        order.append("first-end")

    async def second(*args: Any, **kwargs: Any) -> None:
        order.append("second-start")
        tasks.append(asyncio.current_task())
        await asyncio.sleep(0)
        order.append("second-end")

    machine = FlowMachine(
        model=None,
        states=["idle", {"name": "busy", "on_enter": [first, second]}],
        transitions=[{"trigger": "go", "source": "idle", "dest": "busy"}],
        initial="idle",
        auto_transitions=False,
    )
    flow = Flow()
    assert await machine.events["go"].trigger(flow) is True
    assert flow.state == "busy"
    assert order == ["first-start", "first-end", "second-start", "second-end"]
    assert tasks == [asyncio.current_task()] * 2
    assert VAR.get() == "set-in-callback"


# --------------------------------------------------------------------------------------
# run_with_handlers


def step(state: str, handler: str | None = None, **kwargs: Any) -> Step:
    return Step(flow="test", state=state, handler=handler, **kwargs)


DONE = Step(flow="test", state="DONE", done=True)


class ScriptedFlow:
    """A step-mode flow whose answers are recorded and whose next steps are scripted."""

    def __init__(self, first: Step, *replies: Step) -> None:
        self.first = first
        self.replies = list(replies)
        self.answers: list[Any] = []
        self.started = 0

    async def start(self) -> Step:
        self.started += 1
        return self.first

    async def answer(self, value: Any = None) -> Step:
        self.answers.append(value)
        return self.replies.pop(0)


class ObjectHandlers:
    def __init__(self) -> None:
        self.calls: list[Step] = []

    async def sms_mfa(self, s: Step) -> str:
        self.calls.append(s)
        return "123456"

    async def new_password_required(self, s: Step) -> str:
        self.calls.append(s)
        return "n3w-Passw0rd!"


async def test_object_handlers() -> None:
    flow = ScriptedFlow(
        step("SMS_MFA", "sms_mfa"), step("NEW_PASSWORD_REQUIRED", "new_password_required"), DONE
    )
    handlers = ObjectHandlers()
    final = await run_with_handlers(flow, handlers)
    assert final is DONE and final.ok
    assert flow.answers == ["123456", "n3w-Passw0rd!"]
    assert [c.state for c in handlers.calls] == ["SMS_MFA", "NEW_PASSWORD_REQUIRED"]
    assert flow.started == 1


@pytest.mark.parametrize("key", ["SMS_MFA", "sms_mfa"])
async def test_mapping_handlers_by_state_or_name(key: str) -> None:
    seen: list[Step] = []

    async def answer(s: Step) -> str:
        seen.append(s)
        return "654321"

    first = step("SMS_MFA", "sms_mfa")
    flow = ScriptedFlow(first, DONE)
    assert await run_with_handlers(flow, {key: answer}) is DONE
    assert flow.answers == ["654321"]
    assert seen == [first]


async def test_sync_handler_result_is_accepted() -> None:
    flow = ScriptedFlow(step("SMS_MFA", "sms_mfa"), DONE)
    await run_with_handlers(flow, {"sms_mfa": lambda s: "111222"})
    assert flow.answers == ["111222"]


async def test_first_step_skips_start() -> None:
    flow = ScriptedFlow(step("IGNORED", "x"), DONE)
    await run_with_handlers(flow, {"sms_mfa": lambda s: "1"}, first=step("SMS_MFA", "sms_mfa"))
    assert flow.started == 0 and flow.answers == ["1"]


@pytest.mark.parametrize(
    "handlers", [None, {}, {"other": lambda s: 1}, ObjectHandlers(), {"SMS_MFA": "not callable"}]
)
async def test_missing_handler(handlers: Any) -> None:
    flow = ScriptedFlow(step("SOFTWARE_TOKEN_MFA", "software_token_mfa"), DONE)
    with pytest.raises(MissingHandlerError) as info:
        await run_with_handlers(flow, handlers)
    assert info.value.challenge == "SOFTWARE_TOKEN_MFA"
    assert flow.answers == []


async def test_handler_raising_is_wrapped_with_cause() -> None:
    original = KeyError("the host's bug")

    async def broken(s: Step) -> str:
        raise original

    flow = ScriptedFlow(step("SMS_MFA", "sms_mfa"), DONE)
    with pytest.raises(HandlerError) as info:
        await run_with_handlers(flow, {"sms_mfa": broken})
    assert info.value.__cause__ is original
    assert "sms_mfa" in str(info.value) and "KeyError" in str(info.value)
    assert "the host's bug" not in str(info.value)
    assert flow.answers == []


async def test_handler_raising_library_error_is_not_wrapped() -> None:
    async def invalid(s: Step) -> str:
        raise InvalidAnswerError("bad answer")

    flow = ScriptedFlow(step("SMS_MFA", "sms_mfa"), DONE)
    with pytest.raises(InvalidAnswerError):
        await run_with_handlers(flow, {"sms_mfa": invalid})


async def test_remember_device_is_optional_and_defaults_to_false() -> None:
    flow = ScriptedFlow(step("REMEMBER_DEVICE", "remember_device"), DONE)
    assert await run_with_handlers(flow, {}) is DONE
    assert flow.answers == [False]


async def test_remember_device_handler_is_used_when_given() -> None:
    flow = ScriptedFlow(step("REMEMBER_DEVICE", "remember_device"), DONE)
    await run_with_handlers(flow, {"remember_device": lambda s: True})
    assert flow.answers == [True]


async def test_retry_asks_the_same_handler_again() -> None:
    calls: list[Step] = []
    codes = iter(["000000", "123456"])

    async def sms(s: Step) -> str:
        calls.append(s)
        return next(codes)

    wrong = CodeMismatchError("Invalid code received for user")
    flow = ScriptedFlow(
        step("SMS_MFA", "sms_mfa"), step("SMS_MFA", "sms_mfa", retry=True, error=wrong), DONE
    )
    assert await run_with_handlers(flow, {"sms_mfa": sms}) is DONE
    assert flow.answers == ["000000", "123456"]
    assert len(calls) == 2
    assert calls[0].retry is False and calls[0].error is None
    assert calls[1].retry is True and calls[1].error is wrong


async def test_failed_final_step_raises_its_error() -> None:
    failure = NotAuthorizedError("Incorrect username or password.")
    flow = ScriptedFlow(Step(flow="test", state="FAILED", done=True, error=failure))
    with pytest.raises(NotAuthorizedError) as info:
        await run_with_handlers(flow, {})
    assert info.value is failure


# --------------------------------------------------------------------------------------
# Answer validation


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "abc",
        "12a456",
        "12-456",
        "١٢٣٤٥٦",
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        "123",
        "12345678901",
        12.5,
        None,
        True,
        False,
        b"123456",
        ["123456"],
    ],
)
def test_require_code_rejects(value: Any) -> None:
    with pytest.raises(InvalidAnswerError):
        require_code(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" 123 456 ", "123456"),
        ("123456", "123456"),
        (123456, "123456"),
        ("0012", "0012"),
        ("\t987654\n", "987654"),
        (12345678, "12345678"),
    ],
)
def test_require_code_accepts(value: Any, expected: str) -> None:
    assert require_code(value) == expected


def test_require_code_digits_bounds() -> None:
    assert require_code("123", digits=(3, 3)) == "123"
    with pytest.raises(InvalidAnswerError):
        require_code("1234", digits=(3, 3))


def test_invalid_answer_does_not_echo_value() -> None:
    with pytest.raises(InvalidAnswerError) as info:
        require_code("98x765")
    assert "98x765" not in str(info.value)


@pytest.mark.parametrize("value", ["", "  ", None, 5])
def test_require_text_rejects(value: Any) -> None:
    with pytest.raises(InvalidAnswerError):
        require_text(value, "a new password")


def test_require_text_keeps_value() -> None:
    assert require_text(" pass word ", "a new password") == " pass word "
