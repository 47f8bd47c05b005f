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
import atexit
import base64
import binascii
import collections
import concurrent.futures
import hashlib
import heapq
import hmac
import math
import multiprocessing
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Literal, TypeVar

import attrs
from srptools.constants import PRIME_3072

from .errors import SrpDeadlineError, SrpError, hidden, masked

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


_thread_state = threading.local()


def release_gil_in_this_thread() -> None:
    """Let gmpy2 release the GIL during big-integer arithmetic in the calling thread.

    gmpy2 keeps a context per thread; its ``allow_release_gil`` option (default off) lets
    long ``powmod`` calls run while other threads hold the GIL, so SRP in two threads uses
    two cores. :class:`SrpExecutor` calls this in the threads it runs SRP in; pass it as the
    ``initializer`` of a ``ThreadPoolExecutor`` of your own. A no-op without gmpy2.
    """
    if _gmpy2 is not None and not getattr(_thread_state, "gil_released", False):
        _gmpy2.get_context().allow_release_gil = True
        _thread_state.gil_released = True


# --------------------------------------------------------------------------------------
# Fixed-base exponentiation: g^e with a precomputed table
#
# The base g and the modulus N never change, so g^e can be read from a table instead of
# squared out: write e in base 2^w, e = sum(d_i * 2^(w*i)); row i of the table holds
# g^(d * 2^(w*i)) for every digit d, and g^e is the product of one entry per row. That is
# ceil(bits/w) multiplications instead of ~1.2 * bits (BGMW / "fixed-base windowing",
# Handbook of Applied Cryptography 14.109). One table serves A = g^a (1024-bit a), the
# verifier g^x (256-bit x) and the emulator's g^b. Exponents longer than the table fall
# back to pow; results are identical to pow either way.

#: Bits of exponent the table covers (``a`` is at most 1024 bits, ``x`` and ``b`` 256).
FIXED_BASE_BITS = 1024
_fixed_base_width = 6
_fixed_base_enabled = True


