"""A software passkey (WebAuthn authenticator) for tests, as a browser would use one.

:class:`SoftwarePasskey` answers the options Cognito gives the host the way
``navigator.credentials.create`` and ``navigator.credentials.get`` would, and returns the
JSON a browser's ``PublicKeyCredential.toJSON()`` gives (``RegistrationResponseJSON`` and
``AuthenticationResponseJSON`` of WebAuthn Level 3). It makes ES256 (P-256) keys with
``cryptography``, "none" attestation, and keeps a signature counter. Example::

    passkey = SoftwarePasskey(origin="https://localhost")
    options = await account.start_passkey_registration()          # CredentialCreationOptions
    await account.complete_passkey_registration(passkey.create(options))
    ...
    step = await flow.start()                                      # state WEB_AUTHN
    step = await flow.answer(passkey.get(step.credential_request_options))

The private key never leaves the object and is not in its ``repr``. Nothing here talks to a
server: it only signs what it is handed, so tests can also hand it a wrong challenge or let it
sign for another origin or relying party (``origin=``/``rp_id=`` arguments) to see refusals.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from collections.abc import Mapping
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["SoftwarePasskey"]

# WebAuthn authenticator data flags (WebAuthn Level 3, section 6.1).
_UP, _UV, _BE, _BS, _AT = 0x01, 0x04, 0x08, 0x10, 0x40
_AAGUID = b"\x00" * 16  # "none" attestation: no authenticator model is claimed
_ES256 = -7


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _options(value: Mapping[str, Any] | str) -> dict[str, Any]:
    """Options as Cognito or the library hands them: a dict, JSON text, or wrapped in
    ``{"publicKey": ...}`` as ``navigator.credentials`` takes them."""
    parsed = json.loads(value) if isinstance(value, str) else dict(value)
    if "publicKey" in parsed and isinstance(parsed["publicKey"], Mapping):
        parsed = dict(parsed["publicKey"])
    return parsed


class SoftwarePasskey:
    """One passkey held in memory, for one relying party.

    Args:
        origin: the web origin the "browser" reports in ``clientDataJSON``.
        rp_id: the relying party id to sign for; by default the one in the options.
        user_verification: whether the authenticator reports user verification (UV).
    """

    def __init__(
        self,
        origin: str,
        *,
        rp_id: str | None = None,
        user_verification: bool = True,
    ) -> None:
        self.origin = origin
        self.rp_id = rp_id
        self.user_verification = user_verification
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id: bytes = secrets.token_bytes(32)
        self.user_handle: bytes | None = None
        self.sign_count = 0
        self.registered_rp_id: str | None = None

    def __repr__(self) -> str:
        return (
            f"SoftwarePasskey(origin={self.origin!r}, credential_id={self.credential_id_b64!r}, "
            f"sign_count={self.sign_count})"
        )

    @property
    def credential_id_b64(self) -> str:
        """The credential id, base64url as Cognito lists it."""
        return _b64url(self.credential_id)

    def _client_data(self, kind: str, challenge: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def _flags(self, *, attested: bool) -> int:
        flags = _UP | _BE | _BS
        if self.user_verification:
            flags |= _UV
        if attested:
            flags |= _AT
        return flags

    def _cose_public_key(self) -> bytes:
        numbers = self._key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: _ES256,  # alg
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def create(self, options: Mapping[str, Any] | str) -> dict[str, Any]:
        """Answer ``navigator.credentials.create(options)``: a ``RegistrationResponseJSON``."""
        opts = _options(options)
        rp_id = self.rp_id or str(opts["rp"]["id"])
        self.registered_rp_id = rp_id
        self.user_handle = _unb64url(str(opts["user"]["id"]))
        client_data = self._client_data("webauthn.create", str(opts["challenge"]))
        attested = (
            _AAGUID
            + struct.pack(">H", len(self.credential_id))
            + self.credential_id
            + self._cose_public_key()
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(attested=True)])
            + struct.pack(">I", self.sign_count)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {
            "id": self.credential_id_b64,
            "rawId": self.credential_id_b64,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": {
                "clientDataJSON": _b64url(client_data),
                "attestationObject": _b64url(attestation),
                "transports": ["internal", "hybrid"],
                "publicKeyAlgorithm": _ES256,
                "authenticatorData": _b64url(auth_data),
            },
        }

    def get(
        self, options: Mapping[str, Any] | str, *, challenge: str | None = None
    ) -> dict[str, Any]:
        """Answer ``navigator.credentials.get(options)``: an ``AuthenticationResponseJSON``.

        ``challenge`` signs another challenge than the options' (to test a refusal).
        """
        opts = _options(options)
        rp_id = self.rp_id or str(opts.get("rpId") or self.registered_rp_id)
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", challenge or str(opts["challenge"]))
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(attested=False)])
            + struct.pack(">I", self.sign_count)
        )
        signature = self._key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        response: dict[str, Any] = {
            "clientDataJSON": _b64url(client_data),
            "authenticatorData": _b64url(auth_data),
            "signature": _b64url(signature),
        }
        if self.user_handle is not None:
            response["userHandle"] = _b64url(self.user_handle)
        return {
            "id": self.credential_id_b64,
            "rawId": self.credential_id_b64,
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
            "response": response,
        }
