"""Codes the emulator "sends", and the outbox where tests read them.

Every code (sign-up, forgot password, attribute verification, MFA, one-time passwords,
custom challenges, temporary passwords) is a :class:`Message` appended to the
:class:`Outbox` instead of an e-mail or SMS.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import attrs

from .errors import ServiceError, code_mismatch, expired_code

__all__ = [
    "CodeRecord",
    "Message",
    "Outbox",
    "mask_destination",
    "mask_email",
    "mask_phone",
    "new_code",
]

#: Purposes of outbox messages.
PURPOSES = (
    "SIGN_UP",
    "FORGOT_PASSWORD",
    "MFA",
    "ATTRIBUTE_VERIFICATION",
    "CUSTOM_CHALLENGE",
    "EMAIL_OTP",
    "SMS_OTP",
    "ADMIN_CREATE_USER",
    "WELCOME",
)


@attrs.frozen
class Message:
    """One code sent by the emulator.

    Attributes:
        username: the user's Cognito user name (a UUID in e-mail/phone-as-username pools).
        channel: ``"EMAIL"`` or ``"SMS"``.
        destination: the full e-mail address or phone number (not masked).
        purpose: why it was sent (``"SIGN_UP"``, ``"FORGOT_PASSWORD"``, ``"MFA"``,
            ``"ATTRIBUTE_VERIFICATION"``, ``"CUSTOM_CHALLENGE"``, ``"EMAIL_OTP"``,
            ``"SMS_OTP"``, ``"ADMIN_CREATE_USER"``, ``"WELCOME"``: a migrated user's welcome
            message).
        code: the code (for ``ADMIN_CREATE_USER``, the temporary password; empty for
            ``WELCOME``).
        time: when it was sent, in the emulator clock's epoch seconds.
        user_pool_id: the pool that sent it.
        body: the text a CustomMessage trigger made (code filled in), else ``None``.
        subject: the e-mail subject a CustomMessage trigger made, else ``None``.
    """

    username: str
    channel: str
    destination: str
    purpose: str
    code: str = attrs.field(repr=False)
    time: float
    user_pool_id: str = ""
    body: str | None = attrs.field(default=None, repr=False)
    subject: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The message as the ``/_local/outbox`` endpoint returns it."""
        return {
            "username": self.username,
            "channel": self.channel,
            "destination": self.destination,
            "purpose": self.purpose,
            "code": self.code,
            "time": self.time,
            "user_pool_id": self.user_pool_id,
            "body": self.body,
            "subject": self.subject,
        }

    def matches(
        self,
        username: str | None = None,
        purpose: str | None = None,
        channel: str | None = None,
    ) -> bool:
        """Whether the message fits the filters (``username`` may also be the destination)."""
        if purpose is not None and self.purpose != purpose:
            return False
        if channel is not None and self.channel != channel:
            return False
        if username is not None:
            wanted = username.casefold()
            if wanted not in (self.username.casefold(), self.destination.casefold()):
                return False
        return True


class Outbox:
    """Every code the emulator sent, oldest first."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def add(self, message: Message) -> None:
        """Record a sent message."""
        self.messages.append(message)

    def replace(self, old: Message, new: Message) -> None:
        """Put ``new`` where ``old`` is (a CustomMessage trigger rewrote it)."""
        for index, message in enumerate(self.messages):
            if message is old:
                self.messages[index] = new
                return

    def all(
        self,
        username: str | None = None,
        purpose: str | None = None,
        channel: str | None = None,
    ) -> list[Message]:
        """The messages matching the filters, oldest first."""
        return [m for m in self.messages if m.matches(username, purpose, channel)]

    def last(
        self,
        username: str | None = None,
        purpose: str | None = None,
        channel: str | None = None,
    ) -> Message:
        """The newest message matching the filters.

        ``username`` matches the Cognito user name or the destination (e-mail/phone).

        Raises:
            LookupError: no message matches.
        """
        for message in reversed(self.messages):
            if message.matches(username, purpose, channel):
                return message
        raise LookupError(
            f"no message for username={username!r} purpose={purpose!r} channel={channel!r}"
        )

    def clear(self) -> None:
        """Forget every message."""
        self.messages.clear()

    def __len__(self) -> int:
        return len(self.messages)

    def __iter__(self) -> Iterator[Message]:
        return iter(list(self.messages))

    def __repr__(self) -> str:
        return f"Outbox({len(self.messages)} messages)"


def new_code(digits: int = 6) -> str:
    """A random numeric code (``secrets``), zero-padded to ``digits``."""
    return f"{secrets.randbelow(10**digits):0{digits}d}"


def mask_email(email: str) -> str:
    """Cognito's masking of an e-mail address: ``test@gmail.com`` -> ``t***@g***``."""
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain[:1]}***"


def mask_phone(phone: str) -> str:
    """Cognito's masking of a phone number: ``+15555550123`` -> ``+*******0123``."""
    digits = phone[1:] if phone.startswith("+") else phone
    return "+" + "*" * max(len(digits) - 4, 0) + digits[-4:]


def mask_destination(channel: str, destination: str) -> str:
    """Mask an e-mail or phone destination depending on ``channel``."""
    return mask_email(destination) if channel == "EMAIL" else mask_phone(destination)


@attrs.define(eq=False)
class CodeRecord:
    """A code waiting to be used: single use, expiring, with a wrong-attempt counter."""

    code: str = attrs.field(repr=False)
    purpose: str
    expires: float
    used: bool = False
    attempts: int = 0
    attribute: str | None = None
    value: str | None = None
    channel: str | None = None

    def check(
        self,
        given: str,
        now: float,
        *,
        max_attempts: int | None = None,
        mismatch: str | None = None,
        expired: str | None = None,
    ) -> None:
        """Accept ``given`` once, or raise the Cognito error.

        Raises:
            ServiceError: ``ExpiredCodeException`` when used or expired,
                ``CodeMismatchException`` when wrong, ``LimitExceededException`` once
                ``max_attempts`` wrong answers were given.
        """
        self.verify(given, now, max_attempts=max_attempts, mismatch=mismatch, expired=expired)
        self.used = True

    def verify(
        self,
        given: str,
        now: float,
        *,
        max_attempts: int | None = None,
        mismatch: str | None = None,
        expired: str | None = None,
    ) -> None:
        """Check ``given`` like :meth:`check` without using the code up (a wrong code still
        counts as an attempt); the caller sets ``used`` once everything else succeeded.

        Raises:
            ServiceError: as :meth:`check`.
        """
        if self.used or now >= self.expires:
            raise expired_code(expired) if expired else expired_code()
        if max_attempts is not None and self.attempts >= max_attempts:
            raise ServiceError(
                "LimitExceededException", "Attempt limit exceeded, please try after some time."
            )
        if not secrets.compare_digest(self.code.encode(), given.encode()):
            self.attempts += 1
            raise code_mismatch(mismatch) if mismatch else code_mismatch()
