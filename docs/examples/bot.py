"""A chat bot that signs many users in at once, each waiting for a code they type.

The bot keeps only ``chat -> flow_id`` in memory; the suspended flows live in the store
(Redis when several bot processes share the load, memory for one process). Messages
arrive in any order: a user may type a wrong code, the right one, or the same code twice
(two messages racing; only one reaches Cognito).

Conversation::

    user: /login alice Corr3ct-Horse!
    bot:  Enter the 6-digit code from your authenticator app.
    user: 123456
    bot:  Wrong code, try again.
    user: 654321
    bot:  Welcome, alice!

:class:`LoginBot` uses step mode: nothing waits between messages, so one process can hold
thousands of sign-ins and several processes can share them through Redis.
:class:`HandlerBot` uses handler mode instead: each sign-in is one ``pool.sign_in(...,
handlers=...)`` call in its own task, and each handler method awaits the user's next
message from the chat's ``asyncio.Queue``, with a timeout that never outlives Cognito's
session. Simpler to write; the waiting sign-ins live in this process.

Run a self-contained simulation (a local Cognito in the process; ``--redis URL`` to keep
the flows in Redis)::

    python docs/examples/bot.py --users 200
"""

from __future__ import annotations

import argparse
import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import attrs

from cognito_flows import (
    CognitoFlowsError,
    FlowConflictError,
    HandlerError,
    InvalidAnswerError,
    SignInStep,
    SrpDeadlineError,
    Step,
    UserPool,
)
from cognito_flows.errors import FlowFinishedError
from cognito_flows.store import FlowRepository, FlowStore, StoredFlowExpiredError

__all__ = [
    "AnswerTimeoutError",
    "ChatHandlers",
    "HandlerBot",
    "LoginBot",
    "SimulatedUser",
    "SimulationReport",
    "main",
    "simulate",
]

Send = Callable[[str, str], Awaitable[None]]

_PROMPTS = {
    "SOFTWARE_TOKEN_MFA": "Enter the 6-digit code from your authenticator app.",
    "SMS_MFA": "Enter the code we sent by SMS.",
    "EMAIL_OTP": "Enter the code we sent by e-mail.",
    "SELECT_MFA_TYPE": "Reply SMS, TOTP or EMAIL to choose how to get your code.",
    "NEW_PASSWORD_REQUIRED": "Choose a new password.",
}


class LoginBot:
    """Signs chat users in; only flow ids are kept in memory.

    Args:
        pool: the user pool.
        store: where suspended flows wait (share a Redis store between bot processes).
        send: ``async send(chat_id, text)``, the bot's reply.
        encryption_key: encrypt the stored flows with this key.
    """

    def __init__(
        self, pool: UserPool, store: FlowStore, send: Send, *, encryption_key: str | None = None
    ) -> None:
        self.pool = pool
        self.flows = FlowRepository(pool, store, encryption_key=encryption_key)
        self.send = send
        #: chat id -> flow id: all the bot remembers about a sign-in in progress.
        self.pending: dict[str, str] = {}
        #: chat id -> Cognito user name, once signed in (a real bot would keep the tokens
        #: in a TokenManager or its session store).
        self.signed_in: dict[str, str] = {}
        self.counts = {"retries": 0, "conflicts": 0, "expired": 0}

    async def on_message(self, chat_id: str, text: str) -> None:
        """Handle one message from ``chat_id``."""
        if text.startswith("/login "):
            parts = text.split(maxsplit=2)
            if len(parts) != 3:
                await self.send(chat_id, "Usage: /login <user> <password>")
                return
            await self._login(chat_id, parts[1], parts[2])
            return
        flow_id = self.pending.get(chat_id)
        if flow_id is None:
            await self.send(chat_id, "Say /login <user> <password> first.")
            return
        await self._answer(chat_id, flow_id, text.strip())

    async def _login(self, chat_id: str, username: str, password: str) -> None:
        try:
            flow = self.pool.sign_in_flow(username, password, remember_device=False)
            flow_id, step = await self.flows.start(flow)
        except InvalidAnswerError as exc:
            await self.send(chat_id, f"Cannot sign in: {exc}")
            return
        if flow_id is not None:
            self.pending[chat_id] = flow_id
        await self._reply(chat_id, step)

    async def _answer(self, chat_id: str, flow_id: str, text: str) -> None:
        try:
            step = await self.flows.answer(flow_id, text)
        except (StoredFlowExpiredError, FlowFinishedError):
            if self.pending.get(chat_id) == flow_id:
                del self.pending[chat_id]
            if chat_id in self.signed_in:  # a duplicate message after success
                return
            self.counts["expired"] += 1
            await self.send(chat_id, "That sign-in expired. Say /login again.")
            return
        except FlowConflictError:
            self.counts["conflicts"] += 1
            await self.send(chat_id, "Still checking your previous message...")
            return
        except InvalidAnswerError:
            await self.send(chat_id, "That does not look like a code.")
            return
        await self._reply(chat_id, step)

    async def _reply(self, chat_id: str, step: Step) -> None:
        if step.done:
            self.pending.pop(chat_id, None)
            if step.ok and step.tokens is not None:
                self.signed_in[chat_id] = step.tokens.username or "?"
                await self.send(chat_id, f"Welcome, {self.signed_in[chat_id]}!")
            else:
                await self.send(chat_id, f"Sign-in failed ({step.state}).")
            return
        if step.retry:
            self.counts["retries"] += 1
            await self.send(chat_id, "Wrong code, try again.")
            return
        await self.send(chat_id, _PROMPTS.get(step.state, f"Answer {step.state}."))


