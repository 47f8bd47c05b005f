"""Custom authentication triggers as Python callables with Lambda-shaped events.

A trigger is a callable (sync or async) taking the event dict that AWS Lambda would get
(``event["request"]``, ``event["response"]``, ``userName``, ``triggerSource``...) and
returning the event (or ``None`` after changing ``event["response"]`` in place).

Triggers may send codes with :func:`send_message`, which delivers to the emulator's
outbox while a trigger runs.
"""

from __future__ import annotations

import contextvars
import inspect
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import attrs

from .codes import mask_email, new_code

__all__ = ["Trigger", "TriggerSet", "send_message"]

Event = dict[str, Any]
Trigger = Callable[[Event], "Event | Awaitable[Event | None] | None"]

# (send function) while a trigger runs: send(channel, destination, purpose, code)
_SENDER: contextvars.ContextVar[Callable[[str, str, str, str], None] | None] = (
    contextvars.ContextVar("cognito_local_sender", default=None)
)


def send_message(
    channel: str, destination: str, code: str, purpose: str = "CUSTOM_CHALLENGE"
) -> None:
    """Deliver ``code`` to the emulator's outbox from inside a trigger.

    Args:
        channel: ``"EMAIL"`` or ``"SMS"``.
        destination: the e-mail address or phone number.
        code: the code to deliver.
        purpose: the outbox purpose (default ``"CUSTOM_CHALLENGE"``).

    Raises:
        RuntimeError: called outside a trigger invocation.
    """
    sender = _SENDER.get()
    if sender is None:
        raise RuntimeError("send_message() can only be called while a trigger runs")
    sender(channel, destination, purpose, code)


async def invoke(
    trigger: Trigger, event: Event, sender: Callable[[str, str, str, str], None]
) -> Event:
    """Run ``trigger`` on ``event`` with :func:`send_message` bound to ``sender``."""
    token = _SENDER.set(sender)
    try:
        result = trigger(event)
        if inspect.isawaitable(result):
            result = await result
    finally:
        _SENDER.reset(token)
    if result is None:
        return event
    if not isinstance(result, dict):
        raise TypeError("a trigger must return the event dict or None")
    return result


@attrs.frozen
class TriggerSet:
    """The three custom-auth triggers of a pool (any may be ``None``)."""

    define_auth_challenge: Trigger | None = None
    create_auth_challenge: Trigger | None = None
    verify_auth_challenge_response: Trigger | None = None

    @property
    def custom_auth_ready(self) -> bool:
        """Whether DefineAuthChallenge is set (required for CUSTOM_AUTH)."""
        return self.define_auth_challenge is not None

    @classmethod
    def email_code(cls, *, max_attempts: int = 3, digits: int = 6) -> TriggerSet:
        """The classic "code by e-mail" custom challenge.

        * Define: after ``SRP_A`` alone answer ``PASSWORD_VERIFIER``; after a correct
          ``CUSTOM_CHALLENGE`` issue tokens; after ``max_attempts`` wrong answers fail;
          otherwise ``CUSTOM_CHALLENGE``.
        * Create: a random ``digits``-digit code sent by e-mail to the user's ``email``
          (purpose ``CUSTOM_CHALLENGE``); the same code is reused for retries within one
          sign-in. Public parameters: ``{"email": masked address}``.
        * Verify: the answer equals the code.
        """

        def define(event: Event) -> Event:
            session = event["request"]["session"]
            response = event["response"]
            if event["request"].get("userNotFound"):
                response.update(issueTokens=False, failAuthentication=True)
                return event
            if session and session[-1]["challengeName"] == "SRP_A":
                response.update(
                    challengeName="PASSWORD_VERIFIER", issueTokens=False, failAuthentication=False
                )
                return event
            if (
                session
                and session[-1]["challengeName"] == "PASSWORD_VERIFIER"
                and not session[-1]["challengeResult"]
            ):
                response.update(issueTokens=False, failAuthentication=True)
                return event
            customs = [s for s in session if s["challengeName"] == "CUSTOM_CHALLENGE"]
            if customs and customs[-1]["challengeResult"]:
                response.update(issueTokens=True, failAuthentication=False)
            elif len(customs) >= max_attempts:
                response.update(issueTokens=False, failAuthentication=True)
            else:
                response.update(
                    challengeName="CUSTOM_CHALLENGE", issueTokens=False, failAuthentication=False
                )
            return event

        def create(event: Event) -> Event:
            session = event["request"]["session"]
            previous = [
                s.get("challengeMetadata") or ""
                for s in session
                if s["challengeName"] == "CUSTOM_CHALLENGE"
            ]
            code = None
            if previous and previous[-1].startswith("CODE-"):
                code = previous[-1][5:]
            email = event["request"]["userAttributes"].get("email", "")
            if code is None:
                code = new_code(digits)
                if email:
                    send_message("EMAIL", email, code, "CUSTOM_CHALLENGE")
            event["response"]["publicChallengeParameters"] = {
                "email": mask_email(email) if email else "",
            }
            event["response"]["privateChallengeParameters"] = {"answer": code}
            event["response"]["challengeMetadata"] = f"CODE-{code}"
            return event

        def verify(event: Event) -> Event:
            expected = event["request"]["privateChallengeParameters"].get("answer", "")
            answer = event["request"].get("challengeAnswer") or ""
            event["response"]["answerCorrect"] = bool(expected) and secrets.compare_digest(
                expected.encode(), answer.encode()
            )
            return event

        return cls(
            define_auth_challenge=define,
            create_auth_challenge=create,
            verify_auth_challenge_response=verify,
        )
