"""The ``cognito_flows`` pytest plugin: fixtures for testing code that uses Cognito.

Enabled by the ``pytest11`` entry point ``cognito_flows`` (or ``-p
cognito_flows.testing.plugin``). Every fixture name starts with ``cognito_``. See
:mod:`cognito_flows.testing` for the fixtures and examples. The async fixtures need
``pytest-asyncio`` (auto or strict mode; in strict mode mark tests ``@pytest.mark.asyncio``).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported by the fixtures: pytest loads this plugin in every run
    from cognito_local import Clock, LocalCognito, Outbox

    from ..pool import UserPool
    from .helpers import PoolMaker, UserFactory

try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - depends on the environment
    pytest_asyncio = None  # type: ignore[assignment]

__all__ = [
    "cognito_clock",
    "cognito_local",
    "cognito_outbox",
    "cognito_pool",
    "cognito_pool_settings",
    "cognito_pools",
    "cognito_users",
]

_DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _async_fixture(func: Any) -> Any:
    if pytest_asyncio is not None:
        return pytest_asyncio.fixture(func)

    @pytest.fixture(name=func.__name__)
    def missing() -> None:  # pragma: no cover - depends on the environment
        pytest.fail("the cognito_flows fixtures need pytest-asyncio: pip install pytest-asyncio")

    missing.__doc__ = func.__doc__
    return missing


@pytest.fixture
def _cognito_aws_env() -> Iterator[None]:
    """Dummy AWS credentials for the test (admin calls are signed; all stays on 127.0.0.1)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in _DUMMY_AWS.items():
            if not os.environ.get(name):
                patch.setenv(name, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield


@_async_fixture
async def cognito_local(_cognito_aws_env: None) -> AsyncIterator[LocalCognito]:
    """A fresh strict local Cognito on 127.0.0.1, stopped after the test."""
    from cognito_local import LocalCognito

    async with LocalCognito() as local:
        yield local


@pytest.fixture
def cognito_clock(cognito_local: LocalCognito) -> Clock:
    """The emulator's clock: ``cognito_clock.advance(181)`` expires challenge sessions."""
    return cognito_local.clock


@pytest.fixture
def cognito_outbox(cognito_local: LocalCognito) -> Outbox:
    """Every code the emulator sent: ``cognito_outbox.last(username=..., purpose=...)``."""
    return cognito_local.outbox


@pytest.fixture
def cognito_pool_settings() -> dict[str, Any]:
    """Settings of ``cognito_pool``; override this fixture to change them.

    Keys are the arguments of :meth:`PoolMaker.pool`: ``mfa``, ``secret``,
    ``device_tracking``, ``pool``, ``client`` and :class:`~cognito_flows.UserPool` options.
    """
    return {}


@_async_fixture
async def cognito_pools(cognito_local: LocalCognito) -> AsyncIterator[PoolMaker]:
    """Creates more pools on ``cognito_local``; closes them after the test."""
    from .helpers import PoolMaker

    maker = PoolMaker(cognito_local)
    try:
        yield maker
    finally:
        await maker.aclose()


@_async_fixture
async def cognito_pool(cognito_pools: PoolMaker, cognito_pool_settings: dict[str, Any]) -> UserPool:
    """An opened :class:`~cognito_flows.UserPool` on a new pool of ``cognito_local``."""
    return await cognito_pools.pool(**cognito_pool_settings)


@pytest.fixture
def cognito_users(cognito_pools: PoolMaker, cognito_pool: UserPool) -> UserFactory:
    """Users of ``cognito_pool`` in every state (see :class:`UserFactory`)."""
    return cognito_pools.users(cognito_pool)
