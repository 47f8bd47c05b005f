"""Remembered devices: what a device needs to sign in again, and where it is kept.

A remembered device is a DeviceKey, its DeviceGroupKey and a random device password whose
SRP verifier Cognito stores (ConfirmDevice). The device password is a secret: it is hidden
from ``repr`` and never part of a flow snapshot. The store is pluggable
(:class:`DeviceStore`); the library defaults to :class:`MemoryDeviceStore`, the command
line to :class:`FileDeviceStore`.
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Protocol, runtime_checkable

import attrs

from .errors import ConfigurationError, hidden, masked

__all__ = ["DeviceStore", "FileDeviceStore", "MemoryDeviceStore", "RememberedDevice"]


@masked
@attrs.frozen(repr=False)
class RememberedDevice:
    """A device Cognito knows, with its secret password."""

    device_key: str
    device_group_key: str
    device_password: str = attrs.field(repr=hidden)

    def __repr__(self) -> str:
        return f"RememberedDevice(device_key={self.device_key!r}, device_password=<hidden>)"


@runtime_checkable
class DeviceStore(Protocol):
    """Where remembered devices are kept, per user pool and user name."""

    async def get(self, user_pool_id: str, username: str) -> RememberedDevice | None:
        """The remembered device for this user, if any."""
        ...

    async def put(self, user_pool_id: str, username: str, device: RememberedDevice) -> None:
        """Remember a device for this user (replacing any other)."""
        ...

    async def delete(self, user_pool_id: str, username: str) -> None:
        """Forget this user's device (no error if there is none)."""
        ...


def _key(user_pool_id: str, username: str) -> str:
    return f"{user_pool_id}/{username}"


class MemoryDeviceStore:
    """Devices kept in this process's memory (the library's default)."""

    def __init__(self) -> None:
        self._devices: dict[str, RememberedDevice] = {}

    async def get(self, user_pool_id: str, username: str) -> RememberedDevice | None:
        """The remembered device for this user, if any."""
        return self._devices.get(_key(user_pool_id, username))

    async def put(self, user_pool_id: str, username: str, device: RememberedDevice) -> None:
        """Remember a device for this user."""
        self._devices[_key(user_pool_id, username)] = device

    async def delete(self, user_pool_id: str, username: str) -> None:
        """Forget this user's device."""
        self._devices.pop(_key(user_pool_id, username), None)


class FileDeviceStore:
    """Devices kept in a JSON file readable only by its owner (mode 0600).

    Writes go to a temporary file that replaces the old one, so a crash never leaves a
    half-written file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = asyncio.Lock()

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (ValueError, OSError) as exc:
            raise ConfigurationError(
                f"the device store {self.path} cannot be read: {type(exc).__name__}"
            ) from None
        if not isinstance(data, dict):
            raise ConfigurationError(f"the device store {self.path} is not a JSON object")
        return data

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
        os.replace(tmp, self.path)

    async def get(self, user_pool_id: str, username: str) -> RememberedDevice | None:
        """The remembered device for this user, if any."""
        entry = self._load().get(_key(user_pool_id, username))
        if not isinstance(entry, dict):
            return None
        try:
            return RememberedDevice(
                str(entry["device_key"]),
                str(entry["device_group_key"]),
                str(entry["device_password"]),
            )
        except KeyError:
            return None  # an incomplete entry cannot prove the device: sign in without it

    async def put(self, user_pool_id: str, username: str, device: RememberedDevice) -> None:
        """Remember a device for this user."""
        async with self._lock:
            data = self._load()
            data[_key(user_pool_id, username)] = attrs.asdict(device)
            self._save(data)

    async def delete(self, user_pool_id: str, username: str) -> None:
        """Forget this user's device."""
        async with self._lock:
            data = self._load()
            if data.pop(_key(user_pool_id, username), None) is not None:
                self._save(data)
