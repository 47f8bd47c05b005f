"""Cognito's SRP-6a variant, for users and for remembered devices.

Rules of this module:

* Pure computation, no I/O. Every function takes what it needs and returns values; the
  random source and the clock are parameters so known-answer tests can pin them.
* Every byte encoding of an integer is :func:`pad` (minimal big-endian two's complement,
  Java's ``BigInteger.toByteArray()``), never a fixed width: that is what AWS's reference
  client does, and a fixed width is wrong for about half of all sign-ins.
* Values from the server (``SRP_B``, ``SALT``) are parsed as integers before use.
* Secrets (``a``, passwords, the derived key) never appear in a ``repr``.

Theory of operation (``||`` is concatenation, ``H`` is SHA-256, ``N``/``g`` the 3072-bit
RFC 5054 group with ``g = 2``)::

    k = H(pad(N) || pad(g))
    A = g^a                          u = H(pad(A) || pad(B))
    x = H(pad(salt) || H(pool_name || user_id || ":" || password))
    S = (B - k * g^x) ^ (a + u * x)  (mod N)
    key = HKDF-SHA256(ikm=pad(S), salt=pad(u), info="Caldera Derived Key")[:16]
    signature = b64(HMAC(key, pool_name || user_id || b64decode(secret_block) || timestamp))

For device sign-in ``pool_name`` becomes the DeviceGroupKey, ``user_id`` the DeviceKey and
``password`` the device password. The server side (used by :mod:`cognito_local`) is
``v = g^x``, ``B = k*v + g^b`` and ``S = (A * v^u)^b``.

The big-integer backend is ``gmpy2`` when installed (about 8x faster) and Python's ``pow``
otherwise; both give identical results. :func:`set_backend` chooses explicitly.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import concurrent.futures
import functools
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Literal, TypeVar

import attrs
from srptools.constants import PRIME_3072

from .errors import SrpError

__all__ = [
    "G",
    "K",
    "N",
    "DeviceSecret",
    "SrpEphemeral",
    "SrpError",
    "SrpExecutor",
    "available_backends",
    "claim_signature",
    "compute_x",
    "device_password_verifier_response",
    "format_timestamp",
    "generate_device_secret",
    "get_backend",
    "hkdf_key",
    "pad",
    "parse_server_int",
    "parse_timestamp",
    "password_authentication_key",
    "password_verifier_response",
    "pool_name_of",
    "powmod",
    "server_ephemeral",
    "server_password_authentication_key",
    "set_backend",
    "start_ephemeral",
    "verifier_for",
]

#: The RFC 5054 / RFC 3526 3072-bit prime (from srptools).
N: int = int(PRIME_3072, 16)
#: Cognito's generator (srptools' default for this group is 5; Cognito uses 2).
G: int = 2

_INFO = b"Caldera Derived Key\x01"

Backend = Literal["python", "gmpy2"]
_backend: Backend = "python"
_powmod_impl: Callable[[int, int, int], int] = pow

try:  # pragma: no cover - depends on the environment
    import gmpy2 as _gmpy2

    def _gmpy2_powmod(base: int, exp: int, mod: int) -> int:
        return int(_gmpy2.powmod(base, exp, mod))

    _backend, _powmod_impl = "gmpy2", _gmpy2_powmod
except ImportError:  # pragma: no cover
    _gmpy2 = None


def available_backends() -> list[Backend]:
    """The big-integer backends importable here (``"python"`` always)."""
    return ["python", "gmpy2"] if _gmpy2 is not None else ["python"]


def get_backend() -> Backend:
    """The big-integer backend in use."""
    return _backend


def set_backend(name: Backend) -> None:
    """Use ``"python"`` (built-in ``pow``) or ``"gmpy2"`` for modular exponentiation.

    Raises:
        ValueError: the backend is unknown or not installed.
    """
    global _backend, _powmod_impl
    if name == "python":
        _backend, _powmod_impl = "python", pow
    elif name == "gmpy2" and _gmpy2 is not None:
        _backend, _powmod_impl = "gmpy2", _gmpy2_powmod
    else:
        raise ValueError(f"SRP backend {name!r} is not available (have {available_backends()})")


def powmod(base: int, exp: int, mod: int) -> int:
    """``base ** exp % mod`` with the selected backend (base may be negative)."""
    return _powmod_impl(base % mod, exp, mod)


# --------------------------------------------------------------------------------------
# Encodings


def pad(n: int) -> bytes:
    """Minimal big-endian two's-complement bytes of a non-negative integer.

    ``pad(0x7f) == b"\\x7f"``, ``pad(0x80) == b"\\x00\\x80"``, ``pad(0) == b"\\x00"``.
    """
    if n < 0:
        raise ValueError("pad() takes non-negative integers")
    return n.to_bytes(n.bit_length() // 8 + 1, "big")


def _h(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _hint(*parts: bytes) -> int:
    return int.from_bytes(_h(*parts), "big")


#: ``k = H(pad(N) || pad(g))``.
K: int = _hint(pad(N), pad(G))


_HEX = re.compile(r"[0-9a-fA-F]+")
_CLOCK = re.compile(r"[0-9]{2}:[0-9]{2}:[0-9]{2}")


def parse_server_int(value: object, name: str) -> int:
    """Parse a hex integer sent by the server (any case, leading zeros allowed).

    Raises:
        SrpError: not a non-empty hex string.
    """
    if not isinstance(value, str) or not value:
        raise SrpError(f"{name} is missing or not a string")
    if not _HEX.fullmatch(value):
        raise SrpError(f"{name} is not hexadecimal")
    return int(value, 16)


def pool_name_of(user_pool_id: str) -> str:
    """The part of a user pool id after the ``_`` (``us-east-1_AbC`` -> ``AbC``)."""
    region, sep, name = user_pool_id.partition("_")
    if not sep or not name or not region:
        raise ValueError("user pool id must look like '<region>_<name>'")
    return name


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_BAD_TIMESTAMP = "TIMESTAMP format should be EEE MMM d HH:mm:ss z yyyy in english."
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_timestamp(when: datetime | float | None = None) -> str:
    """Cognito's TIMESTAMP: ``EEE MMM d HH:mm:ss UTC yyyy`` in English and UTC.

    ``when`` is a datetime or epoch seconds (a flow's clock). The day of the month is not
    zero-padded. The result does not depend on the locale or the local time zone. A naive
    ``when`` is taken as UTC.
    """
    if when is None:
        when = datetime.now(timezone.utc)
    elif isinstance(when, (int, float)):
        when = datetime.fromtimestamp(when, timezone.utc)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    return (
        f"{_DAYS[when.weekday()]} {_MONTHS[when.month - 1]} {when.day} "
        f"{when.hour:02d}:{when.minute:02d}:{when.second:02d} UTC {when.year}"
    )


def parse_timestamp(value: str) -> datetime:
    """Parse a TIMESTAMP strictly, as Cognito does (the inverse of :func:`format_timestamp`).

    Raises:
        ValueError: wrong format, zero-padded day, wrong weekday or non-English names.
    """
    parts = value.split(" ")
    if len(parts) != 6 or parts[4] != "UTC":
        raise ValueError(_BAD_TIMESTAMP)
    dow, mon, day, clock, _, year = parts
    if (
        dow not in _DAYS
        or mon not in _MONTHS
        or not (day.isascii() and day.isdigit())
        or day.startswith("0")
        or not (year.isascii() and year.isdigit())
        or not _CLOCK.fullmatch(clock)
    ):
        raise ValueError(_BAD_TIMESTAMP)
    try:
        hh, mm, ss = (int(x) for x in clock.split(":"))
        when = datetime(
            int(year), _MONTHS.index(mon) + 1, int(day), hh, mm, ss, tzinfo=timezone.utc
        )
    except ValueError:
        raise ValueError(_BAD_TIMESTAMP) from None
    if _DAYS[when.weekday()] != dow:
        raise ValueError("TIMESTAMP weekday does not match its date.")
    return when


# --------------------------------------------------------------------------------------
# Client side


@attrs.frozen(repr=False)
class SrpEphemeral:
    """The client's ephemeral pair: private ``a`` (secret) and public ``A = g^a mod N``."""

    a: int
    A: int

    @property
    def srp_a(self) -> str:
        """``SRP_A`` as sent on the wire: lower-case hex, not padded (may be odd length)."""
        return format(self.A, "x")

    def __repr__(self) -> str:
        return f"SrpEphemeral(srp_a={self.srp_a[:12]}...)"


def start_ephemeral(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> SrpEphemeral:
    """Draw a fresh ``a`` (128 random bytes, reduced mod N) and compute ``A``.

    Retries in the (astronomically unlikely) case that ``a == 0``.

    Raises:
        SrpError: the random source keeps giving bytes that make ``a == 0``.
    """
    for _ in range(8):
        a = int.from_bytes(random_bytes(128), "big") % N
        if a:
            return SrpEphemeral(a=a, A=powmod(G, a, N))
    raise SrpError("the random source gave no usable SRP secret")


def compute_x(salt: int, pool_name: str, user_id: str, password: str) -> int:
    """``x = H(pad(salt) || H(pool_name || user_id || ":" || password))``."""
    inner = _h(f"{pool_name}{user_id}:{password}".encode())
    return _hint(pad(salt), inner)


def hkdf_key(u: int, s: int) -> bytes:
    """Cognito's 16-byte key: one HKDF-SHA256 block with salt ``pad(u)`` over ``pad(S)``."""
    prk = hmac.new(pad(u), pad(s), hashlib.sha256).digest()
    return hmac.new(prk, _INFO, hashlib.sha256).digest()[:16]


def _u(big_a: int, big_b: int) -> int:
    return _hint(pad(big_a), pad(big_b))


def password_authentication_key(
    ephemeral: SrpEphemeral,
    *,
    srp_b: int,
    salt: int,
    pool_name: str,
    user_id: str,
    password: str,
) -> bytes:
    """The client's 16-byte HKDF key for a PASSWORD_VERIFIER (or device) answer.

    Raises:
        SrpError: ``B mod N == 0`` or ``u == 0`` (a malicious or broken server).
    """
    if srp_b % N == 0:
        raise SrpError("server sent SRP_B = 0 mod N")
    u = _u(ephemeral.A, srp_b)
    if u == 0:
        raise SrpError("SRP scrambling parameter u is 0")
    x = compute_x(salt, pool_name, user_id, password)
    base = srp_b - K * powmod(G, x, N)
    s = powmod(base, ephemeral.a + u * x, N)
    return hkdf_key(u, s)


def claim_signature(
    key: bytes, pool_name: str, user_id: str, secret_block: bytes, timestamp: str
) -> str:
    """``PASSWORD_CLAIM_SIGNATURE``: base64 HMAC-SHA256 over the claim message."""
    msg = pool_name.encode() + user_id.encode() + secret_block + timestamp.encode()
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode()


def _secret_block(params: Mapping[str, str]) -> tuple[str, bytes]:
    raw = params.get("SECRET_BLOCK")
    if not isinstance(raw, str) or not raw:
        raise SrpError("SECRET_BLOCK is missing")
    try:
        # Not validate=True: moto sends a UUID here, and Cognito accepts it back verbatim.
        block = base64.b64decode(raw)
    except (binascii.Error, ValueError):
        raise SrpError("SECRET_BLOCK is not base64") from None
    if not block:
        raise SrpError("SECRET_BLOCK is not base64")
    return raw, block


def _claim(
    ephemeral: SrpEphemeral,
    challenge_parameters: Mapping[str, str],
    *,
    pool_name: str,
    user_id: str,
    password: str,
    username: str,
    timestamp: str | None,
) -> dict[str, str]:
    """The four claim responses; ``pool_name``/``user_id`` are the group/key for devices."""
    block_text, block = _secret_block(challenge_parameters)
    key = password_authentication_key(
        ephemeral,
        srp_b=parse_server_int(challenge_parameters.get("SRP_B"), "SRP_B"),
        salt=parse_server_int(challenge_parameters.get("SALT"), "SALT"),
        pool_name=pool_name,
        user_id=user_id,
        password=password,
    )
    ts = timestamp or format_timestamp()
    return {
        "USERNAME": username,
        "PASSWORD_CLAIM_SECRET_BLOCK": block_text,
        "TIMESTAMP": ts,
        "PASSWORD_CLAIM_SIGNATURE": claim_signature(key, pool_name, user_id, block, ts),
    }


def password_verifier_response(
    ephemeral: SrpEphemeral,
    challenge_parameters: Mapping[str, str],
    *,
    user_pool_id: str,
    password: str,
    timestamp: str | None = None,
) -> dict[str, str]:
    """The ChallengeResponses for PASSWORD_VERIFIER (without SECRET_HASH / DEVICE_KEY).

    Uses ``USER_ID_FOR_SRP`` from the challenge for x, the signature and ``USERNAME``.
    """
    user_id = challenge_parameters.get("USER_ID_FOR_SRP") or challenge_parameters.get("USERNAME")
    if not user_id:
        raise SrpError("USER_ID_FOR_SRP is missing")
    return _claim(
        ephemeral,
        challenge_parameters,
        pool_name=pool_name_of(user_pool_id),
        user_id=user_id,
        password=password,
        username=user_id,
        timestamp=timestamp,
    )


def device_password_verifier_response(
    ephemeral: SrpEphemeral,
    challenge_parameters: Mapping[str, str],
    *,
    device_group_key: str,
    device_key: str,
    device_password: str,
    user_id_for_srp: str,
    timestamp: str | None = None,
) -> dict[str, str]:
    """The ChallengeResponses for DEVICE_PASSWORD_VERIFIER (without SECRET_HASH).

    ``ephemeral`` must be the fresh one whose ``SRP_A`` was sent with DEVICE_SRP_AUTH. The
    device group key stands where user SRP has the pool name, the device key for the user.
    """
    responses = _claim(
        ephemeral,
        challenge_parameters,
        pool_name=device_group_key,
        user_id=device_key,
        password=device_password,
        username=user_id_for_srp,
        timestamp=timestamp,
    )
    responses["DEVICE_KEY"] = device_key
    return responses


@attrs.frozen(repr=False)
class DeviceSecret:
    """What ConfirmDevice needs: the device password (secret) and its SRP verifier config."""

    device_password: str
    salt_b64: str
    verifier_b64: str

    @property
    def verifier_config(self) -> dict[str, str]:
        """``DeviceSecretVerifierConfig`` for ConfirmDevice."""
        return {"PasswordVerifier": self.verifier_b64, "Salt": self.salt_b64}

    def __repr__(self) -> str:
        return "DeviceSecret(device_password=<hidden>)"


def generate_device_secret(
    device_group_key: str,
    device_key: str,
    random_bytes: Callable[[int], bytes] = secrets.token_bytes,
) -> DeviceSecret:
    """A fresh device password (base64 of 40 random bytes) and its verifier.

    The salt is ``pad(int(16 random bytes))`` (15 to 17 bytes), as the reference client does.
    """
    device_password = base64.b64encode(random_bytes(40)).decode()
    salt = int.from_bytes(random_bytes(16), "big")
    x = compute_x(salt, device_group_key, device_key, device_password)
    verifier = powmod(G, x, N)
    return DeviceSecret(
        device_password=device_password,
        salt_b64=base64.b64encode(pad(salt)).decode(),
        verifier_b64=base64.b64encode(pad(verifier)).decode(),
    )


# --------------------------------------------------------------------------------------
# Server side (used by the local Cognito)


def verifier_for(salt: int, pool_name: str, user_id: str, password: str) -> int:
    """The server's stored verifier ``v = g^x``."""
    return powmod(G, compute_x(salt, pool_name, user_id, password), N)


def server_ephemeral(verifier: int, b: int) -> int:
    """``B = (k*v + g^b) mod N``."""
    return (K * verifier + powmod(G, b, N)) % N


def server_password_authentication_key(*, srp_a: int, srp_b: int, b: int, verifier: int) -> bytes:
    """The server's view of the HKDF key: ``S = (A * v^u)^b``.

    Raises:
        SrpError: ``A mod N == 0`` or ``u == 0``.
    """
    if srp_a % N == 0:
        raise SrpError("client sent SRP_A = 0 mod N")
    u = _u(srp_a, srp_b)
    if u == 0:
        raise SrpError("SRP scrambling parameter u is 0")
    s = powmod(srp_a * powmod(verifier, u, N), b, N)
    return hkdf_key(u, s)


# --------------------------------------------------------------------------------------
# Running SRP off the event loop

T = TypeVar("T")


class SrpExecutor:
    """Runs SRP computations without stalling the event loop.

    Neither Python's ``pow`` nor gmpy2 releases the GIL, so many concurrent computations in
    threads would convoy behind the GIL and stall the loop for hundreds of milliseconds. This
    class bounds concurrency with a semaphore (default 1) and runs each computation in an
    executor: the default thread pool, or any ``concurrent.futures.Executor`` the host
    supplies. A ``ProcessPoolExecutor`` uses every core and keeps the loop's lag lowest.

    The functions of this module are picklable, so they can run in a process pool as they are.
    """

    def __init__(
        self,
        executor: concurrent.futures.Executor | None = None,
        *,
        max_concurrency: int | None = None,
    ) -> None:
        if max_concurrency is None:
            max_concurrency = 1
            if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
                max_concurrency = max(1, getattr(executor, "_max_workers", 1))
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        self.executor = executor
        self.max_concurrency = max_concurrency
        self._semaphore: asyncio.Semaphore | None = None

    async def run(self, func: Callable[..., T], /, *args: object, **kwargs: object) -> T:
        """Run ``func(*args, **kwargs)`` in the executor, at most ``max_concurrency`` at once."""
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        loop = asyncio.get_running_loop()
        async with self._semaphore:
            if kwargs:
                call: Callable[[], T] = functools.partial(func, *args, **kwargs)
                return await loop.run_in_executor(self.executor, call)
            return await loop.run_in_executor(self.executor, func, *args)
