"""Load run: many simulated citizens paying through the running local stack, bounded in time.

Starts `python -m devstack.run` on free ports (as the e2e tests do), seeds one open debt per
payment it may make, then runs `threads` citizens for `duration_s` seconds. Each citizen loops:

1. `GET …/permits/quote?plate=BBBB10` (the permit quote with its three SOAP checks against the
   simulator; quoting holds nothing, so every citizen may quote the same fixture plate);
2. `GET …/debts?rut=…` and `POST …/payments` for one of its own debts;
3. the TGR simulator's "approve" (`/simulator/orders/{id}/complete`), which sends SEM the signed
   notification and answers with SEM's answer: the payment is `paid`.

When the time is up, in-flight citizens finish their current payment, and the receipts worker is
given up to `drain_s` seconds to catch up, reading each created payment's status until it shows
a receipt (folio, signed PDF in S3, e-mail). A completed payment is one whose final status is
`paid`; the receipt share is the part of those that show a receipt.

What this measures is the local stack, not AWS: `chalice local` serves one request at a time, on
one of this machine's two cores, next to moto (whose Query sorts the whole table), the simulators
and the worker (one job at a time). It proves the flow holds under concurrent citizens (no
errors, no lost receipts) and gives a per-core figure; the AWS capacity is in docs/performance.md.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MUNICIPALITY = "13101"
START_TIMEOUT_S = 180


@contextmanager
def local_stack() -> Iterator[dict[str, Any]]:
    """The whole local platform on free ports; yields its URLs and the portal key of 13101."""
    from devstack.ports import DEFAULTS, free_port

    ports = {name: free_port() for name in DEFAULTS}
    with tempfile.TemporaryDirectory() as logs:
        env = {**os.environ, "SEM_LOG_DIR": logs, "PYTHONUNBUFFERED": "1"}
        env.update({var: str(ports[name]) for name, (var, _) in DEFAULTS.items()})
        env.pop("AWS_ENDPOINT_URL", None)
        process = subprocess.Popen([sys.executable, "-m", "devstack.run"], cwd=ROOT, env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output: list[str] = []
        ready = threading.Event()

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                output.append(line)
                if "is up" in line:
                    ready.set()

        threading.Thread(target=pump, daemon=True).start()
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            while not ready.is_set():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the local stack did not start:\n" + "".join(output[-40:]))
                time.sleep(0.2)
            time.sleep(0.5)  # the banner's last lines
            key = re.search(rf"Portal API key of {MUNICIPALITY} \(X-Api-Key, generated for this run\): (\S+)",
                            "".join(output))
            if key is None:
                raise RuntimeError("no portal key in the banner")
            urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
            yield {"urls": urls, "portal_key": key.group(1)}
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def seed_debts(moto_url: str, count: int) -> list[dict[str, Any]]:
    """`count` open aseo debts of 13101, one RUT per debt, written straight into the stack's table."""
    import boto3

    from chalicelib.adapters.debts_repo import DebtRepository
    from chalicelib.domain.rut import rut_from_body

    moto_credentials = "local-moto-not-a-secret"
    session = boto3.session.Session(aws_access_key_id=moto_credentials, aws_secret_access_key=moto_credentials,
                                    region_name="us-east-1")
    stack = session.client("cloudformation", endpoint_url=moto_url).describe_stacks(StackName="sem-local")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Stacks"][0].get("Outputs", [])}
    table = session.resource("dynamodb", endpoint_url=moto_url).Table(outputs["TableName"])
    debts = []
    with table.batch_writer() as batch:
        for n in range(count):
            body = 30_000_000 + n
            rut = rut_from_body(body).compact
            debt = {"debt_id": f"ASE-2027-8-{n + 1:06d}", "type": "aseo", "rut": rut,
                    "description": f"Derechos de aseo rol 800-{n + 1}, cuota 1 de 4, 2027", "period": "2027-Q1",
                    "due_date": "2027-03-31", "amount": 9_870 + n % 7 * 100, "status": "open"}
            batch.put_item(Item=DebtRepository.row(MUNICIPALITY, debt))
            debts.append(debt)
    return debts