class AnswerTimeoutError(Exception):
    """The user did not answer in time (raised by a :class:`ChatHandlers` method)."""


class ChatHandlers:
    """Handler mode for one chat: each method asks, then awaits the chat's next message.

    ``inbox`` receives the chat's messages (:class:`HandlerBot` puts them there). A wait
    ends after ``timeout`` seconds, or sooner when Cognito's session for the step expires
    (``step.session_expires_at``, on the pool's clock): an answer after that would be
    refused anyway. The handler then raises :class:`AnswerTimeoutError`, which
    ``pool.sign_in`` raises as the cause of a ``HandlerError``; nothing is sent to Cognito.
    """

    def __init__(
        self,
        chat_id: str,
        send: Send,
        inbox: asyncio.Queue[str],
        *,
        timeout: float,
        clock: Callable[[], float],
    ) -> None:
        self.chat_id = chat_id
        self.send = send
        self.inbox = inbox
        self.timeout = timeout
        self.clock = clock

    async def _next_message(self, step: SignInStep) -> str:
        wait = self.timeout
        if step.session_expires_at is not None:
            wait = min(wait, step.session_expires_at - self.clock())
        try:
            return await asyncio.wait_for(self.inbox.get(), max(wait, 0.0))
        except asyncio.TimeoutError:
            raise AnswerTimeoutError(step.state) from None

    async def _code(self, step: SignInStep) -> str:
        await self.send(
            self.chat_id, "Wrong code, try again." if step.retry else _PROMPTS[step.state]
        )
        while True:
            text = (await self._next_message(step)).strip()
            if text.isdigit():
                return text
            await self.send(self.chat_id, "That does not look like a code.")

    async def software_token_mfa(self, step: SignInStep) -> str:
        """SOFTWARE_TOKEN_MFA: the code from the authenticator app."""
        return await self._code(step)

    async def sms_mfa(self, step: SignInStep) -> str:
        """SMS_MFA: the code sent by SMS."""
        return await self._code(step)

    async def email_otp(self, step: SignInStep) -> str:
        """EMAIL_OTP: the code sent by e-mail."""
        return await self._code(step)

    async def select_mfa_type(self, step: SignInStep) -> str:
        """SELECT_MFA_TYPE: the user's choice."""
        await self.send(self.chat_id, _PROMPTS["SELECT_MFA_TYPE"])
        return (await self._next_message(step)).strip().upper()


