"""OAuth 2.0 data of the emulator: user pool domains, resource servers, app client OAuth
settings, authorization codes and managed login sessions, with the cognito-idp operations
that manage them (CreateUserPoolDomain, CreateResourceServer, ...).

The HTTP endpoints (``/oauth2/authorize``, the login page, ``/oauth2/token``...) are in
:mod:`cognito_local.managed_login`. Sources: the API reference of each operation (the
botocore model's documentation strings) and the developer guide's pages "Authorize
endpoint", "Token endpoint", "UserInfo endpoint", "Revoke endpoint", "Logout endpoint"
and "Scopes, M2M, and resource servers".
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import attrs

from .errors import ServiceError, invalid_parameter, resource_not_found
from .params import Params, RequestContext, operation

if TYPE_CHECKING:
    from .model import Client, Pool
    from .state import Backend

__all__ = [
    "CODE_TTL",
    "OAUTH_FLOWS",
    "SESSION_TTL",
    "STANDARD_SCOPES",
    "AuthorizationCode",
    "DomainSession",
    "OAuthData",
    "check_client_against_pool",
    "check_client_oauth",
]

#: AllowedOAuthFlows values (API reference, CreateUserPoolClient).
OAUTH_FLOWS = ("code", "implicit", "client_credentials")
#: The system-reserved scopes (developer guide, authorize endpoint, ``scope``).
STANDARD_SCOPES = ("phone", "email", "openid", "profile", "aws.cognito.signin.user.admin")
#: "The response returns a one time use code that is valid for five minutes" (developer
#: guide, authorize endpoint).
CODE_TTL = 300.0
#: The managed login session cookie lasts one hour (developer guide, "Managed login":
#: "the session cookie ... is valid for one hour").
SESSION_TTL = 3600.0
#: How long a login page (its CSRF token and challenge state) may wait for the user.
LOGIN_TTL = 900.0
_DOMAIN_RE = re.compile(r"^[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?$")
_SCOPE_NAME_RE = re.compile(r"^[\x21\x23-\x2E\x30-\x5B\x5D-\x7E]+$")
_IDENTIFIER_RE = re.compile(r"^[\x21\x23-\x5B\x5D-\x7E]+$")
_LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")


@attrs.define(eq=False)
class AuthorizationCode:
    """An authorization code: single use, five minutes, bound to client and redirect URI."""

    code: str = attrs.field(repr=False)
    pool_id: str
    client_id: str
    sub: str
    redirect_uri: str
    scopes: list[str]
    auth_time: int
    expires: float
    nonce: str | None = attrs.field(default=None, repr=False)
    code_challenge: str | None = attrs.field(default=None, repr=False)
    code_challenge_method: str | None = None
    used: bool = False


@attrs.define(eq=False)
class DomainSession:
    """A user signed in to a domain's managed login (the session cookie's server side)."""

    token: str = attrs.field(repr=False)
    pool_id: str
    sub: str
    auth_time: int
    expires: float


@attrs.define(eq=False)
class LoginPage:
    """One login page shown: its CSRF token, the challenge it waits for (if any)."""

    token: str = attrs.field(repr=False)
    csrf: str = attrs.field(repr=False)
    pool_id: str
    client_id: str
    expires: float
    username: str | None = None
    session: str | None = attrs.field(default=None, repr=False)
    challenge: str | None = None
    parameters: dict[str, str] = attrs.field(factory=dict)


class OAuthData:
    """Every domain, resource server, authorization code and managed login session."""

    def __init__(self) -> None:
        self.domains: dict[str, str] = {}
        self.resource_servers: dict[str, dict[str, dict[str, Any]]] = {}
        self.codes: dict[str, AuthorizationCode] = {}
        self.sessions: dict[str, DomainSession] = {}
        self.pages: dict[str, LoginPage] = {}

    def domain_of(self, pool_id: str) -> str | None:
        """The pool's domain prefix, if it has one."""
        for domain, owner in self.domains.items():
            if owner == pool_id:
                return domain
        return None

    def forget_pool(self, pool_id: str) -> None:
        """Drop what belongs to a deleted pool."""
        for domain in [d for d, p in self.domains.items() if p == pool_id]:
            del self.domains[domain]
        self.resource_servers.pop(pool_id, None)
        for table in (self.codes, self.sessions, self.pages):
            for key in [k for k, v in table.items() if v.pool_id == pool_id]:
                del table[key]

    def custom_scopes(self, pool_id: str) -> set[str]:
        """``identifier/scope`` of every resource server scope of the pool."""
        out: set[str] = set()
        for identifier, server in self.resource_servers.get(pool_id, {}).items():
            for scope in server.get("Scopes", []):
                out.add(f"{identifier}/{scope['ScopeName']}")
        return out

    def new_code(self, **fields: Any) -> AuthorizationCode:
        """Issue an authorization code."""
        record = AuthorizationCode(code=secrets.token_urlsafe(27), **fields)
        self.codes[record.code] = record
        self._purge(fields["expires"] - CODE_TTL)
        return record

    def new_session(self, pool_id: str, sub: str, auth_time: int, now: float) -> DomainSession:
        """Start a managed login session."""
        session = DomainSession(
            token=secrets.token_urlsafe(32),
            pool_id=pool_id,
            sub=sub,
            auth_time=auth_time,
            expires=now + SESSION_TTL,
        )
        self.sessions[session.token] = session
        return session

    def new_page(self, pool_id: str, client_id: str, now: float) -> LoginPage:
        """A login page with a fresh CSRF token."""
        page = LoginPage(
            token=secrets.token_urlsafe(32),
            csrf=secrets.token_urlsafe(32),
            pool_id=pool_id,
            client_id=client_id,
            expires=now + LOGIN_TTL,
        )
        self.pages[page.token] = page
        self._purge(now)
        return page

    def _purge(self, now: float) -> None:
        if len(self.codes) + len(self.pages) + len(self.sessions) < 10000:
            return
        for table in (self.codes, self.sessions, self.pages):
            for key in [k for k, v in table.items() if v.expires < now - 3600]:
                del table[key]