def bench_load(threads: int = 8, duration_s: float = 60.0, drain_s: float = 45.0) -> dict[str, Any]:
    """Completed payments per second and the share with a receipt, `threads` citizens at once."""
    import requests

    with local_stack() as stack:
        urls, key = stack["urls"], stack["portal_key"]
        debts = seed_debts(urls["moto"], 400)
        queue = iter(debts)
        lock = threading.Lock()
        created_payments: list[dict[str, Any]] = []
        answered_paid: list[str] = []
        errors: list[str] = []
        latencies: list[float] = []
        steps: dict[str, list[float]] = {"quote": [], "debts": [], "create_payment": [], "tgr_approve": []}

        def timed(step: str, method: str, url: str, **kwargs: Any) -> Any:
            began = time.monotonic()
            response = requests.request(method, url, timeout=60, **kwargs)
            with lock:
                steps[step].append(time.monotonic() - began)
            return response
        stop_at = time.monotonic() + duration_s
        headers = {"X-Api-Key": key, "Origin": urls["demo_site"]}

        def citizen(number: int) -> None:
            while time.monotonic() < stop_at:
                with lock:
                    debt = next(queue, None)
                if debt is None:
                    return
                started = time.monotonic()
                try:
                    api = f"{urls['api']}/v1/municipalities/{MUNICIPALITY}"
                    quote = timed("quote", "GET", f"{api}/permits/quote", headers=headers,
                                  params={"plate": "BBBB10", "year": 2027})
                    quote.raise_for_status()
                    listed = timed("debts", "GET", f"{api}/debts", params={"rut": debt["rut"]}, headers=headers)
                    listed.raise_for_status()
                    body = {"items": [{"type": "debt", "debt_id": debt["debt_id"]}],
                            "payer": {"rut": debt["rut"], "name": f"Ciudadano {number}",
                                      "email": f"carga.{debt['debt_id'].lower()}@ciudadano.demo"},
                            "return_url": f"{urls['demo_site']}/retorno.html"}
                    created = timed("create_payment", "POST", f"{api}/payments", json=body,
                                    headers={**headers, "Idempotency-Key": f"load-{debt['debt_id']}"})
                    created.raise_for_status()
                    payment = created.json()
                    with lock:
                        created_payments.append(payment)
                    order_id = payment["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
                    done = timed("tgr_approve", "POST", f"{urls['tgr']}/simulator/orders/{order_id}/complete",
                                 json={"outcome": "approved", "method": "debito"})
                    done.raise_for_status()
                    answer = done.json().get("sem_body")
                    if not isinstance(answer, dict) or answer.get("status") != "paid":
                        # The simulator gave up waiting for SEM's answer (its timeout is short);
                        # SEM may still apply the notification: the final status read decides.
                        raise RuntimeError(f"TGR simulator got no 'paid' answer: {done.json().get('sem_status')} "
                                           f"{str(answer)[:120]}")
                except Exception as exc:  # a failed payment is a figure, not the end of the run
                    response = getattr(exc, "response", None)
                    detail = response.text[:200] if response is not None else str(exc)[:300]
                    with lock:
                        errors.append(f"{type(exc).__name__}: {detail}")
                    continue
                with lock:
                    answered_paid.append(payment["payment_id"])
                    latencies.append(time.monotonic() - started)

        began = time.monotonic()
        workers = [threading.Thread(target=citizen, args=(n,), daemon=True) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.monotonic() - began

        def status(payment: dict[str, Any]) -> dict[str, Any]:
            answer = requests.get(f"{urls['api']}/v1/payments/{payment['payment_id']}", timeout=30,
                                  headers={"Authorization": f"Bearer {payment['access_token']}"})
            found: dict[str, Any] = answer.json() if answer.status_code == 200 else {}
            return found

        # The receipts worker catches up; then each created payment is read once more.
        pending = list(created_payments)
        final: dict[str, dict[str, Any]] = {}
        drain_until = time.monotonic() + drain_s
        while pending and time.monotonic() < drain_until:
            time.sleep(2)
            still = []
            for payment in pending:
                final[payment["payment_id"]] = status(payment)
                if not final[payment["payment_id"]].get("receipt"):
                    still.append(payment)
            pending = still
        drained = round(drain_s - max(0.0, drain_until - time.monotonic()), 1)
        paid = [p for p in final.values() if p.get("status") == "paid"]
        with_receipt = [p for p in paid if p.get("receipt")]

    return {
        "threads": threads,
        "duration_s": duration_s,
        "elapsed_s": round(elapsed, 1),
        "created_payments": len(created_payments),
        "completed_payments": len(paid),
        "payments_per_second": round(len(paid) / elapsed, 2),
        "receipt_share": round(len(with_receipt) / len(paid), 3) if paid else 0.0,
        "paid_answered_to_tgr_in_time": len(answered_paid),
        "drain_s": drained,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "step_seconds_median": {k: round(statistics.median(v), 2) if v else None for k, v in steps.items()},
        "payment_seconds": {"median": round(statistics.median(latencies), 2) if latencies else None,
                            "max": round(max(latencies), 2) if latencies else None},
    }


if __name__ == "__main__":
    import json

    print(json.dumps(bench_load(duration_s=float(os.environ.get("BENCH_LOAD_S", "60"))), indent=2))
