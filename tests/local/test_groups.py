"""Groups: the nine operations over HTTP (aiobotocore and boto3 paginators), their errors,
and the group claims of tokens, verified with the library's TokenVerifier."""

from __future__ import annotations

from typing import Any

import pytest

from cognito_flows import TokenVerifier
from cognito_local import LocalCognito

from .conftest import PASSWORD, Srp, fails, in_thread

ROLE_A = "arn:aws:iam::123456789012:role/admins"
ROLE_B = "arn:aws:iam::123456789012:role/editors"


async def group(idp: Any, local: LocalCognito, name: str, **kwargs: Any) -> dict[str, Any]:
    created: dict[str, Any] = await idp.create_group(
        UserPoolId=local.user_pool_id, GroupName=name, **kwargs
    )
    return created["Group"]


async def add(idp: Any, local: LocalCognito, username: str, name: str) -> None:
    await idp.admin_add_user_to_group(
        UserPoolId=local.user_pool_id, Username=username, GroupName=name
    )


def verifier(local: LocalCognito) -> TokenVerifier:
    return TokenVerifier(
        user_pool_id=local.user_pool_id,
        client_id=local.client_id,
        endpoint_url=local.endpoint_url,
        clock=local.clock.now,
    )


async def test_create_get_update_delete(local: LocalCognito, idp: Any) -> None:
    created = await group(idp, local, "admins", Description="Admins", Precedence=0, RoleArn=ROLE_A)
    assert created["GroupName"] == "admins" and created["UserPoolId"] == local.user_pool_id
    assert created["Precedence"] == 0 and created["RoleArn"] == ROLE_A
    assert created["CreationDate"] == created["LastModifiedDate"]
    got = (await idp.get_group(UserPoolId=local.user_pool_id, GroupName="admins"))["Group"]
    assert got == created
    local.clock.advance(5)
    updated = (
        await idp.update_group(UserPoolId=local.user_pool_id, GroupName="admins", Precedence=3)
    )["Group"]
    # Only the members given change.
    assert updated["Precedence"] == 3 and updated["Description"] == "Admins"
    assert updated["RoleArn"] == ROLE_A
    assert updated["LastModifiedDate"] > updated["CreationDate"]
    await idp.delete_group(UserPoolId=local.user_pool_id, GroupName="admins")
    await fails(
        idp.get_group(UserPoolId=local.user_pool_id, GroupName="admins"),
        "ResourceNotFoundException",
        "Group not found.",
    )


async def test_errors(local: LocalCognito, idp: Any) -> None:
    local.pool().create_user("ann", PASSWORD)
    await group(idp, local, "admins")
    await fails(group(idp, local, "admins"), "GroupExistsException")
    await fails(
        group(idp, local, "bad", RoleArn="not-an-arn-but-long-enough"), "InvalidParameterException"
    )
    await fails(group(idp, local, "two words"), "InvalidParameterException")
    await fails(add(idp, local, "nobody", "admins"), "UserNotFoundException")
    await fails(add(idp, local, "ann", "nogroup"), "ResourceNotFoundException", "Group not found.")
    await fails(idp.list_groups(UserPoolId="us-east-1_Missing1"), "ResourceNotFoundException")
    await fails(
        idp.list_users_in_group(UserPoolId=local.user_pool_id, GroupName="nogroup"),
        "ResourceNotFoundException",
    )
    await fails(
        idp.admin_list_groups_for_user(UserPoolId=local.user_pool_id, Username="nobody"),
        "UserNotFoundException",
    )


async def test_membership_and_pagination(local: LocalCognito, idp: Any, boto: Any) -> None:
    for i in range(5):
        local.pool().create_user(f"user{i}", PASSWORD)
    for name in ("g0", "g1", "g2"):
        await group(idp, local, name)
    for i in range(5):
        await add(idp, local, f"user{i}", "g1")
    await add(idp, local, "user0", "g2")
    await add(idp, local, "user0", "g0")
    await add(idp, local, "user0", "g0")  # twice changes nothing
    first = await idp.list_groups(UserPoolId=local.user_pool_id, Limit=2)
    assert [g["GroupName"] for g in first["Groups"]] == ["g0", "g1"]
    second = await idp.list_groups(
        UserPoolId=local.user_pool_id, Limit=2, NextToken=first["NextToken"]
    )
    assert [g["GroupName"] for g in second["Groups"]] == ["g2"] and "NextToken" not in second

    def paginate(operation: str, key: str, field: str, **kwargs: Any) -> list[list[str]]:
        pages = boto.get_paginator(operation).paginate(
            UserPoolId=local.user_pool_id, PaginationConfig={"PageSize": 2}, **kwargs
        )
        return [[item[field] for item in page[key]] for page in pages]

    assert await in_thread(
        paginate, "list_users_in_group", "Users", "Username", GroupName="g1"
    ) == [
        ["user0", "user1"],
        ["user2", "user3"],
        ["user4"],
    ]
    assert await in_thread(
        paginate, "admin_list_groups_for_user", "Groups", "GroupName", Username="user0"
    ) == [["g0", "g1"], ["g2"]]
    assert await in_thread(paginate, "list_groups", "Groups", "GroupName") == [["g0", "g1"], ["g2"]]
    await idp.admin_remove_user_from_group(
        UserPoolId=local.user_pool_id, Username="user0", GroupName="g1"
    )
    members = await idp.list_users_in_group(UserPoolId=local.user_pool_id, GroupName="g1")
    assert [u["Username"] for u in members["Users"]] == ["user1", "user2", "user3", "user4"]
    # A deleted user leaves its groups; a deleted group leaves its users in the pool.
    await idp.admin_delete_user(UserPoolId=local.user_pool_id, Username="user1")
    await idp.delete_group(UserPoolId=local.user_pool_id, GroupName="g2")
    members = await idp.list_users_in_group(UserPoolId=local.user_pool_id, GroupName="g1")
    assert [u["Username"] for u in members["Users"]] == ["user2", "user3", "user4"]
    mine = await idp.admin_list_groups_for_user(UserPoolId=local.user_pool_id, Username="user0")
    assert [g["GroupName"] for g in mine["Groups"]] == ["g0"]


