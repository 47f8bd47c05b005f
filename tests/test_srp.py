"""Tests of cognito_flows.srp: encodings, timestamps, client/server agreement, safety checks,
secret hiding and SrpExecutor. Byte-level agreement with AWS is in test_srp_kat.py."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cognito_flows import srp
from cognito_flows.errors import SrpDeadlineError, SrpError

N = srp.N
POOL_ID = "eu-west-1_AbCdEf123"
TS = "Tue Mar 5 07:08:09 UTC 2024"


def ref_pad_hex(n: int) -> str:
    """amazon-cognito-identity-js ``padHex``, transcribed on hex strings."""
    h = format(n, "x")
    if len(h) % 2:
        h = "0" + h
    elif h[0] in "89abcdef":
        h = "00" + h
    return h


@pytest.fixture(params=["python", "gmpy2"])
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    name = request.param
    if name not in srp.available_backends():
        pytest.skip(f"backend {name} is not installed")
    previous = srp.get_backend()
    srp.set_backend(name)
    try:
        yield name
    finally:
        srp.set_backend(previous)


def _server(salt: int, pool_name: str, user: str, password: str, b: int) -> tuple[int, int]:
    verifier = srp.verifier_for(salt, pool_name, user, password)
    return verifier, srp.server_ephemeral(verifier, b)


def _challenge(big_b: int, salt: int, user: str, block: bytes = b"secret-block") -> dict[str, str]:
    return {
        "SRP_B": format(big_b, "x"),
        "SALT": format(salt, "x"),
        "SECRET_BLOCK": base64.b64encode(block).decode(),
        "USER_ID_FOR_SRP": user,
        "USERNAME": user,
    }


def _fixed_ephemeral(seed: int = 7) -> srp.SrpEphemeral:
    return srp.start_ephemeral(random_bytes=lambda n: bytes([seed]) * n)


# --------------------------------------------------------------------------------------
# pad() and k


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "00"),
        (1, "01"),
        (0x7F, "7f"),
        (0x80, "0080"),
        (0xFF, "00ff"),
        (0x100, "0100"),
        (0xFFF, "0fff"),
        (0x7FFF, "7fff"),
        (0x8000, "008000"),
        (0x00FF_FFFF, "00ffffff"),
    ],
)
def test_pad_small_values(value: int, expected: str) -> None:
    assert srp.pad(value).hex() == expected


def test_pad_3072_bit_values() -> None:
    top_bit = 1 << 3071
    assert srp.pad(top_bit) == b"\x00" + top_bit.to_bytes(384, "big")
    assert len(srp.pad(N)) == 385 and srp.pad(N)[:2] == b"\x00\xff"
    assert len(srp.pad(N - 1)) == 385
    assert srp.pad((1 << 3070) + 5) == ((1 << 3070) + 5).to_bytes(384, "big")
    assert len(srp.pad((1 << 3063) - 1)) == 383  # shorter than 384: no zero-fill
    assert len(srp.pad((1 << 3064) - 1)) == 384  # 0xff.. -> 00ff..
    assert srp.pad(2**3072 - 1)[0] == 0 and len(srp.pad(2**3072 - 1)) == 385


def test_pad_rejects_negative() -> None:
    with pytest.raises(ValueError):
        srp.pad(-1)


@given(
    st.one_of(
        st.integers(min_value=0, max_value=2**64), st.integers(min_value=0, max_value=2**3100)
    )
)
def test_pad_matches_reference_pad_hex(value: int) -> None:
    assert srp.pad(value).hex() == ref_pad_hex(value)


def test_k_constant() -> None:
    expected = "538282c4354742d7cbbde2359fcf67f9f5b3a6b08791e5011b43b8a5b66d9ee6"
    assert format(srp.K, "064x") == expected
    assert hashlib.sha256(b"\x00" + N.to_bytes(384, "big") + b"\x02").hexdigest() == expected
    assert srp.G == 2
    assert N.bit_length() == 3072


# --------------------------------------------------------------------------------------
# pool_name_of


@pytest.mark.parametrize(
    ("pool_id", "name"),
    [
        ("us-east-1_AbC", "AbC"),
        ("eu-west-1_AbCdEf123", "AbCdEf123"),
        ("ap-southeast-2_Qw3rTy", "Qw3rTy"),
        ("us-gov-west-1_x", "x"),
    ],
)
def test_pool_name_of(pool_id: str, name: str) -> None:
    assert srp.pool_name_of(pool_id) == name


@pytest.mark.parametrize("pool_id", ["", "AbC", "us-east-1", "us-east-1_", "_AbC"])
def test_pool_name_of_rejects(pool_id: str) -> None:
    with pytest.raises(ValueError):
        srp.pool_name_of(pool_id)


# --------------------------------------------------------------------------------------
# TIMESTAMP

JST = timezone(timedelta(hours=9), "JST")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2024, 3, 5, 7, 8, 9, tzinfo=timezone.utc), "Tue Mar 5 07:08:09 UTC 2024"),
        (
            datetime(2024, 3, 5, 7, 8, 9, 999_999, tzinfo=timezone.utc),
            "Tue Mar 5 07:08:09 UTC 2024",
        ),
        (datetime(2024, 2, 29, 0, 0, 0, tzinfo=timezone.utc), "Thu Feb 29 00:00:00 UTC 2024"),
        (datetime(2023, 12, 31, 23, 59, 59, tzinfo=timezone.utc), "Sun Dec 31 23:59:59 UTC 2023"),
        (datetime(2024, 1, 1, 0, 0, 0, tzinfo=timezone.utc), "Mon Jan 1 00:00:00 UTC 2024"),
        (datetime(2024, 9, 10, 10, 10, 10, tzinfo=timezone.utc), "Tue Sep 10 10:10:10 UTC 2024"),
        # naive = UTC
        (datetime(2024, 3, 5, 7, 8, 9), "Tue Mar 5 07:08:09 UTC 2024"),
        # aware, other zone: converted to UTC (crosses the day boundary backwards)
        (datetime(2024, 3, 6, 1, 2, 3, tzinfo=JST), "Tue Mar 5 16:02:03 UTC 2024"),
        (datetime(2024, 3, 5, 16, 8, 9, tzinfo=JST), "Tue Mar 5 07:08:09 UTC 2024"),
    ],
)
def test_format_timestamp(when: datetime, expected: str) -> None:
    assert srp.format_timestamp(when) == expected


@pytest.mark.parametrize("day", range(1, 10))
def test_single_digit_day_not_padded(day: int) -> None:
    text = srp.format_timestamp(datetime(2024, 5, day, 1, 2, 3, tzinfo=timezone.utc))
    assert text.split(" ")[2] == str(day)
    assert text.split(" ")[3] == "01:02:03"


def test_format_timestamp_astimezone_tokyo() -> None:
    utc_time = datetime(2024, 3, 5, 22, 8, 9, tzinfo=timezone.utc)
    tokyo = utc_time.astimezone(JST)
    assert tokyo.day == 6  # it is already Wednesday in Tokyo
    assert srp.format_timestamp(tokyo) == "Tue Mar 5 22:08:09 UTC 2024"
    try:
        from zoneinfo import ZoneInfo

        zone = ZoneInfo("Asia/Tokyo")
    except Exception:  # no tz database here: the fixed offset above covered it
        return
    assert srp.format_timestamp(utc_time.astimezone(zone)) == "Tue Mar 5 22:08:09 UTC 2024"


def test_format_timestamp_default_is_now_utc() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    parsed = srp.parse_timestamp(srp.format_timestamp())
    after = datetime.now(timezone.utc)
    assert before <= parsed <= after


@pytest.mark.parametrize(
    "when",
    [
        datetime(2024, 3, 5, 7, 8, 9, tzinfo=timezone.utc),
        datetime(2000, 2, 29, 23, 59, 59, tzinfo=timezone.utc),
        datetime(2031, 10, 1, 0, 0, 0, tzinfo=timezone.utc),
    ],
)
def test_parse_timestamp_round_trip(when: datetime) -> None:
    parsed = srp.parse_timestamp(srp.format_timestamp(when))
    assert parsed == when
    assert parsed.tzinfo is not None and parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "text",
    [
        "Tue Mar 05 07:08:09 UTC 2024",  # zero-padded day
        "Wed Mar 5 07:08:09 UTC 2024",  # wrong weekday
        "Di Mär 5 07:08:09 UTC 2024",  # German
        "mar. mars 5 07:08:09 UTC 2024",  # French
        "tue mar 5 07:08:09 UTC 2024",  # lower case
        "Tuesday March 5 07:08:09 UTC 2024",
        "Tue Mar 5 7:08:09 UTC 2024",  # hour not padded
        "Tue Mar 5 07:08:09 GMT 2024",
        "Tue Mar  5 07:08:09 UTC 2024",  # C asctime-style double space
        "Tue Mar 5 07:08:60 UTC 2024",
        "Tue Mar 5 24:08:09 UTC 2024",
        "Thu Feb 30 07:08:09 UTC 2024",
        "Tue Mar 5 07:08:09 UTC",
        "Tue Mar 5 07:08:09 UTC 2024 ",
        "",
        "2024-03-05T07:08:09Z",
    ],
)
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        srp.parse_timestamp(text)


# --------------------------------------------------------------------------------------
# A client and a server built from this module agree

_user_text = st.text(min_size=1, max_size=24)
_pool_names = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    min_size=1,
    max_size=12,
)
_a_bytes = st.binary(min_size=128, max_size=128).filter(
    lambda b: int.from_bytes(b, "big") % N != 0  # a == 0 would make start_ephemeral retry forever
)


def _full_exchange(
    salt: int, pool: str, user: str, password: str, b: int, a_bytes: bytes, block: bytes
) -> dict[str, Any]:
    verifier, big_b = _server(salt, pool, user, password, b)
    eph = srp.start_ephemeral(random_bytes=lambda n: a_bytes)
    response = srp.password_verifier_response(
        eph,
        _challenge(big_b, salt, user, block),
        user_pool_id=f"us-east-1_{pool}",
        password=password,
        timestamp=TS,
    )
    server_key = srp.server_password_authentication_key(
        srp_a=eph.A, srp_b=big_b, b=b, verifier=verifier
    )
    client_key = srp.password_authentication_key(
        eph, srp_b=big_b, salt=salt, pool_name=pool, user_id=user, password=password
    )
    return {
        "verifier": verifier,
        "B": big_b,
        "A": eph.A,
        "response": response,
        "server_key": server_key,
        "client_key": client_key,
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(
    salt=st.integers(min_value=0, max_value=2**136),
    pool=_pool_names,
    user=_user_text,
    password=st.text(max_size=40),
    b=st.integers(min_value=1, max_value=2**256),
    a_bytes=_a_bytes,
    block=st.binary(min_size=1, max_size=64),
)
def test_client_and_server_agree_on_both_backends(
    salt: int, pool: str, user: str, password: str, b: int, a_bytes: bytes, block: bytes
) -> None:
    results = {}
    previous = srp.get_backend()
    try:
        for name in srp.available_backends():
            srp.set_backend(name)
            _verifier, big_b = _server(salt, pool, user, password, b)
            assume(big_b % N != 0)
            results[name] = _full_exchange(salt, pool, user, password, b, a_bytes, block)
    finally:
        srp.set_backend(previous)
    assert len(results) == 2, "gmpy2 must be installed to compare backends"
    first = results["python"]
    assert results["gmpy2"] == first
    assert first["client_key"] == first["server_key"]
    assert len(first["client_key"]) == 16
    signature = srp.claim_signature(first["server_key"], pool, user, block, TS)
    assert first["response"] == {
        "USERNAME": user,
        "PASSWORD_CLAIM_SECRET_BLOCK": base64.b64encode(block).decode(),
        "TIMESTAMP": TS,
        "PASSWORD_CLAIM_SIGNATURE": signature,
    }


def test_wrong_password_gives_a_different_signature(backend: str) -> None:
    salt, pool, user, b = 0xABCDEF0123, "AbC", "alice", 12345678901234567890
    verifier, big_b = _server(salt, pool, user, "right password", b)
    eph = _fixed_ephemeral()
    wrong = srp.password_verifier_response(
        eph,
        _challenge(big_b, salt, user),
        user_pool_id=f"us-east-1_{pool}",
        password="wrong password",
        timestamp=TS,
    )
    right = srp.password_verifier_response(
        eph,
        _challenge(big_b, salt, user),
        user_pool_id=f"us-east-1_{pool}",
        password="right password",
        timestamp=TS,
    )
    server_key = srp.server_password_authentication_key(
        srp_a=eph.A, srp_b=big_b, b=b, verifier=verifier
    )
    expected = srp.claim_signature(server_key, pool, user, b"secret-block", TS)
    assert right["PASSWORD_CLAIM_SIGNATURE"] == expected
    assert wrong["PASSWORD_CLAIM_SIGNATURE"] != expected


def test_device_secret_round_trip(backend: str) -> None:
    """A device secret from generate_device_secret signs in against its own verifier."""
    secret = srp.generate_device_secret("-grpKey", "us-east-1_dev-key-1")
    assert len(secret.device_password) == 56 and secret.device_password.endswith("==")
    salt = int.from_bytes(base64.b64decode(secret.salt_b64), "big")
    verifier = int.from_bytes(base64.b64decode(secret.verifier_b64), "big")
    assert verifier == srp.verifier_for(
        salt, "-grpKey", "us-east-1_dev-key-1", secret.device_password
    )
    b = 987654321987654321
    big_b = srp.server_ephemeral(verifier, b)
    eph = srp.start_ephemeral()
    response = srp.device_password_verifier_response(
        eph,
        {
            "SRP_B": format(big_b, "X"),
            "SALT": format(salt, "x"),
            "SECRET_BLOCK": base64.b64encode(b"blk").decode(),
        },
        device_group_key="-grpKey",
        device_key="us-east-1_dev-key-1",
        device_password=secret.device_password,
        user_id_for_srp="uuid-1",
        timestamp=TS,
    )
    key = srp.server_password_authentication_key(srp_a=eph.A, srp_b=big_b, b=b, verifier=verifier)
    assert response == {
        "USERNAME": "uuid-1",
        "PASSWORD_CLAIM_SECRET_BLOCK": base64.b64encode(b"blk").decode(),
        "TIMESTAMP": TS,
        "PASSWORD_CLAIM_SIGNATURE": srp.claim_signature(
            key, "-grpKey", "us-east-1_dev-key-1", b"blk", TS
        ),
        "DEVICE_KEY": "us-east-1_dev-key-1",
    }


def test_set_backend_rejects_unknown() -> None:
    previous = srp.get_backend()
    with pytest.raises(ValueError):
        srp.set_backend("fortran")  # type: ignore[arg-type]
    assert srp.get_backend() == previous


# --------------------------------------------------------------------------------------
# Safety checks


@pytest.fixture
def signature_spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    real = srp.claim_signature

    def spy(*args: Any) -> str:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(srp, "claim_signature", spy)
    return calls


@pytest.mark.parametrize("multiple", [0, 1, 2])
def test_b_zero_mod_n_is_refused(multiple: int, signature_spy: list[Any], backend: str) -> None:
    challenge = _challenge(multiple * N, 0x1234, "alice")
    with pytest.raises(SrpError):
        srp.password_verifier_response(
            _fixed_ephemeral(), challenge, user_pool_id=POOL_ID, password="pw", timestamp=TS
        )
    with pytest.raises(SrpError):
        srp.device_password_verifier_response(
            _fixed_ephemeral(),
            challenge,
            device_group_key="g",
            device_key="k",
            device_password="p",
            user_id_for_srp="alice",
            timestamp=TS,
        )
    with pytest.raises(SrpError):
        srp.password_authentication_key(
            _fixed_ephemeral(),
            srp_b=multiple * N,
            salt=1,
            pool_name="p",
            user_id="u",
            password="pw",
        )
    assert signature_spy == []


def test_signature_spy_sees_a_normal_exchange(signature_spy: list[Any]) -> None:
    """Counterpart of the test above: the spy does observe signatures when there are any."""
    challenge = _challenge(N - 12345, 0x1234, "alice")
    srp.password_verifier_response(
        _fixed_ephemeral(), challenge, user_pool_id=POOL_ID, password="pw", timestamp=TS
    )
    assert len(signature_spy) == 1


def test_u_zero_is_refused(monkeypatch: pytest.MonkeyPatch, signature_spy: list[Any]) -> None:
    monkeypatch.setattr(srp, "_u", lambda big_a, big_b: 0)
    challenge = _challenge(N - 12345, 0x1234, "alice")
    with pytest.raises(SrpError):
        srp.password_verifier_response(
            _fixed_ephemeral(), challenge, user_pool_id=POOL_ID, password="pw", timestamp=TS
        )
    with pytest.raises(SrpError):
        srp.server_password_authentication_key(
            srp_a=_fixed_ephemeral().A, srp_b=N - 12345, b=5, verifier=7
        )
    assert signature_spy == []


@pytest.mark.parametrize("multiple", [0, 1, 3])
def test_server_refuses_a_zero_mod_n(multiple: int) -> None:
    with pytest.raises(SrpError):
        srp.server_password_authentication_key(srp_a=multiple * N, srp_b=N - 1, b=5, verifier=7)


_GOOD = _challenge(N - 12345, 0x1234, "alice")


@pytest.mark.parametrize(
    "change",
    [
        {"SRP_B": None},
        {"SRP_B": ""},
        {"SRP_B": "xyz"},
        {"SRP_B": "12 34"},
        {"SRP_B": 1234},
        {"SALT": None},
        {"SALT": ""},
        {"SALT": "not-hex"},
        {"SALT": 0x1234},
        {"SECRET_BLOCK": None},
        {"SECRET_BLOCK": ""},
        {"SECRET_BLOCK": "abc"},
        {"SECRET_BLOCK": 42},
        {"USER_ID_FOR_SRP": None, "USERNAME": None},
        {"SRP_B": "-5"},
        {"SALT": "-1234"},
        {"SRP_B": "0x5"},
        {"SALT": " 12"},
        {"SECRET_BLOCK": "@@@@"},
    ],
    ids=lambda change: ",".join(f"{k}={v!r}" for k, v in change.items()),
)
def test_malformed_challenge_is_srp_error(change: dict[str, Any], signature_spy: list[Any]) -> None:
    challenge: dict[str, Any] = {**_GOOD, **change}
    challenge = {k: v for k, v in challenge.items() if v is not None}
    with pytest.raises(SrpError):
        srp.password_verifier_response(
            _fixed_ephemeral(), challenge, user_pool_id=POOL_ID, password="pw", timestamp=TS
        )
    assert signature_spy == []


@pytest.mark.parametrize("value", ["00ff", "FF", "fF", "0000000ff"])
def test_parse_server_int_accepts_case_and_leading_zeros(value: str) -> None:
    assert srp.parse_server_int(value, "SALT") == 255


def test_srp_error_does_not_echo_the_value() -> None:
    with pytest.raises(SrpError) as info:
        srp.parse_server_int("zz-secret-zz", "SRP_B")
    assert "secret" not in str(info.value)


# --------------------------------------------------------------------------------------
# Secrets are not in repr


def test_ephemeral_repr_hides_a() -> None:
    eph = _fixed_ephemeral(0x5A)
    text = repr(eph) + str(eph)
    for secret in (str(eph.a), format(eph.a, "x"), format(eph.a, "X")):
        assert secret not in text
    assert format(eph.a, "x")[:12] not in text
    assert eph.srp_a[:12] in text  # the public value may be shown


def test_device_secret_repr_hides_password() -> None:
    secret = srp.generate_device_secret("grp", "dev", random_bytes=lambda n: b"\x9b" * n)
    text = repr(secret) + str(secret) + f"{secret!r}"
    assert secret.device_password not in text
    assert secret.device_password[:8] not in text
    assert secret.salt_b64 not in text and secret.verifier_b64 not in text


# --------------------------------------------------------------------------------------
# SrpExecutor


async def test_executor_default_follows_backend_and_cores(backend: str) -> None:
    executor = srp.SrpExecutor()
    cores = srp.cpu_count()
    assert executor.max_concurrency == cores
    if backend == "gmpy2" or cores == 1:
        assert isinstance(executor.executor, concurrent.futures.ThreadPoolExecutor)
        # ran in an SRP thread of its own, not in the loop's thread
        assert await executor.run(threading.get_ident) != threading.get_ident()
        name = await executor.run(lambda: threading.current_thread().name)
        assert name.startswith("cognito_flows-srp")
    else:
        assert isinstance(executor.executor, concurrent.futures.ProcessPoolExecutor)
        assert await executor.run(os.getpid) != os.getpid()
        assert await executor.run(srp.get_backend) == "python"  # the parent's backend
    assert srp.SrpExecutor().executor is executor.executor  # one pool per process
    expected = srp.verifier_for(0x1234, "AbC", "alice", "pw")
    assert await executor.run(srp.verifier_for, 0x1234, "AbC", "alice", "pw") == expected
    key = await executor.run(
        srp.password_authentication_key,
        _fixed_ephemeral(),
        srp_b=N - 12345,
        salt=0x1234,
        pool_name="AbC",
        user_id="alice",
        password="pw",
    )
    assert key == srp.password_authentication_key(
        _fixed_ephemeral(),
        srp_b=N - 12345,
        salt=0x1234,
        pool_name="AbC",
        user_id="alice",
        password="pw",
    )


@pytest.mark.skipif("gmpy2" not in srp.available_backends(), reason="gmpy2 not installed")
async def test_default_srp_threads_let_gmpy2_release_the_gil() -> None:
    import gmpy2

    previous = srp.get_backend()
    srp.set_backend("gmpy2")
    try:
        executor = srp.SrpExecutor()

        def released() -> bool:
            return bool(gmpy2.get_context().allow_release_gil)

        assert await executor.run(released)
        # a host's own thread pool gets it too, through the executor
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            assert await srp.SrpExecutor(pool).run(released)
        assert not released()  # the caller's (loop) thread is left alone
    finally:
        srp.set_backend(previous)


async def test_executor_process_pool() -> None:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(2, mp_context=ctx) as pool:
        executor = srp.SrpExecutor(pool)
        assert executor.max_concurrency == 2
        assert await executor.run(os.getpid) != os.getpid()
        eph = _fixed_ephemeral()
        challenge = _challenge(N - 12345, 0x1234, "alice")
        results = await asyncio.gather(
            *[
                executor.run(
                    srp.password_verifier_response,
                    eph,
                    challenge,
                    user_pool_id=POOL_ID,
                    password="pw",
                    timestamp=TS,
                )
                for _ in range(4)
            ]
        )
    expected = srp.password_verifier_response(
        eph, challenge, user_pool_id=POOL_ID, password="pw", timestamp=TS
    )
    assert results == [expected] * 4


async def test_executor_process_pool_propagates_srp_error() -> None:
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=ctx) as pool, pytest.raises(SrpError):
        await srp.SrpExecutor(pool).run(srp.parse_server_int, "xyz", "SRP_B")


@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_executor_bounds_concurrency(limit: int) -> None:
    lock = threading.Lock()
    running = 0
    peak = 0
    started = 0
    release = threading.Event()

    def work(i: int) -> int:
        nonlocal running, peak, started
        with lock:
            running += 1
            started += 1
            peak = max(peak, running)
        try:
            assert release.wait(10), "never released"
            return i
        finally:
            with lock:
                running -= 1

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        executor = srp.SrpExecutor(pool, max_concurrency=limit)
        tasks = [asyncio.ensure_future(executor.run(work, i)) for i in range(8)]
        for _ in range(500):  # wait until the first `limit` calls are inside work()
            if started >= limit:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # room for (wrongly) admitted extra calls to start
        with lock:
            assert started == limit
            assert running == limit
        release.set()
        assert await asyncio.gather(*tasks) == list(range(8))
    assert peak == limit
    assert started == 8


def test_executor_rejects_bad_limit() -> None:
    with pytest.raises(ValueError):
        srp.SrpExecutor(max_concurrency=0)


# --------------------------------------------------------------------------------------
# Fixed-base exponentiation


EDGE_EXPONENTS = [0, 1, 2, 63, 64, N - 1, N, N + 1, (1 << 1024) - 1, 1 << 1024, 1 << 3100]


@pytest.mark.parametrize("exp", EDGE_EXPONENTS)
def test_powmod_g_edge_values(backend: str, exp: int) -> None:
    assert srp.powmod_g(exp) == pow(srp.G, exp, N)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(min_value=0, max_value=3200).flatmap(lambda b: st.integers(0, (1 << b) - 1)))
def test_powmod_g_equals_pow(backend: str, exp: int) -> None:
    assert srp.powmod_g(exp) == pow(srp.G, exp, N)


@pytest.mark.parametrize("width", [2, 5, 8])
def test_fixed_base_every_width_equals_pow(width: int) -> None:
    table = srp.FixedBaseTable("python", width, bits=300)
    for exp in [
        0,
        1,
        (1 << 300) - 1,
        0x8000_0000_0001,
        *(int.from_bytes(os.urandom(37), "big") for _ in range(5)),
    ]:
        assert table.power(exp) == pow(srp.G, exp, N)


def test_fixed_base_table_is_built_once() -> None:
    first = srp.fixed_base_table()
    assert srp.fixed_base_table() is first
    assert first.nbytes > 1_000_000 and first.build_seconds > 0


def test_configure_fixed_base(backend: str) -> None:
    try:
        srp.configure_fixed_base(enabled=False)
        assert srp.powmod_g(12345) == pow(2, 12345, N)
        srp.configure_fixed_base(width=4)
        assert srp.fixed_base_table().width == 4
        assert srp.powmod_g((1 << 1000) + 5) == pow(2, (1 << 1000) + 5, N)
    finally:
        srp.configure_fixed_base()
    assert srp.fixed_base_table().width == 6
    with pytest.raises(ValueError):
        srp.configure_fixed_base(width=1)


# --------------------------------------------------------------------------------------
# SrpExecutor: deadlines and ephemerals


class _Gate:
    """A one-thread pool whose first job blocks until released, so others queue up."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.order: list[str] = []

    def block(self) -> str:
        self.started.set()
        assert self.release.wait(10), "never released"
        return "blocker"

    def record(self, name: str) -> str:
        self.order.append(name)
        return name


