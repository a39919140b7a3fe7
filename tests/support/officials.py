"""Signing in as a demo official against the test's moto, as the console does: password, then
the TOTP code when Cognito asks for it (the payment-authorizing profiles)."""

from __future__ import annotations

from typing import Any

import boto3

from devstack import demo_totp
from devstack.demo_data import DEMO_PASSWORD


def id_token(facts: dict[str, Any], email: str, password: str = DEMO_PASSWORD) -> str:
    """The official's Cognito ID token. `facts` is what the stack fixtures return (provisioning's
    environment and the demo TOTP key)."""
    result = demo_totp.sign_in(boto3.client("cognito-idp"), facts["env"]["SEM_COGNITO_CLIENT_ID"], email,
                               password, facts.get("totp_secret"))
    return str(result["IdToken"])
