"""The verification tests' world: a module's app with a fake TGR and a fixed clock, and a
payment made, approved and issued through the app and the receipts worker (against moto)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import boto3

from chalicelib import wiring
from chalicelib.domain import webhook_signature
from chalicelib.domain.receipt_state import issued_receipt
from tests.support.clocks import PAYMENT_DAY
from tests.support.gateways import FakeGateway
from tests.support.receipt_jobs import deliver, take_job

ORIGIN = "http://127.0.0.1"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def make_world(facts: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The app on the shared demo stack, its payments through a fake TGR at 20-03-2027 10:00."""
    import pytest
    from chalice.test import Client

    from app import app

    gateway = FakeGateway(prefix="TGR-V")
    now = PAYMENT_DAY
    real_payments, real_receipts = wiring.payment_context, wiring.receipt_context

    def payments() -> Any:
        ctx: Any = real_payments()
        ctx.gateway, ctx.clock = gateway, lambda: now
        return ctx

    def receipts() -> Any:
        ctx = real_receipts()
        ctx.clock = lambda: now
        return ctx

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wiring, "payment_context", payments)
        mp.setattr(wiring, "receipt_context", receipts)
        mp.setattr(wiring, "today_in_chile", lambda: now.date())
        with Client(app, stage_name="test") as client:
            yield {"client": client, "facts": facts, "now": now}


def call(world: dict[str, Any], method: str, path: str, *, headers: dict[str, str] | None = None,
         body: bytes | None = None) -> tuple[int, Any, dict[str, str]]:
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if body is not None:
        kwargs["body"] = body
    response = getattr(world["client"].http, method)(path, **kwargs)
    payload: Any = response.body
    if response.headers.get("Content-Type", "").startswith("application/json"):
        payload = json.loads(payload)
    elif isinstance(payload, bytes):
        payload = payload.decode()
    return response.status_code, payload, response.headers


def pay_and_issue(world: dict[str, Any], items: list[dict[str, Any]], *, key: str) -> dict[str, Any]:
    """A payment of `items` in 13101, approved by TGR and its receipt issued by the worker; returns
    the payment as created (with `receipt`: folio, code, object key)."""
    payer = {"rut": "12.345.678-5", "name": "María José Pérez", "email": f"{key}@ciudadano.demo"}
    body = json.dumps({"items": items, "payer": payer, "return_url": f"{ORIGIN}/retorno.html"}).encode()
    status, created, _ = call(world, "post", "/v1/municipalities/13101/payments", body=body, headers={
        "Content-Type": "application/json", "Origin": ORIGIN, "X-Api-Key": world["facts"]["portal_keys"]["13101"],
        "Idempotency-Key": key})
    assert status == 201, created
    payment_id = created["payment_id"]
    payment = wiring.payments_repo().get("13101", payment_id)
    assert payment is not None
    note = json.dumps({"notification_id": f"n-{time.time_ns()}", "order_id": payment["order_id"],
                       "payment_id": payment_id, "status": "approved", "amount": payment["amount"],
                       "authorization_code": "123456", "method": "debito",
                       "paid_at": "2027-03-20T10:05:00-03:00"}).encode()
    secret = json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
    header = webhook_signature.signature_header(secret, int(world["now"].timestamp()), note)
    status, answer, _ = call(world, "post", "/v1/gateways/tgr/notifications", body=note,
                             headers={"Content-Type": "application/json", "X-TGR-Signature": header})
    assert (status, answer.get("status")) == (200, "paid"), answer
    deliver(take_job(payment_id))
    issued = wiring.payments_repo().get("13101", payment_id)
    assert issued is not None
    receipt = issued_receipt(issued)
    assert receipt, issued
    return {**created, "receipt": receipt, "amount": issued["amount"]}


def stored_pdf(key: str) -> bytes:
    body: bytes = boto3.client("s3").get_object(Bucket=os.environ["SEM_RECEIPTS_BUCKET"], Key=key)["Body"].read()
    return body


def multipart(field: str, filename: str, content: bytes, content_type: str = "application/pdf"
              ) -> tuple[bytes, str]:
    """A browser form's body with one file, and its Content-Type."""
    boundary = "----semtestboundary7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{filename}\"\r\n"
            f"Content-Type: {content_type}\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
