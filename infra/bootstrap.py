"""Creates what SEM's CloudFormation file cannot (locally: what moto's CloudFormation skips).

- the officials' Cognito user pool, its app client and one group per profile — hardened, and
  this is their one description (the CloudFormation template has none);
- the SES sender identities of the platform and of each municipality;
- the asymmetric KMS key of the platform's certificate authority (moto ignores KeySpec in
  CloudFormation, so it is created by API).

Every step looks first and creates only what is missing, so running it twice changes nothing.
Used by the local stack and the functional tests; in production it is run once per account (see
docs/deploy.md). Dev/ops tooling, never deployed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# Profiles (Cognito groups). The permission matrix that gives them meaning lives with the admin API.
PROFILES = (
    "alcalde",
    "director_finanzas",
    "tesorero",
    "tesorero_subrogante",
    "operador_rentas",
    "operador_transito",
    "administrador_municipal",
    "administrador_subdere",
    "soporte",
)

CA_KEY_ALIAS = "alias/sem/platform-ca"
# The CA key's own purpose tag: IAM lets it sign certificates only, and no function may create,
# tag, disable or delete a key of this purpose (docs/security.md, "KMS keys").
CA_KEY_PURPOSE = "signing-ca"


@dataclass(frozen=True)
class BootstrapResult:
    """Identifiers the app's settings need."""

    user_pool_id: str
    user_pool_client_id: str
    ca_key_id: str

    def env(self) -> dict[str, str]:
        return {
            "SEM_COGNITO_USER_POOL_ID": self.user_pool_id,
            "SEM_COGNITO_CLIENT_ID": self.user_pool_client_id,
            "SEM_CA_KMS_KEY_ID": self.ca_key_id,
        }


def bootstrap(
    *, cognito: Any, ses: Any, kms: Any, stage: str, sender_identities: Iterable[str]
) -> BootstrapResult:
    """Create (or find) the pool, client, groups, sender identities and CA key."""
    pool_id = ensure_user_pool(cognito, f"sem-{stage}")
    client_id = ensure_app_client(cognito, pool_id, f"sem-console-{stage}")
    for profile in PROFILES:
        ensure_group(cognito, pool_id, profile)
    for identity in sender_identities:
        ensure_sender_identity(ses, identity)
    key_id = ensure_signing_key(kms, CA_KEY_ALIAS, "SEM platform certificate authority", purpose=CA_KEY_PURPOSE)
    return BootstrapResult(user_pool_id=pool_id, user_pool_client_id=client_id, ca_key_id=key_id)


# The officials' user pool and console client, hardened (docs/security.md, identity and sessions).
# This module is the one description of them for every environment: CloudFormation's
# AWS::Cognito::UserPool is not created by moto, and two descriptions would drift.
USER_POOL_SETTINGS: dict[str, Any] = {
    "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireUppercase": True, "RequireLowercase": True,
                                    "RequireNumbers": True, "RequireSymbols": False,
                                    "TemporaryPasswordValidityDays": 7}},
    "AutoVerifiedAttributes": ["email"],
    # An e-mail change takes effect only once the new address is verified with the code Cognito
    # sends to it; until then the account keeps its verified address.
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
    "MfaConfiguration": "OPTIONAL",
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
}
# Fixed when the pool is created (Cognito cannot change them afterwards).
USER_POOL_CREATION: dict[str, Any] = {
    "UsernameAttributes": ["email"],
    # `Tesorero@muni.cl` is the same account as `tesorero@muni.cl`: no look-alike second account.
    "UsernameConfiguration": {"CaseSensitive": False},
    # Mutable so that the platform (an administrator call) can move a profile; the app client
    # below cannot write them, and the platform never trusts them (services/auth.py).
    "Schema": [
        {"Name": "municipality", "AttributeDataType": "String", "Mutable": True,
         "StringAttributeConstraints": {"MinLength": "5", "MaxLength": "5"}},
        {"Name": "profile", "AttributeDataType": "String", "Mutable": True},
    ],
}
# The browser console's app client.
APP_CLIENT_SETTINGS: dict[str, Any] = {
    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    "PreventUserExistenceErrors": "ENABLED",
    # What an official may change of their own account with their access token
    # (UpdateUserAttributes): the display name only. `email` goes through verification and an
    # administrator; `custom:*` only through the platform's administrator calls.
    "WriteAttributes": ["name"],
    "ReadAttributes": ["email", "email_verified", "name", "custom:municipality", "custom:profile"],
    "AccessTokenValidity": 60,
    "IdTokenValidity": 60,
    # The console never uses a refresh token (it keeps none: sessionStorage holds the ID and
    # access tokens only), so it is only worth something to whoever steals one. One hour is
    # Cognito's minimum: a stolen refresh token outlives the ID token it came with by at most
    # an hour, and a global sign-out revokes it before that.
    "RefreshTokenValidity": 60,
    "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "minutes"},
    "AuthSessionValidity": 3,
    "EnableTokenRevocation": True,
}