# ---------------------------------------------------------------------- app clients
def _url_ok(url: str) -> bool:
    """A callback/sign-out URL as CreateUserPoolClient accepts it: absolute, no fragment,
    HTTPS except http://localhost, 127.0.0.1 and [::1]; app schemes (myapp://) allowed."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not parts.scheme or parts.fragment or "#" in url:
        return False
    if parts.scheme == "http":
        host = parts.netloc.rsplit("@", 1)[-1]
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return host.lower() in _LOOPBACK_HOSTS
    if parts.scheme == "https":
        return bool(parts.netloc)
    return True


def check_client_oauth(settings: dict[str, Any]) -> None:
    """Check the OAuth members of CreateUserPoolClient / UpdateUserPoolClient.

    Raises:
        ServiceError: InvalidParameterException or InvalidOAuthFlowException.
    """
    flows = settings.get("AllowedOAuthFlows", [])
    scopes = settings.get("AllowedOAuthScopes", [])
    for key in ("AllowedOAuthFlows", "AllowedOAuthScopes", "CallbackURLs", "LogoutURLs"):
        value = settings.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise invalid_parameter(f"{key} must be a list of strings")
    for flow in flows:
        if flow not in OAUTH_FLOWS:
            raise invalid_parameter(
                f"1 validation error detected: Value '[{', '.join(flows)}]' at "
                "'allowedOAuthFlows' failed to satisfy constraint: Member must satisfy "
                f"constraint: [Member must satisfy enum value set: [{', '.join(OAUTH_FLOWS)}]]"
            )
    # "To create an app client that generates client credentials grants, you must add
    # client_credentials as the only allowed OAuth flow" (API reference).
    if "client_credentials" in flows and len(set(flows)) > 1:
        raise ServiceError(
            "InvalidOAuthFlowException",
            "client_credentials flow can not be selected along with code flow or implicit flow.",
        )
    if settings.get("AllowedOAuthFlowsUserPoolClient"):
        if not flows:
            raise ServiceError(
                "InvalidOAuthFlowException",
                "AllowedOAuthFlows are required if user pool client is allowed to use OAuth flows.",
            )
        if not scopes:
            raise invalid_parameter(
                "AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows."
            )
    for key in ("CallbackURLs", "LogoutURLs"):
        for url in settings.get(key, []):
            if not _url_ok(url):
                raise invalid_parameter(
                    f"{url} is not a valid {key[:-4].lower()} URL: it must be absolute, "
                    "without a fragment, and HTTPS unless it is http://localhost, "
                    "http://127.0.0.1 or http://[::1]."
                )
    browser = bool(set(flows) & {"code", "implicit"})
    if (
        browser
        and settings.get("AllowedOAuthFlowsUserPoolClient")
        and not settings.get("CallbackURLs")
    ):
        raise invalid_parameter("CallbackURLs are required for the code and implicit flows.")
    default = settings.get("DefaultRedirectURI")
    if default is not None and default not in settings.get("CallbackURLs", []):
        raise invalid_parameter("DefaultRedirectURI must be one of the CallbackURLs.")


def check_client_against_pool(
    backend: Backend, pool: Pool, settings: Mapping[str, Any], has_secret: bool
) -> None:
    """The checks of a client's OAuth settings that need its pool and secret.

    Raises:
        ServiceError: ScopeDoesNotExistException, InvalidOAuthFlowException.
    """
    custom = backend.oauth.custom_scopes(pool.id)
    flows = settings.get("AllowedOAuthFlows", [])
    for scope in settings.get("AllowedOAuthScopes", []):
        if scope not in STANDARD_SCOPES and scope not in custom:
            raise ServiceError("ScopeDoesNotExistException", f"Invalid scope requested: {scope}")
    if "client_credentials" in flows:
        if not has_secret:
            raise ServiceError(
                "InvalidOAuthFlowException",
                "client_credentials flow can not be selected if client does not have a "
                "client secret.",
            )
        standard = [s for s in settings.get("AllowedOAuthScopes", []) if s in STANDARD_SCOPES]
        if standard:
            # Client credentials grants carry custom scopes only (developer guide,
            # "Scopes, M2M, and resource servers").
            raise ServiceError(
                "InvalidOAuthFlowException",
                f"client_credentials flow can not be used with the scope {standard[0]}.",
            )


def oauth_enabled(client: Client, flow: str) -> bool:
    """Whether ``client`` may use the OAuth ``flow`` (code, implicit, client_credentials)."""
    settings = client.settings
    return bool(settings.get("AllowedOAuthFlowsUserPoolClient")) and flow in settings.get(
        "AllowedOAuthFlows", []
    )


# ---------------------------------------------------------------------- domains
def _pool_of(rc: RequestContext, p: Params) -> Pool:
    return rc.backend.pool(p.req_str("UserPoolId", max_len=55))


@operation("CreateUserPoolDomain", signed=True)
async def create_user_pool_domain(rc: RequestContext, p: Params) -> dict[str, Any]:
    """CreateUserPoolDomain (prefix domains; custom domains are refused)."""
    domain = p.req_str("Domain", max_len=63)
    pool = _pool_of(rc, p)
    if p.opt_dict("CustomDomainConfig") is not None or "." in domain:
        raise invalid_parameter("Custom domains are not supported by the local Cognito.")
    if not _DOMAIN_RE.match(domain):
        raise invalid_parameter(
            f"1 validation error detected: Value '{domain}' at 'domain' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "^[a-z0-9](?:[a-z0-9\\-]{0,61}[a-z0-9])?$"
        )
    for word in ("aws", "amazon", "cognito"):
        if word in domain:
            raise invalid_parameter(f"Domain cannot contain reserved word: {word}")
    version = p.opt_int("ManagedLoginVersion", minimum=1, maximum=2) or 1
    data = rc.backend.oauth
    if domain in data.domains:
        raise invalid_parameter("Domain already associated with another user pool.")
    if data.domain_of(pool.id) is not None:
        raise invalid_parameter(f"User pool {pool.id} already has a domain configured.")
    data.domains[domain] = pool.id
    return {"ManagedLoginVersion": version}


@operation("DescribeUserPoolDomain", signed=True)
async def describe_user_pool_domain(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DescribeUserPoolDomain (an unknown domain describes as empty, as in AWS)."""
    domain = p.req_str("Domain", max_len=63)
    pool_id = rc.backend.oauth.domains.get(domain)
    if pool_id is None:
        return {"DomainDescription": {}}
    return {
        "DomainDescription": {
            "UserPoolId": pool_id,
            "AWSAccountId": "000000000000",
            "Domain": domain,
            "CloudFrontDistribution": f"{domain}.local",
            "Version": "1",
            "Status": "ACTIVE",
            "ManagedLoginVersion": 1,
        }
    }


