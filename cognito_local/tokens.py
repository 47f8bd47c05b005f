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


def _header(kid: str) -> bytes:
    # The same for every token of a key: serialised once, exactly as PyJWT would (sorted
    # keys, compact separators).
    return _b64url(
        json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode()
    )


_PKCS1 = padding.PKCS1v15()
_SHA256 = hashes.SHA256()
_SHARED_LOCK = threading.Lock()
_SHARED_KEY: rsa.RSAPrivateKey | None = None
_SHARED_ID_KEY: rsa.RSAPrivateKey | None = None


def shared_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 key per process, generated on first use (key generation is slow)."""
    global _SHARED_KEY
    with _SHARED_LOCK:
        if _SHARED_KEY is None:
            _SHARED_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _SHARED_KEY


def shared_id_key() -> rsa.RSAPrivateKey:
    """The process's second key, which signs ID tokens."""
    global _SHARED_ID_KEY
    with _SHARED_LOCK:
        if _SHARED_ID_KEY is None:
            _SHARED_ID_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return _SHARED_ID_KEY


def _kid(public: rsa.RSAPublicKey) -> str:
    return base64.b64encode(
        hashlib.sha256(_b64url_uint(public.public_numbers().n).encode()).digest()
    ).decode()


class Signer:
    """Two RSA-2048 signing keys, obtained lazily (thread-safe) on first use: one signs
    access tokens, the other ID tokens.

    As on AWS, "the access token's kid won't match the kid of an ID token from the same
    user session" (developer guide, amazon-cognito-user-pools-using-the-access-token.html),
    and the JWKS lists both keys. Without ``private_key`` every emulator of the process
    shares the same two keys (tokens still differ by issuer); pass ``fresh=True`` for keys
    of its own.
    """

    def __init__(
        self, private_key: rsa.RSAPrivateKey | None = None, *, fresh: bool = False
    ) -> None:
        self._lock = threading.Lock()
        self._key = private_key
        self._fresh = fresh
        self._given = private_key is not None
        self._public: rsa.RSAPublicKey | None = None
        self._kid: str | None = None
        self._id_key: rsa.RSAPrivateKey | None = None
        self._id_public: rsa.RSAPublicKey | None = None
        self._id_kid: str | None = None
        self._headers: dict[str, bytes] = {}

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
                    self._kid = _kid(self._public)
        return key

    def _ensure_id(self) -> rsa.RSAPrivateKey:
        key = self._id_key
        if key is None or self._id_public is None:
            with self._lock:
                if self._id_key is None:
                    self._id_key = (
                        rsa.generate_private_key(public_exponent=65537, key_size=2048)
                        if self._fresh or self._given
                        else shared_id_key()
                    )
                key = self._id_key
                if self._id_public is None:
                    self._id_public = key.public_key()
                    self._id_kid = _kid(self._id_public)
        return key

    def warm(self) -> None:
        """Generate the keys now (call from a thread to keep start-up fast)."""
        self._ensure()
        self._ensure_id()

    @property
    def kid(self) -> str:
        """The key id in access token headers (and in the JWKS)."""
        self._ensure()
        assert self._kid is not None
        return self._kid

    @property
    def id_kid(self) -> str:
        """The key id in ID token headers (and in the JWKS)."""
        self._ensure_id()
        assert self._id_kid is not None
        return self._id_kid

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set with both public keys."""
        self._ensure()
        self._ensure_id()
        keys = []
        for public, kid in ((self._public, self._kid), (self._id_public, self._id_kid)):
            assert public is not None
            numbers = public.public_numbers()
            keys.append(
                {
                    "alg": "RS256",
                    "e": _b64url_uint(numbers.e),
                    "kid": kid,
                    "kty": "RSA",
                    "n": _b64url_uint(numbers.n),
                    "use": "sig",
                }
            )
        return {"keys": keys}

    def sign(self, claims: dict[str, Any]) -> str:
        """An RS256 JWT: ID tokens (``token_use`` "id") under the ID key, others under the
        access key, each with its ``kid``.

        Byte for byte what ``jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})``
        gives (RS256 signatures are deterministic), without PyJWT's per-call header
        serialisation and key preparation: the key objects and headers are reused.
        """
        if claims.get("token_use") == "id":
            key, kid = self._ensure_id(), self.id_kid
        else:
            key, kid = self._ensure(), self.kid
        header = self._headers.get(kid)
        if header is None:
            header = self._headers[kid] = _header(kid)
        payload = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = header + b"." + payload
        signature = key.sign(signing_input, _PKCS1, _SHA256)
        return (signing_input + b"." + _b64url(signature)).decode()

    def decode(self, token: str) -> dict[str, Any]:
        """Verify the signature only (expiry and the rest are checked by the caller).

        Raises:
            jwt.PyJWTError: malformed token, wrong key id or bad signature.
        """
        self._ensure()
        self._ensure_id()
        header = jwt.get_unverified_header(token)
        public = {self._kid: self._public, self._id_kid: self._id_public}.get(header.get("kid"))
        if public is None:
            raise jwt.InvalidTokenError("unknown kid")
        claims: dict[str, Any] = jwt.decode(
            token,
            public,
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