async def test_token_claims_follow_precedence(
    local: LocalCognito, idp: Any, srp_client: Srp
) -> None:
    local.pool().create_user("ada", PASSWORD)
    await group(idp, local, "readers")  # no precedence, no role
    await group(idp, local, "editors", Precedence=5, RoleArn=ROLE_B)
    await group(idp, local, "admins", Precedence=1, RoleArn=ROLE_A)
    for name in ("readers", "editors", "admins"):
        await add(idp, local, "ada", name)
    tokens = (await srp_client.sign_in("ada", PASSWORD))["AuthenticationResult"]
    id_claims = await verifier(local).verify_id_token(tokens["IdToken"])
    access = await verifier(local).verify_access_token(tokens["AccessToken"])
    assert id_claims["cognito:groups"] == ["admins", "editors", "readers"]
    assert access["cognito:groups"] == ["admins", "editors", "readers"]
    assert id_claims["cognito:roles"] == [ROLE_A, ROLE_B]
    assert id_claims["cognito:preferred_role"] == ROLE_A
    # The access token carries the groups only.
    assert "cognito:roles" not in access and "cognito:preferred_role" not in access
    # Refreshed tokens see membership as it is now.
    await idp.admin_remove_user_from_group(
        UserPoolId=local.user_pool_id, Username="ada", GroupName="admins"
    )
    refreshed = await idp.initiate_auth(
        AuthFlow="REFRESH_TOKEN_AUTH",
        ClientId=local.client_id,
        AuthParameters={"REFRESH_TOKEN": tokens["RefreshToken"]},
    )
    id_claims = await verifier(local).verify_id_token(refreshed["AuthenticationResult"]["IdToken"])
    assert id_claims["cognito:groups"] == ["editors", "readers"]
    assert id_claims["cognito:preferred_role"] == ROLE_B


@pytest.mark.parametrize(
    ("second_role", "preferred"), [(ROLE_A, ROLE_A), (ROLE_B, None)], ids=["same", "different"]
)
async def test_equal_precedence(
    local: LocalCognito,
    idp: Any,
    srp_client: Srp,
    second_role: str,
    preferred: str | None,
) -> None:
    # "If two groups with the same Precedence have the same role ARN, that role is used in
    # the cognito:preferred_role claim ... If the two groups have different role ARNs, the
    # cognito:preferred_role claim isn't set" (CreateGroup, Precedence).
    local.pool().create_user("bea", PASSWORD)
    await group(idp, local, "one", Precedence=2, RoleArn=ROLE_A)
    await group(idp, local, "two", Precedence=2, RoleArn=second_role)
    await add(idp, local, "bea", "one")
    await add(idp, local, "bea", "two")
    tokens = (await srp_client.sign_in("bea", PASSWORD))["AuthenticationResult"]
    id_claims = await verifier(local).verify_id_token(tokens["IdToken"])
    assert id_claims.get("cognito:preferred_role") == preferred
    assert sorted(id_claims["cognito:groups"]) == ["one", "two"]


async def test_no_group_no_claims(local: LocalCognito, srp_client: Srp) -> None:
    local.pool().create_user("cy", PASSWORD)
    tokens = (await srp_client.sign_in("cy", PASSWORD))["AuthenticationResult"]
    id_claims = await verifier(local).verify_id_token(tokens["IdToken"])
    access = await verifier(local).verify_access_token(tokens["AccessToken"])
    for claims in (id_claims, access):
        assert not {"cognito:groups", "cognito:roles", "cognito:preferred_role"} & set(claims)


# ---------------------------------------------------------------------------- ListUsers
async def test_list_users_filters(local: LocalCognito, idp: Any) -> None:
    pool = local.pool()
    pool.create_user("ann", PASSWORD, attributes={"email": "ann@example.com", "name": "Ann"})
    pool.create_user("anna", PASSWORD, attributes={"given_name": "Anna", "family_name": "Lee"})
    pool.create_user("bob", PASSWORD, status="FORCE_CHANGE_PASSWORD", enabled=False)

    async def names(expression: str) -> list[str]:
        found = await idp.list_users(UserPoolId=local.user_pool_id, Filter=expression)
        return [u["Username"] for u in found["Users"]]

    assert await names('username = "ann"') == ["ann"]
    assert await names('username ^= "ann"') == ["ann", "anna"]
    assert await names('username = "ANN"') == []  # username is case-sensitive
    assert await names('email ^= "ann@"') == ["ann"]
    assert await names('name = "Ann"') == ["ann"]
    assert await names('given_name = "Anna"') == ["anna"]
    assert await names('family_name ^= "L"') == ["anna"]
    # cognito:user_status is case-insensitive; status (enabled) is not.
    assert await names('cognito:user_status = "force_change_password"') == ["bob"]
    assert await names('status = "Disabled"') == ["bob"]
    assert await names('status = "disabled"') == []
    sub = pool.user("anna").sub
    assert await names(f'sub = "{sub}"') == ["anna"]
    assert await names("") == ["ann", "anna", "bob"]
    await fails(
        idp.list_users(UserPoolId=local.user_pool_id, Filter='custom:tier = "x"'),
        "InvalidParameterException",
    )
    await fails(
        idp.list_users(UserPoolId=local.user_pool_id, Filter='email != "x"'),
        "InvalidParameterException",
    )