class FixedBaseTable:
    """The table of ``g^(d * 2^(w*i))`` for one backend; built once, read by any thread."""

    __slots__ = ("backend", "bits", "build_seconds", "mask", "mod", "nbytes", "rows", "width")

    def __init__(self, backend: Backend, width: int, bits: int = FIXED_BASE_BITS) -> None:
        started = time.perf_counter()
        mpz: Callable[[int], Any] = _gmpy2.mpz if backend == "gmpy2" and _gmpy2 is not None else int
        mod, one = mpz(N), mpz(1)
        size = 1 << width
        rows: list[list[Any]] = []
        base = mpz(G)
        for _ in range(-(-bits // width)):
            row: list[Any] = [one, base]
            for _ in range(size - 2):
                row.append(row[-1] * base % mod)
            rows.append(row)
            base = row[-1] * base % mod  # g^(2^w * 2^(w*i))
        self.backend: Backend = backend
        self.width = width
        self.bits = bits
        self.mask = size - 1
        self.mod: Any = mod
        self.rows = rows
        self.nbytes = sum(sys.getsizeof(v) for row in rows for v in row) + sum(
            sys.getsizeof(row) for row in rows
        )
        self.build_seconds = time.perf_counter() - started

    def power(self, exp: int) -> int:
        """``g^exp mod N`` for ``0 <= exp < 2**bits``."""
        rows, mask, width, mod = self.rows, self.mask, self.width, self.mod
        acc: Any = None
        i = 0
        while exp:
            digit = exp & mask
            if digit:
                entry = rows[i][digit]
                acc = entry if acc is None else acc * entry % mod
            exp >>= width
            i += 1
        return 1 if acc is None else int(acc)


_tables: dict[Backend, FixedBaseTable] = {}
_tables_lock = threading.Lock()


def fixed_base_table(backend: Backend | None = None) -> FixedBaseTable:
    """The fixed-base table of ``backend`` (default: the one in use), built on first use.

    Building takes tens of milliseconds with gmpy2 (a few hundred in plain Python) and holds
    about 4 MB (width 6); it happens once per process, under a lock.
    """
    name = backend or _backend
    table = _tables.get(name)
    if table is None or table.width != _fixed_base_width:
        with _tables_lock:
            table = _tables.get(name)
            if table is None or table.width != _fixed_base_width:
                table = _tables[name] = FixedBaseTable(name, _fixed_base_width)
    return table


def configure_fixed_base(*, enabled: bool = True, width: int = 6) -> None:
    """Turn the fixed-base table on or off, or change its digit width (2..10 bits).

    Off, :func:`powmod_g` is plain ``powmod`` (no table memory). A wider table is faster
    and larger: width 4 is about 1.5 MB, 6 about 4 MB, 8 about 12 MB. Tables already built
    for another width are dropped.

    Raises:
        ValueError: width out of range.
    """
    global _fixed_base_enabled, _fixed_base_width
    if not 2 <= width <= 10:
        raise ValueError("fixed-base width must be between 2 and 10 bits")
    with _tables_lock:
        _fixed_base_enabled = enabled
        if width != _fixed_base_width:
            _fixed_base_width = width
            _tables.clear()


def powmod_g(exp: int) -> int:
    """``g^exp mod N`` (``g = 2``), through the fixed-base table when the exponent fits.

    Identical to ``pow(G, exp, N)`` for every integer ``exp``.
    """
    if _fixed_base_enabled and 0 <= exp < 1 << FIXED_BASE_BITS:
        return fixed_base_table().power(exp)
    return powmod(G, exp, N)


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


@masked
@attrs.frozen(repr=False)
class SrpEphemeral:
    """The client's ephemeral pair: private ``a`` (secret) and public ``A = g^a mod N``."""

    a: int = attrs.field(repr=hidden)
    A: int = attrs.field(repr=hidden)

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
            return SrpEphemeral(a=a, A=powmod_g(a))
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
    base = srp_b - K * powmod_g(x)
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


@masked
@attrs.frozen(repr=False)
class DeviceSecret:
    """What ConfirmDevice needs: the device password (secret) and its SRP verifier config."""

    device_password: str = attrs.field(repr=hidden)
    salt_b64: str = attrs.field(repr=hidden)
    verifier_b64: str = attrs.field(repr=hidden)

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
    verifier = powmod_g(x)
    return DeviceSecret(
        device_password=device_password,
        salt_b64=base64.b64encode(pad(salt)).decode(),
        verifier_b64=base64.b64encode(pad(verifier)).decode(),
    )


# --------------------------------------------------------------------------------------
# Server side (used by the local Cognito)


def verifier_for(salt: int, pool_name: str, user_id: str, password: str) -> int:
    """The server's stored verifier ``v = g^x``."""
    return powmod_g(compute_x(salt, pool_name, user_id, password))


def server_ephemeral(verifier: int, b: int) -> int:
    """``B = (k*v + g^b) mod N``."""
    return (K * verifier + powmod_g(b)) % N


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


def cpu_count() -> int:
    """The cores this process may use (its CPU affinity where the OS reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _call(func: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    # Runs in the worker (thread or process); picklable, so process pools take it.
    release_gil_in_this_thread()
    return func(*args, **kwargs)


def _init_worker(backend: Backend, width: int, enabled: bool) -> None:
    # A process-pool worker computes with the parent's backend and table settings.
    set_backend(backend)
    configure_fixed_base(enabled=enabled, width=width)


_shared_lock = threading.Lock()
_shared_pools: dict[str, concurrent.futures.Executor] = {}


def _shared_pool(kind: str, workers: int) -> concurrent.futures.Executor:
    """One thread or process pool per process and kind, created on first use."""
    with _shared_lock:
        pool = _shared_pools.get(kind)
        if pool is None:
            if kind == "process":
                methods = multiprocessing.get_all_start_methods()
                # Never fork: the host process runs an event loop and other threads.
                ctx = multiprocessing.get_context(
                    "forkserver" if "forkserver" in methods else "spawn"
                )
                pool = concurrent.futures.ProcessPoolExecutor(
                    workers,
                    mp_context=ctx,
                    initializer=_init_worker,
                    initargs=(_backend, _fixed_base_width, _fixed_base_enabled),
                )
            else:
                pool = concurrent.futures.ThreadPoolExecutor(
                    workers,
                    thread_name_prefix="cognito_flows-srp",
                    initializer=release_gil_in_this_thread,
                )
            _shared_pools[kind] = pool
        return pool


def _forget_shared_pools() -> None:  # pragma: no cover - runs in a forked child
    # A forked child must not use the parent's pools (their threads did not survive).
    _shared_pools.clear()


def _shutdown_shared_pools() -> None:
    with _shared_lock:
        pools = list(_shared_pools.values())
        _shared_pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


atexit.register(_shutdown_shared_pools)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_shared_pools)


class _Waiter:
    __slots__ = ("due", "future", "timer")

    def __init__(self, due: float, future: asyncio.Future[None]) -> None:
        self.due = due
        self.future = future
        self.timer: asyncio.TimerHandle | None = None


class SrpExecutor:
    """Runs SRP computations off the event loop, earliest session deadline first.

    **Where the work runs.** With no ``executor``, the choice follows what is installed and
    the cores (:func:`cpu_count`), decided at the first computation:

    * gmpy2 installed: a thread pool of this process with one thread per core, shared by
      every default ``SrpExecutor``, whose threads let gmpy2 release the GIL
      (:func:`release_gil_in_this_thread`), so SRP runs on every core without pickling;
    * plain Python on several cores: a process pool with one worker per core (Python's
      ``pow`` holds the GIL, so threads would stall the loop); workers start by
      ``forkserver`` (``spawn`` where unavailable), never by forking the host process;
    * plain Python on one core: one thread.

    ``max_concurrency`` then defaults to the number of workers. Pass ``executor`` (any
    ``concurrent.futures.Executor``) to choose yourself; ``max_concurrency`` then defaults to
    a process pool's worker count, else 1.

    **Order and deadlines.** At most ``max_concurrency`` computations run at once; the rest
    wait in a queue ordered by ``deadline`` (the sign-in whose Cognito session expires first
    is answered first; work without a deadline comes last, in arrival order). Work whose
    deadline is less than ``deadline_margin`` seconds away, when it is submitted or while it
    waits, fails at once with :class:`~cognito_flows.errors.SrpDeadlineError` instead of
    computing an answer Cognito would refuse.

    **Ephemerals ahead of time.** ``A = g^a`` does not depend on the server, so up to
    ``ephemeral_pool_size`` fresh pairs are computed in the background while the executor is
    idle; :meth:`ephemeral` (and ``run(start_ephemeral)``) takes one without waiting, and
    computes one on the spot when none is ready. Each pair is handed out exactly once, is
    never kept after that, and is dropped in a forked child. ``0`` turns this off.

    Use one ``SrpExecutor`` from one event loop at a time. The functions of this module are
    picklable, so they can run in a process pool as they are.
    """

    def __init__(
        self,
        executor: concurrent.futures.Executor | None = None,
        *,
        max_concurrency: int | None = None,
        ephemeral_pool_size: int = 4,
        deadline_margin: float = 1.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_concurrency is None and executor is not None:
            max_concurrency = 1
            if isinstance(executor, concurrent.futures.ProcessPoolExecutor):
                max_concurrency = max(1, getattr(executor, "_max_workers", 1))
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError("max_concurrency must be >= 1")
        if ephemeral_pool_size < 0:
            raise ValueError("ephemeral_pool_size must be >= 0")
        if deadline_margin < 0:
            raise ValueError("deadline_margin must be >= 0")
        self._executor = executor
        self._max_concurrency = max_concurrency
        self.ephemeral_pool_size = ephemeral_pool_size
        self.deadline_margin = deadline_margin
        self.clock = clock
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = 0
        self._queue: list[tuple[float, int, _Waiter]] = []
        self._seq = 0
        self._ready: collections.deque[SrpEphemeral] = collections.deque()
        self._filling = 0
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._own_pool = executor is None

    def __repr__(self) -> str:
        return (
            f"SrpExecutor(executor={type(self._executor).__name__ if self._executor else None},"
            f" max_concurrency={self._max_concurrency}, running={self._running},"
            f" queued={len(self._queue)}, ephemerals_ready={len(self._ready)})"
        )

    # ------------------------------------------------------------------ configuration

    def _resolve(self) -> None:
        if self._executor is not None:
            if self._max_concurrency is None:  # pragma: no cover - set in __init__
                self._max_concurrency = 1
            return
        cores = cpu_count()
        if _backend == "gmpy2" or cores == 1:
            kind, workers = ("thread", cores)
        else:
            kind, workers = ("process", cores)
        self._executor = _shared_pool(kind, workers)
        if self._max_concurrency is None:
            self._max_concurrency = workers

    @property
    def executor(self) -> concurrent.futures.Executor:
        """The ``concurrent.futures`` executor the work runs in (chosen on first use)."""
        if self._executor is None:
            self._resolve()
        assert self._executor is not None
        return self._executor

    @property
    def max_concurrency(self) -> int:
        """How many computations run at once."""
        if self._max_concurrency is None:
            self._resolve()
        assert self._max_concurrency is not None
        return self._max_concurrency

    # ------------------------------------------------------------------ running work

    async def run(
        self,
        func: Callable[..., T],
        /,
        *args: object,
        deadline: float | None = None,
        clock: Callable[[], float] | None = None,
        **kwargs: object,
    ) -> T:
        """Run ``func(*args, **kwargs)`` in the executor, at most ``max_concurrency`` at once.

        Args:
            deadline: when the answer is no longer useful (epoch seconds of ``clock``), such
                as the expiry of the Cognito session it answers. Earlier deadlines run first.
            clock: the clock ``deadline`` is read on (default: this executor's ``clock``).

        Raises:
            SrpDeadlineError: the deadline is, or while waiting became, less than
                ``deadline_margin`` seconds away; nothing was computed.
        """
        if func is start_ephemeral and not args and not kwargs:
            return await self.ephemeral()  # type: ignore[return-value]
        with self._lock:
            self._check_fork()
        loop = asyncio.get_running_loop()
        due = math.inf
        if deadline is not None:
            due = time.monotonic() + (deadline - (clock or self.clock)())
        await self._acquire(loop, due)
        try:
            return await loop.run_in_executor(self.executor, _call, func, args, kwargs)
        finally:
            self._release()

    def _check_fork(self) -> None:
        """In a forked child: drop the parent's ready pairs, queue and default pool."""
        if self._pid == os.getpid():
            return
        self._pid, self._filling, self._running, self._queue = os.getpid(), 0, 0, []
        self._loop = None
        self._ready.clear()
        if self._own_pool:  # the parent's worker threads or processes are not ours
            self._executor = None

    def _expired(self, due: float) -> bool:
        return due - self.deadline_margin <= time.monotonic()

    async def _acquire(self, loop: asyncio.AbstractEventLoop, due: float) -> None:
        if self._loop is not loop:  # first use, or a new event loop (tests, asyncio.run)
            self._loop, self._running, self._queue = loop, 0, []
        if self._expired(due):
            raise SrpDeadlineError()
        if self._running < self.max_concurrency and not self._queue:
            self._running += 1
            return
        waiter = _Waiter(due, loop.create_future())
        self._seq += 1
        heapq.heappush(self._queue, (due, self._seq, waiter))
        if due != math.inf:
            delay = due - self.deadline_margin - time.monotonic()
            waiter.timer = loop.call_later(max(0.0, delay), self._expire, waiter)
        self._dispatch()
        try:
            await waiter.future
        except asyncio.CancelledError:
            future = waiter.future
            if future.done() and not future.cancelled() and future.exception() is None:
                self._release()  # granted a slot just as we were cancelled
            raise
        finally:
            if waiter.timer is not None:
                waiter.timer.cancel()

    def _expire(self, waiter: _Waiter) -> None:
        if not waiter.future.done():
            waiter.future.set_exception(SrpDeadlineError())

    def _dispatch(self) -> None:
        """Hand free slots to the earliest live deadlines; fail those already too late."""
        limit = self._max_concurrency or 1
        while self._queue and self._running < limit:
            _, _, waiter = heapq.heappop(self._queue)
            if waiter.future.done():
                continue  # cancelled, or failed by its deadline timer
            if self._expired(waiter.due):
                waiter.future.set_exception(SrpDeadlineError())
                continue
            self._running += 1
            waiter.future.set_result(None)

    def _release(self) -> None:
        self._running -= 1
        self._dispatch()
        if not self._queue and self._running < (self._max_concurrency or 1):
            self._refill()

    # ------------------------------------------------------------------ ephemerals

    async def ephemeral(self) -> SrpEphemeral:
        """A fresh ``(a, A)`` pair: a ready one if there is, else one computed now.

        Never the same pair twice. The pair is the caller's alone from here on.
        """
        with self._lock:
            self._check_fork()
            ready = self._ready.popleft() if self._ready else None
        if ready is not None:
            if not self._queue and self._running < self.max_concurrency:
                self._refill()
            return ready
        result = await self.run(_fresh_ephemeral)
        if not self._queue and self._running < self.max_concurrency:
            self._refill()
        return result

    def _refill(self) -> None:
        """Start computing pairs up to ``ephemeral_pool_size`` (in the background)."""
        with self._lock:
            wanted = self.ephemeral_pool_size - len(self._ready) - self._filling
            if wanted <= 0 or self._pid != os.getpid():
                return
            self._filling += wanted
        executor = self.executor
        for _ in range(wanted):
            try:
                future = executor.submit(_call, _fresh_ephemeral, (), {})
            except RuntimeError:  # the executor is shutting down
                with self._lock:
                    self._filling -= 1
                continue
            future.add_done_callback(self._filled)

    def _filled(self, future: concurrent.futures.Future[SrpEphemeral]) -> None:
        # Runs in a worker (or the pool's management) thread.
        with self._lock:
            self._filling -= 1
            if future.cancelled() or future.exception() is not None:
                return
            if self._pid == os.getpid() and len(self._ready) < self.ephemeral_pool_size:
                self._ready.append(future.result())

    async def warm(self) -> None:
        """Build the fixed-base table and fill the ephemeral pool now, before traffic."""
        await asyncio.gather(*(self.run(_build_table) for _ in range(self.max_concurrency)))
        self._refill()


def _fresh_ephemeral() -> SrpEphemeral:
    return start_ephemeral()


def _build_table() -> None:
    if _fixed_base_enabled:
        fixed_base_table()
