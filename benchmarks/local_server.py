"""The local Cognito's own cost, the client layer's per-call cost, and the emulator's start-up.

Prints figures only (nothing is asserted)::

    python benchmarks/local_server.py            # 6 interleaved rounds
    python benchmarks/local_server.py --quick    # 3 rounds, fewer calls

1. **Emulator CPU per USER_SRP_AUTH sign-in**, read from the OS for the emulator's own
   process (client CPU excluded), *before* (its SRP ``g^b`` and verifier with plain
   ``powmod`` and PyJWT's ``jwt.encode``, as at the baseline revision) and *after* (the
   fixed-base table, a reused key object and a pre-serialised JWT header). Both emulators
   run at once, rounds alternate between them. From the CPU per sign-in follows the
   emulator's capacity per core. The sign-ins/s shown next to it are "this client + that
   emulator on this machine", not the emulator's capacity: the client's own SRP and
   aiobotocore run on the same cores.
2. **One Cognito call (GetUser) through the client layer**, sequential, client CPU per call
   (``time.process_time``) and its ratio to a raw ``aiohttp`` POST of the same JSON to the
   same emulator: a plain aiobotocore client configured like ``CognitoClient``, and
   ``CognitoClient.call`` before (``cognito_flows/wire.py`` as of ``WIRE_BEFORE_REV``,
   loaded from git as a separate module: no per-call cuts but the User-Agent cache) and
   after (today's, with ``_trim`` and the retry fast path), in rotated rounds.
3. **Start-up** of ``python -m cognito_local``: to its JSON line, and to the first tokens of
   a new user (create, set the password, sign in: includes the signing key's generation).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    BASELINE_REV,
    admin_client,
    load_at,
    load_average,
    make_users,
    process_cpu,
    start_local,
    stop_local,
)

from cognito_flows import UserPool, srp
from cognito_flows.wire import ClientConfig, CognitoClient

PASSWORD = "Bench-Passw0rd!"
#: The last commit before issue 14's per-call cuts of the client layer (``_trim``).
WIRE_BEFORE_REV = "ff041d1"


def _wire_before() -> types.ModuleType | None:
    """``cognito_flows/wire.py`` at ``WIRE_BEFORE_REV`` as module ``cf_wire_before``."""
    return load_at(WIRE_BEFORE_REV, "cognito_flows/wire.py", "cf_wire_before")


def _pool(info: dict[str, Any]) -> UserPool:
    return UserPool(
        info["user_pool_id"], info["client_id"], endpoint_url=info["endpoint_url"],
        region=info["region"],
    )  # fmt: skip


async def _sign_ins(pool: UserPool, users: list[str], total: int, concurrency: int) -> float:
    sem = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with sem:
            await pool.sign_in(users[i % len(users)], PASSWORD)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    return time.perf_counter() - t0


async def emulator_cost(rounds: int, per_round: int, concurrency: int) -> None:
    servers = {name: start_local(name) for name in ("baseline", "new")}
    users = [f"u{i}" for i in range(concurrency)]
    try:
        for _, info in servers.values():
            make_users(info, users, PASSWORD)
        cpu: dict[str, list[float]] = {name: [] for name in servers}
        rate: dict[str, list[float]] = {name: [] for name in servers}
        pools = {name: _pool(info) for name, (_, info) in servers.items()}
        for pool in pools.values():
            await pool.__aenter__()
            await pool.sign_in(users[0], PASSWORD)  # warm-up: key, tables, connections
        names = list(servers)
        for r in range(rounds):
            for name in names[r % 2 :] + names[: r % 2]:
                proc = servers[name][0]
                before = process_cpu(proc.pid)
                elapsed = await _sign_ins(pools[name], users, per_round, concurrency)
                cpu[name].append((process_cpu(proc.pid) - before) / per_round * 1000)
                rate[name].append(per_round / elapsed)
        for pool in pools.values():
            await pool.__aexit__(None, None, None)
    finally:
        for proc, _ in servers.values():
            stop_local(proc)
    print(
        f"emulator CPU per USER_SRP_AUTH sign-in, {rounds} alternating rounds x {per_round} "
        f"sign-ins at concurrency {concurrency} (median, min-max):"
    )
    base = statistics.median(cpu["baseline"])
    for name, label in (("baseline", "before"), ("new", "after")):
        med = statistics.median(cpu[name])
        print(
            f"  {label:6} {med:6.2f} ms CPU  ({min(cpu[name]):.2f}-{max(cpu[name]):.2f})  "
            f"x{med / base:.2f}  -> at most {1000 / med:5.0f} sign-ins/s per core;  "
            f"client + emulator here: {statistics.median(rate[name]):5.1f}/s"
        )


async def client_layer(rounds: int, calls: int) -> None:
    import aiohttp
    from aiobotocore.session import get_session

    proc, info = start_local()
    try:
        make_users(info, ["u"], PASSWORD)
        admin = admin_client(info)
        token = admin.initiate_auth(
            ClientId=info["client_id"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "u", "PASSWORD": PASSWORD},
        )["AuthenticationResult"]["AccessToken"]
        body = json.dumps({"AccessToken": token}).encode()
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AWSCognitoIdentityProviderService.GetUser",
        }
        config = ClientConfig().aio_config(unsigned=True)
        endpoint = {"region": info["region"], "endpoint_url": info["endpoint_url"]}
        wire_before = _wire_before()
        async with (
            aiohttp.ClientSession() as http,
            CognitoClient(**endpoint) as ours,
            (wire_before.CognitoClient if wire_before else CognitoClient)(**endpoint) as old,
            get_session().create_client(
                "cognito-idp",
                region_name=info["region"],
                endpoint_url=info["endpoint_url"],
                config=config,
            ) as plain,
        ):

            async def raw() -> None:
                async with http.post(info["endpoint_url"], data=body, headers=headers) as r:
                    await r.read()

            async def aiobotocore() -> None:
                await plain.get_user(AccessToken=token)

            async def before() -> None:
                await old.call("GetUser", AccessToken=token)

            async def after() -> None:
                await ours.call("GetUser", AccessToken=token)

            variants = {
                "raw aiohttp POST": raw,
                "aiobotocore alone": aiobotocore,
                "CognitoClient before": before,
                "CognitoClient after": after,
            }
            if wire_before is None:  # no git: nothing to compare with
                del variants["CognitoClient before"]
            cpu: dict[str, list[float]] = {k: [] for k in variants}
            wall: dict[str, list[float]] = {k: [] for k in variants}
            for run in variants.values():
                for _ in range(20):
                    await run()
            names = list(variants)
            for r in range(rounds):
                for name in names[r % len(names) :] + names[: r % len(names)]:
                    c0, w0 = time.process_time(), time.perf_counter()
                    for _ in range(calls):
                        await variants[name]()
                    cpu[name].append((time.process_time() - c0) / calls * 1e6)
                    wall[name].append((time.perf_counter() - w0) / calls * 1e6)
    finally:
        stop_local(proc)
    print(
        f"\none GetUser call, sequential, {rounds} rotated rounds x {calls} calls "
        f"(before: wire.py at {WIRE_BEFORE_REV}):"
    )
    raw_cpu = statistics.median(cpu["raw aiohttp POST"])
    for name in cpu:
        med = statistics.median(cpu[name])
        print(
            f"  {name:22} client CPU {med:6.0f} us/call (x{med / raw_cpu:.2f} raw)  "
            f"latency {statistics.median(wall[name]):6.0f} us"
        )


def startup(repeats: int) -> None:
    to_line, to_tokens = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc, info = start_local()
        to_line.append(time.perf_counter() - t0)
        try:
            make_users(info, ["first"], PASSWORD)
            admin_client(info).initiate_auth(
                ClientId=info["client_id"],
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": "first", "PASSWORD": PASSWORD},
            )
            to_tokens.append(time.perf_counter() - t0)
        finally:
            stop_local(proc)
    print(
        f"\n`python -m cognito_local` start-up, median of {repeats}: to its JSON line "
        f"{statistics.median(to_line) * 1000:.0f} ms, to a new user's first tokens "
        f"{statistics.median(to_tokens) * 1000:.0f} ms (boto3 calls included)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run")
    args = parser.parse_args()
    print(
        f"load average: {load_average()}  cores: {srp.cpu_count()}  client SRP backend: "
        f"{srp.get_backend()}  baseline: {BASELINE_REV}"
    )
    rounds = 3 if args.quick else 6
    asyncio.run(emulator_cost(rounds, 30 if args.quick else 80, 10))
    asyncio.run(client_layer(rounds * 2, 100 if args.quick else 200))
    startup(3)
    print(f"\nload average at the end: {load_average()}")


if __name__ == "__main__":
    main()
