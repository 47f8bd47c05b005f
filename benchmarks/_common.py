"""Shared helpers of the benchmark scripts (not a benchmark itself).

* :func:`load_baseline` loads ``cognito_flows/srp.py`` as it was at a git revision (default:
  the last commit before the fixed-base / GIL / deadline work of issue 14) as a separate
  module, so "before" and "after" run side by side, interleaved, in one process.
* :class:`BaselineSrp` lets a :class:`~cognito_flows.UserPool` do its SRP with that module
  and that revision's default executor (the loop's thread pool, one computation at a time).
* :func:`start_local` starts ``python -m cognito_local`` in its own process, with today's
  code or with its SRP and JWT signing as they were at the baseline revision.
* :class:`Ticker` measures event-loop lag; :func:`process_cpu` reads a process's CPU time.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
#: The last commit before issue 14's SRP work (fixed-base table, GIL release, deadlines).
BASELINE_REV = "27bec54"


def load_at(rev: str, path: str, name: str) -> types.ModuleType | None:
    """The package module ``path`` (``cognito_flows/srp.py``...) as it was at git ``rev``,
    imported as module ``name`` beside today's package (None without git)."""
    try:
        source = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    source = source.replace("from .errors import", "from cognito_flows.errors import")
    spec = importlib.util.spec_from_loader(name, loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    exec(compile(source, f"<{Path(path).name} at {rev}>", "exec"), module.__dict__)
    return module


def load_baseline(rev: str = BASELINE_REV) -> types.ModuleType | None:
    """``cognito_flows.srp`` at ``rev`` as module ``cf_srp_baseline`` (None without git)."""
    return load_at(rev, "cognito_flows/srp.py", "cf_srp_baseline")


class BaselineSrp:
    """Stands in for ``UserPool.srp``: runs the baseline module's functions of the same name,
    in the baseline's executor (its default: the loop's thread pool, one at a time)."""

    def __init__(self, module: types.ModuleType, executor: Any = None) -> None:
        self.module = module
        self.inner = module.SrpExecutor(executor)

    async def run(
        self, func: Callable[..., Any], /, *args: Any, deadline: Any = None, clock: Any = None,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        return await self.inner.run(getattr(self.module, func.__name__), *args, **kwargs)


_EMULATOR = """
import sys
variant, rev = sys.argv[1], sys.argv[2]
sys.path.insert(0, {bench!r})
if variant == "baseline":
    import jwt
    import _common
    from cognito_flows import srp
    from cognito_local import tokens
    old = _common.load_baseline(rev)
    srp.server_ephemeral = old.server_ephemeral
    srp.verifier_for = old.verifier_for

    def sign(self, claims):
        key = self._ensure()
        return jwt.encode(claims, key, algorithm="RS256", headers={{"kid": self.kid}})

    tokens.Signer.sign = sign
from cognito_local.cli import main
sys.argv = ["cognito_local", "--port", "0"]
main()
"""


def start_local(
    variant: str = "new", rev: str = BASELINE_REV
) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    """The emulator in its own process (``variant`` "new" or "baseline") and its JSON line."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    code = _EMULATOR.format(bench=str(ROOT / "benchmarks"))
    proc = subprocess.Popen(
        [sys.executable, "-c", code, variant, rev], stdout=subprocess.PIPE, text=True, env=env
    )
    assert proc.stdout is not None
    info: dict[str, Any] = json.loads(proc.stdout.readline())
    return proc, info


def stop_local(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    proc.wait(10)


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process (Linux ``/proc``)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def admin_client(info: dict[str, Any]) -> Any:
    import boto3

    return boto3.client(
        "cognito-idp",
        region_name=info["region"],
        endpoint_url=info["endpoint_url"],
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )


def make_users(info: dict[str, Any], names: list[str], password: str) -> None:
    admin = admin_client(info)
    pool_id = info["user_pool_id"]
    for name in names:
        admin.admin_create_user(
            UserPoolId=pool_id, Username=name, TemporaryPassword=password, MessageAction="SUPPRESS"
        )
        admin.admin_set_user_password(
            UserPoolId=pool_id, Username=name, Password=password, Permanent=True
        )


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


class Ticker:
    """A task sleeping 1 ms in a loop; ``lags`` are how late it woke up (ms)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            t = loop.time()
            await asyncio.sleep(0.001)
            self.lags.append(max(0.0, (loop.time() - t - 0.001) * 1000))

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._run())

    async def stop(self) -> tuple[float, float]:
        """Stop; (p50, p99) in ms."""
        self._stop.set()
        if self._task is not None:
            await self._task
        return percentile(self.lags, 0.5), percentile(self.lags, 0.99)


def load_average() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"