def ensure_user_pool(cognito: Any, name: str) -> str:
    """Create the hardened pool, or bring an existing one to the hardened settings (those
    Cognito can change); an existing pool whose fixed settings are not the hardened ones is an
    error to fix by hand (docs/deploy.md)."""
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                pool_id = str(pool["Id"])
                current = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
                _check_fixed_settings(current)
                if any(current.get(key) != value for key, value in USER_POOL_SETTINGS.items()):
                    cognito.update_user_pool(UserPoolId=pool_id, **USER_POOL_SETTINGS)
                return pool_id
    pool = cognito.create_user_pool(PoolName=name, **USER_POOL_SETTINGS, **USER_POOL_CREATION)
    return str(pool["UserPool"]["Id"])


def _check_fixed_settings(pool: dict[str, Any]) -> None:
    if (pool.get("UsernameConfiguration") or {}).get("CaseSensitive", True):
        raise RuntimeError(f"user pool {pool.get('Id')} has case-sensitive user names; Cognito cannot change that: "
                           "create a new pool with infra.bootstrap and move the officials (docs/deploy.md)")


def ensure_app_client(cognito: Any, pool_id: str, name: str) -> str:
    """Create the console's client, or bring an existing one to the hardened settings (an
    update replaces every setting, so all of them are given)."""
    for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=pool_id, MaxResults=60):
        for client in page["UserPoolClients"]:
            if client["ClientName"] == name:
                client_id = str(client["ClientId"])
                cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, ClientName=name,
                                                **APP_CLIENT_SETTINGS)
                return client_id
    client = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=name, GenerateSecret=False,
                                             **APP_CLIENT_SETTINGS)
    return str(client["UserPoolClient"]["ClientId"])


def ensure_group(cognito: Any, pool_id: str, group: str) -> None:
    from botocore.exceptions import ClientError

    try:
        cognito.get_group(GroupName=group, UserPoolId=pool_id)
    except ClientError:
        cognito.create_group(GroupName=group, UserPoolId=pool_id)


def ensure_sender_identity(ses: Any, identity: str) -> None:
    """Verify an e-mail address (or domain) as a sender. In AWS, an address gets a verification
    e-mail; moto marks it verified at once."""
    known = ses.list_identities()["Identities"]
    if identity in known:
        return
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)


def ensure_signing_key(kms: Any, alias: str, description: str, *, purpose: str = "signing") -> str:
    """An asymmetric RSA signing key behind `alias`, tagged `sem:purpose=<purpose>` (created once;
    the private half never leaves KMS). A key made before the CA had its own purpose is re-tagged:
    bootstrap runs with an operator's credentials, which no function has."""
    from botocore.exceptions import ClientError

    try:
        found = str(kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"])
    except ClientError:
        found = None
    if found is not None:
        tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=found).get("Tags", [])}
        if tags.get("sem:purpose") != purpose:
            kms.tag_resource(KeyId=found, Tags=[{"TagKey": "sem:purpose", "TagValue": purpose}])
        return found
    key = kms.create_key(
        Description=description,
        KeyUsage="SIGN_VERIFY",
        KeySpec="RSA_3072",
        Tags=[{"TagKey": "sem:purpose", "TagValue": purpose}],
    )
    key_id = str(key["KeyMetadata"]["KeyId"])
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return key_id
