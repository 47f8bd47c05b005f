"""SRP cost and event-loop lag: cognito_flows (plain Python and gmpy2) next to pycognito.

Prints figures only (no asserts)::

    python benchmarks/srp.py            # N=30 per step timing
    python benchmarks/srp.py --quick    # N=8, fewer concurrent sign-ins

1. Median milliseconds per full client SRP step (a new ephemeral ``a``/``A`` plus
   ``password_verifier_response``) on fixed inputs from a simulated server, for both
   big-integer backends and for pycognito's ``AWSSRP`` (construct + ``process_challenge``).
2. Event-loop lag while many full sign-in computations run concurrently through
   :class:`cognito_flows.srp.SrpExecutor`: a ticker task sleeps 1 ms in a loop and records
   how late it wakes up (p50 / p99 / max).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import multiprocessing
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

from cognito_flows import srp

POOL_ID = "eu-west-1_AbCdEf123"
CLIENT_ID = "3n4b5urk1ft4fl3mg5e62d9ado"
USER = "alice"
PASSWORD = "correct horse battery staple"
SALT = int("d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a6", 16)
SERVER_B = int("7f3a9c5e1b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a", 16)
SECRET_BLOCK = base64.b64encode(bytes(range(256)) * 4).decode()
TIMESTAMP = "Tue Mar 5 07:08:09 UTC 2024"

TARGET_STEP_MS = 8.0
TARGET_P99_LAG_MS = 15.0


def make_challenge() -> dict[str, str]:
    """A PASSWORD_VERIFIER challenge from a simulated server (the local Cognito's math)."""
    pool_name = srp.pool_name_of(POOL_ID)
    verifier = srp.verifier_for(SALT, pool_name, USER, PASSWORD)
    big_b = srp.server_ephemeral(verifier, SERVER_B)
    return {
        "SRP_B": format(big_b, "x"),
        "SALT": format(SALT, "x"),
        "SECRET_BLOCK": SECRET_BLOCK,
        "USER_ID_FOR_SRP": USER,
        "USERNAME": USER,
    }


def full_step(challenge: dict[str, str]) -> dict[str, str]:
    """One client SRP step: a fresh ephemeral, then the PASSWORD_VERIFIER answer."""
    ephemeral = srp.start_ephemeral()
    return srp.password_verifier_response(
        ephemeral, challenge, user_pool_id=POOL_ID, password=PASSWORD, timestamp=TIMESTAMP
    )


class _DummyBoto3Client:
    """pycognito wants a boto3 client; process_challenge never calls it."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"pycognito unexpectedly called {name}")


def pycognito_step(challenge: dict[str, str]) -> dict[str, str]:
    from pycognito.aws_srp import AWSSRP

    aws = AWSSRP(
        username=USER,
        password=PASSWORD,
        pool_id=POOL_ID,
        client_id=CLIENT_ID,
        client=_DummyBoto3Client(),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # datetime.utcnow on 3.12+
        result: dict[str, str] = aws.process_challenge(challenge, {"USERNAME": USER})
    return result


def median_ms(func: Callable[[], object], n: int) -> tuple[float, float]:
    func()  # warm-up
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        func()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples), min(samples)


def pycognito_agrees(challenge: dict[str, str]) -> bool:
    """Same a, same inputs: pycognito's key equals ours (sanity check of the comparison)."""
    from pycognito.aws_srp import AWSSRP

    eph = srp.start_ephemeral()
    aws = AWSSRP(
        username=USER,
        password=PASSWORD,
        pool_id=POOL_ID,
        client_id=CLIENT_ID,
        client=_DummyBoto3Client(),
    )
    aws.small_a_value, aws.large_a_value = eph.a, eph.A
    theirs = aws.get_password_authentication_key(
        USER, PASSWORD, int(challenge["SRP_B"], 16), challenge["SALT"]
    )
    ours = srp.password_authentication_key(
        eph,
        srp_b=int(challenge["SRP_B"], 16),
        salt=int(challenge["SALT"], 16),
        pool_name=srp.pool_name_of(POOL_ID),
        user_id=USER,
        password=PASSWORD,
    )
    return bytes(theirs) == ours


# --------------------------------------------------------------------------------------
# Event-loop lag


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


async def measure_lag(
    executor: srp.SrpExecutor | None, concurrent_steps: int, challenge: dict[str, str]
) -> dict[str, float]:
    """Run ``concurrent_steps`` full steps at once (or none) while a 1 ms ticker measures lag."""
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        while not stop.is_set():
            t0 = time.perf_counter()
            await asyncio.sleep(0.001)
            lags.append(max(0.0, (time.perf_counter() - t0 - 0.001) * 1000))

    tick = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    t0 = time.perf_counter()
    if executor is None:
        await asyncio.sleep(0.3)  # idle baseline
    else:
        results = await asyncio.gather(
            *[executor.run(full_step, challenge) for _ in range(concurrent_steps)]
        )
        assert len({r["PASSWORD_CLAIM_SIGNATURE"] for r in results}) == concurrent_steps
    wall = time.perf_counter() - t0
    stop.set()
    await tick
    return {
        "wall_s": wall,
        "p50": _percentile(lags, 0.50),
        "p99": _percentile(lags, 0.99),
        "max": max(lags),
        "ticks": float(len(lags)),
    }


def _process_pool(backend: str) -> concurrent.futures.ProcessPoolExecutor:
    # Workers choose their backend themselves: a forked or spawned worker does not follow a
    # later srp.set_backend() in the parent.
    return concurrent.futures.ProcessPoolExecutor(
        2,
        mp_context=multiprocessing.get_context("fork"),
        initializer=srp.set_backend,
        initargs=(backend,),
    )


Row = tuple[str, dict[str, float]]


async def lag_scenarios(concurrent_steps: int, challenge: dict[str, str]) -> list[Row]:
    rows: list[Row] = []
    rows.append(("idle loop (baseline)", await measure_lag(None, 0, challenge)))
    for backend in ("gmpy2", "python"):
        if backend not in srp.available_backends():
            continue
        srp.set_backend(backend)
        executor = srp.SrpExecutor(max_concurrency=1)
        rows.append(
            (
                f"{backend:6} default thread executor, max_concurrency=1",
                await measure_lag(executor, concurrent_steps, challenge),
            )
        )
        with _process_pool(backend) as pool:
            # start both workers before measuring
            loop = asyncio.get_running_loop()
            await asyncio.gather(*[loop.run_in_executor(pool, srp.get_backend) for _ in range(4)])
            executor = srp.SrpExecutor(pool)
            rows.append(
                (
                    f"{backend:6} ProcessPoolExecutor(2), max_concurrency=2",
                    await measure_lag(executor, concurrent_steps, challenge),
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    n = 8 if args.quick else 30
    concurrent_steps = 20 if args.quick else 50

    backends = srp.available_backends()
    previous = srp.get_backend()
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{multiprocessing.cpu_count()} CPUs; backends: {', '.join(backends)}"
    )
    challenge = make_challenge()

    print(f"\n1. Full client SRP step (new ephemeral + password_verifier_response), N={n}")
    print(f"   {'implementation':34} {'median ms':>10} {'min ms':>8}")
    for backend in backends:
        srp.set_backend(backend)
        med, low = median_ms(lambda: full_step(challenge), n)
        verdict = "met" if med <= TARGET_STEP_MS else "MISSED"
        target = f"   target <= {TARGET_STEP_MS:.0f} ms: {verdict}"
        print(
            f"   {'cognito_flows, ' + backend:34} {med:10.2f} {low:8.2f}"
            + (target if backend == "gmpy2" else "")
        )
    srp.set_backend(previous)
    med, low = median_ms(lambda: pycognito_step(challenge), n)
    print(f"   {'pycognito AWSSRP (pure Python)':34} {med:10.2f} {low:8.2f}")
    print(f"   pycognito's key equals ours on the same a: {pycognito_agrees(challenge)}")

    print(
        f"\n2. Event-loop lag, {concurrent_steps} full sign-in computations at once "
        "(ticker sleeping 1 ms)"
    )
    print(f"   {'scenario':52} {'wall s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    rows = asyncio.run(lag_scenarios(concurrent_steps, challenge))
    srp.set_backend(previous)
    for label, r in rows:
        verdict = ""
        if "baseline" not in label:
            ok = r["p99"] <= TARGET_P99_LAG_MS
            verdict = f"  p99 target <= {TARGET_P99_LAG_MS:.0f} ms: {'met' if ok else 'MISSED'}"
        print(
            f"   {label:52} {r['wall_s']:7.2f} {r['p50']:7.2f} {r['p99']:7.2f} "
            f"{r['max']:7.2f}{verdict}"
        )


if __name__ == "__main__":
    main()