async def _wait_for(event: threading.Event) -> None:
    assert await asyncio.to_thread(event.wait, 10), "never started"


async def test_queue_answers_the_earliest_session_deadline_first() -> None:
    gate = _Gate()
    now = 1_000_000.0
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        executor = srp.SrpExecutor(pool, clock=lambda: now)
        blocker = asyncio.ensure_future(executor.run(gate.block))
        await _wait_for(gate.started)
        names = {"late": 300.0, "none1": None, "soon": 60.0, "none2": None, "mid": 120.0}
        tasks = []
        for name, offset in names.items():
            deadline = None if offset is None else now + offset
            tasks.append(asyncio.ensure_future(executor.run(gate.record, name, deadline=deadline)))
            await asyncio.sleep(0)  # queue them in this order
        gate.release.set()
        assert await blocker == "blocker"
        await asyncio.gather(*tasks)
    assert gate.order == ["soon", "mid", "late", "none1", "none2"]


async def test_work_past_its_deadline_fails_fast_without_running() -> None:
    ran: list[int] = []
    executor = srp.SrpExecutor(clock=lambda: 500.0, deadline_margin=1.0)
    with pytest.raises(SrpDeadlineError) as caught:
        await executor.run(ran.append, 1, deadline=500.5)
    assert isinstance(caught.value, SrpError)
    with pytest.raises(SrpDeadlineError):
        await executor.run(ran.append, 2, deadline=400.0)
    assert ran == []
    assert await executor.run(ran.append, 3, deadline=502.0) is None  # in time: runs
    assert ran == [3]


