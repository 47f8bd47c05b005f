"""Throughput of the local Cognito emulator and start-up time of its command.

Runs N complete USER_SRP_AUTH sign-ins (InitiateAuth + PASSWORD_VERIFIER, client SRP math
from ``cognito_flows.srp``) through aiobotocore with a bounded concurrency, against

* an in-process ``LocalCognito`` (client and server share one event loop), and
* the ``python -m cognito_local`` command (server in its own process),

then prints sign-ins per second, and the median time (of 3) from starting the command to
its JSON line. Figures only; nothing is asserted.

    python benchmarks/local_server.py [-n 200] [-c 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from cognito_flows import srp
from cognito_local import LocalCognito

PASSWORD = "Bench-Passw0rd!"


async def sign_in(client: Any, pool_id: str, client_id: str, username: str, now: Any) -> None:
    eph = srp.start_ephemeral()
    first = await client.initiate_auth(
        AuthFlow="USER_SRP_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "SRP_A": eph.srp_a},
    )
    stamp = srp.format_timestamp(datetime.fromtimestamp(now(), timezone.utc))
    responses = srp.password_verifier_response(
        eph, first["ChallengeParameters"], user_pool_id=pool_id, password=PASSWORD, timestamp=stamp
    )
    result = await client.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=responses
    )
    assert "AuthenticationResult" in result


async def run_sign_ins(
    endpoint: str,
    region: str,
    pool_id: str,
    client_id: str,
    usernames: list[str],
    total: int,
    concurrency: int,
) -> float:
    """Sign-ins per second."""
    config = AioConfig(
        max_pool_connections=concurrency, retries={"mode": "standard", "total_max_attempts": 1}
    )
    async with get_session().create_client(
        "cognito-idp",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=config,
    ) as client:
        await sign_in(client, pool_id, client_id, usernames[0], time.time)  # warm up
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)

        async def worker(username: str) -> None:
            while True:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                await sign_in(client, pool_id, client_id, username, time.time)

        started = time.perf_counter()
        await asyncio.gather(*(worker(usernames[i % len(usernames)]) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    return total / elapsed


async def in_process(total: int, concurrency: int) -> float:
    async with LocalCognito() as local:
        names = [f"bench{i}" for i in range(concurrency)]
        for name in names:
            local.pool().create_user(name, PASSWORD)
        return await run_sign_ins(
            local.endpoint_url,
            local.region,
            local.user_pool_id,
            local.client_id,
            names,
            total,
            concurrency,
        )


def start_command() -> tuple[subprocess.Popen[str], dict[str, Any], float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cognito_local", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    return proc, json.loads(line), elapsed


def stop_command(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)


async def out_of_process(total: int, concurrency: int) -> float:
    import boto3

    proc, info, _ = start_command()
    try:
        admin = boto3.client(
            "cognito-idp",
            region_name=info["region"],
            endpoint_url=info["endpoint_url"],
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
        )
        names = [f"bench{i}" for i in range(concurrency)]
        for name in names:
            admin.admin_create_user(
                UserPoolId=info["user_pool_id"],
                Username=name,
                TemporaryPassword=PASSWORD,
                MessageAction="SUPPRESS",
            )
            admin.admin_set_user_password(
                UserPoolId=info["user_pool_id"], Username=name, Password=PASSWORD, Permanent=True
            )
        return await run_sign_ins(
            info["endpoint_url"],
            info["region"],
            info["user_pool_id"],
            info["client_id"],
            names,
            total,
            concurrency,
        )
    finally:
        stop_command(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--sign-ins", type=int, default=200)
    parser.add_argument("-c", "--concurrency", type=int, default=20)
    args = parser.parse_args()
    print(f"SRP backend: {srp.get_backend()}")
    rate = asyncio.run(in_process(args.sign_ins, args.concurrency))
    print(
        f"in-process LocalCognito: {args.sign_ins} USER_SRP_AUTH sign-ins, concurrency "
        f"{args.concurrency}: {rate:.1f} sign-ins/s"
    )
    rate = asyncio.run(out_of_process(args.sign_ins, args.concurrency))
    print(f"`python -m cognito_local` server: {rate:.1f} sign-ins/s")
    times = []
    for _ in range(3):
        proc, _info, elapsed = start_command()
        stop_command(proc)
        times.append(elapsed)
    print(
        f"time to the JSON line of `python -m cognito_local` (median of 3): "
        f"{statistics.median(times) * 1000:.0f} ms "
        f"({', '.join(f'{t * 1000:.0f}' for t in times)} ms)"
    )


if __name__ == "__main__":
    main()
