"""Composition for work done on behalf of one municipality with credentials fenced to it.

When `SEM_TENANT_DATA_ROLE_ARN` is set (prod: the receipts worker), the table adapters of a
receipt job are built on a DynamoDB client whose credentials come from that role assumed with the
session tag `municipality=<cut>` (chalicelib/adapters/tenant_credentials.py): IAM then refuses any
key not beginning with `<cut>#`. Unset (locally and in tests, where moto enforces no IAM), the
job uses `wiring.receipt_context()` as it is. Kept beside wiring.py rather than inside it so the
composition root's shared adapters stay untouched; everything else of the context (bucket, KMS,
SES) is wiring's.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from chalicelib import wiring
from chalicelib.adapters.annulments_repo import AnnulmentRepository
from chalicelib.adapters.aws_clients import aws_client, aws_client_with_credentials
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.adapters.email_events_repo import EmailEventsRepository
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.adapters.receipts_repo import ReceiptRepository
from chalicelib.adapters.tenant_credentials import ScopedCredentials, TenantCredentials
from chalicelib.services.annulments import AnnulmentsContext
from chalicelib.services.receipts import ReceiptContext
from chalicelib.settings import get_settings

_lock = threading.Lock()
_credentials: dict[str, TenantCredentials] = {}
_repos: dict[str, tuple[ScopedCredentials, PaymentRepository, ReceiptRepository, MunicipalityRepository]] = {}


def tenant_credentials() -> TenantCredentials | None:
    """The tenant role's credential cache, or ``None`` when no tenant role is configured."""
    role_arn = get_settings().tenant_data_role_arn
    if not role_arn:
        return None
    with _lock:
        found = _credentials.get(role_arn)
        if found is None:
            found = _credentials[role_arn] = TenantCredentials(aws_client("sts"), role_arn)
        return found


def scoped_client(service: str, creds: ScopedCredentials) -> Any:
    """A client for `service` signed with `creds`, configured as `aws_client` makes them."""
    return aws_client_with_credentials(service, access_key_id=creds.access_key_id,
                                       secret_access_key=creds.secret_access_key, session_token=creds.session_token)


def receipt_context(code: str) -> ReceiptContext:
    """`wiring.receipt_context()` with its table adapters fenced to municipality `code`."""
    ctx = wiring.receipt_context()
    cache = tenant_credentials()
    if cache is None:
        return ctx
    creds = cache.for_municipality(code)
    with _lock:
        found = _repos.get(code)
        if found is None or found[0] is not creds:
            table = DynamoTable(scoped_client("dynamodb", creds), get_settings().table_name)
            found = (creds, PaymentRepository(table), ReceiptRepository(table), MunicipalityRepository(table))
            _repos[code] = found
    _, payments, receipts, municipalities = found
    return dataclasses.replace(ctx, payments=payments, receipts=receipts, municipalities=municipalities,
                               email_events=EmailEventsRepository(receipts.table))


def annulments_context(code: str) -> AnnulmentsContext:
    """`wiring.annulments_context()` with its table adapters fenced to municipality `code`."""
    fenced = receipt_context(code)
    return dataclasses.replace(wiring.annulments_context(), payments=fenced.payments,
                               annulments=AnnulmentRepository(fenced.receipts.table),
                               municipalities=fenced.municipalities)


def reset() -> None:
    """Forget cached credentials and adapters (tests switch environments)."""
    with _lock:
        _credentials.clear()
        _repos.clear()
