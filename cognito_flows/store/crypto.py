"""Encryption of what the stores hold: AES-256-GCM with keys derived by HKDF-SHA256.

A host key (any secret of at least 16 bytes: ``secrets.token_urlsafe(32)`` is a good one)
is stretched with HKDF into an AES-256 key. Each ciphertext names its key by a 4-byte id,
so keys can be rotated: pass ``[new_key, old_key]``; new data is encrypted with the first,
and data under any of them is still read. The associated data (the flow id) binds a
ciphertext to its record: a snapshot copied under another id does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .base import SnapshotDecryptError

__all__ = ["KeyMaterial", "SnapshotCipher", "derive_key", "generate_key"]

KeyMaterial = str | bytes
_PREFIX = "cf1."
_NONCE = 12
_KID = 4


def generate_key() -> str:
    """A new random host key (256 bits, URL-safe text) for ``encryption_key=``."""
    return secrets.token_urlsafe(32)


def derive_key(material: KeyMaterial, info: bytes, salt: bytes | None = None) -> bytes:
    """A 256-bit key derived from ``material`` with HKDF-SHA256 for the purpose ``info``."""
    raw = material.encode() if isinstance(material, str) else bytes(material)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=info).derive(raw)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SnapshotCipher:
    """AES-256-GCM over snapshots, with key rotation (see the module docstring).

    Args:
        keys: one host key, or several (the first encrypts; all decrypt).
        info: the HKDF purpose label; different labels give unrelated keys.

    Raises:
        ValueError: no key, or a key shorter than 16 bytes.
    """

    def __init__(
        self,
        keys: KeyMaterial | Sequence[KeyMaterial],
        *,
        info: bytes = b"cognito_flows snapshot v1",
    ) -> None:
        materials = [keys] if isinstance(keys, (str, bytes)) else list(keys)
        if not materials:
            raise ValueError("at least one encryption key is needed")
        self._keys: list[tuple[bytes, AESGCM]] = []
        for material in materials:
            raw = material.encode() if isinstance(material, str) else bytes(material)
            if len(raw) < 16:
                raise ValueError("an encryption key must have at least 16 bytes")
            key = derive_key(raw, info)
            kid = hashlib.sha256(key).digest()[:_KID]
            self._keys.append((kid, AESGCM(key)))

    def __repr__(self) -> str:
        return f"SnapshotCipher(keys={len(self._keys)})"

    def encrypt(self, plaintext: bytes, *, context: bytes = b"") -> str:
        """Encrypt ``plaintext`` bound to ``context``; returns URL-safe text."""
        kid, aead = self._keys[0]
        nonce = os.urandom(_NONCE)
        return _PREFIX + _b64(kid + nonce + aead.encrypt(nonce, plaintext, context))

    def decrypt(self, token: str, *, context: bytes = b"") -> bytes:
        """Decrypt what :meth:`encrypt` returned for the same ``context``.

        Raises:
            SnapshotDecryptError: not a ciphertext, unknown key, or altered.
        """
        if not token.startswith(_PREFIX):
            raise SnapshotDecryptError("the stored snapshot is not encrypted with a key")
        try:
            raw = _unb64(token[len(_PREFIX) :])
        except (binascii.Error, ValueError):
            raise SnapshotDecryptError("the stored snapshot is not valid base64") from None
        kid, nonce, body = raw[:_KID], raw[_KID : _KID + _NONCE], raw[_KID + _NONCE :]
        for key_id, aead in self._keys:
            if key_id == kid:
                try:
                    return aead.decrypt(nonce, body, context)
                except InvalidTag:
                    raise SnapshotDecryptError(
                        "the stored snapshot was altered or belongs to another flow"
                    ) from None
        raise SnapshotDecryptError("the stored snapshot was encrypted with an unknown key")

    @staticmethod
    def is_encrypted(data: str) -> bool:
        """Whether ``data`` looks like this cipher's output."""
        return data.startswith(_PREFIX)
