"""What the host sees and answers: :class:`Step`, code delivery, TOTP setup, answer types.

No I/O here: a flow builds its :class:`Step` from its state's spec and its data, and the
host answers with a plain value or one of the answer types below (:class:`TotpCode`,
:class:`NewPassword`, :class:`ResetPassword`). :func:`require_code` and :func:`require_text`
validate answers before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Generic

import attrs
from typing_extensions import TypeVar

from .errors import CognitoFlowsError, InvalidAnswerError, hidden, masked

if TYPE_CHECKING:
    from .tokens import TokenSet

#: A flow's state names (a ``Literal`` of :mod:`cognito_flows.states`); plain ``Step`` is
#: ``Step[str]``. Covariant: a ``Step[SignInState]`` is a ``Step``.
_S = TypeVar("_S", bound=str, covariant=True, default=str)

__all__ = [
    "CodeDelivery",
    "NewPassword",
    "ResetPassword",
    "Step",
    "TotpCode",
    "TotpSetup",
    "require_code",
    "require_text",
]


@attrs.frozen
class CodeDelivery:
    """Where Cognito sent a code: medium (``EMAIL``/``SMS``), masked destination, attribute."""

    medium: str | None = None
    destination: str | None = None
    attribute: str | None = None

    @classmethod
    def from_challenge(cls, params: Mapping[str, str]) -> CodeDelivery | None:
        """From ``CODE_DELIVERY_*`` challenge parameters (``None`` when absent)."""
        medium = params.get("CODE_DELIVERY_DELIVERY_MEDIUM")
        destination = params.get("CODE_DELIVERY_DESTINATION")
        if medium is None and destination is None:
            return None
        return cls(medium=medium, destination=destination)

    @classmethod
    def from_details(cls, details: Mapping[str, Any] | None) -> CodeDelivery | None:
        """From a ``CodeDeliveryDetails`` response member."""
        if not details:
            return None
        return cls(
            medium=details.get("DeliveryMedium"),
            destination=details.get("Destination"),
            attribute=details.get("AttributeName"),
        )


@masked
@attrs.frozen(repr=False)
class TotpSetup:
    """A TOTP secret to enrol in an authenticator app (the secret is hidden from repr)."""

    secret: str = attrs.field(repr=hidden)
    account: str
    issuer: str

    @property
    def uri(self) -> str:
        """The ``otpauth://totp/...`` URI for QR codes."""
        from pyotp.utils import build_uri

        # build_uri does not judge the secret's length (some emulators use short ones).
        return build_uri(self.secret, self.account, issuer=self.issuer)

    def __repr__(self) -> str:
        return f"TotpSetup(account={self.account!r}, issuer={self.issuer!r}, secret=<hidden>)"


