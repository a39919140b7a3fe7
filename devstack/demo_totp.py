"""The second factor (TOTP) of the demo officials, in the local user pool. Dev only.

The officials whose profile authorizes payments must sign in with a TOTP app. The demo ones are
enrolled when the demo data is seeded, so `make run` and the tests sign in as a real official
would: password, then the six-digit code. moto's Cognito gives every account the same TOTP key
(local test material, not a secret); the local stack's banner prints it, and

    python -m devstack.demo_totp KEY

prints the code of this moment, for a person trying the console without an authenticator app.
moto checks the codes only when its process has MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true,
which the local stack and the test fixtures set.
"""

from __future__ import annotations

import base64
import sys
import time
from typing import Any

STEP_S = 30
MOTO_CHECKS_CODES = {"MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP": "true"}


def code_at(secret: str, when: float) -> str:
    """The RFC 6238 code (SHA-1, 6 digits, 30 s) of a base32 key at a moment. Keys shorter than
    pyotp accepts are allowed: moto's is 12 characters."""
    from cryptography.hazmat.primitives.hashes import SHA1
    from cryptography.hazmat.primitives.twofactor.totp import TOTP

    key = secret.replace(" ", "").upper()
    key += "=" * (-len(key) % 8)
    totp = TOTP(base64.b32decode(key), 6, SHA1(), STEP_S, enforce_key_length=False)  # noqa: S303 - RFC 6238 is SHA-1
    return totp.generate(int(when)).decode()


def code_now(secret: str, *, margin_s: float = 8.0) -> str:
    """The code of the current 30-second step, waiting for the next step when fewer than
    `margin_s` seconds are left (moto accepts only the current step's code)."""
    left = STEP_S - time.time() % STEP_S
    if left < margin_s:
        time.sleep(left + 0.05)
    return code_at(secret, time.time())


def sign_in(cognito: Any, client_id: str, email: str, password: str, totp_secret: str | None) -> dict[str, Any]:
    """Cognito's tokens (`AuthenticationResult`) for a user signing in with password and, when
    Cognito asks for it, the TOTP code."""
    result = cognito.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": email, "PASSWORD": password})
    if result.get("ChallengeName") == "SOFTWARE_TOKEN_MFA":
        if totp_secret is None:
            raise ValueError(f"{email} has a TOTP app enrolled: its key is needed to sign in")
        result = cognito.respond_to_auth_challenge(
            ClientId=client_id, ChallengeName="SOFTWARE_TOKEN_MFA", Session=result["Session"],
            ChallengeResponses={"USERNAME": email, "SOFTWARE_TOKEN_MFA_CODE": code_now(totp_secret)})
    if "AuthenticationResult" not in result:
        raise ValueError(f"unexpected sign-in challenge for {email}: {result.get('ChallengeName')}")
    return dict(result["AuthenticationResult"])


def enroll(cognito: Any, client_id: str, email: str, password: str) -> str:
    """Enrol a TOTP app for the user as the console does (AssociateSoftwareToken,
    VerifySoftwareToken, then TOTP as the preferred factor); returns the TOTP key."""
    access = sign_in(cognito, client_id, email, password, None)["AccessToken"]
    secret = str(cognito.associate_software_token(AccessToken=access)["SecretCode"])
    cognito.verify_software_token(AccessToken=access, UserCode=code_now(secret), FriendlyDeviceName="demo")
    cognito.set_user_mfa_preference(AccessToken=access,
                                    SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
    return secret


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m devstack.demo_totp KEY   (the key printed by `make run`)")
    secret = sys.argv[1].replace(" ", "")
    left = int(STEP_S - time.time() % STEP_S)
    print(f"{code_at(secret, time.time())}  (válido por {left} s más)")


if __name__ == "__main__":
    main()