@operation("DeleteUserPoolDomain", signed=True)
async def delete_user_pool_domain(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteUserPoolDomain."""
    domain = p.req_str("Domain", max_len=63)
    pool = _pool_of(rc, p)
    data = rc.backend.oauth
    if data.domains.get(domain) != pool.id:
        raise invalid_parameter("No such domain or user pool exists.")
    del data.domains[domain]
    for key in [k for k, s in data.sessions.items() if s.pool_id == pool.id]:
        del data.sessions[key]
    return {}


# ---------------------------------------------------------------------- resource servers
def _scopes(p: Params) -> list[dict[str, str]]:
    raw = p.opt_list("Scopes") or []
    if len(raw) > 100:
        raise invalid_parameter("A resource server has at most 100 scopes.")
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for item in raw:
        if not isinstance(item, Mapping):
            raise ServiceError("SerializationException", "Expected a structure in Scopes")
        name, description = item.get("ScopeName"), item.get("ScopeDescription")
        if not isinstance(name, str) or not _SCOPE_NAME_RE.match(name) or len(name) > 256:
            raise invalid_parameter(f"Invalid ScopeName: {name}")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise invalid_parameter(f"Invalid ScopeDescription for scope {name}")
        if name in seen:
            raise invalid_parameter(f"Duplicate scope {name}")
        seen.add(name)
        out.append({"ScopeName": name, "ScopeDescription": description})
    return out


def _server_args(p: Params) -> tuple[str, str, list[dict[str, str]]]:
    identifier = p.req_str("Identifier", max_len=256)
    if not _IDENTIFIER_RE.match(identifier):
        raise invalid_parameter(f"Invalid Identifier: {identifier}")
    name = p.req_str("Name", max_len=256)
    return identifier, name, _scopes(p)


def _server(rc: RequestContext, pool: Pool, identifier: str) -> dict[str, Any]:
    server = rc.backend.oauth.resource_servers.get(pool.id, {}).get(identifier)
    if server is None:
        raise resource_not_found(f"Resource server {identifier} does not exist.")
    return server


@operation("CreateResourceServer", signed=True)
async def create_resource_server(rc: RequestContext, p: Params) -> dict[str, Any]:
    """CreateResourceServer: custom scopes ``identifier/scope`` for app clients."""
    pool = _pool_of(rc, p)
    identifier, name, scopes = _server_args(p)
    servers = rc.backend.oauth.resource_servers.setdefault(pool.id, {})
    if identifier in servers:
        raise invalid_parameter(f"{identifier} already exists in user pool {pool.id}.")
    servers[identifier] = {
        "UserPoolId": pool.id,
        "Identifier": identifier,
        "Name": name,
        "Scopes": scopes,
    }
    return {"ResourceServer": dict(servers[identifier])}


@operation("DescribeResourceServer", signed=True)
async def describe_resource_server(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DescribeResourceServer."""
    pool = _pool_of(rc, p)
    return {"ResourceServer": dict(_server(rc, pool, p.req_str("Identifier", max_len=256)))}


@operation("UpdateResourceServer", signed=True)
async def update_resource_server(rc: RequestContext, p: Params) -> dict[str, Any]:
    """UpdateResourceServer (unspecified scopes are removed, as in AWS)."""
    pool = _pool_of(rc, p)
    identifier, name, scopes = _server_args(p)
    server = _server(rc, pool, identifier)
    server.update({"Name": name, "Scopes": scopes})
    return {"ResourceServer": dict(server)}


@operation("DeleteResourceServer", signed=True)
async def delete_resource_server(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteResourceServer."""
    pool = _pool_of(rc, p)
    identifier = p.req_str("Identifier", max_len=256)
    _server(rc, pool, identifier)
    del rc.backend.oauth.resource_servers[pool.id][identifier]
    return {}


@operation("ListResourceServers", signed=True)
async def list_resource_servers(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListResourceServers (MaxResults 1-50, NextToken)."""
    pool = _pool_of(rc, p)
    limit = p.opt_int("MaxResults", minimum=1, maximum=50) or 50
    token = p.opt_str("NextToken")
    servers = sorted(rc.backend.oauth.resource_servers.get(pool.id, {}).items())
    start = 0
    if token is not None:
        if not token.isdigit() or int(token) > len(servers):
            raise invalid_parameter("Invalid NextToken")
        start = int(token)
    page = servers[start : start + limit]
    out: dict[str, Any] = {"ResourceServers": [dict(s) for _, s in page]}
    if start + limit < len(servers):
        out["NextToken"] = str(start + limit)
    return out