@masked
@attrs.frozen
class Step(Generic[_S]):
    """Where a flow stands, and what the host needs to show for its next answer.

    Attributes:
        flow: the flow type (``"sign_in"``...).
        state: the state: a ChallengeName while waiting, or ``DONE``, ``FAILED``,
            ``EXPIRED``, ``CONFIRM_SIGN_UP``, ``RESET_PASSWORD``... Typed as the flow's
            ``Literal`` of state names in ``Step[SignInState]`` (``SignInStep``) and the
            like (:mod:`cognito_flows.states`), so a misspelled state is a type error.
        challenge: the Cognito ChallengeName this step answers (``MFA_SETUP`` for the
            ``MFA_SETUP_*`` sub-steps); ``None`` outside sign-in challenges.
        done: the flow has ended (successfully or not).
        handler: the name of the handler method that answers this step.
        tokens: the tokens, once signed in.
        error: the error of the last answer. With ``retry`` the flow is still in the same
            state and takes another answer (a wrong code); otherwise it ended the flow.
        retry: the last answer was rejected but the same step can be answered again.
        next_flow: after ``CONFIRM_SIGN_UP`` or ``RESET_PASSWORD``: the flow to run next.
        delivery: where a code was sent.
        options: the choices for a selection step (MFA types, first factors).
        totp: the secret to enrol, during TOTP setup.
        required_attributes: attributes a new password must come with.
        user_attributes: the user's current attributes, where Cognito sent them.
        parameters: public challenge parameters (custom challenges).
        credential_request_options: in ``WEB_AUTHN``, the options for the browser's
            ``navigator.credentials.get`` (Cognito's CREDENTIAL_REQUEST_OPTIONS, parsed; not
            secret).
        session_expires_at: epoch seconds when Cognito's session for this step expires.
        username: the user name (as Cognito knows it, once known).
        device_key: the remembered device used or created, if any.
        friendly_device_name: SOFTWARE_TOKEN_MFA's ``FRIENDLY_DEVICE_NAME``, the name of the
            authenticator app to use (Knowledge Center ``cognito-user-pool-totp-mfa``).
    """

    flow: str
    state: _S
    challenge: str | None = None
    done: bool = False
    handler: str | None = None
    tokens: TokenSet | None = None
    error: CognitoFlowsError | None = None
    retry: bool = False
    next_flow: str | None = None
    delivery: CodeDelivery | None = None
    options: tuple[str, ...] = ()
    totp: TotpSetup | None = None
    required_attributes: tuple[str, ...] = ()
    user_attributes: Mapping[str, str] = attrs.field(factory=dict)
    parameters: Mapping[str, str] = attrs.field(factory=dict, repr=hidden)
    credential_request_options: Mapping[str, Any] | None = None
    session_expires_at: float | None = None
    username: str | None = None
    device_key: str | None = None
    friendly_device_name: str | None = None

    @property
    def ok(self) -> bool:
        """Finished successfully."""
        return self.done and self.error is None

    def raise_for_error(self) -> None:
        """Raise :attr:`error` if there is one."""
        if self.error is not None:
            raise self.error


@masked
@attrs.frozen(repr=False)
class NewPassword:
    """The answer to NEW_PASSWORD_REQUIRED: the new password and any required attributes."""

    password: str = attrs.field(repr=hidden)
    attributes: Mapping[str, str] = attrs.field(factory=dict)

    def __repr__(self) -> str:
        return f"NewPassword(password=<hidden>, attributes={sorted(self.attributes)!r})"


@masked
@attrs.frozen(repr=False)
class TotpCode:
    """The answer to TOTP setup: the code and an optional friendly device name."""

    code: str = attrs.field(repr=hidden)
    device_name: str | None = None

    def __repr__(self) -> str:
        return f"TotpCode(code=<hidden>, device_name={self.device_name!r})"


@masked
@attrs.frozen(repr=False)
class ResetPassword:
    """The answer to CONFIRM_FORGOT_PASSWORD: the code and the new password."""

    code: str = attrs.field(repr=hidden)
    password: str = attrs.field(repr=hidden)

    def __repr__(self) -> str:
        return "ResetPassword(code=<hidden>, password=<hidden>)"


def require_code(value: Any, *, digits: tuple[int, int] = (4, 10)) -> str:
    """Validate a one-time code answer: digits only, with a plausible length.

    Raises:
        InvalidAnswerError: not a string (or int) of digits.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidAnswerError(f"expected a code as a string, got {type(value).__name__}")
    code = value.strip().replace(" ", "")
    if not code:
        raise InvalidAnswerError("the code is empty")
    if not code.isdigit() or not code.isascii():
        raise InvalidAnswerError("the code must contain only digits")
    low, high = digits
    if not low <= len(code) <= high:
        span = str(low) if low == high else f"{low} to {high}"
        raise InvalidAnswerError(f"the code must have {span} digits")
    return code


def require_text(value: Any, what: str) -> str:
    """Validate a non-empty string answer.

    Raises:
        InvalidAnswerError: not a non-empty string.
    """
    if not isinstance(value, str):
        raise InvalidAnswerError(f"expected {what} as a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidAnswerError(f"{what} is empty")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates; the value itself must not be quoted
        raise InvalidAnswerError(f"{what} is not valid Unicode text") from None
    return value
