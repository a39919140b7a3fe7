"""One citizen's payment through SEM in this process, against in-process moto, metered.

`bench_flow` does two things on one provisioned moto (demo data, TGR replaced by an in-process
stand-in, the vehicle registry on its demo table, the clock on 20 March 2027):

1. one complete payment — quote → create payment → TGR's approved notification → the receipt
   job (folio, PDF, KMS signature, S3, e-mail through SES) — with every boto3 call metered by
   `bench.aws_meter.AwsMeter`: calls per service and operation, DynamoDB request units computed
   from item sizes, and Scans (there must be none);
2. warm CPU time per request of the quote, the payment creation and the notification: the
   thread's CPU time around each request through Chalice's test client, minus the CPU time spent
   inside moto (and botocore's parsing of its answers), so what is left is SEM, Chalice, pydantic
   and botocore building the requests — what Lambda bills when AWS answers in a few ms.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from bench.aws_meter import AwsMeter

MUNICIPALITY = "13101"
SERVICES = ("dynamodb", "sqs", "s3", "kms", "ses")
_LETTERS = "BCDFGHJKLPRSTVWXYZ"


def plate(i: int) -> str:
    """A distinct plate of the bench's own vehicles (never one of the demo fixtures)."""
    return f"BC{_LETTERS[i // 18 % 18]}{_LETTERS[i % 18]}{10 + i % 90}"