async def test_queued_work_fails_when_its_deadline_comes_while_waiting() -> None:
    gate = _Gate()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        executor = srp.SrpExecutor(pool, deadline_margin=1.0)
        blocker = asyncio.ensure_future(executor.run(gate.block))
        await _wait_for(gate.started)
        # 1.05 s away: queued behind the blocker, it must fail while the blocker still runs
        doomed = asyncio.ensure_future(
            executor.run(gate.record, "doomed", deadline=time.time() + 1.05)
        )
        with pytest.raises(SrpDeadlineError):
            await doomed
        assert not gate.release.is_set() and not blocker.done()
        gate.release.set()
        await blocker
        assert await executor.run(gate.record, "after") == "after"
    assert gate.order == ["after"]


async def test_cancelled_waiters_give_back_their_slot() -> None:
    gate = _Gate()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        executor = srp.SrpExecutor(pool)
        blocker = asyncio.ensure_future(executor.run(gate.block))
        await _wait_for(gate.started)
        waiting = [asyncio.ensure_future(executor.run(gate.record, str(i))) for i in range(3)]
        await asyncio.sleep(0)
        waiting[1].cancel()
        gate.release.set()
        await blocker
        done = await asyncio.gather(*waiting, return_exceptions=True)
        assert done[0] == "0" and done[2] == "2"
        assert isinstance(done[1], asyncio.CancelledError)
        assert await executor.run(gate.record, "next") == "next"
    assert gate.order == ["0", "2", "next"]


