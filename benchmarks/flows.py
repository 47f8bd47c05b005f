"""Flow engine figures: transitions, memory of suspended flows, SRP sign-ins at scale, bursts.

Prints figures and the targets next to them (nothing is asserted)::

    python benchmarks/flows.py            # concurrency 1, 10, 100, 500; burst of 1,000
    python benchmarks/flows.py --quick    # concurrency 1, 10, 100; burst of 200; fewer flows

1. Microseconds per transition on the shared sign-in machine.
2. Bytes per suspended sign-in waiting for a TOTP code, for USER_PASSWORD_AUTH and for the
   default USER_SRP_AUTH (before 0.2 it also held its SRP ephemeral and password), at 10^3,
   10^4, 10^5 flows: real flows started against the local Cognito at 10^3 (quick: 200),
   copies of a real flow's data for the larger counts (each with its own Session string,
   and its own password and ephemeral when the real flow still holds them). "Held" is the
   memory freed when the flows are dropped (tracemalloc). Target <= 1,536 B at 10^5, flat.
3. Sign-ins per second and event-loop lag p50/p99 (a 1 ms ticker on the loop) against the
   local Cognito in its own process, at each concurrency, for every backend and SRP
   executor *before* (the baseline revision's ``srp.py`` and its default executor: the
   loop's thread pool, one at a time) and *after* (today's default), next to pycognito with
   one thread per concurrent sign-in and one shared boto3 client (its own plain-``pow``
   SRP), in the same run, the order rotating per concurrency level. At c=10 pycognito is
   also shown with a new boto3 client per sign-in (how this benchmark used to run it).
   pycognito's plain-``pow`` SRP is the fair peer of cognito_flows' plain-Python rows; the
   gmpy2 rows compare a different big-integer backend, not a better library.
4. A burst of 1,000 sign-ins started at once: time from each sign-in's start until its
   PASSWORD_VERIFIER answer is sent (median, p90, max), before and after, per backend.
   Targets: >= 80/s at 100 concurrent with gmpy2 (after, default); plain Python >= 2x
   pycognito; p99 loop lag <= 10 ms; the burst answered within 20 s in plain Python.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import secrets
import statistics
import sys
import threading
import time
import tracemalloc
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import pyotp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BASELINE_REV,
    BaselineSrp,
    Ticker,
    admin_client,
    load_average,
    load_baseline,
    make_users,
    percentile,
    start_local,
    stop_local,
)

from cognito_flows import UserPool, srp
from cognito_flows.flows.sign_in import SIGN_IN, SignInData

PASSWORD = "Bench-Passw0rd!"
SESSION_CHARS = 920  # the length of Cognito's challenge Session strings

TARGET_BYTES = 1536
TARGET_RATE_GMPY2 = 80.0
TARGET_LAG_P99 = 10.0
TARGET_BURST_S = 20.0


def bench_transitions(n: int = 20000) -> float:
    data = SignInData(username="u")
    response = {"ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": "s", "ChallengeParameters": {}}

    async def run() -> float:
        await SIGN_IN.fire(
            data, "SOFTWARE_TOKEN_MFA", response=response, now=0.0, session_validity=180.0
        )
        start = time.perf_counter()
        for _ in range(n):
            await SIGN_IN.fire(data, "CodeMismatchException", code="CodeMismatchException")
        return (time.perf_counter() - start) / n * 1e6

    return asyncio.run(run())


# --------------------------------------------------------------------------------------
# Memory per suspended flow


def _pool(info: dict[str, Any], **kwargs: Any) -> UserPool:
    return UserPool(
        info["user_pool_id"],
        info["client_id"],
        endpoint_url=info["endpoint_url"],
        region=info["region"],
        **kwargs,
    )


async def _enrol_totp(pool: UserPool, username: str) -> None:
    tokens = await pool.sign_in(username, PASSWORD, flow="password")
    call = pool.client.call
    secret = (await call("AssociateSoftwareToken", AccessToken=tokens.access_token))["SecretCode"]
    await call(
        "VerifySoftwareToken", AccessToken=tokens.access_token, UserCode=pyotp.TOTP(secret).now()
    )
    await call(
        "SetUserMFAPreference",
        AccessToken=tokens.access_token,
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )


def _held(make: Callable[[], list[Any]]) -> tuple[float, list[Any]]:
    """Bytes per object freed when the objects ``make`` returns are dropped."""
    gc.collect()
    tracemalloc.start()
    objects = make()
    gc.collect()
    after = tracemalloc.take_snapshot()
    sample = objects[:1]
    count = len(objects)
    objects.clear()
    gc.collect()
    released = -sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(after, "filename"))
    tracemalloc.stop()
    return released / count, sample


async def bench_memory(info: dict[str, Any], counts: list[int], real: int) -> None:
    admin = admin_client(info)
    admin.set_user_pool_mfa_config(
        UserPoolId=info["user_pool_id"],
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    make_users(info, ["waiter"], PASSWORD)
    print(f"memory per sign-in waiting for its TOTP code (target <= {TARGET_BYTES:,} B, flat):")
    async with _pool(info) as pool:
        await _enrol_totp(pool, "waiter")
        for kind, flow in (("password", "password"), ("SRP", "srp")):
            template = pool.sign_in_flow("waiter", PASSWORD, flow=flow)
            await template.start()
            assert template.data.state == "SOFTWARE_TOKEN_MFA", template.data.state
            rows = []

            async def start_real(n: int, flow: str = flow) -> list[Any]:
                sem = asyncio.Semaphore(50)
                flows: list[Any] = []

                async def one() -> None:
                    async with sem:
                        f = pool.sign_in_flow("waiter", PASSWORD, flow=flow)
                        await f.start()
                        flows.append(f)

                await asyncio.gather(*(one() for _ in range(n)))
                return flows

            gc.collect()
            tracemalloc.start()
            real_flows = await start_real(real)
            gc.collect()
            after = tracemalloc.take_snapshot()
            real_flows.clear()
            gc.collect()
            released = -sum(
                s.size_diff for s in tracemalloc.take_snapshot().compare_to(after, "filename")
            )
            tracemalloc.stop()
            rows.append(f"{real:,} real: {released / real:,.0f} B")

            def copies(n: int, template: Any = template, flow: str = flow) -> list[Any]:
                out = []
                for _ in range(n):
                    # What the waiting template holds, with fresh strings and numbers per
                    # flow as real flows have: its own Session, and a password and SRP
                    # ephemeral only when the template still holds them.
                    password = "".join(PASSWORD) if template.rt.password else None
                    f = pool.sign_in_flow("waiter", password, flow=flow)
                    params = template.data.challenge_parameters
                    f.data = attrs.evolve(
                        template.data,
                        session=secrets.token_urlsafe(SESSION_CHARS)[:SESSION_CHARS],
                        challenge_parameters=dict(params) if params else params,
                    )
                    if template.rt.ephemeral is not None:
                        f.rt.ephemeral = srp.SrpEphemeral(
                            a=secrets.randbits(1024), A=secrets.randbits(3072) | 1 << 3071
                        )
                    out.append(f)
                return out

            for n in counts:
                per, _ = _held(lambda n=n: copies(n))
                rows.append(f"{n:,}: {per:,.0f} B")
            snapshot = template.snapshot()
            text, lean = json.dumps(snapshot), json.dumps(_without_nulls(snapshot))
            session = len(template.data.session or "")
            print(
                f"  {kind:8} " + "  ".join(rows) + f"  (snapshot JSON {len(text):,} B, "
                f"{len(lean):,} B without null fields; Session {session} chars)"
            )


def _without_nulls(value: Any) -> Any:
    """A snapshot without null fields (written so since 0.2: both figures now match)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


