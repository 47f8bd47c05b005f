"""Remembered devices: ConfirmDevice, GetDevice, ListDevices, ForgetDevice,
UpdateDeviceStatus and their Admin forms."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cognito_flows import srp

from .errors import ServiceError, invalid_parameter, resource_not_found
from .model import Device, Pool, User
from .params import Params, RequestContext, operation
from .state import Backend

__all__ = ["list_devices"]


def _device(user: User, key: str) -> Device:
    device = user.devices.get(key)
    if device is None:
        raise resource_not_found("Device does not exist.")
    return device


def _b64_int(value: object, name: str) -> int:
    if not isinstance(value, str) or not value:
        raise invalid_parameter(f"DeviceSecretVerifierConfig.{name} is required")
    try:
        return int.from_bytes(base64.b64decode(value, validate=True), "big")
    except (binascii.Error, ValueError):
        raise invalid_parameter(f"DeviceSecretVerifierConfig.{name} is not base64") from None


@operation("ConfirmDevice")
async def confirm_device(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ConfirmDevice: stores the device's SRP verifier (from DeviceSecretVerifierConfig)."""
    pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    key = p.req_str("DeviceKey", max_len=55)
    config = p.opt_dict("DeviceSecretVerifierConfig")
    name = p.opt_str("DeviceName", max_len=1024)
    if pool.device_configuration is None:
        raise ServiceError(
            "InvalidUserPoolConfigurationException",
            "Device tracking is not enabled for this user pool.",
        )
    device = _device(user, key)
    if device.confirmed:
        raise ServiceError("DeviceKeyExistsException", "The device has already been confirmed.")
    if config is None:
        raise invalid_parameter("DeviceSecretVerifierConfig is required")
    verifier = _b64_int(config.get("PasswordVerifier"), "PasswordVerifier")
    salt = _b64_int(config.get("Salt"), "Salt")
    if verifier % srp.N == 0:
        raise invalid_parameter("Invalid PasswordVerifier")
    prompt = bool(pool.device_configuration.get("DeviceOnlyRememberedOnUserPrompt"))
    now = rc.backend.clock.now()
    device.salt, device.verifier = salt, verifier
    device.name = name
    device.remembered = not prompt
    device.modified = now
    device.last_authenticated = now
    device.last_ip = rc.source_ip
    return {"UserConfirmationNecessary": prompt}


def list_devices(user: User, p: Params) -> dict[str, Any]:
    """One page of the user's confirmed devices (Limit, PaginationToken)."""
    limit = p.opt_int("Limit", minimum=0, maximum=60) or 60
    token = p.opt_str("PaginationToken")
    devices = sorted((d for d in user.devices.values() if d.confirmed), key=lambda d: d.created)
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except (ValueError, binascii.Error):
            raise invalid_parameter("Invalid pagination token") from None
    page = devices[start : start + limit]
    out: dict[str, Any] = {"Devices": [d.describe() for d in page]}
    if start + limit < len(devices):
        out["PaginationToken"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
    return out


def _forget(b: Backend, pool: Pool, user: User, key: str) -> None:
    _device(user, key)
    del user.devices[key]
    # Refresh tokens bound to the device stop working; access tokens live on until expiry.
    for record in b.refresh_tokens.values():
        if record.device_key == key:
            record.revoked = True


def _status(user: User, p: Params) -> None:
    device = _device(user, p.req_str("DeviceKey"))
    status = p.enum("DeviceRememberedStatus", ("remembered", "not_remembered"))
    if status is not None:
        device.remembered = status == "remembered"


@operation("GetDevice")
async def get_device(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GetDevice."""
    _pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    return {"Device": _device(user, p.req_str("DeviceKey")).describe()}


@operation("ListDevices")
async def list_devices_op(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListDevices."""
    _pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    return list_devices(user, p)


@operation("ForgetDevice")
async def forget_device(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ForgetDevice: the signed-in user's own device (its refresh tokens stop working).

    A public operation authorised by the user's access token: botocore's model marks
    AccessToken optional, but without one there is no user whose device could be forgotten
    (AdminForgetDevice is the IAM-authorised form for any user).
    """
    b = rc.backend
    key = p.req_str("DeviceKey", max_len=55)
    pool, user, _claims = b.verify_access_token(p.req_str("AccessToken"))
    _forget(b, pool, user, key)
    return {}


@operation("UpdateDeviceStatus")
async def update_device_status(rc: RequestContext, p: Params) -> dict[str, Any]:
    """UpdateDeviceStatus: remembered / not_remembered."""
    _pool, user, _claims = rc.backend.verify_access_token(p.req_str("AccessToken"))
    _status(user, p)
    return {}


def _admin_user(rc: RequestContext, p: Params) -> tuple[Pool, User]:
    pool = rc.backend.pool(p.req_str("UserPoolId"))
    user = pool.find_user(p.req_str("Username"))
    if user is None:
        raise ServiceError("UserNotFoundException", "User does not exist.")
    return pool, user


@operation("AdminGetDevice", signed=True)
async def admin_get_device(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminGetDevice."""
    _pool, user = _admin_user(rc, p)
    return {"Device": _device(user, p.req_str("DeviceKey")).describe()}


@operation("AdminListDevices", signed=True)
async def admin_list_devices(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminListDevices."""
    _pool, user = _admin_user(rc, p)
    return list_devices(user, p)


@operation("AdminForgetDevice", signed=True)
async def admin_forget_device(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminForgetDevice."""
    pool, user = _admin_user(rc, p)
    _forget(rc.backend, pool, user, p.req_str("DeviceKey"))
    return {}


@operation("AdminUpdateDeviceStatus", signed=True)
async def admin_update_device_status(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminUpdateDeviceStatus."""
    _pool, user = _admin_user(rc, p)
    _status(user, p)
    return {}
