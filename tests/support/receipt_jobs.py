"""Receipt jobs on moto's queue: a payment made and approved through the app whose job waits on
the queue (`paid`), taking that job off the queue (`take_job`), and delivering it to the worker as
Lambda's event source does (`deliver`)."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from chalicelib import wiring
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.domain.receipt_state import issued_receipt
from chalicelib.worker import receipts as worker
from devstack.demo_data import DEMO_RUT
from devstack.worker_runner import LambdaContext, sqs_event
from tests.support.payments_world import notify, pay

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:sem-receipts"

_debt_numbers = iter(range(1, 10_000))


def paid(world: dict[str, Any], tag: str, *, items: list[dict[str, Any]] | None = None,
         name: str = "María José Pérez", address: str | None = None) -> dict[str, Any]:
    """A payment made through the API and approved by (fake) TGR (by default for a fresh aseo
    debt of 13101); its receipt job is taken off the queue into `job`, its payer's address is `email`."""
    if items is None:
        debt = {"debt_id": f"ASE-2027-9-{next(_debt_numbers):06d}", "type": "aseo", "rut": DEMO_RUT,
                "description": "Derechos de aseo rol 900-1, cuota 2 de 4, 2027", "period": "2027-Q2",
                "due_date": "2027-06-30", "amount": 12_345, "status": "open"}
        wiring.data_table().put(DebtRepository.row("13101", debt))
        items = [{"type": "debt", "debt_id": debt["debt_id"]}]
    payer = {"rut": "12.345.678-5", "name": name, "email": address or f"maria.{tag}@ciudadano.demo"}
    status, created, _ = pay(world, items, key=f"rx-{tag}".replace("_", "-"), payer=payer)
    assert status == 201, created
    code, answer = notify(world, created["payment_id"])
    assert (code, answer["status"]) == (200, "paid"), answer
    created["email"] = payer["email"]
    created["job"] = take_job(created["payment_id"])
    return dict(created)


def take_job(payment_id: str) -> dict[str, Any]:
    """The queued SQS message of a payment's receipt job (removed from the queue)."""
    sqs, url = boto3.client("sqs"), os.environ["SEM_RECEIPTS_QUEUE_URL"]
    for _ in range(5):
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"],
                                           VisibilityTimeout=0).get("Messages", []):
            if json.loads(message["Body"]).get("payment_id") == payment_id:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                return dict(message)
    raise AssertionError(f"no receipt job queued for {payment_id}")


def deliver(message: dict[str, Any]) -> None:
    """What Lambda's event source does with one message (raising = the message comes back)."""
    worker.handle_receipt_job(sqs_event(message, QUEUE_ARN, "us-east-1"), LambdaContext())


def meta(payment_id: str, code: str = "13101") -> dict[str, Any]:
    """The payment's record (it must exist)."""
    found = wiring.payments_repo().get(code, payment_id)
    assert found is not None
    return dict(found)


def receipt_of(payment_id: str, code: str = "13101") -> dict[str, Any]:
    """The payment's issued receipt as every reader sees it (`domain.receipt_state.issued_receipt`);
    it must have one."""
    receipt = issued_receipt(meta(payment_id, code))
    assert receipt is not None, meta(payment_id, code)
    return receipt
