"""Passkeys (WebAuthn): the JSON a host relays between Cognito and the browser.

A Python back end never creates or uses a passkey itself: the browser does, with
``navigator.credentials.create(...)`` (registration) and ``navigator.credentials.get(...)``
(sign-in). The library hands the host the options Cognito gives for those calls and sends
back the browser's ``PublicKeyCredential.toJSON()``:

* registration (:meth:`cognito_flows.Account.start_passkey_registration` /
  :meth:`~cognito_flows.Account.complete_passkey_registration`): StartWebAuthnRegistration's
  ``CredentialCreationOptions`` (a JSON document) in, CompleteWebAuthnRegistration's
  ``Credential`` (``RegistrationResponseJSON``) out;
* sign-in (the ``WEB_AUTHN`` step of a USER_AUTH sign-in): the challenge parameter
  ``CREDENTIAL_REQUEST_OPTIONS`` (a JSON string; amplify-js v6 parses it in
  ``client/flows/userAuth/handleWebAuthnSignInResult.ts``) in, ``CREDENTIAL``
  (``AuthenticationResponseJSON``, sent as a JSON string) out.

These shapes are the API reference's (RespondToAuthChallenge ChallengeResponses for
``WEB_AUTHN``; the Start/CompleteWebAuthnRegistration pages). The options are not secret;
the credential is an assertion and is never logged or kept in a snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from .errors import InvalidAnswerError, ProtocolError

__all__ = ["PasskeyInfo", "credential_json", "request_options"]

#: Larger credentials are refused before anything is sent (a browser's are ~1-2 KB).
MAX_CREDENTIAL_BYTES = 64 * 1024


@attrs.frozen
class PasskeyInfo:
    """A registered passkey as ListWebAuthnCredentials describes it.

    Attributes:
        credential_id: the credential id (base64url), for :meth:`Account.delete_passkey`.
        name: the friendly name Cognito shows (``FriendlyCredentialName``).
        relying_party_id: the domain the passkey was made for.
        attachment: ``"platform"`` or ``"cross-platform"``, when known.
        transports: how the authenticator is reached (``internal``, ``usb``, ``hybrid``...).
        created: an aware UTC datetime, when known.
    """

    credential_id: str
    name: str | None = None
    relying_party_id: str | None = None
    attachment: str | None = None
    transports: tuple[str, ...] = ()
    created: datetime | None = None

    @classmethod
    def from_description(cls, item: Mapping[str, Any]) -> PasskeyInfo:
        """From a ``WebAuthnCredentialDescription``.

        Raises:
            ProtocolError: no CredentialId.
        """
        credential_id = item.get("CredentialId")
        if not isinstance(credential_id, str) or not credential_id:
            raise ProtocolError("ListWebAuthnCredentials answered a credential without an id")
        created = item.get("CreatedAt")
        when: datetime | None = None
        if isinstance(created, datetime):
            when = created if created.tzinfo else created.replace(tzinfo=timezone.utc)
        elif isinstance(created, (int, float)) and not isinstance(created, bool):
            when = datetime.fromtimestamp(created, timezone.utc)
        transports = item.get("AuthenticatorTransports") or ()
        return cls(
            credential_id=credential_id,
            name=_text(item.get("FriendlyCredentialName")),
            relying_party_id=_text(item.get("RelyingPartyId")),
            attachment=_text(item.get("AuthenticatorAttachment")),
            transports=tuple(t for t in transports if isinstance(t, str)),
            created=when,
        )


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def credential_json(value: Any, *, kind: str = "passkey credential") -> dict[str, Any]:
    """The browser's ``PublicKeyCredential.toJSON()``, given as a dict or as JSON text.

    Only its outline is checked here (an object with a string ``id``, ``type`` ``public-key``
    and a ``response`` object); Cognito verifies the rest.

    Raises:
        InvalidAnswerError: not such an object; nothing is sent.
    """
    if isinstance(value, (str, bytes, bytearray)):
        if len(value) > MAX_CREDENTIAL_BYTES:
            raise InvalidAnswerError(f"the {kind} is too large")
        try:
            value = json.loads(value)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise InvalidAnswerError(f"the {kind} is not valid JSON") from None
    if not isinstance(value, Mapping):
        raise InvalidAnswerError(f"the {kind} must be the browser's credential JSON object")
    credential = dict(value)
    if not isinstance(credential.get("id"), str) or not credential["id"]:
        raise InvalidAnswerError(f"the {kind} has no id")
    if credential.get("type", "public-key") != "public-key":
        raise InvalidAnswerError(f"the {kind} is not a public-key credential")
    if not isinstance(credential.get("response"), Mapping):
        raise InvalidAnswerError(f"the {kind} has no response object")
    try:
        size = len(json.dumps(credential))
    except (TypeError, ValueError, RecursionError):
        raise InvalidAnswerError(f"the {kind} is not JSON-serialisable") from None
    if size > MAX_CREDENTIAL_BYTES:
        raise InvalidAnswerError(f"the {kind} is too large")
    return credential


def request_options(parameters: Mapping[str, str]) -> dict[str, Any] | None:
    """``CREDENTIAL_REQUEST_OPTIONS`` of a WEB_AUTHN challenge, parsed (``None`` if absent).

    Raises:
        ProtocolError: present but not a JSON object.
    """
    raw = parameters.get("CREDENTIAL_REQUEST_OPTIONS")
    if raw is None:
        return None
    try:
        options = json.loads(raw)
    except (TypeError, ValueError, RecursionError):
        raise ProtocolError("CREDENTIAL_REQUEST_OPTIONS is not JSON") from None
    if not isinstance(options, dict) or not isinstance(options.get("challenge"), str):
        raise ProtocolError("CREDENTIAL_REQUEST_OPTIONS has no challenge")
    return options
