"""TOTP setup outside sign-in: a signed-in user adds an authenticator app.

States: ``INITIAL`` -> (AssociateSoftwareToken: Cognito returns a secret) ->
``VERIFY_SOFTWARE_TOKEN`` (waiting for a code from the app; a wrong code stays here, a new
secret may be asked for here) -> (VerifySoftwareToken) -> ``VERIFIED`` -> ``DONE``.
``VERIFIED`` is answered by the library: it calls SetUserMFAPreference when the host asked
for TOTP to become the preferred MFA method, and otherwise ends the flow at once.

Like every flow module it is sans-I/O: data, the table, and nothing that calls Cognito. The
TOTP secret is not part of the data (a snapshot never holds it); the driver keeps it in
memory to show it to the host.
"""

from __future__ import annotations

import attrs

from ._table import FlowTable, State, Transition
from .sign_up import record_error

__all__ = ["SPECS", "STATES", "TOTP_SETUP", "TRANSITIONS", "TotpSetupData"]


@attrs.define(repr=False)
class TotpSetupData:
    """The plain data of one TOTP setup (never the secret, a code or the access token).

    Attributes:
        username: the user's Cognito user name (the account shown in the app).
        state: the current state.
        prefer: make TOTP the preferred MFA method once verified.
        device_name: the friendly name of the authenticator, if given.
        error_code / error_message: the last Cognito error; attempts: wrong codes so far.
    """

    username: str
    state: str = "INITIAL"
    prefer: bool = False
    device_name: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    attempts: int = 0

    def __repr__(self) -> str:
        return f"TotpSetupData(state={self.state!r}, username={self.username!r})"


def _clear_error(data: TotpSetupData) -> None:
    data.error_code = data.error_message = None


def _associated(data: TotpSetupData) -> None:
    _clear_error(data)


def _verified(data: TotpSetupData, *, device_name: str | None = None) -> None:
    data.device_name = device_name
    _clear_error(data)


#: Every state's spec, in display order.
SPECS: tuple[State, ...] = (
    State("INITIAL", kind="start", sends="AssociateSoftwareToken (AccessToken)"),
    State(
        "VERIFY_SOFTWARE_TOKEN",
        handler="verify_software_token",
        shows="the secret and its otpauth:// URI (`totp`; not after a resume)",
        answer="the 6-digit code, or `TotpCode(code, device_name)`",
        sends="VerifySoftwareToken (`new_secret()`: AssociateSoftwareToken)",
    ),
    State(
        "VERIFIED",
        kind="library",
        sends="SetUserMFAPreference when TOTP is to be preferred, else nothing",
    ),
    State("DONE", kind="final"),
    State("FAILED", kind="final", shows="the error"),
)

STATES = tuple(spec.name for spec in SPECS)
_WAITING = ("VERIFY_SOFTWARE_TOKEN",)

#: The whole TOTP-setup automaton.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        "AssociateSoftwareToken", ("INITIAL", *_WAITING), "VERIFY_SOFTWARE_TOKEN", _associated
    ),
    Transition("VerifySoftwareToken", _WAITING, "VERIFIED", _verified),
    Transition("CodeMismatchException", _WAITING, "=", record_error),
    Transition("EnableSoftwareTokenMFAException", _WAITING, "=", record_error),
    Transition("SetUserMFAPreference", ("VERIFIED",), "DONE"),
    Transition("no_preference", ("VERIFIED",), "DONE"),
    Transition("failed", ("INITIAL", *_WAITING, "VERIFIED"), "FAILED", record_error),
)

#: The TOTP-setup flow's table and shared machine.
TOTP_SETUP = FlowTable("totp_setup", specs=SPECS, transitions=TRANSITIONS)
