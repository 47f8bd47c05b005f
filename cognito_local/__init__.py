"""A strict local Amazon Cognito User Pool emulator.

``LocalCognito`` serves the real cognito-idp JSON 1.1 protocol on 127.0.0.1, so
aiobotocore, boto3, the AWS JavaScript SDK and ``amazon-cognito-identity-js`` work against
it unchanged (point them at ``local.endpoint_url``). Unlike moto or cognito-local it checks
what real Cognito checks: SRP proofs (users and devices), TIMESTAMP format, SECRET_HASH,
single-use expiring sessions, codes, TOTP, token signatures, expiry and revocation.

Example::

    async with LocalCognito() as local:
        local.pool().create_user("alice", "Passw0rd!", attributes={"email": "a@example.com"})
        ...  # use local.endpoint_url, local.user_pool_id, local.client_id
        code = local.outbox.last(username="alice", purpose="MFA").code

Token issuers are ``{endpoint_url}/{user_pool_id}`` and the JWKS is served at
``{issuer}/.well-known/jwks.json``.
"""

from __future__ import annotations

from .clock import Clock
from .codes import Message, Outbox
from .emulator import LocalCognito, load_config
from .errors import ServiceError
from .faults import Fault, Faults
from .model import Client, Device, Pool, User
from .recorder import RecordedRequest, RequestLog
from .state import secret_hash
from .triggers import TriggerSet, send_message

__all__ = [
    "Client",
    "Clock",
    "Device",
    "Fault",
    "Faults",
    "LocalCognito",
    "Message",
    "Outbox",
    "Pool",
    "RecordedRequest",
    "RequestLog",
    "ServiceError",
    "TriggerSet",
    "User",
    "load_config",
    "secret_hash",
    "send_message",
]
