"""Passkeys (WebAuthn): registration, listing, deletion, and the WEB_AUTHN sign-in challenge.

What AWS documents, and this module does (API reference, from botocore's cognito-idp model):

* ``SetUserPoolMfaConfig.WebAuthnConfiguration`` ``{RelyingPartyId, UserVerification,
  FactorConfiguration}``: the relying party (RP) id passkeys are made for, whether user
  verification is ``required`` or ``preferred``, and whether a passkey with user verification
  satisfies MFA (``MULTI_FACTOR_WITH_USER_VERIFICATION``) or is one factor (``SINGLE_FACTOR``).
* ``StartWebAuthnRegistration`` returns ``CredentialCreationOptions`` (a JSON document, the
  options of ``navigator.credentials.create``); ``CompleteWebAuthnRegistration`` takes the
  browser's ``RegistrationResponseJSON``; ``ListWebAuthnCredentials`` (paginated) and
  ``DeleteWebAuthnCredential``; all authorised by the user's access token.
* Errors: ``WebAuthnNotEnabledException`` ("the passkey feature isn't enabled for the user
  pool": WEB_AUTHN is not among the pool's AllowedFirstAuthFactors),
  ``WebAuthnConfigurationMissingException`` (no relying party id and no domain),
  ``WebAuthnChallengeNotFoundException`` (the registration challenge expired or was never
  issued), ``WebAuthnClientMismatchException`` (completed with another app client's token),
  ``WebAuthnOriginNotAllowedException`` (the origin "does not align with the user pool
  relying party id"), ``WebAuthnRelyingPartyMismatchException`` (signed for another RP id),
  ``WebAuthnCredentialNotSupportedException`` (an unsupported authenticator or algorithm).
* Sign-in: challenge ``WEB_AUTHN`` with ``CREDENTIAL_REQUEST_OPTIONS`` (a JSON string, read by
  amplify-js v6 ``client/flows/userAuth/handleWebAuthnSignInResult.ts``), answered with
  ``CREDENTIAL`` = ``AuthenticationResponseJSON``.
* ``WebAuthnMfaSettings`` (SetUserMFAPreference): "passkey MFA applies only when passkey is the
  first authentication factor ... the user's passkey authentication requires user
  verification, and passkey sign-in is available when MFA is required".

What is this emulator's own choice, since no AWS document says (docs/local.md lists these):
the allowed origins are ``https://`` + the RP id or a subdomain of it (and ``http://`` for an
RP id of ``localhost``, a secure context in browsers); a registration challenge lives 5
minutes; an assertion that fails verification keeps the WEB_AUTHN session for another try,
as a wrong code does (three failures kill it); an unknown or deleted credential is
``NotAuthorizedException``; WEB_AUTHN is offered as a first factor only to a user who holds
a passkey. Signatures, challenges, RP id hashes, origins, user presence/verification and the
sign count are checked by py_webauthn (PyPI ``webauthn``), never by hand.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from .errors import ServiceError, invalid_parameter, missing_parameter, not_authorized
from .params import Params, RequestContext, operation

if TYPE_CHECKING:
    from .model import Client, Pool, User
    from .sessions import AuthSession

__all__ = [
    "Passkey",
    "PendingRegistration",
    "authentication_challenge",
    "rp_id_for",
    "verify_assertion",
]

REGISTRATION_TTL = 300.0
LIST_MAX_RESULTS = 20


@attrs.define(eq=False)
class Passkey:
    """One registered WebAuthn credential of a user."""

    credential_id: bytes
    public_key: bytes = attrs.field(repr=False)
    sign_count: int
    rp_id: str
    created: float
    transports: list[str] = attrs.field(factory=list)
    attachment: str | None = None
    friendly_name: str | None = None

    @property
    def id_b64(self) -> str:
        """The credential id, base64url without padding (as WebAuthn JSON writes it)."""
        return b64url(self.credential_id)

    def describe(self) -> dict[str, Any]:
        """As ListWebAuthnCredentials lists it (``WebAuthnCredentialDescription``)."""
        out: dict[str, Any] = {
            "CredentialId": self.id_b64,
            "FriendlyCredentialName": self.friendly_name or "Passkey",
            "RelyingPartyId": self.rp_id,
            "AuthenticatorTransports": list(self.transports),
            "CreatedAt": self.created,
        }
        if self.attachment:
            out["AuthenticatorAttachment"] = self.attachment
        return out


@attrs.define(eq=False)
class PendingRegistration:
    """A StartWebAuthnRegistration challenge waiting for CompleteWebAuthnRegistration."""

    challenge: bytes = attrs.field(repr=False)
    client_id: str
    rp_id: str
    user_verification: str
    expires: float


def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise invalid_parameter("Invalid credential: not base64url") from None


def config(pool: Pool) -> dict[str, Any]:
    """The pool's WebAuthnConfiguration as GetUserPoolMfaConfig returns it."""
    stored = pool.webauthn_configuration
    return {
        "RelyingPartyId": stored.get("RelyingPartyId"),
        "UserVerification": stored.get("UserVerification", "preferred"),
        "FactorConfiguration": stored.get("FactorConfiguration", "SINGLE_FACTOR"),
    }