@contextmanager
def bench_world(vehicles: int) -> Iterator[dict[str, Any]]:
    """Provisioned in-process moto with demo data and `vehicles` payable bench vehicles; the app's
    test client with TGR faked and the clock fixed; a meter on every AWS client the flow uses."""
    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from chalicelib.adapters.tgr_client import GatewayOrder

    orders: dict[str, str] = {}

    class Gateway:
        def create_order(self, *, payment_id: str, **_: Any) -> GatewayOrder:
            orders[payment_id] = f"TGR-{len(orders) + 1}"
            return GatewayOrder(orders[payment_id], f"http://127.0.0.1:9/checkout/{orders[payment_id]}")

    now = datetime(2027, 3, 20, 10, 0, tzinfo=ZoneInfo("America/Santiago"))
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1",
                       "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_LOG_LEVEL": "ERROR",
                       "SEM_VEHICLE_REGISTRY": "demo"})
    for name in ("AWS_ENDPOINT_URL", "SEM_AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    with mock_aws():
        from chalicelib import wiring
        from chalicelib.adapters import table_keys
        from chalicelib.adapters.aws_clients import aws_client
        from devstack.provisioning import provision

        facts = provision(None, stage="bench", with_demo_data=True, with_demo_users=False)
        os.environ.update(facts["env"])
        wiring.reset()
        table = wiring.data_table()
        for i in range(vehicles):
            table.put({"pk": table_keys.vehicle(MUNICIPALITY, plate(i)), "sk": "DATA", "plate": plate(i),
                       "vehicle_class": "light", "make": "Bench", "model": "Car", "model_year": 2018,
                       "propulsion": "combustion", "tasacion": 5_000_000 + i * 1000, "owner_rut": "11111111-1",
                       "owner_name": "Bench"})
        real_payment, real_receipt = wiring.payment_context, wiring.receipt_context

        def payment_context() -> Any:
            ctx = real_payment()
            ctx.gateway = Gateway()  # type: ignore[assignment]
            ctx.clock = lambda: now
            return ctx

        def receipt_context() -> Any:
            ctx = real_receipt()
            ctx.clock = lambda: now
            return ctx

        wiring.payment_context = payment_context
        wiring.receipt_context = receipt_context
        meter = AwsMeter()
        reader = boto3.client("dynamodb")
        for service in SERVICES:  # the adapters get these same cached clients
            meter.attach(aws_client(service), reader)
        from app import app

        try:
            with Client(app, stage_name="test") as client:
                yield {"client": client, "meter": meter, "orders": orders, "now": now, "facts": facts}
        finally:
            wiring.payment_context, wiring.receipt_context = real_payment, real_receipt
            wiring.reset()


class Citizen:
    """The requests of one payment, as a municipal site and TGR send them."""

    def __init__(self, world: dict[str, Any]) -> None:
        self.world = world
        self.headers = {"Content-Type": "application/json", "Origin": "http://127.0.0.1",
                        "X-Api-Key": world["facts"]["portal_keys"][MUNICIPALITY]}

    def quote(self, i: int) -> dict[str, Any]:
        response = self.world["client"].http.get(
            f"/v1/municipalities/{MUNICIPALITY}/permits/quote?plate={plate(i)}&year=2027", headers=self.headers)
        assert response.status_code == 200, response.body
        answer: dict[str, Any] = json.loads(response.body)
        assert answer["payable"], answer
        return answer

    def pay(self, i: int) -> dict[str, Any]:
        body = json.dumps({"items": [{"type": "permit", "plate": plate(i), "year": 2027, "installment": "full"}],
                           "payer": {"rut": "11.111.111-1", "name": "Ana Díaz", "email": f"ana{i}@ciudadano.demo"},
                           "return_url": "http://127.0.0.1/retorno.html"}).encode()
        response = self.world["client"].http.post(f"/v1/municipalities/{MUNICIPALITY}/payments", body=body,
                                                   headers={**self.headers, "Idempotency-Key": f"bench-{i}"})
        assert response.status_code == 201, response.body
        created: dict[str, Any] = json.loads(response.body)
        return created

    def notify(self, created: dict[str, Any]) -> None:
        from chalicelib.domain import webhook_signature

        payment_id = created["payment_id"]
        body = json.dumps({"notification_id": f"n-{payment_id}", "order_id": self.world["orders"][payment_id],
                           "payment_id": payment_id, "status": "approved", "amount": created["amount"],
                           "authorization_code": "123456", "method": "debito",
                           "paid_at": "2027-03-20T10:05:00-03:00"}).encode()
        secret = json.loads(os.environ["SEM_TGR_WEBHOOK_SECRETS"])[0]
        header = webhook_signature.signature_header(secret, int(self.world["now"].timestamp()), body)
        response = self.world["client"].http.post("/v1/gateways/tgr/notifications", body=body,
                                                  headers={"Content-Type": "application/json",
                                                           "X-TGR-Signature": header})
        assert response.status_code == 200, response.body
        assert json.loads(response.body)["status"] == "paid", response.body

    def take_job(self, payment_id: str) -> dict[str, Any]:
        """The payment's receipt job, taken off the queue (Lambda's event source does this)."""
        import boto3

        sqs, url = boto3.client("sqs"), os.environ["SEM_RECEIPTS_QUEUE_URL"]
        for _ in range(20):
            for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
                if json.loads(message["Body"]).get("payment_id") == payment_id:
                    return dict(message)
        raise AssertionError(f"no receipt job for {payment_id}")

    def receipt(self, message: dict[str, Any]) -> None:
        """The receipts worker's run of one job: folio, signed PDF in S3, e-mail."""
        from chalicelib.worker import receipts as worker
        from devstack.worker_runner import LambdaContext, sqs_event

        worker.handle_receipt_job(sqs_event(message, "arn:aws:sqs:us-east-1:123456789012:sem-receipts", "us-east-1"),
                                  LambdaContext())


def _cpu_ms(meter: AwsMeter, request: Callable[[], Any]) -> float:
    before_aws = meter.aws_cpu_s
    started = time.thread_time()
    request()
    return (time.thread_time() - started - (meter.aws_cpu_s - before_aws)) * 1000


def bench_flow(requests: int = 20, receipt_jobs: int = 6) -> dict[str, Any]:
    """AWS calls and DynamoDB units of one complete payment; warm CPU ms of each request and of
    the receipts worker's job (KMS in moto: its signature's CPU is moto's, subtracted)."""
    with bench_world(requests + 2) as world:
        meter: AwsMeter = world["meter"]
        citizen = Citizen(world)
        # Warm-up payment: clients, caches, the signer's key and certificate, the logo.
        citizen.notify(citizen.pay(0))
        citizen.receipt(citizen.take_job(next(iter(world["orders"]))))

        steps: dict[str, dict[str, Any]] = {}
        meter.reset()
        citizen.quote(1)
        steps["quote"] = meter.snapshot()
        meter.reset()
        created = citizen.pay(1)
        steps["create_payment"] = meter.snapshot()
        meter.reset()
        citizen.notify(created)
        steps["notification"] = meter.snapshot()
        meter.reset()
        job = citizen.take_job(created["payment_id"])
        meter.reset()
        citizen.receipt(job)
        steps["receipt_and_email"] = meter.snapshot()
        meter.reset()

        total_calls: dict[str, int] = {}
        for figures in steps.values():
            for service, count in figures["calls_by_service"].items():
                total_calls[service] = total_calls.get(service, 0) + count
        payment = {
            "steps": steps,
            "calls_by_service": total_calls,
            "ddb_rcu": round(sum(s["ddb_rru"] for s in steps.values()), 2),
            "ddb_wcu": round(sum(s["ddb_wru"] for s in steps.values()), 2),
            "scans": sum(s["scans"] for s in steps.values()),
            "ddb_index_wru": {name: round(sum(s["ddb_index_wru"].get(name, 0.0) for s in steps.values()), 2)
                              for name in sorted({n for s in steps.values() for n in s["ddb_index_wru"]})},
        }

        meter.size_units = False
        cpu: dict[str, list[float]] = {"quote": [], "create_payment": [], "notification": [], "receipt_job": []}
        for i in range(2, requests + 2):
            cpu["quote"].append(_cpu_ms(meter, partial(citizen.quote, i)))
            created_now: list[dict[str, Any]] = []
            cpu["create_payment"].append(_cpu_ms(meter, lambda: created_now.append(citizen.pay(i))))  # noqa: B023
            cpu["notification"].append(_cpu_ms(meter, partial(citizen.notify, created_now[0])))
            if i < receipt_jobs + 2:
                job = citizen.take_job(created_now[0]["payment_id"])
                cpu["receipt_job"].append(_cpu_ms(meter, partial(citizen.receipt, job)))
        scans_during_requests = meter.scans
    return {
        "payment": payment,
        "cpu_ms": {name: {"median": round(statistics.median(values), 2), "max": round(max(values), 2),
                          "requests": len(values)} for name, values in cpu.items()},
        "scans_during_requests": scans_during_requests,
    }


if __name__ == "__main__":
    print(json.dumps(bench_flow(), indent=2))
