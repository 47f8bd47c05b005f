"""Every flow's state names as ``Literal`` types, and each flow's typed :class:`Step`.

``mypy --strict`` then catches a state that does not exist::

    step: SignInStep = await flow.start()
    if step.state == "SMS_MFAA":  # error: Non-overlapping equality check

These ``Literal`` types are written out (a type checker cannot read the flow tables), and
``tests/test_typing.py`` checks that each one lists exactly its table's states.
"""

from __future__ import annotations

from typing import Literal

from .steps import Step

__all__ = [
    "ForgotPasswordState",
    "ForgotPasswordStep",
    "SignInState",
    "SignInStep",
    "SignUpState",
    "SignUpStep",
    "TotpSetupState",
    "TotpSetupStep",
    "VerifyAttributeState",
    "VerifyAttributeStep",
]

#: The states of the sign_up flow (``step.state``).
SignUpState = Literal[
    "INITIAL",
    "CONFIRM_SIGN_UP",
    "CONFIRMED",
    "FAILED",
]
#: A step of the sign_up flow: ``step.state`` is a :data:`SignUpState`.
SignUpStep = Step[SignUpState]

#: The states of the sign_in flow (``step.state``).
SignInState = Literal[
    "INITIAL",
    "PASSWORD_VERIFIER",
    "DEVICE_SRP_AUTH",
    "DEVICE_PASSWORD_VERIFIER",
    "NEW_PASSWORD_REQUIRED",
    "SMS_MFA",
    "SOFTWARE_TOKEN_MFA",
    "EMAIL_OTP",
    "SMS_OTP",
    "SELECT_MFA_TYPE",
    "MFA_SETUP",
    "SELECT_CHALLENGE",
    "PASSWORD",
    "PASSWORD_SRP",
    "CUSTOM_CHALLENGE",
    "WEB_AUTHN",
    "MFA_SETUP_SOFTWARE_TOKEN",
    "MFA_SETUP_VERIFIED",
    "MFA_SETUP_EMAIL",
    "REMEMBER_DEVICE",
    "DONE",
    "FAILED",
    "EXPIRED",
    "CONFIRM_SIGN_UP",
    "PHONE_NUMBER_REQUIRED",
    "RESET_PASSWORD",
]
#: A step of the sign_in flow: ``step.state`` is a :data:`SignInState`.
SignInStep = Step[SignInState]

#: The states of the forgot_password flow (``step.state``).
ForgotPasswordState = Literal[
    "INITIAL",
    "CONFIRM_FORGOT_PASSWORD",
    "DONE",
    "RESET_UNKNOWN",
    "FAILED",
]
#: A step of the forgot_password flow: ``step.state`` is a :data:`ForgotPasswordState`.
ForgotPasswordStep = Step[ForgotPasswordState]

#: The states of the totp_setup flow (``step.state``).
TotpSetupState = Literal[
    "INITIAL",
    "VERIFY_SOFTWARE_TOKEN",
    "VERIFIED",
    "DONE",
    "FAILED",
]
#: A step of the totp_setup flow: ``step.state`` is a :data:`TotpSetupState`.
TotpSetupStep = Step[TotpSetupState]

#: The states of the verify_attribute flow (``step.state``).
VerifyAttributeState = Literal[
    "INITIAL",
    "CONFIRM_ATTRIBUTE",
    "VERIFIED",
    "FAILED",
]
#: A step of the verify_attribute flow: ``step.state`` is a :data:`VerifyAttributeState`.
VerifyAttributeStep = Step[VerifyAttributeState]