def test_executor_rejects_bad_options() -> None:
    with pytest.raises(ValueError):
        srp.SrpExecutor(ephemeral_pool_size=-1)
    with pytest.raises(ValueError):
        srp.SrpExecutor(deadline_margin=-1)


async def test_ephemerals_are_fresh_and_handed_out_once(backend: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        executor = srp.SrpExecutor(pool, ephemeral_pool_size=3)
        await executor.warm()
        for _ in range(2000):  # the background refill fills the pool
            if len(executor._ready) == 3:
                break
            await asyncio.sleep(0.01)
        assert len(executor._ready) == 3
        assert "a=" not in repr(executor) and "ephemerals_ready=3" in repr(executor)
        seen = [await executor.run(srp.start_ephemeral) for _ in range(12)]
        seen += [await executor.ephemeral() for _ in range(12)]
    assert len({e.a for e in seen}) == len(seen)
    for eph in seen:
        assert pow(srp.G, eph.a, N) == eph.A and 0 < eph.a < N
    # handed-out pairs are not kept anywhere by the executor
    assert all(e.a != r.a for e in seen for r in executor._ready)


async def test_ephemeral_pool_off_computes_each_on_demand() -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        executor = srp.SrpExecutor(pool, ephemeral_pool_size=0)
        first, second = await executor.ephemeral(), await executor.ephemeral()
        await asyncio.sleep(0.05)
    assert first.a != second.a and len(executor._ready) == 0


async def test_a_forked_child_drops_ready_ephemerals(monkeypatch: pytest.MonkeyPatch) -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        executor = srp.SrpExecutor(pool, ephemeral_pool_size=2)
        executor._refill()
        # The pool has one thread and runs its jobs in order; each pair is put in _ready by
        # its future's done callback, in that thread, before the next job starts.
        await asyncio.wrap_future(pool.submit(lambda: None))
        ready = {e.a for e in executor._ready}
        assert len(ready) == 2
        monkeypatch.setattr(srp.os, "getpid", lambda: -1)  # as after os.fork()
        fresh = await executor.ephemeral()
    assert fresh.a not in ready
    assert not ({e.a for e in executor._ready} & ready)


async def test_a_forked_child_gets_its_own_default_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    executor = srp.SrpExecutor()
    parent_pool = executor.executor
    assert await executor.run(srp.verifier_for, 1, "AbC", "u", "pw") == srp.verifier_for(
        1, "AbC", "u", "pw"
    )
    # what os.fork() does to the child: another pid, and the at-fork hook has run
    monkeypatch.setattr(srp.os, "getpid", lambda: -1)
    monkeypatch.setattr(srp, "_shared_pools", {})
    assert await executor.run(srp.verifier_for, 2, "AbC", "u", "pw") == srp.verifier_for(
        2, "AbC", "u", "pw"
    )
    child_pool = executor.executor
    assert child_pool is not parent_pool
    child_pool.shutdown(wait=True)
