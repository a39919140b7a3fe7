"""Officials' accounts in the Cognito user pool: created with a temporary password (so the first
sign-in must choose a new one), kept in the group of their profile, disabled when deactivated,
signed out everywhere when any of that changes.

After creation an account is addressed by its immutable `sub` (Cognito accepts it wherever a
user name is asked for), never by the e-mail, which is an alias its owner could try to change.

Receives the `cognito-idp` client in its constructor (moto in tests, AWS in Lambda). Provider
errors become platform errors here: an existing user name is a `Conflict`, anything else a
retryable `DependencyUnavailable`.
"""

from __future__ import annotations

import secrets
from typing import Any

from chalicelib.adapters.aws_errors import error_code, translated
from chalicelib.domain.errors import Conflict, DependencyUnavailable


def temporary_password() -> str:
    """A one-time password that satisfies the pool's policy (12+ characters, upper, lower, digit)."""
    return f"Sem-{secrets.token_urlsafe(12)}-a7K"


class CognitoUsers:
    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    def create(self, *, email: str, name: str, municipality: str, profile: str) -> str:
        """A new user in FORCE_CHANGE_PASSWORD state (Cognito e-mails the temporary password),
        in the group of its profile; returns its `sub`. `Conflict` when the e-mail already has an
        account."""
        created = self._call(
            "admin_create_user", UserPoolId=self._pool, Username=email, TemporaryPassword=temporary_password(),
            DesiredDeliveryMediums=["EMAIL"], UserAttributes=[
                {"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"},
                {"Name": "name", "Value": name}, {"Name": "custom:municipality", "Value": municipality},
                {"Name": "custom:profile", "Value": profile}])
        sub = next(a["Value"] for a in created["User"]["Attributes"] if a["Name"] == "sub")
        self._call("admin_add_user_to_group", UserPoolId=self._pool, Username=sub, GroupName=profile)
        return str(sub)

    def attributes(self, account: str) -> dict[str, str] | None:
        """The user's attributes (and `UserStatus`, `Enabled`, MFA list), or None when there is no such user."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            user = self._client.admin_get_user(UserPoolId=self._pool, Username=account)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) == "UserNotFoundException":
                return None
            raise _identity_error(exc) from exc
        attributes = {a["Name"]: a["Value"] for a in user.get("UserAttributes", [])}
        attributes["UserStatus"] = str(user.get("UserStatus", ""))
        attributes["Enabled"] = "true" if user.get("Enabled", True) else "false"
        attributes["MFA"] = ",".join(user.get("UserMFASettingList", []) or [])
        return attributes

    def change_profile(self, account: str, *, old: str, new: str) -> None:
        """Move the user to the new profile's group and claim; its sessions end (it signs in again)."""
        self._call("admin_update_user_attributes", UserPoolId=self._pool, Username=account,
                   UserAttributes=[{"Name": "custom:profile", "Value": new}])
        if old:
            self._call("admin_remove_user_from_group", UserPoolId=self._pool, Username=account, GroupName=old)
        self._call("admin_add_user_to_group", UserPoolId=self._pool, Username=account, GroupName=new)
        self.sign_out_everywhere(account)

    def set_enabled(self, account: str, enabled: bool) -> None:
        """Enable or disable sign-in; disabling also ends the user's sessions."""
        if enabled:
            self._call("admin_enable_user", UserPoolId=self._pool, Username=account)
            return
        self._call("admin_disable_user", UserPoolId=self._pool, Username=account)
        self.sign_out_everywhere(account)

    def reset_password(self, account: str) -> None:
        """Force a new password (Cognito e-mails a code; the old password stops working) and end
        every session of the account."""
        self._call("admin_reset_user_password", UserPoolId=self._pool, Username=account)
        self.sign_out_everywhere(account)

    def sign_out_everywhere(self, account: str) -> None:
        """AdminUserGlobalSignOut: the account's refresh tokens are revoked, so no device gets a
        new ID token from a session that began before now."""
        self._call("admin_user_global_sign_out", UserPoolId=self._pool, Username=account)

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            if error_code(exc) in ("UsernameExistsException", "AliasExistsException"):
                raise Conflict("Ya existe una cuenta con ese correo en la plataforma.", code="official_exists",
                               field="email") from exc
            raise _identity_error(exc) from exc


def _identity_error(exc: Exception) -> DependencyUnavailable:
    """Cognito failed: retryable when it was throttled, unreachable or at fault
    (`aws_errors.is_retryable`); otherwise a refusal (a parameter Cognito does not accept, a missing
    permission), reported as such and not retried."""
    return translated(exc, message="El servicio de identidad no está disponible; intente nuevamente.",
                      code="identity_unavailable",
                      refused=("El servicio de identidad rechazó la operación ({code}).", "identity_refused"))
