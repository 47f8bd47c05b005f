"""Known-answer tests: cognito_flows.srp against vectors from AWS's reference JavaScript client.

The vectors in ``tests/kat/srp_vectors.json`` were produced by ``tests/kat/generate_kat.js``
running ``amazon-cognito-identity-js`` with injected random bytes and a fixed clock (see
``tests/kat/README.md``). Nothing here is derived from our own code.

Every case runs under both big-integer backends. The whole module is also re-run in a
subprocess with a German locale (set with ``setlocale``) and ``TZ=Asia/Tokyo``, so that a
locale- or time-zone-dependent TIMESTAMP would break the signatures; there every case runs
under one backend (gmpy2 when installed): the backends differ only in ``pow``, which no
locale or time zone reaches, and share the TIMESTAMP, padding and hashing code.
"""

from __future__ import annotations

import base64
import json
import locale
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from cognito_flows import srp

if os.environ.get("CF_KAT_SETLOCALE") == "1":
    # Make LC_TIME & co. effective, as an application calling setlocale() would.
    locale.setlocale(locale.LC_ALL, "")

HERE = Path(__file__).resolve().parent
VECTORS_PATH = HERE / "kat" / "srp_vectors.json"
# A missing file must fail loudly, not skip: these are the only byte-level proofs we have.
VECTORS: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))

USER_CASES: list[dict[str, Any]] = VECTORS["user_srp"]
CONFIRM_CASES: list[dict[str, Any]] = VECTORS["device_confirm"]
DEVICE_CASES: list[dict[str, Any]] = VECTORS["device_srp"]
CONFIRM_BY_NAME = {c["name"]: c for c in CONFIRM_CASES}


def _ids(cases: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in cases]


_BACKENDS = (
    srp.available_backends()[-1:]
    if os.environ.get("CF_KAT_SETLOCALE") == "1"
    else ["python", "gmpy2"]
)