class HandlerBot:
    """Signs chat users in with handler mode: one task per sign-in, one queue per chat.

    Args:
        pool: the user pool.
        send: ``async send(chat_id, text)``, the bot's reply.
        answer_timeout: how long a handler waits for the user's next message.
    """

    def __init__(self, pool: UserPool, send: Send, *, answer_timeout: float = 120.0) -> None:
        self.pool = pool
        self.send = send
        self.answer_timeout = answer_timeout
        #: chat id -> the queue its sign-in's handlers read the chat's messages from.
        self.inboxes: dict[str, asyncio.Queue[str]] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.signed_in: dict[str, str] = {}

    async def on_message(self, chat_id: str, text: str) -> None:
        """Handle one message from ``chat_id``: a /login starts a sign-in; any other
        message goes to the waiting handler of the chat's sign-in."""
        if text.startswith("/login "):
            parts = text.split(maxsplit=2)
            if len(parts) != 3:
                await self.send(chat_id, "Usage: /login <user> <password>")
                return
            old = self.tasks.pop(chat_id, None)
            if old is not None:  # a new /login replaces the sign-in in progress
                old.cancel()
            inbox: asyncio.Queue[str] = asyncio.Queue()
            self.inboxes[chat_id] = inbox
            self.tasks[chat_id] = asyncio.create_task(
                self._sign_in(chat_id, parts[1], parts[2], inbox)
            )
            return
        waiting = self.inboxes.get(chat_id)
        if waiting is None:
            await self.send(chat_id, "Say /login <user> <password> first.")
            return
        waiting.put_nowait(text)

    async def _sign_in(
        self, chat_id: str, username: str, password: str, inbox: asyncio.Queue[str]
    ) -> None:
        handlers = ChatHandlers(
            chat_id, self.send, inbox, timeout=self.answer_timeout, clock=self.pool.clock
        )
        try:
            tokens = await self.pool.sign_in(
                username, password, handlers=handlers, remember_device=False
            )
        except HandlerError as exc:  # a handler raised: here, only when the user was silent
            timed_out = isinstance(exc.__cause__, AnswerTimeoutError)
            await self.send(
                chat_id, "No answer in time. Say /login again." if timed_out else "Sign-in failed."
            )
        except SrpDeadlineError:  # a burst: the SRP workers could not answer in time
            await self.send(chat_id, "Too many sign-ins right now. Say /login again.")
        except CognitoFlowsError as exc:
            await self.send(chat_id, f"Sign-in failed ({type(exc).__name__}).")
        else:
            self.signed_in[chat_id] = tokens.username or "?"
            await self.send(chat_id, f"Welcome, {self.signed_in[chat_id]}!")
        finally:
            if self.inboxes.get(chat_id) is inbox:
                del self.inboxes[chat_id]
                del self.tasks[chat_id]

    async def aclose(self) -> None:
        """Cancel the sign-ins still waiting for their users."""
        tasks = list(self.tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


@attrs.frozen
class SimulatedUser:
    """A chat user of the simulation: their credentials and TOTP secret."""

    username: str
    password: str = attrs.field(repr=False)
    totp_secret: str = attrs.field(repr=False)


@attrs.frozen
class SimulationReport:
    """What :func:`simulate` observed."""

    users: int
    signed_in: int
    retries: int
    conflicts: int
    expired: int
    peak_pending: int
    peak_stored: int | None
    replies: int


async def simulate(
    pool: UserPool,
    store: FlowStore,
    users: Sequence[SimulatedUser],
    *,
    totp: Callable[[str], str],
    seed: int = 0,
    wrong_rate: float = 0.2,
    duplicate_rate: float = 0.1,
    count_stored: Callable[[], Awaitable[int]] | None = None,
) -> SimulationReport:
    """Every user logs in at once, then their codes arrive in random order.

    Some users first type a wrong code (``wrong_rate``); some send their right code twice
    at the same moment (``duplicate_rate``).
    """
    rng = random.Random(seed)  # noqa: S311 - simulated timing, not security
    replies: dict[str, list[str]] = {}

    async def send(chat_id: str, text: str) -> None:
        replies.setdefault(chat_id, []).append(text)

    bot = LoginBot(pool, store, send)
    chats = {f"chat-{i}": user for i, user in enumerate(users)}
    await asyncio.gather(
        *(bot.on_message(chat, f"/login {u.username} {u.password}") for chat, u in chats.items())
    )
    peak_pending = len(bot.pending)
    peak_stored = await count_stored() if count_stored is not None else None

    async def conversation(chat: str, user: SimulatedUser) -> None:
        await asyncio.sleep(rng.random() * 0.2)  # users answer in random order
        if rng.random() < wrong_rate:
            right = totp(user.totp_secret)
            await bot.on_message(chat, "000000" if right != "000000" else "111111")
            await asyncio.sleep(rng.random() * 0.05)
        code = totp(user.totp_secret)
        if rng.random() < duplicate_rate:
            await asyncio.gather(bot.on_message(chat, code), bot.on_message(chat, code))
        else:
            await bot.on_message(chat, code)

    order = list(chats.items())
    rng.shuffle(order)
    tasks = [asyncio.ensure_future(conversation(chat, user)) for chat, user in order]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:  # one failed: do not leave the others running
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return SimulationReport(
        users=len(users),
        signed_in=len(bot.signed_in),
        retries=bot.counts["retries"],
        conflicts=bot.counts["conflicts"],
        expired=bot.counts["expired"],
        peak_pending=peak_pending,
        peak_stored=peak_stored,
        replies=sum(len(r) for r in replies.values()),
    )


async def _demo(n_users: int, redis_url: str | None) -> SimulationReport:
    import os

    import pyotp

    from cognito_flows.store import MemoryFlowStore
    from cognito_local import LocalCognito

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "demo")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "demo")
    async with LocalCognito() as local:
        model = local.pool()
        users = []
        for i in range(n_users):
            user = SimulatedUser(f"user{i}", "Corr3ct-Horse!", pyotp.random_base32())
            model.create_user(
                user.username, user.password, mfa="SOFTWARE_TOKEN_MFA", totp_secret=user.totp_secret
            )
            users.append(user)
        store: Any
        if redis_url:
            from cognito_flows.store import RedisFlowStore

            store = RedisFlowStore(redis_url)
        else:
            store = MemoryFlowStore(clock=local.clock.now)
        async with UserPool(
            local.user_pool_id,
            local.client_id,
            endpoint_url=local.endpoint_url,
            region=local.region,
            clock=local.clock.now,
        ) as pool:
            report = await simulate(
                pool, store, users, totp=lambda s: pyotp.TOTP(s).at(local.clock.now())
            )
        await store.aclose()
        return report


def main(argv: list[str] | None = None) -> None:
    """Run the simulation against a local Cognito and print the report."""
    parser = argparse.ArgumentParser(description="chat-bot sign-in simulation")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--redis", help="redis URL (default: the in-memory store)")
    args = parser.parse_args(argv)
    print(asyncio.run(_demo(args.users, args.redis)))


if __name__ == "__main__":
    main()
