"""Flow engine figures: transition cost, memory of suspended flows, concurrent sign-ins.

Prints (never asserts):

1. microseconds per transition on the shared sign-in machine;
2. bytes per suspended sign-in flow with N flows (default 10,000) waiting for a TOTP code
   (target <= 2 KB each), and the size of one snapshot;
3. SRP sign-ins per second and the event loop's p99 lag with 100 concurrent sign-ins against
   the local Cognito (run in a separate process, so its own SRP work does not load this loop),
   next to pycognito doing the same sign-ins with 100 threads.

Usage: ``python benchmarks/flows.py [--flows 10000] [--signins 300] [--concurrency 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pyotp

from cognito_flows import UserPool
from cognito_flows.flows.sign_in import SIGN_IN, SignInData

PASSWORD = "Bench-Passw0rd!"


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


def start_local() -> tuple[subprocess.Popen[str], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_local", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    info: dict[str, Any] = json.loads(proc.stdout.readline())
    return proc, info


def admin_client(info: dict[str, Any]) -> Any:
    return boto3.client(
        "cognito-idp",
        region_name=info["region"],
        endpoint_url=info["endpoint_url"],
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def make_user(admin: Any, pool_id: str, username: str) -> None:
    admin.admin_create_user(
        UserPoolId=pool_id, Username=username, TemporaryPassword=PASSWORD, MessageAction="SUPPRESS"
    )
    admin.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )


async def bench_suspended(info: dict[str, Any], n: int) -> None:
    admin = admin_client(info)
    pool_id, client_id = info["user_pool_id"], info["client_id"]
    admin.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    make_user(admin, pool_id, "waiter")
    async with UserPool(
        pool_id, client_id, endpoint_url=info["endpoint_url"], region=info["region"]
    ) as pool:
        tokens = await pool.sign_in("waiter", PASSWORD, flow="password")
        call = pool.client.call
        secret = (await call("AssociateSoftwareToken", AccessToken=tokens.access_token))[
            "SecretCode"
        ]
        await call(
            "VerifySoftwareToken",
            AccessToken=tokens.access_token,
            UserCode=pyotp.TOTP(secret).now(),
        )
        await call(
            "SetUserMFAPreference",
            AccessToken=tokens.access_token,
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
        # Warm up the client, then measure only the flows we keep.
        await pool.sign_in_flow("waiter", PASSWORD, flow="password").start()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.take_snapshot()
        flows = []
        sem = asyncio.Semaphore(50)

        async def one() -> None:
            async with sem:
                flow = pool.sign_in_flow("waiter", PASSWORD, flow="password")
                step = await flow.start()
                assert step.state == "SOFTWARE_TOKEN_MFA", step.state
                flows.append(flow)

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        elapsed = time.perf_counter() - t0
        gc.collect()
        after = tracemalloc.take_snapshot()
        grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
        snapshot = json.dumps(flows[0].snapshot())
        session = sys.getsizeof(flows[0].data.session or "")
        count = len(flows)
        flows.clear()  # what the flows themselves held is what this frees
        gc.collect()
        released = -sum(
            s.size_diff for s in tracemalloc.take_snapshot().compare_to(after, "filename")
        )
        tracemalloc.stop()
        print(f"suspended flows waiting for TOTP:   {count} (started in {elapsed:.1f} s)")
        print(
            f"bytes per suspended sign-in flow:   {released / count:,.0f} B held by each flow "
            f"(target <= 2,048 B), of which the Session string Cognito sent: {session:,} B; "
            f"process grew {grown / count:,.0f} B per flow in all"
        )
        print(f"one snapshot as JSON:               {len(snapshot):,} B")


async def bench_concurrent(info: dict[str, Any], total: int, concurrency: int) -> None:
    admin = admin_client(info)
    pool_id, client_id = info["user_pool_id"], info["client_id"]
    users = [f"srp{i}" for i in range(concurrency)]
    for name in users:
        make_user(admin, pool_id, name)
    lags: list[float] = []
    stop = asyncio.Event()

    async def ticker() -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            t = loop.time()
            await asyncio.sleep(0.001)
            lags.append((loop.time() - t - 0.001) * 1000)

    async with UserPool(
        pool_id, client_id, endpoint_url=info["endpoint_url"], region=info["region"]
    ) as pool:
        await pool.sign_in(users[0], PASSWORD)  # warm-up
        sem = asyncio.Semaphore(concurrency)

        async def one(i: int) -> None:
            async with sem:
                await pool.sign_in(users[i % concurrency], PASSWORD)

        tick = asyncio.create_task(ticker())
        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(total)))
        elapsed = time.perf_counter() - t0
        stop.set()
        await tick
    lags.sort()
    p99 = lags[int(len(lags) * 0.99)] if lags else 0.0
    print(
        f"cognito_flows: {total} SRP sign-ins, {concurrency} concurrent: "
        f"{total / elapsed:.1f}/s; loop lag p50 {statistics.median(lags):.2f} ms, "
        f"p99 {p99:.2f} ms"
    )

    from pycognito.aws_srp import AWSSRP

    def pycognito_sign_in(i: int) -> None:
        client = boto3.client(
            "cognito-idp", region_name=info["region"], endpoint_url=info["endpoint_url"]
        )
        AWSSRP(
            username=users[i % concurrency],
            password=PASSWORD,
            pool_id=pool_id,
            client_id=client_id,
            client=client,
        ).authenticate_user()

    with ThreadPoolExecutor(concurrency) as threads:
        list(threads.map(pycognito_sign_in, range(min(concurrency, 10))))  # warm-up
        t0 = time.perf_counter()
        list(threads.map(pycognito_sign_in, range(total)))
        elapsed = time.perf_counter() - t0
    print(
        f"pycognito (threads): {total} SRP sign-ins, {concurrency} threads: {total / elapsed:.1f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--flows", type=int, default=10000)
    parser.add_argument("--signins", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    from cognito_flows import srp

    print(f"SRP backend: {srp.get_backend()}")
    print(f"transition on the shared machine:   {bench_transitions():.1f} us")
    proc, info = start_local()
    try:
        asyncio.run(bench_suspended(info, args.flows))
        asyncio.run(bench_concurrent(info, args.signins, args.concurrency))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
