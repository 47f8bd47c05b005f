"""Feature plans (``UserPoolTier``): what Lite, Essentials and Plus allow.

Developer guide, "User pool feature plans"
(https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-sign-in-feature-plans.html):
Lite has the basic features; Essentials adds passwordless sign-in (``EMAIL_OTP``,
``SMS_OTP``, ``WEB_AUTHN`` first factors: choice-based sign-in), e-mail message MFA and
access token customization (pre token generation events ``V2_0`` / ``V3_0``, per
"Pre token generation Lambda trigger": "In user pools with the Essentials or Plus feature
plan, you can generate the version two ... trigger event"); Plus adds threat protection
("Threat protection is available in the Plus feature plan", "Advanced security with threat
protection"). New pools default to Essentials (CreateUserPool ``UserPoolTier``: "Defaults
to ESSENTIALS").

Configuring a feature the plan lacks is refused with ``FeatureUnavailableInTierException``
in AWS's words: "The following features need to be disabled for the LITE pricing tier
configured: Passwordless Sign-In" (aws-amplify/amplify-backend#2805) and "... for the
ESSENTIALS pricing tier configured: Threat Protection" (hashicorp/terraform-provider-aws
#40734, aws/aws-cdk#33565). The names of the other two features in that message
("Email MFA", "Access Token Customization") are this emulator's: no source quotes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import ServiceError, invalid_parameter

__all__ = ["TIERS", "check_tier", "tier_features"]

TIERS = ("LITE", "ESSENTIALS", "PLUS")
_RANK = {name: index for index, name in enumerate(TIERS)}


def tier_features(settings: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(feature name, lowest tier)`` of each gated feature these pool settings use."""
    used: list[tuple[str, str]] = []
    factors = ((settings.get("Policies") or {}).get("SignInPolicy") or {}).get(
        "AllowedFirstAuthFactors"
    ) or ["PASSWORD"]
    if any(f != "PASSWORD" for f in factors):
        used.append(("Passwordless Sign-In", "ESSENTIALS"))
    if (
        settings.get("EmailMfaConfiguration") is not None
        and settings.get("MfaConfiguration", "OFF") != "OFF"
    ):
        used.append(("Email MFA", "ESSENTIALS"))
    lambdas = settings.get("LambdaConfig") or {}
    version = (lambdas.get("PreTokenGenerationConfig") or {}).get("LambdaVersion")
    if version in ("V2_0", "V3_0"):
        used.append(("Access Token Customization", "ESSENTIALS"))
    mode = (settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode", "OFF")
    if mode in ("AUDIT", "ENFORCED"):
        used.append(("Threat Protection", "PLUS"))
    return used


def check_tier(settings: Mapping[str, Any]) -> None:
    """Refuse pool settings that use a feature outside the pool's ``UserPoolTier``.

    Raises:
        ServiceError: ``InvalidParameterException`` for an unknown tier,
            ``FeatureUnavailableInTierException`` naming every feature to disable.
    """
    tier = settings.get("UserPoolTier", "ESSENTIALS")
    if not isinstance(tier, str) or tier not in _RANK:
        raise invalid_parameter(
            f"1 validation error detected: Value '{tier}' at 'userPoolTier' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(TIERS)}]"
        )
    missing = [name for name, needed in tier_features(settings) if _RANK[needed] > _RANK[tier]]
    if missing:
        raise ServiceError(
            "FeatureUnavailableInTierException",
            f"The following features need to be disabled for the {tier} pricing tier "
            f"configured: {', '.join(missing)}",
        )
