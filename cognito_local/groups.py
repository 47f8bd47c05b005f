"""User pool groups: the nine group operations and the group claims of tokens.

Sources (API reference, the same text as botocore's model documentation):

* CreateGroup ``RoleArn``: "Amazon Cognito ID tokens have a cognito:preferred_role claim
  that presents the highest-precedence group that a user belongs to. Both ID and access
  tokens also contain a cognito:groups claim that list all the groups that a user is a
  member of."
* CreateGroup ``Precedence``: "Zero is the highest precedence value. Groups with lower
  Precedence values take precedence over groups with higher or null Precedence values. If a
  user belongs to two or more groups, it is the group with the lowest precedence value
  whose role ARN is given in the user's tokens for the cognito:roles and
  cognito:preferred_role claims. Two groups can have the same Precedence value. If this
  happens, neither group takes precedence over the other. If two groups with the same
  Precedence have the same role ARN, that role is used in the cognito:preferred_role claim
  in tokens for users in each group. If the two groups have different role ARNs, the
  cognito:preferred_role claim isn't set in users' tokens."
* Developer guide, "Understanding the identity (ID) token"
  (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html):
  the ID token carries ``cognito:groups``, ``cognito:roles`` (every role ARN of the user's
  groups) and ``cognito:preferred_role``; "Understanding the access token" lists only
  ``cognito:groups`` for the access token. A user in no group gets none of these claims.
* Pagination (botocore's paginators): ListGroups, ListUsersInGroup and
  AdminListGroupsForUser page with ``Limit`` / ``NextToken`` (1..60).
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import TYPE_CHECKING, Any

import attrs

from .errors import ServiceError, invalid_parameter, resource_not_found
from .params import Params, RequestContext, operation

if TYPE_CHECKING:
    from .model import Pool, User

__all__ = ["Group", "group_claims", "groups_of_user", "pool_groups"]

# [\p{L}\p{M}\p{S}\p{N}\p{P}]+: no white space, no control characters.
_GROUP_NAME = re.compile(r"^[^\s\x00-\x1f\x7f-\x9f]+$")
_ROLE_ARN = re.compile(
    r"^arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+"
    r"(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?$"
)
GROUP_NOT_FOUND = "Group not found."


@attrs.define(eq=False)
class Group:
    """A user pool group: name, description, IAM role, precedence and members (by sub)."""

    pool_id: str
    name: str
    created: float
    modified: float
    description: str | None = None
    role_arn: str | None = None
    precedence: int | None = None
    #: Member ``sub``s, in the order they were added.
    members: dict[str, None] = attrs.field(factory=dict)

    def describe(self) -> dict[str, Any]:
        """The ``GroupType`` shape."""
        out: dict[str, Any] = {
            "GroupName": self.name,
            "UserPoolId": self.pool_id,
            "LastModifiedDate": self.modified,
            "CreationDate": self.created,
        }
        if self.description is not None:
            out["Description"] = self.description
        if self.role_arn is not None:
            out["RoleArn"] = self.role_arn
        if self.precedence is not None:
            out["Precedence"] = self.precedence
        return out


def pool_groups(pool: Pool) -> dict[str, Group]:
    """The pool's groups by name (created on first use)."""
    return pool.groups


def _rank(group: Group) -> tuple[int, int]:
    # Lower Precedence first; a group without one after every group that has one.
    return (0, group.precedence) if group.precedence is not None else (1, 0)


def groups_of_user(pool: Pool, user: User) -> list[Group]:
    """The user's groups, highest precedence first (then by name: the order AWS uses is
    not documented)."""
    found = [g for g in pool_groups(pool).values() if user.sub in g.members]
    return sorted(found, key=lambda g: (_rank(g), g.name))


def preferred_role(groups: list[Group]) -> str | None:
    """``cognito:preferred_role``: the role of the highest-precedence group with a role;
    none when the best-ranked groups with roles tie with different roles."""
    with_roles = [g for g in groups if g.role_arn]
    if not with_roles:
        return None
    best = min(_rank(g) for g in with_roles)
    roles = {g.role_arn for g in with_roles if _rank(g) == best}
    return roles.pop() if len(roles) == 1 else None