def enabled(pool: Pool) -> bool:
    """Passkeys are a first factor of the pool (its SignInPolicy)."""
    return "WEB_AUTHN" in pool.first_factors


def rp_id_for(pool: Pool) -> str:
    """The relying party id: the configured one, else the pool's prefix domain.

    Raises:
        ServiceError: WebAuthnConfigurationMissingException when there is neither.
    """
    rp_id = config(pool)["RelyingPartyId"]
    if rp_id:
        return str(rp_id)
    domain = pool.settings.get("Domain") or pool.backend.oauth.domain_of(pool.id)
    if domain:
        return f"{domain}.auth.{pool.region}.amazoncognito.com"
    raise ServiceError(
        "WebAuthnConfigurationMissingException",
        "The user pool has no relying party id for passkeys and no domain.",
    )


def _require_enabled(pool: Pool) -> None:
    if not enabled(pool):
        raise ServiceError(
            "WebAuthnNotEnabledException", "Passkeys are not enabled for this user pool."
        )


def mfa_satisfied_by_passkey(pool: Pool, user: User) -> bool:
    """A passkey with user verification counts as MFA for this user (see module docstring)."""
    return (
        config(pool)["FactorConfiguration"] == "MULTI_FACTOR_WITH_USER_VERIFICATION"
        and user.webauthn_mfa_enabled
    )


def check_origin(origin: object, rp_id: str) -> str:
    """The origin of a credential's clientDataJSON, when it aligns with the RP id.

    Raises:
        ServiceError: WebAuthnOriginNotAllowedException.
    """
    refused = ServiceError(
        "WebAuthnOriginNotAllowedException",
        "The passkey credential's origin is not allowed for this relying party.",
    )
    if not isinstance(origin, str):
        raise refused
    parts = urlsplit(origin)
    host = parts.hostname or ""
    secure = parts.scheme == "https" or (parts.scheme == "http" and rp_id == "localhost")
    if not secure or not (host == rp_id or host.endswith("." + rp_id)):
        raise refused
    return origin


def _client_data(credential: dict[str, Any]) -> dict[str, Any]:
    response = credential.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("clientDataJSON"), str):
        raise invalid_parameter("Invalid credential: response.clientDataJSON is missing")
    try:
        data = json.loads(_unb64url(response["clientDataJSON"]))
    except ValueError:
        raise invalid_parameter("Invalid credential: clientDataJSON is not JSON") from None
    if not isinstance(data, dict):
        raise invalid_parameter("Invalid credential: clientDataJSON is not an object")
    return data


