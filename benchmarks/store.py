"""Flow store figures: snapshot size and speed, Redis round trips, memory of stored flows.

Prints (never asserts):

1. the size in bytes of one suspended sign-in's snapshot (waiting for a TOTP code, with a
   920-character session: the length of Cognito's), as JSON and encrypted;
2. microseconds to snapshot + restore a flow, JSON and with AES-GCM encryption, in
   alternating rounds (median, min-max);
3. Redis round trips per second: ``get`` and the claim + save cycle of an answer, one at a
   time and 50 at once (starts its own redis-server on 127.0.0.1, like the tests). With 50
   at once the limit is this client's CPU (redis-py's reply parser; faster with hiredis),
   not Redis, so that rate can be lower than the serial one;
4. memory used by N (default 100,000) suspended flows in the in-memory store (tracemalloc).

No Cognito is involved: flows are built directly in the SOFTWARE_TOKEN_MFA state. No peer
library has a flow store, so there is no peer to interleave here.

Usage: ``python benchmarks/store.py [--quick] [--flows 100000] [--redis-ops 5000]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import secrets
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import tracemalloc
from typing import Any

from cognito_flows import SignInFlow, UserPool
from cognito_flows.flows.sign_in import SignInData
from cognito_flows.store import FlowRepository, MemoryFlowStore, new_flow_id

try:
    import hiredis  # noqa: F401

    HIREDIS = True
except ImportError:
    HIREDIS = False

KEY = "bench-host-key-" + "k" * 32
SESSION_CHARS = 920  # the length of Cognito's challenge Session strings


def suspended_flow(pool: UserPool, i: int) -> SignInFlow:
    """A sign-in waiting for a TOTP code, as after InitiateAuth + PASSWORD_VERIFIER."""
    data = SignInData(
        username=f"user{i}@example.com",
        state="SOFTWARE_TOKEN_MFA",
        cognito_username=f"5f2c1a0e-0000-4000-8000-{i:012d}",
        user_id_for_srp=f"5f2c1a0e-0000-4000-8000-{i:012d}",
        session=("AYABe" + secrets.token_urlsafe(SESSION_CHARS))[:SESSION_CHARS],
        session_expires_at=time.time() + 180,
        challenge_name="SOFTWARE_TOKEN_MFA",
        challenge_parameters={"USER_ID_FOR_SRP": f"5f2c1a0e-0000-4000-8000-{i:012d}"},
    )
    return SignInFlow(pool, data)


def per_op_us(fn: Any, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def bench_snapshots(pool: UserPool) -> None:
    flow = suspended_flow(pool, 1)
    plain = FlowRepository(pool)
    sealed = FlowRepository(pool, encryption_key=KEY)
    flow_id = new_flow_id()
    text = plain.encode(flow_id, flow)
    print(
        f"snapshot size: {len(text.encode())} bytes JSON "
        f"(session {len(flow.data.session or '')} chars), "
        f"{len(sealed.encode(flow_id, flow))} bytes encrypted"
    )
    n, rounds = 500, 10
    raw_us: list[float] = []
    enc_us: list[float] = []
    for r in range(rounds):
        pair = [
            (raw_us, lambda: pool.resume(json.loads(json.dumps(flow.snapshot())))),
            (enc_us, lambda: sealed.decode(flow_id, sealed.encode(flow_id, flow))),
        ]
        for out, fn in pair[r % 2 :] + pair[: r % 2]:
            out.append(per_op_us(fn, n))
    print(
        f"snapshot + restore, {rounds} alternating rounds of {n}: "
        f"{statistics.median(raw_us):.1f} us JSON ({min(raw_us):.0f}-{max(raw_us):.0f}), "
        f"{statistics.median(enc_us):.1f} us JSON + AES-GCM ({min(enc_us):.0f}-{max(enc_us):.0f})"
    )


def start_redis() -> tuple[subprocess.Popen[bytes], int, str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    workdir = tempfile.mkdtemp(prefix="cf-bench-redis-")
    proc = subprocess.Popen(
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                if sock.recv(16).startswith(b"+PONG"):
                    return proc, port, workdir
        except OSError:
            time.sleep(0.02)
    proc.kill()
    return None


async def bench_redis(pool: UserPool, ops: int) -> None:
    from cognito_flows.store import RedisFlowStore

    started = start_redis()
    if started is None:
        print("redis: redis-server not found; skipped")
        return
    proc, port, workdir = started
    try:
        store = RedisFlowStore(f"redis://127.0.0.1:{port}/0", max_connections=50)
        repo = FlowRepository(pool, store, encryption_key=KEY)
        flow = suspended_flow(pool, 1)
        ids = [new_flow_id() for _ in range(200)]
        data = repo.encode(ids[0], flow)
        for flow_id in ids:
            await store.create(flow_id, data, ttl=180)

        async def cycle(flow_id: str) -> None:  # what one answer costs the store
            record = await store.claim(flow_id, lease=30)
            await store.save(flow_id, data, version=record.version, ttl=180)

        for name, one in (
            ("get (load)", lambda i: store.get(ids[i % 200])),
            ("claim + save (one answer)", lambda i: cycle(ids[i % 200])),
        ):
            start = time.perf_counter()
            for i in range(ops):
                await one(i)
            serial = ops / (time.perf_counter() - start)
            start = time.perf_counter()
            for base in range(0, ops, 50):
                await asyncio.gather(*(one(base + j) for j in range(50)))
            concurrent = ops / (time.perf_counter() - start)
            print(
                f"redis {name}: {serial:,.0f}/s one at a time, {concurrent:,.0f}/s with 50 at "
                f"once (client-bound; hiredis {'installed' if HIREDIS else 'not installed'})"
            )
        await store.aclose()
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


async def bench_memory(pool: UserPool, n: int) -> None:
    store = MemoryFlowStore()
    repo = FlowRepository(pool, store)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for i in range(n):
        await repo.add(suspended_flow(pool, i))
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    used = after - before
    print(
        f"memory store: {n:,} suspended flows use {used / 2**20:,.1f} MiB "
        f"({used / n:,.0f} bytes per flow, snapshot JSON kept as str)"
    )
    assert len(store) == n


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 flows, 1,000 Redis ops")
    parser.add_argument("--flows", type=int)
    parser.add_argument("--redis-ops", type=int)
    args = parser.parse_args(argv)
    args.flows = args.flows or (10_000 if args.quick else 100_000)
    args.redis_ops = args.redis_ops or (1000 if args.quick else 5000)
    pool = UserPool(
        "us-east-1_Bench0001", "benchclient0000000000000000", endpoint_url="http://127.0.0.1:9"
    )  # never called
    bench_snapshots(pool)
    await bench_redis(pool, args.redis_ops)
    await bench_memory(pool, args.flows)


if __name__ == "__main__":
    asyncio.run(main())