def group_claims(
    names: list[str], roles: list[str], preferred: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The group claims of the (ID token, access token) for the given groups and roles."""
    id_claims: dict[str, Any] = {}
    access: dict[str, Any] = {}
    if names:
        id_claims["cognito:groups"] = list(names)
        access["cognito:groups"] = list(names)
    if roles:
        id_claims["cognito:roles"] = list(roles)
    if preferred:
        id_claims["cognito:preferred_role"] = preferred
    return id_claims, access


def group_configuration(pool: Pool, user: User) -> dict[str, Any]:
    """The ``groupConfiguration`` of a pre token generation event."""
    groups = groups_of_user(pool, user)
    return {
        "groupsToOverride": [g.name for g in groups],
        "iamRolesToOverride": _roles(groups),
        "preferredRole": preferred_role(groups),
    }


def _roles(groups: list[Group]) -> list[str]:
    out: list[str] = []
    for g in groups:
        if g.role_arn and g.role_arn not in out:
            out.append(g.role_arn)
    return out


def remove_member_everywhere(pool: Pool, user: User) -> None:
    """Drop a deleted user from every group."""
    for group in pool_groups(pool).values():
        group.members.pop(user.sub, None)


# ---------------------------------------------------------------------------- requests
def _pool(rc: RequestContext, p: Params) -> Pool:
    return rc.backend.pool(p.req_str("UserPoolId", max_len=55))


def _name(p: Params) -> str:
    name = p.req_str("GroupName", max_len=128)
    if not _GROUP_NAME.match(name):
        raise invalid_parameter(
            f"1 validation error detected: Value '{name}' at 'groupName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"
        )
    return name


def _group(pool: Pool, p: Params) -> Group:
    group = pool_groups(pool).get(_name(p))
    if group is None:
        raise resource_not_found(GROUP_NOT_FOUND)
    return group


def _user(pool: Pool, p: Params) -> User:
    user = pool.find_user(p.req_str("Username", max_len=128))
    if user is None:
        raise ServiceError("UserNotFoundException", "User does not exist.")
    return user


def _role(p: Params) -> str | None:
    role = p.opt_str("RoleArn", min_len=20, max_len=2048)
    if role is not None and not _ROLE_ARN.match(role):
        raise invalid_parameter(
            f"1 validation error detected: Value '{role}' at 'roleArn' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "arn:[\\w+=/,.@-]+:[\\w+=/,.@-]+:([\\w+=/,.@-]*)?:[0-9]+:[\\w+=/,.@-]+"
            "(:[\\w+=/,.@-]+)?(:[\\w+=/,.@-]+)?"
        )
    return role


def _page(p: Params) -> tuple[int, int]:
    limit = p.opt_int("Limit", minimum=0, maximum=60) or 60
    token = p.opt_str("NextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("g:"))
        except (ValueError, binascii.Error):
            raise invalid_parameter("Invalid pagination token") from None
    return start, limit


def _paged(items: list[Any], start: int, limit: int, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {key: items[start : start + limit]}
    if start + limit < len(items):
        out["NextToken"] = base64.urlsafe_b64encode(f"g:{start + limit}".encode()).decode()
    return out


@operation("CreateGroup", signed=True)
async def create_group(rc: RequestContext, p: Params) -> dict[str, Any]:
    """CreateGroup."""
    pool = _pool(rc, p)
    name = _name(p)
    description = p.opt_str("Description", min_len=0, max_len=2048)
    role = _role(p)
    precedence = p.opt_int("Precedence", minimum=0)
    groups = pool_groups(pool)
    if name in groups:
        raise ServiceError("GroupExistsException", "A group with the name already exists.")
    now = rc.backend.clock.now()
    group = Group(
        pool_id=pool.id,
        name=name,
        created=now,
        modified=now,
        description=description,
        role_arn=role,
        precedence=precedence,
    )
    groups[name] = group
    return {"Group": group.describe()}


@operation("GetGroup", signed=True)
async def get_group(rc: RequestContext, p: Params) -> dict[str, Any]:
    """GetGroup."""
    return {"Group": _group(_pool(rc, p), p).describe()}


@operation("UpdateGroup", signed=True)
async def update_group(rc: RequestContext, p: Params) -> dict[str, Any]:
    """UpdateGroup: "updates any of the properties for precedence, IAM role, or
    description" (API reference): only the members given change, unlike UpdateUserPool."""
    pool = _pool(rc, p)
    group = _group(pool, p)
    description = p.opt_str("Description", min_len=0, max_len=2048)
    role = _role(p)
    precedence = p.opt_int("Precedence", minimum=0)
    if description is not None:
        group.description = description
    if role is not None:
        group.role_arn = role
    if precedence is not None:
        group.precedence = precedence
    group.modified = rc.backend.clock.now()
    return {"Group": group.describe()}


@operation("DeleteGroup", signed=True)
async def delete_group(rc: RequestContext, p: Params) -> dict[str, Any]:
    """DeleteGroup (its members stay in the pool)."""
    pool = _pool(rc, p)
    group = _group(pool, p)
    pool_groups(pool).pop(group.name, None)
    return {}


@operation("ListGroups", signed=True)
async def list_groups(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListGroups (Limit / NextToken)."""
    pool = _pool(rc, p)
    start, limit = _page(p)
    groups = [g.describe() for g in pool_groups(pool).values()]
    return _paged(groups, start, limit, "Groups")


@operation("AdminAddUserToGroup", signed=True)
async def admin_add_user_to_group(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminAddUserToGroup (adding a member again changes nothing)."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    group = _group(pool, p)
    group.members.setdefault(user.sub, None)
    return {}


@operation("AdminRemoveUserFromGroup", signed=True)
async def admin_remove_user_from_group(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminRemoveUserFromGroup."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    group = _group(pool, p)
    group.members.pop(user.sub, None)
    return {}


@operation("AdminListGroupsForUser", signed=True)
async def admin_list_groups_for_user(rc: RequestContext, p: Params) -> dict[str, Any]:
    """AdminListGroupsForUser (Limit / NextToken)."""
    pool = _pool(rc, p)
    user = _user(pool, p)
    start, limit = _page(p)
    groups = [g.describe() for g in groups_of_user(pool, user)]
    return _paged(groups, start, limit, "Groups")


@operation("ListUsersInGroup", signed=True)
async def list_users_in_group(rc: RequestContext, p: Params) -> dict[str, Any]:
    """ListUsersInGroup (Limit / NextToken), members in the order they were added."""
    from .admin import user_type  # admin -> account -> state -> hooks -> groups

    pool = _pool(rc, p)
    group = _group(pool, p)
    start, limit = _page(p)
    by_sub = {u.sub: u for u in pool.users.values()}
    users = [user_type(by_sub[sub]) for sub in group.members if sub in by_sub]
    return _paged(users, start, limit, "Users")