def _credential_json(value: Any, what: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise invalid_parameter(f"{what} is not valid JSON") from None
    if not isinstance(value, dict) or not isinstance(value.get("id"), str):
        raise invalid_parameter(f"{what} is not a WebAuthn credential")
    return value


def _rp_mismatch() -> ServiceError:
    return ServiceError(
        "WebAuthnRelyingPartyMismatchException",
        "The passkey credential is associated with a different relying party ID.",
    )


# ---------------------------------------------------------------------------- registration
@operation("StartWebAuthnRegistration")
async def start_webauthn_registration(rc: RequestContext, p: Params) -> dict[str, Any]:
    """StartWebAuthnRegistration: CredentialCreationOptions for navigator.credentials.create."""
    import webauthn
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        PublicKeyCredentialDescriptor,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    b = rc.backend
    pool, user, claims = b.verify_access_token(p.req_str("AccessToken"))
    _require_enabled(pool)
    rp_id = rp_id_for(pool)
    uv = str(config(pool)["UserVerification"])
    options = webauthn.generate_registration_options(
        rp_id=rp_id,
        rp_name=pool.name,
        user_id=user.sub.encode(),
        user_name=user.username,
        user_display_name=user.attr("email") or user.username,
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=key.credential_id) for key in user.passkeys.values()
        ],
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement(uv),
        ),
    )
    user.pending_webauthn = PendingRegistration(
        challenge=options.challenge,
        client_id=str(claims.get("client_id")),
        rp_id=rp_id,
        user_verification=uv,
        expires=b.clock.now() + REGISTRATION_TTL,
    )
    return {"CredentialCreationOptions": json.loads(webauthn.options_to_json(options))}


@operation("CompleteWebAuthnRegistration")
async def complete_webauthn_registration(rc: RequestContext, p: Params) -> dict[str, Any]:
    """CompleteWebAuthnRegistration: verify the RegistrationResponseJSON and keep the key."""
    import webauthn
    from webauthn.helpers.exceptions import InvalidRegistrationResponse, WebAuthnException

    b = rc.backend
    pool, user, claims = b.verify_access_token(p.req_str("AccessToken"))
    _require_enabled(pool)
    credential = p.opt_dict("Credential")
    if credential is None:
        raise missing_parameter("Credential")
    credential = _credential_json(credential, "Credential")
    pending = user.pending_webauthn
    if pending is None or b.clock.now() >= pending.expires:
        user.pending_webauthn = None
        raise ServiceError(
            "WebAuthnChallengeNotFoundException",
            "The passkey registration challenge has expired or was never requested.",
        )
    if str(claims.get("client_id")) != pending.client_id:
        raise ServiceError(
            "WebAuthnClientMismatchException",
            "The access token is for a different client than StartWebAuthnRegistration's.",
        )
    origin = check_origin(_client_data(credential).get("origin"), pending.rp_id)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential,
            expected_challenge=pending.challenge,
            expected_rp_id=pending.rp_id,
            expected_origin=origin,
            require_user_verification=pending.user_verification == "required",
        )
    except InvalidRegistrationResponse as exc:
        text = str(exc)
        if "RP ID" in text:
            raise _rp_mismatch() from None
        if "challenge" in text:
            raise ServiceError(
                "WebAuthnChallengeNotFoundException",
                "The credential answers another registration challenge.",
            ) from None
        if any(word in text.lower() for word in ("verif", "algorithm", "attestation")):
            # An authenticator without user verification (where the pool requires it), an
            # unsupported key algorithm or attestation format: "passkey credentials from an
            # unsupported device or provider".
            raise ServiceError(
                "WebAuthnCredentialNotSupportedException",
                "The passkey credential is not supported.",
            ) from None
        raise invalid_parameter(f"Invalid passkey registration: {text}") from None
    except WebAuthnException:
        raise ServiceError(
            "WebAuthnCredentialNotSupportedException", "The passkey credential is not supported."
        ) from None
    if any(k.credential_id == verified.credential_id for k in user.passkeys.values()):
        raise invalid_parameter("This passkey is already registered.")
    response = credential.get("response") or {}
    transports = response.get("transports") if isinstance(response, dict) else None
    attachment = credential.get("authenticatorAttachment")
    key = Passkey(
        credential_id=verified.credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        rp_id=pending.rp_id,
        created=b.clock.now(),
        transports=[t for t in transports if isinstance(t, str)]
        if isinstance(transports, list)
        else [],
        attachment=attachment if isinstance(attachment, str) else None,
    )
    user.passkeys[key.id_b64] = key
    user.pending_webauthn = None
    return {}


