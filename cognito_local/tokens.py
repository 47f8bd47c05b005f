"""JWTs (RS256 with a ``kid``) and the JWKS the emulator serves.

The issuer of every token is ``{endpoint_url}/{user_pool_id}``, so the JWKS sits where the
issuer implies: ``{iss}/.well-known/jwks.json``, and the OpenID configuration at
``{iss}/.well-known/openid-configuration``. (Real Cognito's issuer is
``https://cognito-idp.{region}.amazonaws.com/{user_pool_id}``.)
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

__all__ = ["Signer", "new_refresh_token"]


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _b64url(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_SHARED_LOCK = threading.Lock()
_SHARED_KEY: rsa.RSAPrivateKey | None = None


def shared_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 key per process, generated on first use (key generation is slow)."""
    global _SHARED_KEY
    with _SHARED_LOCK:
        if _SHARED_KEY is None:
            _SHARED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _SHARED_KEY


class Signer:
    """An RSA-2048 signing key, obtained lazily (thread-safe) on first use.

    Without ``private_key`` every emulator of the process shares one key (tokens still
    differ by issuer); pass ``fresh=True`` for a key of its own.
    """

    def __init__(
        self, private_key: rsa.RSAPrivateKey | None = None, *, fresh: bool = False
    ) -> None:
        self._lock = threading.Lock()
        self._key = private_key
        self._fresh = fresh
        self._public: rsa.RSAPublicKey | None = None
        self._kid: str | None = None
        self._header: bytes | None = None

    def _ensure(self) -> rsa.RSAPrivateKey:
        key = self._key
        if key is None or self._public is None:
            with self._lock:
                if self._key is None:
                    self._key = (
                        rsa.generate_private_key(public_exponent=65537, key_size=2048)
                        if self._fresh
                        else shared_key()
                    )
                key = self._key
                if self._public is None:
                    self._public = key.public_key()
                    numbers = self._public.public_numbers()
                    self._kid = base64.b64encode(
                        hashlib.sha256(_b64url_uint(numbers.n).encode()).digest()
                    ).decode()
                    # The header is the same for every token: serialise it once, exactly as
                    # PyJWT would (sorted keys, compact separators).
                    header = {"alg": "RS256", "kid": self._kid, "typ": "JWT"}
                    self._header = _b64url(json.dumps(header, separators=(",", ":")).encode())
        return key

    def warm(self) -> None:
        """Generate the key now (call from a thread to keep start-up fast)."""
        self._ensure()

    @property
    def kid(self) -> str:
        """The key id in every token header and in the JWKS."""
        self._ensure()
        assert self._kid is not None
        return self._kid

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set with the public key."""
        self._ensure()
        assert self._public is not None
        numbers = self._public.public_numbers()
        return {
            "keys": [
                {
                    "alg": "RS256",
                    "e": _b64url_uint(numbers.e),
                    "kid": self.kid,
                    "kty": "RSA",
                    "n": _b64url_uint(numbers.n),
                    "use": "sig",
                }
            ]
        }

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT with this key's ``kid``.

        Byte for byte what ``jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})``
        gives (RS256 signatures are deterministic), without PyJWT's per-call header
        serialisation and key preparation: the key object and the header are reused.
        """
        key = self._ensure()
        assert self._header is not None
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = self._header + b"." + payload
        signature = key.sign(signing_input, _PKCS1, _SHA256)
        return (signing_input + b"." + _b64url(signature)).decode()

    def decode(self, token: str) -> dict[str, Any]:
        """Verify the signature only (expiry and the rest are checked by the caller).

        Raises:
            jwt.PyJWTError: malformed token, wrong key id or bad signature.
        """
        self._ensure()
        assert self._public is not None
        header = jwt.get_unverified_header(token)
        if header.get("kid") != self._kid:
            raise jwt.InvalidTokenError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            self._public,
            algorithms=["RS256"],
            options={
                "verify_exp": False,
                "verify_aud": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_iss": False,
            },
        )
        return claims


def new_refresh_token() -> str:
    """An opaque refresh token shaped like Cognito's (five dot-separated base64url parts)."""
    header = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ"
    parts = [secrets.token_urlsafe(n) for n in (192, 9, 96, 16)]
    return ".".join([header, *parts])