@pytest.fixture(params=_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test under one big-integer backend, restoring the previous one afterwards."""
    name = request.param
    if name not in srp.available_backends():
        pytest.skip(f"backend {name} is not installed")
    previous = srp.get_backend()
    srp.set_backend(name)
    try:
        yield name
    finally:
        srp.set_backend(previous)


def _feeder(*chunks: bytes) -> Callable[[int], bytes]:
    """A ``random_bytes`` that hands out ``chunks`` in order and checks the requested sizes."""
    queue = list(chunks)

    def random_bytes(n: int) -> bytes:
        assert queue, "more random bytes requested than the reference client used"
        chunk = queue.pop(0)
        assert n == len(chunk), f"requested {n} random bytes, the reference drew {len(chunk)}"
        return chunk

    random_bytes.remaining = queue  # type: ignore[attr-defined]
    return random_bytes


def _timestamp(case: dict[str, Any]) -> str:
    return srp.format_timestamp(datetime.fromtimestamp(case["now_epoch_ms"] / 1000, timezone.utc))


def _ephemeral(case: dict[str, Any]) -> srp.SrpEphemeral:
    feed = _feeder(bytes.fromhex(case["random_a_hex"]))
    eph = srp.start_ephemeral(random_bytes=feed)
    assert feed.remaining == []  # type: ignore[attr-defined]
    return eph


def _hex_int(value: str) -> int:
    return int(value, 16)


# --------------------------------------------------------------------------------------
# The vector file itself


def test_vector_file_is_complete() -> None:
    assert VECTORS["generator"]["package"] == "amazon-cognito-identity-js"
    assert USER_CASES and CONFIRM_CASES and DEVICE_CASES
    names = _ids(USER_CASES) + _ids(CONFIRM_CASES) + _ids(DEVICE_CASES)
    assert len(names) == len(set(names))
    user_names = set(_ids(USER_CASES))
    for case in DEVICE_CASES:
        confirm = CONFIRM_BY_NAME[case["device_confirm_case"]]
        assert case["device_password"] == confirm["expected_device_password"]
        assert case["user_srp_case"] in user_names
    for case in CONFIRM_CASES:
        assert case["user_srp_case"] in user_names


# Edge cases the vectors must keep covering if they are ever regenerated.
REQUIRED_COVERS = {
    "A_top_bit",
    "A_short",
    "B_top_bit",
    "B_upper_case",
    "u_top_bit",
    "u_short",
    "S_top_bit",
    "S_short",
    "salt_top_bit",
    "salt_short",
    "salt_leading_zero_bytes",
    "salt_upper_case",
    "odd_length_SRP_A",
    "odd_length_SRP_B",
    "odd_length_SALT",
    "a_leading_zero_bytes",
    "unicode_password",
    "unicode_user_id_for_srp",
    "astral_plane_password",
    "nfd_combining_marks_password",
    "email_alias_username",
    "single_digit_day",
    "two_digit_day",
    "nonzero_millis",
    "midnight",
    "leap_day",
    "device_salt_14_bytes",
    "device_salt_17_bytes",
    "verifier_385_bytes",
    "verifier_short",
    "day_rollover_between_phases",
    "fresh_a_for_device_phase",
}


def test_vectors_cover_the_edge_cases() -> None:
    covered = {
        tag
        for cases in (USER_CASES, CONFIRM_CASES, DEVICE_CASES)
        for case in cases
        for tag in case["covers"]
    }
    assert REQUIRED_COVERS - covered == set()


# --------------------------------------------------------------------------------------
# USER_SRP_AUTH / PASSWORD_VERIFIER


@pytest.mark.parametrize("case", USER_CASES, ids=_ids(USER_CASES))
def test_user_srp_a(case: dict[str, Any], backend: str) -> None:
    eph = _ephemeral(case)
    assert format(eph.a, "x") == case["a_hex"]
    assert eph.srp_a == case["expected_srp_a"]
    assert eph.srp_a == case["expected_auth_parameters"]["SRP_A"]


@pytest.mark.parametrize("case", USER_CASES, ids=_ids(USER_CASES))
def test_user_srp_timestamp(case: dict[str, Any]) -> None:
    assert _timestamp(case) == case["expected_timestamp"]
    assert srp.parse_timestamp(case["expected_timestamp"]) == datetime.fromtimestamp(
        case["now_epoch_ms"] // 1000, timezone.utc
    )


@pytest.mark.parametrize("case", USER_CASES, ids=_ids(USER_CASES))
def test_user_srp_intermediates(case: dict[str, Any], backend: str) -> None:
    eph = _ephemeral(case)
    challenge = case["challenge"]
    big_b = _hex_int(challenge["SRP_B"])
    salt = _hex_int(challenge["SALT"])
    pool_name = srp.pool_name_of(case["user_pool_id"])
    user_id = challenge["USER_ID_FOR_SRP"]

    u = srp._u(eph.A, big_b)
    assert u == _hex_int(case["expected_u_hex"])
    x = srp.compute_x(salt, pool_name, user_id, case["password"])
    assert x == _hex_int(case["expected_x_hex"])
    s = srp.powmod(big_b - srp.K * srp.powmod(srp.G, x, srp.N), eph.a + u * x, srp.N)
    assert s == _hex_int(case["expected_s_hex"])
    expected_key = bytes.fromhex(case["expected_hkdf_key_hex"])
    assert srp.hkdf_key(u, s) == expected_key
    assert (
        srp.password_authentication_key(
            eph,
            srp_b=big_b,
            salt=salt,
            pool_name=pool_name,
            user_id=user_id,
            password=case["password"],
        )
        == expected_key
    )


@pytest.mark.parametrize("case", USER_CASES, ids=_ids(USER_CASES))
def test_user_srp_challenge_responses(case: dict[str, Any], backend: str) -> None:
    eph = _ephemeral(case)
    responses = srp.password_verifier_response(
        eph,
        case["challenge"],
        user_pool_id=case["user_pool_id"],
        password=case["password"],
        timestamp=_timestamp(case),
    )
    expected = {k: v for k, v in case["expected_challenge_responses"].items() if k != "DEVICE_KEY"}
    assert responses == expected


@pytest.mark.parametrize("case", USER_CASES, ids=_ids(USER_CASES))
def test_user_srp_server_side_agrees_with_reference(case: dict[str, Any], backend: str) -> None:
    """The local Cognito's server math reproduces the reference's fake server."""
    challenge = case["challenge"]
    salt = _hex_int(challenge["SALT"])
    pool_name = srp.pool_name_of(case["user_pool_id"])
    verifier = srp.verifier_for(salt, pool_name, challenge["USER_ID_FOR_SRP"], case["password"])
    assert verifier == _hex_int(case["fake_server"]["verifier_hex"])
    b = _hex_int(case["fake_server"]["b_hex"])
    assert srp.server_ephemeral(verifier, b) == _hex_int(challenge["SRP_B"])
    key = srp.server_password_authentication_key(
        srp_a=_hex_int(case["expected_srp_a"]),
        srp_b=_hex_int(challenge["SRP_B"]),
        b=b,
        verifier=verifier,
    )
    assert key == bytes.fromhex(case["expected_hkdf_key_hex"])


# --------------------------------------------------------------------------------------
# ConfirmDevice


@pytest.mark.parametrize("case", CONFIRM_CASES, ids=_ids(CONFIRM_CASES))
def test_device_confirm(case: dict[str, Any], backend: str) -> None:
    feed = _feeder(
        bytes.fromhex(case["random_password_bytes_hex"]),
        bytes.fromhex(case["random_salt_bytes_hex"]),
    )
    secret = srp.generate_device_secret(
        case["device_group_key"], case["device_key"], random_bytes=feed
    )
    assert feed.remaining == []  # type: ignore[attr-defined]
    assert secret.device_password == case["expected_device_password"]
    assert secret.salt_b64 == case["expected_salt_b64"]
    assert base64.b64decode(secret.salt_b64).hex() == case["expected_salt_hex"]
    assert secret.verifier_b64 == case["expected_verifier_b64"]
    assert base64.b64decode(secret.verifier_b64).hex() == case["expected_verifier_hex"]
    assert secret.verifier_config == {
        "PasswordVerifier": case["expected_verifier_b64"],
        "Salt": case["expected_salt_b64"],
    }


# --------------------------------------------------------------------------------------
# DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER


@pytest.mark.parametrize("case", DEVICE_CASES, ids=_ids(DEVICE_CASES))
def test_device_srp_a(case: dict[str, Any], backend: str) -> None:
    eph = _ephemeral(case)
    assert format(eph.a, "x") == case["a_hex"]
    assert eph.srp_a == case["expected_srp_a"]
    assert eph.srp_a == case["expected_device_srp_auth_responses"]["SRP_A"]
    assert case["expected_device_srp_auth_responses"]["USERNAME"] == case["user_id_for_srp"]


@pytest.mark.parametrize("case", DEVICE_CASES, ids=_ids(DEVICE_CASES))
def test_device_srp_intermediates(case: dict[str, Any], backend: str) -> None:
    eph = _ephemeral(case)
    challenge = case["challenge"]
    big_b = _hex_int(challenge["SRP_B"])
    salt = _hex_int(challenge["SALT"])
    u = srp._u(eph.A, big_b)
    assert u == _hex_int(case["expected_u_hex"])
    x = srp.compute_x(salt, case["device_group_key"], case["device_key"], case["device_password"])
    assert x == _hex_int(case["expected_x_hex"])
    key = srp.password_authentication_key(
        eph,
        srp_b=big_b,
        salt=salt,
        pool_name=case["device_group_key"],
        user_id=case["device_key"],
        password=case["device_password"],
    )
    assert key == bytes.fromhex(case["expected_hkdf_key_hex"])
    # The verifier stored at ConfirmDevice is the one the device login is checked against.
    confirm = CONFIRM_BY_NAME[case["device_confirm_case"]]
    assert _hex_int(confirm["expected_verifier_hex"]) == _hex_int(
        case["fake_server"]["verifier_hex"]
    )
    verifier = srp.verifier_for(
        salt, case["device_group_key"], case["device_key"], case["device_password"]
    )
    assert verifier == _hex_int(case["fake_server"]["verifier_hex"])


@pytest.mark.parametrize("case", DEVICE_CASES, ids=_ids(DEVICE_CASES))
def test_device_srp_challenge_responses(case: dict[str, Any], backend: str) -> None:
    eph = _ephemeral(case)
    ts = _timestamp(case)
    assert ts == case["expected_timestamp"]
    responses = srp.device_password_verifier_response(
        eph,
        case["challenge"],
        device_group_key=case["device_group_key"],
        device_key=case["device_key"],
        device_password=case["device_password"],
        user_id_for_srp=case["user_id_for_srp"],
        timestamp=ts,
    )
    assert responses == case["expected_challenge_responses"]


# --------------------------------------------------------------------------------------
# The same module under a hostile locale and time zone

_NON_ENGLISH_LOCALES = (
    "de_DE.UTF-8",
    "de_DE.utf8",
    "fr_FR.UTF-8",
    "fr_FR.utf8",
    "es_ES.UTF-8",
    "es_ES.utf8",
    "ja_JP.UTF-8",
    "ja_JP.utf8",
)
_A_WEDNESDAY_IN_MARCH = datetime(2024, 3, 6, 12, 0, 0)


def _usable_non_english_locale() -> str | None:
    """A locale present here whose day/month names are not English, or ``None``."""
    saved = locale.setlocale(locale.LC_TIME)
    try:
        for name in _NON_ENGLISH_LOCALES:
            try:
                locale.setlocale(locale.LC_TIME, name)
            except locale.Error:
                continue
            if _A_WEDNESDAY_IN_MARCH.strftime("%a %b") != "Wed Mar":
                return name
        return None
    finally:
        locale.setlocale(locale.LC_TIME, saved)


if os.environ.get("CF_KAT_SETLOCALE") == "1":  # collected only inside the subprocess

    def test_hostile_environment_is_in_effect() -> None:
        """Proves the subprocess would break a locale- or time-zone-dependent TIMESTAMP."""
        assert _A_WEDNESDAY_IN_MARCH.strftime("%a %b") != "Wed Mar"
        assert time.localtime(0).tm_gmtoff == 9 * 3600
        assert datetime.fromtimestamp(0).hour == 9  # naive local time is not UTC


if os.environ.get("CF_KAT_SETLOCALE") != "1":  # not inside the subprocess (no recursion)

    def test_module_under_german_locale_and_tokyo_time_zone() -> None:
        name = _usable_non_english_locale()
        if name is None:
            message = (
                "no non-English locale is installed (C.UTF-8 is not enough); "
                "generate one: localedef -i de_DE -f UTF-8 de_DE.UTF-8"
            )
            if os.environ.get("CF_REQUIRE_LOCALE") == "1":
                pytest.fail(message)
            pytest.skip(message)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
        env.update(
            LC_ALL=name,
            LANG=name,
            TZ="Asia/Tokyo",
            CF_KAT_SETLOCALE="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                str(Path(__file__)),
                "-q",
                "-rA",
                "-p",
                "no:cacheprovider",
                "-p",
                "no:randomly",
            ],
            cwd=HERE.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, output[-6000:]
        assert "PASSED tests/test_srp_kat.py::test_hostile_environment_is_in_effect" in output, (
            output[-3000:]
        )
        assert " failed" not in output