# --------------------------------------------------------------------------------------
# Throughput and loop lag


class Config:
    """One way of signing in: ``run(c, total, users)`` returns (sign-ins/s, p50, p99)."""

    def __init__(self, name: str, run: Callable[..., Any]) -> None:
        self.name = name
        self.run = run


async def cf_rate(
    info: dict[str, Any],
    setup: Callable[[UserPool], None],
    concurrency: int,
    total: int,
    users: list[str],
) -> tuple[float, float, float]:
    async with _pool(info) as pool:
        setup(pool)
        if isinstance(pool.srp, srp.SrpExecutor):
            await pool.srp.warm()  # start every worker, build the tables (as a server would)
        await pool.sign_in(users[0], PASSWORD)  # warm-up: client, connections
        sem = asyncio.Semaphore(concurrency)
        errors = 0

        async def one(i: int) -> None:
            nonlocal errors
            async with sem:
                try:
                    await pool.sign_in(users[i % concurrency], PASSWORD)
                except Exception:  # counted and shown; a benchmark keeps going
                    errors += 1

        ticker = Ticker()
        ticker.start()
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - t0
        p50, p99 = await ticker.stop()
    if errors:
        print(f"    ({errors} of {total} sign-ins failed)")
    return total / elapsed, p50, p99


def pycognito_rate(
    info: dict[str, Any], concurrency: int, total: int, users: list[str], shared: bool
) -> tuple[float, float, float]:
    import boto3
    from pycognito.aws_srp import AWSSRP

    def client() -> Any:
        return boto3.client(
            "cognito-idp",
            region_name=info["region"],
            endpoint_url=info["endpoint_url"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )

    one_client = client()
    lock = threading.Lock()
    done = 0

    def sign_in(i: int) -> None:
        nonlocal done
        AWSSRP(
            username=users[i % concurrency],
            password=PASSWORD,
            pool_id=info["user_pool_id"],
            client_id=info["client_id"],
            client=one_client if shared else client(),
        ).authenticate_user()
        with lock:
            done += 1

    async def measure() -> tuple[float, float, float]:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(concurrency) as threads:
            await loop.run_in_executor(threads, sign_in, 0)  # warm-up
            ticker = Ticker()
            ticker.start()
            t0 = time.perf_counter()
            await asyncio.gather(*(loop.run_in_executor(threads, sign_in, i) for i in range(total)))
            elapsed = time.perf_counter() - t0
            p50, p99 = await ticker.stop()
        return total / elapsed, p50, p99

    return asyncio.run(measure())


def configs(info: dict[str, Any], old: types.ModuleType | None) -> list[tuple[str, str, Any]]:
    """(backend, label, runner(concurrency, total, users)) for every set-up."""
    out: list[tuple[str, str, Any]] = []
    for backend in srp.available_backends()[::-1]:  # gmpy2 first when installed
        if old is not None:

            def before(pool: UserPool, backend: str = backend) -> None:
                assert old is not None
                old.set_backend(backend)
                pool.srp = BaselineSrp(old)  # type: ignore[assignment]

            out.append((backend, "cf before (1 SRP at a time)", before))

        def after(pool: UserPool, backend: str = backend) -> None:
            srp.set_backend(backend)  # type: ignore[arg-type]

        out.append((backend, "cf after (default)", after))
    runners: list[tuple[str, str, Any]] = []
    for backend, label, setup in out:

        def run(c: int, total: int, users: list[str], setup: Any = setup) -> Any:
            return asyncio.run(cf_rate(info, setup, c, total, users))

        runners.append((backend, label, run))
    runners.append(
        (
            "python",
            "pycognito, threads, shared client",
            lambda c, total, users: pycognito_rate(info, c, total, users, True),
        )
    )
    return runners


def bench_throughput(
    info: dict[str, Any], old: types.ModuleType | None, levels: list[int], quick: bool
) -> None:
    users = [f"srp{i}" for i in range(max(levels))]
    make_users(info, users, PASSWORD)
    runners = configs(info, old)
    print(
        "\nUSER_SRP_AUTH sign-ins against `python -m cognito_local` (own process); "
        f"targets: gmpy2 after >= {TARGET_RATE_GMPY2:.0f}/s at c=100, python >= 2x pycognito, "
        f"p99 lag <= {TARGET_LAG_P99:.0f} ms"
    )
    print(f"{'c':>4} {'backend':7} {'set-up':36} {'sign-ins/s':>10} {'lag p50':>8} {'p99 ms':>8}")
    for c in levels:
        results: dict[tuple[str, str], tuple[float, float, float]] = {}
        order = runners[c % len(runners) :] + runners[: c % len(runners)]
        for backend, label, run in order:
            fast = backend == "gmpy2" and "pycognito" not in label
            base = (40 if quick else 100) if fast else (12 if quick else 30)
            total = max(c, base)
            results[(backend, label)] = run(c, total, users)
        peer = results.get(("python", "pycognito, threads, shared client"))
        for backend, label, _ in runners:
            rate, p50, p99 = results[(backend, label)]
            ratio = f"  x{rate / peer[0]:.2f} pycognito" if peer else ""
            print(f"{c:4} {backend:7} {label:36} {rate:10.1f} {p50:8.2f} {p99:8.1f}{ratio}")
        if c == 10:
            rate, p50, p99 = pycognito_rate(info, c, max(c, 12), users, False)
            print(
                f"{c:4} {'python':7} {'pycognito, new boto3 client each':36} {rate:10.1f}"
                f" {p50:8.2f} {p99:8.1f}  (the old benchmark's way: biased against pycognito)"
            )


# --------------------------------------------------------------------------------------
# Burst


async def burst(
    info: dict[str, Any], setup: Callable[[UserPool], None], n: int, users: list[str]
) -> tuple[list[float], int]:
    async with _pool(info) as pool:
        setup(pool)
        if isinstance(pool.srp, srp.SrpExecutor):
            await pool.srp.warm()
        await pool.sign_in(users[0], PASSWORD)  # warm-up
        answered: dict[int, float] = {}
        call = pool.client.call
        current: dict[int, int] = {}

        async def timed_call(operation: str, **params: Any) -> dict[str, Any]:
            if params.get("ChallengeName") == "PASSWORD_VERIFIER":
                task = id(asyncio.current_task())
                answered[current[task]] = time.perf_counter()
            return await call(operation, **params)

        pool.client.call = timed_call  # type: ignore[method-assign]
        failures = 0

        async def one(i: int) -> None:
            nonlocal failures
            current[id(asyncio.current_task())] = i
            try:
                await pool.sign_in(users[i % len(users)], PASSWORD)
            except Exception:
                failures += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(asyncio.ensure_future(one(i)) for i in range(n)))
    return [answered[i] - t0 for i in sorted(answered)], failures


