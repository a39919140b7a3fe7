"""The app on a module's demo stack (moto) with a fake TGR and a settable clock, and the citizen
and gateway calls that make payments through the real routes: `payments_world` builds the world
a module's `world` fixture yields; `request`, `pay`, `notify`, `status_of` act in it; `pay_at`,
`notify_at` and `put_debt` serve the back-office tests, whose payments happen on set days."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3

from chalicelib import wiring
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.domain import webhook_signature
from devstack.demo_data import DEMO_RUT
from tests.support.clocks import Clock
from tests.support.gateways import FakeGateway

ORIGIN = "http://127.0.0.1"
RETURN_URL = "http://127.0.0.1/retorno.html"


def payments_world(facts: dict[str, Any], *, gateway: FakeGateway | None = None,
                   clock: Clock | None = None) -> Iterator[dict[str, Any]]:
    """The app's test client, its payments through `gateway` on `clock`'s time, while the
    generator is open: {"client", "gateway", "clock", "facts"}."""
    import pytest
    from chalice.test import Client

    from app import app

    gateway, clock = gateway or FakeGateway(), clock or Clock()
    real = wiring.payment_context

    def context() -> Any:
        ctx: Any = real()
        ctx.gateway, ctx.clock = gateway, clock
        return ctx

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(wiring, "payment_context", context)
        with Client(app, stage_name="test") as client:
            yield {"client": client, "gateway": gateway, "clock": clock, "facts": facts}


def key_of(world: dict[str, Any], code: str = "13101") -> str:
    """The municipality's portal API key of this stack."""
    return str(world["facts"]["portal_keys"][code])


def request(world: dict[str, Any], method: str, path: str, *, code: str = "13101", body: Any = None,
            headers: dict[str, str] | None = None, api_key: bool = True) -> tuple[int, Any, Any]:
    """A call from a municipal site (its Origin and portal key): (status, JSON body, headers)."""
    h = {"Content-Type": "application/json", "Origin": ORIGIN}
    if api_key:
        h["X-Api-Key"] = key_of(world, code)
    h.update(headers or {})
    kwargs: dict[str, Any] = {"headers": h}
    if body is not None:
        kwargs["body"] = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = getattr(world["client"].http, method)(path, **kwargs)
    return response.status_code, json.loads(response.body), response.headers


def pay(world: dict[str, Any], items: list[dict[str, Any]], *, key: str, code: str = "13101",
        payer: dict[str, str] | None = None) -> tuple[int, Any, Any]:
    """`POST …/payments` with this Idempotency-Key."""
    body = {"items": items, "payer": payer or {"rut": "12.345.678-5", "name": "María Pérez", "email":
                                               "maria@ciudadano.demo"}, "return_url": RETURN_URL}
    return request(world, "post", f"/v1/municipalities/{code}/payments", code=code, body=body,
                   headers={"Idempotency-Key": key})


def notify(world: dict[str, Any], payment_id: str, status: str = "approved", amount: int | None = None, *,
           order_id: str | None = None, secret: str | None = None, t: int | None = None,
           raw: bytes | None = None) -> tuple[int, Any]:
    """TGR's signed notification of the payment's result (overridable field by field)."""
    payment = wiring.payments_repo().get(payment_id[:5], payment_id) or {}  # may not exist: a forged notification
    body = raw or json.dumps({"notification_id": f"n-{time.time_ns()}", "order_id": order_id or payment["order_id"],
                              "payment_id": payment_id, "status": status,
                              "amount": payment["amount"] if amount is None else amount,
                              "authorization_code": "123456" if status == "approved" else None,
                              "method": "debito", "paid_at": "2027-03-20T10:05:00-03:00"}).encode()
    secret = secret or json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
    stamp = int(world["clock"]().timestamp()) if t is None else t
    header = webhook_signature.signature_header(secret, stamp, body)
    response = world["client"].http.post("/v1/gateways/tgr/notifications", body=body,
                                         headers={"Content-Type": "application/json", "X-TGR-Signature": header})
    return response.status_code, json.loads(response.body)


def status_of(world: dict[str, Any], created: dict[str, Any]) -> tuple[int, Any, Any]:
    """The payer's view of a payment (with its access token)."""
    return request(world, "get", f"/v1/payments/{created['payment_id']}", api_key=False,
                   headers={"Authorization": f"Bearer {created['access_token']}"})


def queued_jobs() -> list[dict[str, Any]]:
    """The bodies of the receipt jobs on the queue (left on it, invisible for 30 s)."""
    sqs = boto3.client("sqs")
    bodies, seen = [], set()
    for _ in range(20):  # SQS may answer with fewer messages than it holds: ask until it has none left
        messages = sqs.receive_message(QueueUrl=os.environ["SEM_RECEIPTS_QUEUE_URL"], MaxNumberOfMessages=10,
                                       VisibilityTimeout=30).get("Messages", [])
        if not messages:
            break
        for m in messages:
            if m["MessageId"] not in seen:
                seen.add(m["MessageId"])
                bodies.append(json.loads(m["Body"]))
    return bodies


# -- payments on set days (the back-office tests) ------------------------------------------------------

def citizen(world: dict[str, Any], method: str, path: str, code: str, body: Any = None,
            headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """A municipal site's call: (status, JSON body)."""
    h = {"Content-Type": "application/json", "Origin": ORIGIN, "X-Api-Key": world["facts"]["portal_keys"][code],
         **(headers or {})}
    response = getattr(world["client"].http, method)(path, headers=h, body=json.dumps(body).encode() if body else b"")
    return response.status_code, json.loads(response.body)


def pay_at(world: dict[str, Any], at: datetime, items: list[dict[str, Any]], *, payer_rut: str = DEMO_RUT,
           code: str = "13101") -> str:
    """A payment created at `at` (the world's clock is set to it); its id."""
    world["clock"].now = at
    body = {"items": items, "payer": {"rut": payer_rut, "name": "María Pérez", "email": "maria@ciudadano.demo"},
            "return_url": RETURN_URL}
    status, created = citizen(world, "post", f"/v1/municipalities/{code}/payments", code, body,
                              {"Idempotency-Key": f"k-{time.time_ns()}"})
    assert status == 201, created
    return str(created["payment_id"])


def notify_at(world: dict[str, Any], payment_id: str, status: str) -> None:
    """TGR's notification of the result, paid at the world's clock (must be accepted)."""
    payment = wiring.payments_repo().get(payment_id[:5], payment_id)
    assert payment is not None, payment_id
    body = json.dumps({"notification_id": f"n-{time.time_ns()}", "order_id": payment["order_id"],
                       "payment_id": payment_id, "status": status, "amount": payment["amount"],
                       "authorization_code": "123456" if status == "approved" else None, "method": "debito",
                       "paid_at": world["clock"]().isoformat(timespec="seconds")}).encode()
    secret = json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
    header = webhook_signature.signature_header(secret, int(world["clock"]().timestamp()), body)
    response = world["client"].http.post("/v1/gateways/tgr/notifications", body=body, headers={
        "Content-Type": "application/json", "X-TGR-Signature": header})
    assert response.status_code == 200, response.body


def put_debt(code: str, debt_id: str, kind: str, rut: str, amount: int) -> None:
    """An open debt of the municipality's roll, written straight to the table."""
    wiring.data_table().put(DebtRepository.row(code, {
        "debt_id": debt_id, "type": kind, "rut": rut, "description": f"{kind} {debt_id}", "period": "2027-S1",
        "due_date": "2027-04-30", "amount": amount, "status": "open"}))
