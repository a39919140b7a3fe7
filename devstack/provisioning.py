"""Provision a local AWS stand-in (moto) for SEM: resources, bootstrap, demo data. Dev only."""

from __future__ import annotations

import contextlib
from typing import Any

from chalicelib.adapters.dynamo import DynamoTable
from devstack import demo_data, seed
from infra.bootstrap import bootstrap
from infra.provision import create_stack, settings_env

PLATFORM_SENDER = "no-responder@sem.demo"
CONFIGURATION_SET = "sem-local-receipts"


def clients(endpoint_url: str | None, region: str = "us-east-1") -> dict[str, Any]:
    import boto3

    session = boto3.session.Session(region_name=region)
    return {name: session.client(name, endpoint_url=endpoint_url)
            for name in ("cloudformation", "dynamodb", "cognito-idp", "ses", "kms", "s3", "sqs")}


def provision(endpoint_url: str | None, *, stage: str = "local", with_demo_data: bool = True,
              with_demo_users: bool = True, extra_origins: list[str] | None = None,
              aws: dict[str, Any] | None = None) -> dict[str, Any]:
    """Create everything a local SEM needs; returns the app's environment and counts."""
    aws = aws or clients(endpoint_url)
    outputs = create_stack(aws["cloudformation"], f"sem-{stage}")
    senders = [PLATFORM_SENDER] + [f"no-responder@{m['domain']}" for m in demo_data.MUNICIPALITIES]
    boot = bootstrap(cognito=aws["cognito-idp"], ses=aws["ses"], kms=aws["kms"], stage=stage,
                     sender_identities=senders)
    env = {**settings_env(outputs), **boot.env(), "SEM_SES_CONFIGURATION_SET": CONFIGURATION_SET}
    # The template's SES configuration set and its event destination are not made by moto's
    # CloudFormation: the set is made here, and devstack/ses_events.py plays the destination.
    with contextlib.suppress(aws["ses"].exceptions.ConfigurationSetAlreadyExistsException):
        aws["ses"].create_configuration_set(ConfigurationSet={"Name": CONFIGURATION_SET})
    counts: dict[str, int] = {}
    portal_keys: dict[str, str] = {}
    totp_secret: str | None = None
    secrets_env = local_secrets()
    if with_demo_data:
        table = DynamoTable(aws["dynamodb"], outputs["TableName"])
        counts = seed.seed_table(table, extra_origins=extra_origins)
        counts["representations"] = seed.seed_representations(table, secrets_env["SEM_CITIZEN_INDEX_SECRET"])
        portal_keys = seed.seed_portal_keys(table)
        counts["receipt_token_keys"] = seed.seed_receipt_token_keys(aws["kms"])
        if with_demo_users:
            counts["cognito_users"], totp_secret = seed.seed_officials_in_cognito(
                aws["cognito-idp"], boot.user_pool_id, boot.user_pool_client_id, table)
    env.update(secrets_env)
    return {"env": env, "counts": counts, "outputs": outputs, "portal_keys": portal_keys, "totp_secret": totp_secret}


def local_secrets() -> dict[str, str]:
    """Secrets of this local run, generated now (never committed, gone when the stack stops)."""
    import json
    import secrets

    return {"SEM_ACCESS_TOKEN_SECRET": secrets.token_urlsafe(32),
            "SEM_TGR_WEBHOOK_SECRETS": json.dumps([secrets.token_urlsafe(32)]),
            "SEM_ALLOW_ESTIMATED_AMOUNTS": "true",
            # Citizens' space (docs/citizens.md): the ClaveÚnica simulator's client, our session
            # and RUN-index keys.
            "SEM_CLAVEUNICA_CLIENT_ID": "sem-local",
            "SEM_CLAVEUNICA_CLIENT_SECRET": secrets.token_urlsafe(32),
            "SEM_CITIZEN_SESSION_SECRET": secrets.token_urlsafe(32),
            "SEM_CITIZEN_INDEX_SECRET": secrets.token_urlsafe(32)}