def bench_burst(info: dict[str, Any], old: types.ModuleType | None, n: int) -> None:
    users = [f"srp{i}" for i in range(100)]
    print(
        f"\nburst of {n:,} sign-ins started at once: seconds until each PASSWORD_VERIFIER "
        f"answer is sent (target: plain Python within {TARGET_BURST_S:.0f} s)"
    )
    for backend, label, setup in _burst_setups(old):
        times, failures = asyncio.run(burst(info, setup, n, users))
        times.sort()
        print(
            f"  {backend:7} {label:28} median {statistics.median(times):6.1f}  p90 "
            f"{percentile(times, 0.9):6.1f}  last {times[-1]:6.1f} s  "
            f"({len(times)} answered, {failures} failed)"
        )


def _burst_setups(old: types.ModuleType | None) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    for backend in srp.available_backends()[::-1]:
        if old is not None:

            def before(pool: UserPool, backend: str = backend) -> None:
                assert old is not None
                old.set_backend(backend)
                pool.srp = BaselineSrp(old)  # type: ignore[assignment]

            out.append((backend, "cf before (FIFO, 1 at a time)", before))

        def after(pool: UserPool, backend: str = backend) -> None:
            srp.set_backend(backend)  # type: ignore[arg-type]

        out.append((backend, "cf after (deadline queue)", after))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    parser.add_argument("--baseline", default=BASELINE_REV, help="git revision for 'before'")
    parser.add_argument("--skip", default="", help="comma list of: memory,throughput,burst")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    skip = set(filter(None, args.skip.split(",")))
    old = load_baseline(args.baseline)
    print(
        f"load average: {load_average()}  cores: {srp.cpu_count()}  backends: "
        f"{srp.available_backends()}  baseline: {args.baseline}"
    )
    print(f"transition on the shared machine: {bench_transitions():.1f} us")
    proc, info = start_local()
    try:
        if "memory" not in skip:
            counts = [1000, 10000] if args.quick else [1000, 10000, 100000]
            asyncio.run(bench_memory(info, counts, 200 if args.quick else 1000))
        if "throughput" not in skip:
            levels = [1, 10, 100] if args.quick else [1, 10, 100, 500]
            bench_throughput(info, old, levels, args.quick)
        if "burst" not in skip:
            bench_burst(info, old, 200 if args.quick else 1000)
    finally:
        stop_local(proc)
    print(f"\nload average at the end: {load_average()}")


if __name__ == "__main__":
    main()