@operation("ListWebAuthnCredentials")
async def list_webauthn_credentials(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListWebAuthnCredentials: the user's passkeys, oldest first, paginated."""
    _pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    limit = p.opt_int("MaxResults", minimum=1, maximum=LIST_MAX_RESULTS) or LIST_MAX_RESULTS
    keys = sorted(user.passkeys.values(), key=lambda k: (k.created, k.id_b64))
    start = 0
    token = p.opt_str("NextToken")
    if token is not None:
        ids = [k.id_b64 for k in keys]
        if token not in ids:
            raise invalid_parameter("Invalid NextToken.")
        start = ids.index(token)
    page = keys[start : start + limit]
    out: dict[str, Any] = {"Credentials": [k.describe() for k in page]}
    if start + limit < len(keys):
        out["NextToken"] = keys[start + limit].id_b64
    return out


@operation("DeleteWebAuthnCredential")
async def delete_webauthn_credential(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteWebAuthnCredential: forget one of the user's passkeys."""
    _pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    credential_id = p.req_str("CredentialId")
    if user.passkeys.pop(credential_id, None) is None:
        raise ServiceError("ResourceNotFoundException", "Credential not found.")
    return {}


# ---------------------------------------------------------------------------- sign-in
def authentication_challenge(
    pool: Pool, user: User | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The WEB_AUTHN challenge for ``user``: (public ChallengeParameters, private state).

    An unknown user (PreventUserExistenceErrors) gets options that allow no credential.
    """
    import webauthn
    from webauthn.helpers.structs import (
        PublicKeyCredentialDescriptor,
        UserVerificationRequirement,
    )

    rp_id = rp_id_for(pool)
    strict = user is not None and mfa_satisfied_by_passkey(pool, user)
    uv = "required" if strict else config(pool)["UserVerification"]
    keys = list(user.passkeys.values()) if user is not None else []
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=key.credential_id) for key in keys],
        user_verification=UserVerificationRequirement(uv),
    )
    public = {"CREDENTIAL_REQUEST_OPTIONS": webauthn.options_to_json(options)}
    private = {"mode": "webauthn", "challenge": b64url(options.challenge), "uv": str(uv)}
    return public, private


def verify_assertion(session: AuthSession, responses: dict[str, str], client: Client) -> bool:
    """Check the ``CREDENTIAL`` answer of a WEB_AUTHN session; returns user verification.

    Raises:
        ServiceError: the WebAuthn error AWS gives, or NotAuthorizedException.
    """
    import webauthn
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException

    ctx = session.context
    user = ctx.user
    if "CREDENTIAL" not in responses:
        raise missing_parameter("CREDENTIAL")
    credential = _credential_json(responses["CREDENTIAL"], "CREDENTIAL")
    if user is None:
        raise not_authorized("Incorrect username or password.")
    key = user.passkeys.get(str(credential["id"]))
    if key is None:
        raise not_authorized("The passkey credential is not registered for this user.")
    rp_id = rp_id_for(ctx.pool)
    if key.rp_id != rp_id:
        raise _rp_mismatch()
    origin = check_origin(_client_data(credential).get("origin"), rp_id)
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential,
            expected_challenge=_unb64url(session.private["challenge"]),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
            require_user_verification=session.private.get("uv") == "required",
        )
    except InvalidAuthenticationResponse as exc:
        if "RP ID" in str(exc):
            raise _rp_mismatch() from None
        raise not_authorized(f"Passkey authentication failed: {exc}") from None
    except WebAuthnException:
        raise not_authorized("Passkey authentication failed.") from None
    key.sign_count = verified.new_sign_count
    return bool(verified.user_verified)
