"""`make chaos`: many payments through the running local stack while everything misbehaves, then
a check, from the data, that every payment ended where it should (dev only, loopback only).

    python -m devstack.chaos --payments 60 --seconds 240 [--seed 7] [--json result.json]

1. Starts its own stack (`devstack.run.Stack`) on free ports with short timeouts: SQS visibility
   5 s, e-mail lease 30 s, sweep every second.
2. Replaces the worker with two workers (concurrent deliveries, as Lambda runs them) that throttle
   a share of their S3 and SES calls (`SEM_FAULTS`, chalicelib/adapters/fault_injection.py) and
   exit hard at the receipt job's steps (`SEM_CHAOS_KILL`, devstack/worker_runner.py); a
   supervisor thread restarts each worker that dies.
3. While a thread keeps switching the SOAP services between ok, slow, fault and down, runs the
   payments concurrently: each buys a debt seeded for the run (a few buy the demo vehicles'
   permits, through the SOAP checks), retrying its creation with the same Idempotency-Key as a
   municipal site would, then TGR completes it with one of the scenarios below (per-completion
   switches of the TGR simulator) — or nobody pays (abandoned).
4. Turns the faults off (SOAP back to ok, well-behaved workers) and waits, bounded, for the system to
   settle. Nobody redrives the dead-letter queue: a job that ended there must be finished by the
   sweep's recheck (SEM_RECEIPT_RECHECK_S, 60 s here), and the run counts such jobs.
5. Checks every payment against what TGR really did, every approved payment's receipt, folio,
   PDF and e-mail, gapless folios, debts, orphan payments; prints the counts and the violations,
   and exits 1 on any violation.

Every paid payment must have sent exactly one e-mail, also when a worker was killed after SES
accepted it and before it was recorded (the kill log's `after_send`): the next delivery settles
that attempt from SES's events (published by devstack/ses_events.py, recorded by the e-mail events
worker) instead of sending again (docs/email-events.md). Each sent e-mail must also have SES's
send and delivery events recorded against its receipt.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import requests

from chalicelib.domain.receipt_state import issued_receipt, receipt_allocation
from devstack import demo_data
from devstack.ports import DEFAULTS, Ports, free_port
from devstack.worker_runner import KILL_STEPS, KILLED_EXIT_CODE

# scenario -> (weight, TGR outcome or None for abandoned, per-completion switches, expected status)
SCENARIOS: Final[dict[str, tuple[int, str | None, dict[str, Any], str]]] = {
    "approved": (6, "approved", {}, "paid"),
    "approved_duplicates": (3, "approved", {"duplicates": 2}, "paid"),
    "approved_late": (2, "approved", {"delay_s": 2.0}, "paid"),
    "approved_late_duplicate": (2, "approved", {"late_duplicate_s": 4.0}, "paid"),
    "approved_then_rejected": (2, "approved", {"out_of_order": True}, "paid"),
    "rejected": (2, "rejected", {}, "rejected"),
    "rejected_duplicates": (1, "rejected", {"duplicates": 1}, "rejected"),
    "rejected_then_approved": (1, "rejected", {"out_of_order": True}, "review"),
    "wrong_amount": (2, "approved", {"amount_delta": -1000}, "review"),
    "abandoned": (1, None, {}, "pending"),
}
METHODS: Final = ("credito", "debito", "casas_comerciales", "transferencia")
SOAP_MODES: Final = (("slow", 4.0), ("fault", 0.0), ("down", 0.0))
PAYER_RUT: Final = "12345678-5"
DEFAULT_FAULTS: Final = {"s3": 0.12, "ses": 0.2}
DEFAULT_KILL_RATE: Final = 0.05
VISIBILITY_S: Final = 5
EMAIL_LEASE_S: Final = 30
EVENTS_GRACE_S: Final = 10
CREATE_DEADLINE_S: Final = 90.0


@dataclass
class Plan:
    """One payment of the run: what is bought, and what TGR will do."""

    n: int
    municipality: str
    scenario: str
    item: dict[str, Any]
    email: str
    method: str
    idempotency_key: str = field(default_factory=lambda: str(uuid.uuid4()))
    payment_id: str | None = None
    amount: int | None = None
    order_id: str | None = None
    create_attempts: int = 0
    create_ids: set[str] = field(default_factory=set)
    not_created: str | None = None
    tgr_answers: list[int] = field(default_factory=list)
    tgr_problems: list[str] = field(default_factory=list)
    returned: str | None = None
    """`refund` or `reversal` when the money-back phase returned this payment's money."""
    return_answers: list[str] = field(default_factory=list)

    @property
    def expected(self) -> str:
        return SCENARIOS[self.scenario][3]


@dataclass
class Result:
    violations: list[str] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)


# -- the stack ---------------------------------------------------------------------------------

class ChaosStack:
    """A local stack on free ports whose workers misbehave until told to stop."""

    def __init__(self, log_dir: Path, faults: dict[str, float], kill_rate: float) -> None:
        from devstack.run import Stack

        os.environ.update({
            "SEM_LOG_DIR": str(log_dir), "SEM_RECEIPT_EMAIL_LEASE_S": str(EMAIL_LEASE_S), "SEM_LOCAL_SWEEP_S": "1",
            # An e-mail attempt of unknown outcome waits this long after its lease for SES's events.
            "SEM_RECEIPT_EMAIL_EVENTS_GRACE_S": str(EVENTS_GRACE_S),
            # Retries spread past the e-mail lease, as AWS's visibility timeout (360 s) outlasts
            # the lease (120 s): a job waiting on a dead worker's claim is not dead-lettered early.
            "SEM_LOCAL_RETRY_BACKOFF_S": "3,6,10,15,20",
            # The API's SOAP circuit breakers retry a dead service after 5 s instead of 30 s.
            "SEM_SOAP_BREAKER_RESET_S": "5",
            # The sweep queues again a receipt still unfinished 60 s after its job (45 min in AWS).
            "SEM_RECEIPT_RECHECK_S": "60",
        })
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self.ports = Ports(**{name: free_port() for name in DEFAULTS})
        self.stack = Stack(self.ports)
        self.log_dir = log_dir
        self.faults = faults
        self.kill_rate = kill_rate
        self.kill_log = log_dir / "kills.jsonl"
        self.facts: dict[str, Any] = {}
        self.restarts: Counter[str] = Counter()
        self.unexpected_exits: list[str] = []
        self._supervise = threading.Event()
        self._lock = threading.Lock()

    def boot(self) -> None:
        self.facts = self.stack.boot()
        sqs = self.aws("sqs")
        sqs.set_queue_attributes(QueueUrl=self.env["SEM_RECEIPTS_QUEUE_URL"],
                                 Attributes={"VisibilityTimeout": str(VISIBILITY_S)})

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env

    def aws(self, service: str) -> Any:
        import boto3

        return boto3.session.Session(region_name="us-east-1").client(service, endpoint_url=self.ports.url("moto"))

    # -- workers -------------------------------------------------------------------------------

    def chaos_workers(self, names: tuple[str, ...] = ("worker", "worker2")) -> None:
        """Replace the stack's worker with misbehaving ones, restarted whenever they die."""
        self._stop_process("worker")
        env = {**self.env, "SEM_FAULTS": json.dumps(self.faults),
               "SEM_CHAOS_KILL": json.dumps({"rate": self.kill_rate, "steps": list(KILL_STEPS),
                                             "log": str(self.kill_log), "cover": True})}
        for name in names:
            self.stack.start(name, ["-m", "devstack.worker_runner"], env)
        self._supervise.set()
        threading.Thread(target=self._supervisor, args=(names, env), daemon=True, name="chaos-supervisor").start()

    def calm_workers(self, names: tuple[str, ...] = ("worker", "worker2")) -> None:
        """Stop the misbehaving workers; well-behaved ones from now on."""
        self._supervise.clear()
        with self._lock:
            for name in names:
                self._stop_process(name)
            for name in names:
                self.stack.start(name, ["-m", "devstack.worker_runner"], self.env)

    def _supervisor(self, names: tuple[str, ...], env: dict[str, str]) -> None:
        while self._supervise.is_set():
            with self._lock:
                if not self._supervise.is_set():
                    return
                for name in names:
                    code = self.stack.processes[name].poll()
                    if code is None:
                        continue
                    if code != KILLED_EXIT_CODE:
                        self.unexpected_exits.append(f"{name} exited with {code}")
                    self.restarts[name] += 1
                    self.stack.start(name, ["-m", "devstack.worker_runner"], env)
            time.sleep(0.2)

    def _stop_process(self, name: str) -> None:
        proc = self.stack.processes.get(name)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def halt(self) -> None:
        """Stop every process now, from a signal handler (the lock may be held)."""
        self._supervise.clear()
        self.stack.stop()

    def stop(self) -> None:
        self._supervise.clear()
        with self._lock:
            self.stack.stop()


# -- the payments ------------------------------------------------------------------------------

def make_plans(count: int, run_id: str, rng: random.Random) -> list[Plan]:
    names = list(SCENARIOS)
    weights = [SCENARIOS[name][0] for name in names]
    codes = [m["code"] for m in demo_data.MUNICIPALITIES]
    plans = []
    permits = {v["municipality"]: v["plate"] for v in demo_data.VEHICLES}
    # A few buy a demo vehicle's permit (through the SOAP checks, under faults) and are approved;
    # the debts take every scenario at least once (when there are enough payments), the rest by weight.
    permit_slots = {n for n in range(0, min(count, 4 * len(codes)), 4) if codes[n % len(codes)] in permits}
    debts = count - len(permit_slots)
    chosen = names[:debts] + rng.choices(names, weights, k=max(0, debts - len(names)))
    rng.shuffle(chosen)
    for n in range(count):
        code = codes[n % len(codes)]
        if n in permit_slots:
            scenario = "approved"
            item: dict[str, Any] = {"type": "permit", "plate": permits[code], "year": 2027, "installment": "full"}
        else:
            scenario = chosen.pop()
            item = {"type": "debt", "debt_id": f"CAOS-{run_id}-{n:05d}"}
        plans.append(Plan(n=n, municipality=code, scenario=scenario, item=item, method=rng.choice(METHODS),
                          email=f"caos{n}.{run_id.lower()}@ciudadano.demo"))
    return plans


def seed_debts(chaos: ChaosStack, plans: list[Plan], rng: random.Random) -> None:
    from chalicelib.adapters import table_keys

    dynamo = chaos.aws("dynamodb")
    table = chaos.env["SEM_TABLE_NAME"]
    from boto3.dynamodb.types import TypeSerializer

    serializer = TypeSerializer()
    for plan in plans:
        if plan.item["type"] != "debt":
            continue
        debt_id = plan.item["debt_id"]
        row = {"pk": table_keys.debt(plan.municipality, debt_id), "sk": "DEBT", "debt_id": debt_id, "type": "aseo",
               "rut": PAYER_RUT, "status": "open", "municipality": plan.municipality,
               "description": f"Derechos de aseo, prueba de caos {plan.n}", "period": "2027-Q1",
               "due_date": "2027-04-30", "amount": rng.randrange(5_000, 90_000),
               "gsi2pk": table_keys.by_rut(plan.municipality, PAYER_RUT), "gsi2sk": f"DEBT#{debt_id}"}
        dynamo.put_item(TableName=table, Item={k: serializer.serialize(v) for k, v in row.items()})


def create_payment(chaos: ChaosStack, plan: Plan) -> None:
    """Create the payment as a municipal site would: the same Idempotency-Key on every retry."""
    ports = chaos.ports
    key = chaos.facts["portal_keys"][plan.municipality]
    headers = {"Origin": ports.url("demo_site"), "X-Api-Key": key, "Idempotency-Key": plan.idempotency_key}
    body = {"items": [plan.item], "return_url": f"{ports.url('demo_site')}/retorno.html",
            "payer": {"rut": PAYER_RUT, "name": f"Ciudadana Caos {plan.n}", "email": plan.email}}
    deadline = time.monotonic() + CREATE_DEADLINE_S
    while time.monotonic() < deadline:
        plan.create_attempts += 1
        try:
            response = requests.post(f"{ports.url('api')}/v1/municipalities/{plan.municipality}/payments",
                                     json=body, headers=headers, timeout=30)
        except requests.RequestException:
            time.sleep(1)
            continue
        if response.status_code == 201:
            created = response.json()
            plan.create_ids.add(created["payment_id"])
            plan.payment_id, plan.amount = created["payment_id"], int(created["amount"])
            plan.order_id = created["checkout_url"].rstrip("/").rsplit("/", 1)[-1]
            return
        code = (response.json().get("error") or {}).get("code") if response.content else None
        if response.status_code in (429, 500, 502, 503, 504) or code == "idempotency_in_progress":
            time.sleep(1.0)
            continue
        plan.not_created = f"{response.status_code} {code}"
        return
    plan.not_created = "deadline"


def complete(chaos: ChaosStack, plan: Plan) -> None:
    """TGR's side: the citizen pays (or not) and the portal notifies, misbehaving as planned.
    A notification SEM did not answer 200 is sent again, as the real portal retries."""
    _, outcome, switches, _ = SCENARIOS[plan.scenario]
    if outcome is None or plan.order_id is None:
        return
    url = f"{chaos.ports.url('tgr')}/simulator/orders/{plan.order_id}/complete"
    body: dict[str, Any] = {"outcome": outcome, "method": plan.method, "switches": switches}
    for attempt in range(6):
        if attempt:
            time.sleep(1)
            body["switches"] = {"duplicates": 1}  # the portal's retry: the first notification again
        response = requests.post(url, json=body, timeout=60)
        answer = response.json()
        plan.tgr_answers.append(int(answer.get("sem_status", 0)))
        if plan.tgr_answers[-1] == 200:
            return
        plan.tgr_problems.append(f"{response.status_code} {answer.get('error') or ''} SEM answered "
                                 f"{answer.get('sem_status')}: {str(answer.get('sem_body'))[:200]}")


def soap_monkey(chaos: ChaosStack, stop: threading.Event, rng: random.Random, changes: Counter[str]) -> None:
    """Every few seconds, one SOAP service turns slow, faulty or down (or all are well again)."""
    control = f"{chaos.ports.url('soap')}/simulator/control"
    first = True
    while first or not stop.wait(rng.uniform(2.0, 4.0)):
        first = False
        bad = rng.choice(("aach", "mtt", "srcei", None, None))
        for service in ("aach", "mtt", "srcei"):
            mode, delay = rng.choice(SOAP_MODES) if service == bad else ("ok", 0.0)
            try:
                requests.post(control, json={"service": service, "mode": mode, "delay_s": delay}, timeout=5)
                changes[mode] += 1
            except requests.RequestException:
                pass
    requests.post(f"{chaos.ports.url('soap')}/simulator/reset", timeout=5)


# -- settling ----------------------------------------------------------------------------------

def queue_depth(chaos: ChaosStack, url: str) -> int:
    attributes = chaos.aws("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])


def settle(chaos: ChaosStack, plans: list[Plan], timeout_s: float) -> dict[str, Any]:
    """Wait until every payment meant to be paid has its receipt and e-mail settled and the queue
    is empty (or the time is up)."""
    started = time.monotonic()
    while True:
        payments = read_payments(chaos, [str(p.payment_id) for p in plans if p.payment_id])
        unfinished = [pid for pid, payment in payments.items()
                      if payment.get("status") == "paid" and not _receipt_done(payment)]
        depth = queue_depth(chaos, chaos.env["SEM_RECEIPTS_QUEUE_URL"])
        if not unfinished and depth == 0:
            return {"settle_s": round(time.monotonic() - started, 1), "settled": True,
                    "dead_lettered": queue_depth(chaos, chaos.env["SEM_RECEIPTS_DLQ_URL"])}
        if time.monotonic() - started > timeout_s:
            return {"settle_s": round(time.monotonic() - started, 1), "settled": False, "unfinished": len(unfinished),
                    "queue_depth": depth, "dead_lettered": queue_depth(chaos, chaos.env["SEM_RECEIPTS_DLQ_URL"])}
        time.sleep(1.0)


def _receipt_done(payment: dict[str, Any]) -> bool:
    """Receipt issued, e-mail settled, and (for a sent one) SES's send and delivery events recorded."""
    status = (payment.get("email") or {}).get("status")
    events_in = status != "sent" or int(payment.get("email_event_count") or 0) >= 2
    return issued_receipt(payment) is not None and status in ("sent", "failed") and events_in


# -- money back ---------------------------------------------------------------------------------

# kind -> TGR's misbehaviour when it notifies it (per-completion switches of the simulator)
RETURNS: Final[dict[str, dict[str, Any]]] = {
    "refund": {"duplicates": 2, "late_duplicate_s": 3.0},
    "reversal": {"duplicates": 2},
}
RETURN_SETTLE_S: Final = 90.0


def money_back(chaos: ChaosStack, plans: list[Plan]) -> dict[str, Any]:
    """Return the money of two paid debt payments, as TGR misbehaves with it (docs/refunds.md): a
    whole refund proposed by the municipality's operator and signed by its tesorero over the admin
    API, whose completion TGR notifies three times (two at once, one late); and a contracargo
    notified three times. Each must apply once: one annulled receipt, one annulment document and
    e-mail, the debt open again, the day's counters down by the amount once."""
    from devstack.demo_totp import code_at, sign_in

    paid_now = read_payments(chaos, [str(p.payment_id) for p in plans if p.payment_id])
    eligible = [p for p in plans if p.item["type"] == "debt" and p.payment_id
                and (paid_now.get(p.payment_id) or {}).get("status") == "paid"]
    if len(eligible) < len(RETURNS):
        return {"returns_problem": f"only {len(eligible)} paid debt payments to return money of"}
    api, tgr = chaos.ports.url("api"), chaos.ports.url("tgr")
    refund_plan, reversal_plan = eligible[0], eligible[1]

    domain = next(m["domain"] for m in demo_data.MUNICIPALITIES if m["code"] == refund_plan.municipality)
    cognito, client_id = chaos.aws("cognito-idp"), chaos.env["SEM_COGNITO_CLIENT_ID"]

    def session(email: str) -> dict[str, str]:
        token = sign_in(cognito, client_id, email, demo_data.DEMO_PASSWORD, chaos.facts.get("totp_secret"))
        return {"Authorization": f"Bearer {token['IdToken']}"}

    operator, tesorero = session(f"operador.rentas@{domain}"), session(f"tesorero@{domain}")
    enrolled = requests.post(f"{api}/v1/admin/me/signature", json={}, headers=tesorero, timeout=60)
    enrolled.raise_for_status()
    secret = enrolled.json()["otpauth_uri"].split("secret=", 1)[1].split("&", 1)[0]
    now = time.time()
    # Two signatures in a row: the current step's code, then the next one's (both accepted, each once).
    requests.post(f"{api}/v1/admin/me/signature/confirm", json={"otp": code_at(secret, now)}, headers=tesorero,
                  timeout=60).raise_for_status()
    base = f"{api}/v1/admin/municipalities/{refund_plan.municipality}/payments/{refund_plan.payment_id}/refunds"
    proposed = requests.post(base, json={"reason": "double_payment", "note": "Prueba de caos"}, headers=operator,
                             timeout=60)
    proposed.raise_for_status()
    refund_id = proposed.json()["refund_id"]
    requests.post(f"{base}/{refund_id}/authorize", json={"otp": code_at(secret, now + 30)}, headers=tesorero,
                  timeout=120).raise_for_status()
    refund_plan.returned = "refund"
    orders = requests.get(f"{tgr}/simulator/refunds", params={"merchant_reference": refund_plan.payment_id},
                          timeout=30).json()["refunds"]
    [order] = [r for r in orders if r["status"] == "accepted"]
    answer = requests.post(f"{tgr}/simulator/refunds/{order['refund_order_id']}/complete",
                           json={"outcome": "completed", **RETURNS["refund"]}, timeout=60).json()
    refund_plan.return_answers = [str(answer["sem_body"].get("result"))] + \
        [str(d["sem_body"].get("result")) for d in answer["duplicates"]]

    answer = requests.post(f"{tgr}/simulator/orders/{reversal_plan.order_id}/reverse",
                           json=RETURNS["reversal"], timeout=60).json()
    reversal_plan.returned = "reversal"
    reversal_plan.return_answers = [str(answer["sem_body"].get("result"))] + \
        [str(d["sem_body"].get("result")) for d in answer["duplicates"]]

    time.sleep(RETURNS["refund"]["late_duplicate_s"] + 1)  # the late duplicate is in
    started = time.monotonic()
    while time.monotonic() - started < RETURN_SETTLE_S:
        rows = [r for r in scan(chaos) if str(r["sk"]).startswith(("REFUND#", "REVERSAL#"))]
        if len(rows) >= 2 and all((r.get("document_email") or {}).get("status") in ("sent", "failed")
                                  for r in rows):
            break
        time.sleep(1.0)
    late = requests.get(f"{tgr}/simulator/refunds/{order['refund_order_id']}", timeout=30).json()
    refund_plan.return_answers += [str(n["answer"]["sem_body"].get("result")) for n in late["notifications"]
                                   if n["kind"] == "late_duplicate"]
    return {"returns_settle_s": round(time.monotonic() - started, 1)}


def check_returns(plans: list[Plan], items: list[dict[str, Any]], emails: list[dict[str, Any]],
                  bad: Callable[[str], None]) -> dict[str, Any]:
    """Every returned payment: returned once despite TGR's repeats, its receipt annulled, one
    annulment document with a gapless folio and one e-mail of it, the day's counters down once."""
    returned = [p for p in plans if p.returned]
    rows = [i for i in items if str(i["sk"]).startswith(("REFUND#", "REVERSAL#"))]
    folios: dict[str, list[int]] = {}
    mails = 0
    for plan in returned:
        mine = [r for r in rows if r.get("payment_id") == plan.payment_id]
        kind = "REFUND#" if plan.returned == "refund" else "REVERSAL#"
        if len(mine) != 1 or not str(mine[0]["sk"]).startswith(kind):
            bad(f"payment {plan.payment_id} ({plan.returned}): {len(mine)} refund/reversal rows, expected 1")
            continue
        if plan.return_answers.count("applied") != 1 or \
                set(plan.return_answers) - {"applied", "duplicate"} or len(plan.return_answers) < 3:
            bad(f"payment {plan.payment_id}: TGR's {plan.returned} notifications answered {plan.return_answers}")
        document = mine[0].get("document") or {}
        if not document.get("folio"):
            bad(f"payment {plan.payment_id}: no annulment document for its {plan.returned}")
            continue
        code, _, year, number = str(document["folio"]).split("-")
        folios.setdefault(f"{code}-{year}", []).append(int(number))
        if (mine[0].get("document_email") or {}).get("status") != "sent":
            bad(f"payment {plan.payment_id}: annulment e-mail is {(mine[0].get('document_email') or {}).get('status')}")
        sent = [m for m in emails if plan.email in f"{m.get('destinations', '')}{m.get('raw_data', '')}"
                and "anulacion-" in str(m.get("raw_data", ""))]
        mails += len(sent)
        if len(sent) != 1:
            bad(f"payment {plan.payment_id}: {len(sent)} annulment e-mails sent, expected 1")
    for series, numbers in folios.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            bad(f"annulment folios of {series} are not gapless 1..n: {sorted(numbers)}")
    refunded_by_day: Counter[str] = Counter()
    for row in rows:
        refunded_by_day[f"{row['municipality']}"] += int(row["amount"])
    booked: Counter[str] = Counter()
    for item in items:
        if "#STATS#" in str(item["pk"]) and str(item["sk"]).endswith("#refund") and \
                not str(item["pk"]).startswith("00000#"):
            booked[str(item["pk"]).split("#", 1)[0]] -= int(item.get("amount", 0))
    for code, amount in refunded_by_day.items():
        if booked.get(code, 0) != amount:
            bad(f"{code}: the counters subtract {booked.get(code, 0)} for returns of {amount}")
    return {"returns": dict(Counter(str(p.returned) for p in returned)), "annulment_emails": mails}


# -- the check ---------------------------------------------------------------------------------

def scan(chaos: ChaosStack) -> list[dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    dynamo, items = chaos.aws("dynamodb"), []
    kwargs: dict[str, Any] = {"TableName": chaos.env["SEM_TABLE_NAME"], "ConsistentRead": True}
    while True:
        page = dynamo.scan(**kwargs)
        items += [{k: deserializer.deserialize(v) for k, v in raw.items()} for raw in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_payments(chaos: ChaosStack, payment_ids: list[str]) -> dict[str, dict[str, Any]]:
    """These payments' records (BatchGetItem, strongly consistent): a cheap poll while settling."""
    from boto3.dynamodb.types import TypeDeserializer

    from chalicelib.adapters import table_keys

    deserializer = TypeDeserializer()
    dynamo, table, found = chaos.aws("dynamodb"), chaos.env["SEM_TABLE_NAME"], {}
    for start in range(0, len(payment_ids), 100):
        request = {table: {"ConsistentRead": True, "Keys": [
            {"pk": {"S": table_keys.payment(pid[:5], pid)},
             "sk": {"S": "META"}} for pid in payment_ids[start:start + 100]]}}
        while request:
            answer = dynamo.batch_get_item(RequestItems=request)
            for raw in answer["Responses"].get(table, []):
                item = {k: deserializer.deserialize(v) for k, v in raw.items()}
                found[str(item["payment_id"])] = item
            request = answer.get("UnprocessedKeys") or {}
    return found


def sent_emails(chaos: ChaosStack) -> list[dict[str, Any]]:
    data = requests.get(f"{chaos.ports.url('moto')}/moto-api/data.json", timeout=120).json()
    return list(data.get("ses", {}).get("RawMessage", []))


def injected_faults(log_dir: Path) -> Counter[str]:
    counts: Counter[str] = Counter()
    for log in log_dir.glob("worker*.log"):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if '"fault injected"' in line:
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                counts[f"{record.get('fault_service')}:{record.get('fault_operation')}"] += 1
    return counts


def kills(log_path: Path) -> list[dict[str, Any]]:
    if not log_path.exists():
        return []
    return [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines() if line.strip()]


def expected_states(plan: Plan, order: dict[str, Any] | None) -> set[str]:
    """The states SEM may owe this payment: TGR's notifications in the order TGR sent them, through
    the state machine — applied when SEM answered 200, not applied when it answered 4xx, and either
    when it answered 5xx or not at all (it may have changed the payment and then failed). TGR
    retries a notification SEM failed on, possibly after the out-of-order one: an approval then
    lands after the rejection and the payment rightly goes to review, for an official."""
    from chalicelib.domain.payments import NotifiedStatus, PaymentStatus, decide_notification

    states = {PaymentStatus.PENDING}
    for delivery in (order or {}).get("notifications", []):
        answer = int(delivery.get("sem_status") or 0)
        if 400 <= answer < 500:
            continue
        note = delivery["notification"]
        applied = {decide_notification(state, NotifiedStatus(note["status"]),
                                       amount_matches=int(note["amount"]) == plan.amount).new_status or state
                   for state in states}
        states = applied if answer == 200 else states | applied
    return {state.value for state in states}


def check(chaos: ChaosStack, plans: list[Plan]) -> Result:
    result = Result()
    bad = result.violations.append
    items = scan(chaos)
    payments = {str(i["payment_id"]): i for i in items if "#PAY#" in str(i["pk"]) and i["sk"] == "META"}
    debts = {str(i["debt_id"]): i for i in items if "#DEBT#" in str(i["pk"]) and i["sk"] == "DEBT"}
    receipts = [i for i in items if "#RECEIPT#" in str(i["pk"]) and i["sk"] == "RECEIPT"]
    ses_events: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        if "#PAY#" in str(item["pk"]) and str(item["sk"]).startswith("EMAILEVT#"):
            ses_events.setdefault(str(item["payment_id"]), []).append(item)
    duplicates = settled_by_events = 0
    counters = {str(i["pk"]): int(i["value"]) for i in items if "#FOLIO#" in str(i["pk"]) and i["sk"] == "COUNTER"}
    every_email = sent_emails(chaos)
    emails = [m for m in every_email if "anulacion-" not in str(m.get("raw_data", ""))]  # receipts' e-mails
    orders = {o["order_id"]: o for o in requests.get(f"{chaos.ports.url('tgr')}/simulator/orders",
                                                      timeout=30).json()["orders"]}
    kill_log = kills(chaos.kill_log)
    after_send = Counter(str(k["payment_id"]) for k in kill_log if k["step"] == "after_send")
    s3 = chaos.aws("s3")
    stored = {o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=chaos.env["SEM_RECEIPTS_BUCKET"])
              for o in page.get("Contents", []) if "/receipts/" in o["Key"]}

    found: Counter[str] = Counter()
    expected_counts: Counter[str] = Counter()
    reordered: list[str] = []
    known = {p.payment_id for p in plans if p.payment_id}
    for payment_id in payments:
        if payment_id not in known:
            bad(f"payment {payment_id} exists but no request of the run created it (a duplicate creation?)")
    for plan in plans:
        if len(plan.create_ids) > 1:
            bad(f"plan {plan.n}: one Idempotency-Key gave {len(plan.create_ids)} payments")
        if plan.payment_id is None:
            found[f"not created ({plan.not_created})"] += 1
            if plan.item["type"] == "debt":
                bad(f"plan {plan.n}: a debt payment was never created ({plan.not_created})")
            continue
        payment = payments.get(plan.payment_id)
        if payment is None:
            bad(f"payment {plan.payment_id} was created (201) but is not in the table")
            continue
        status = str(payment["status"])
        found[status] += 1
        order = orders.get(plan.order_id or "")
        tgr_approved = order is not None and order["status"] == "approved"
        possible = expected_states(plan, order)
        if plan.returned:  # paid, then its money went back (money_back)
            possible = {"refunded" if plan.returned == "refund" else "reversed"}
        expected = status if status in possible else "/".join(sorted(possible))
        expected_counts[expected] += 1
        if possible != {plan.expected} and not plan.returned:
            reordered.append(f"{plan.scenario}: {plan.expected} -> {' or '.join(sorted(possible))}")
        if status not in possible:
            bad(f"payment {plan.payment_id} ({plan.scenario}): {status}, expected {' or '.join(sorted(possible))}")
        if status == "paid" and not (tgr_approved and plan.scenario != "wrong_amount"):
            bad(f"payment {plan.payment_id} is paid but TGR did not collect its amount")
        if tgr_approved and status not in ("paid", "review") and not plan.returned:
            bad(f"payment {plan.payment_id}: TGR collected it but it is {status} (an approved payment lost)")
        mails = [m for m in emails if plan.email in f"{m.get('destinations', '')}{m.get('raw_data', '')}"]
        if plan.item["type"] == "debt":
            debt_status = str((debts.get(plan.item["debt_id"]) or {}).get("status"))
            if debt_status != ("paid" if status == "paid" else "open"):
                bad(f"debt {plan.item['debt_id']} is {debt_status} while its payment is {status}")
        if status != "paid" and not plan.returned:
            if receipt_allocation(payment) or issued_receipt(payment) or mails:
                bad(f"payment {plan.payment_id} is {status} but has a folio, receipt or e-mail")
            continue
        receipt, issue = issued_receipt(payment) or {}, receipt_allocation(payment) or {}
        if not receipt or not issue or receipt.get("folio") != issue.get("folio"):
            bad(f"paid payment {plan.payment_id} has no issued receipt (folio {issue.get('folio')})")
            continue
        if receipt.get("key") not in stored:
            bad(f"paid payment {plan.payment_id}: receipt PDF {receipt.get('key')} not in S3")
        email = payment.get("email") or {}
        annulled = {str(r["folio"]) for r in receipts if r.get("status") == "annulled"}
        if bool(plan.returned) != (str(receipt["folio"]) in annulled):
            bad(f"payment {plan.payment_id} ({status}): its receipt {receipt['folio']} is "
                f"{'annulled' if str(receipt['folio']) in annulled else 'not annulled'}")
        if email.get("status") != "sent":
            bad(f"paid payment {plan.payment_id}: e-mail is {email.get('status')}")
        if len(mails) != 1:
            bad(f"paid payment {plan.payment_id}: {len(mails)} e-mails sent, expected 1")
        duplicates += max(0, len(mails) - 1)
        if email.get("confirmed_by") == "ses_events":
            settled_by_events += 1
        kinds = {str(e.get("type")) for e in ses_events.get(plan.payment_id, [])
                 if e.get("message_id") == email.get("message_id")}
        if email.get("status") == "sent" and not {"send", "delivery"} <= kinds:
            bad(f"paid payment {plan.payment_id}: SES events of its e-mail not recorded ({sorted(kinds)})")
        if any(str(receipt["folio"]) not in str(m.get("raw_data", "")) for m in mails):
            bad(f"paid payment {plan.payment_id}: an e-mail without its folio {receipt['folio']}")

    # Folios: one per paid payment, unique, and gapless per municipality and year.
    by_counter: dict[str, list[int]] = {}
    owners: Counter[str] = Counter()
    for record in receipts:
        folio = str(record["folio"])
        code, year, number = folio.split("-")
        by_counter.setdefault(f"{code}#FOLIO#{year}", []).append(int(number))
        owners[str(record.get("payment_id"))] += 1
        returned = any(p.returned and p.payment_id == record.get("payment_id") for p in plans)
        if record.get("status") != ("annulled" if returned else "issued"):
            bad(f"folio {folio} is {record.get('status')}")
    for counter, numbers in by_counter.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)) or counters.get(counter) != len(numbers):
            bad(f"folios of {counter} are not gapless 1..n: {sorted(numbers)} (counter {counters.get(counter)})")
    for owner, count in owners.items():
        if count > 1:
            bad(f"payment {owner} holds {count} folios")
    paid = [p for p in plans if p.payment_id and (p.returned or
                                                  str((payments.get(p.payment_id) or {}).get("status")) == "paid")]
    if len(receipts) != len(paid):
        bad(f"{len(receipts)} folios for {len(paid)} paid payments")
    if len(stored) != len(paid):
        bad(f"{len(stored)} receipt PDFs in S3 for {len(paid)} paid payments")

    tgr: Counter[str] = Counter()
    for plan in plans:
        for delivery in (orders.get(plan.order_id or "") or {}).get("notifications", []):
            tgr[str(delivery["kind"])] += 1
        if plan.scenario == "wrong_amount":
            tgr["wrong_amount"] += 1
        if plan.scenario == "approved_late":
            tgr["late"] += 1
    money_back_counts = check_returns(plans, items, every_email, bad)
    faults = injected_faults(chaos.log_dir)
    result.counts = {
        **money_back_counts,
        "payments": len(plans),
        "expected": dict(expected_counts),
        "expected_changed_by_sem_failures": reordered,
        "found": dict(found),
        "scenarios": dict(Counter(p.scenario for p in plans)),
        "creation_retries": sum(max(0, p.create_attempts - 1) for p in plans),
        "receipts": len(receipts), "pdfs": len(stored), "emails": len(emails),
        "emails_duplicates": duplicates, "emails_settled_from_ses_events": settled_by_events,
        "kills_after_send": sum(after_send.values()),
        "tgr_notifications": dict(tgr),
        "tgr_retried": [f"{p.scenario}: {problem}" for p in plans for problem in p.tgr_problems],
        "injected_faults": dict(faults), "injected_faults_total": sum(faults.values()),
        "worker_kills": dict(Counter(str(k["step"]) for k in kill_log)), "worker_kills_total": len(kill_log),
        "worker_restarts": sum(chaos.restarts.values()),
        "unexpected_worker_exits": list(chaos.unexpected_exits),
        "violations": len(result.violations),
    }
    for exit_note in chaos.unexpected_exits:
        bad(f"a worker died other than by an injected kill: {exit_note}")
    return result


def report(result: Result, extra: dict[str, Any]) -> str:
    c = {**result.counts, **extra}
    lines = ["", f"SEM chaos run: {c['payments']} payments, {c.get('elapsed_s')} s (seed {c.get('seed')})", ""]
    lines.append(f"  {'final state':<28}{'expected':>10}{'found':>10}")
    for state in sorted(set(c["expected"]) | set(c["found"])):
        lines.append(f"  {state:<28}{c['expected'].get(state, 0):>10}{c['found'].get(state, 0):>10}")
    lines += [
        "",
        f"  receipts (folios) {c['receipts']}, PDFs in S3 {c['pdfs']}, e-mails {c['emails']}"
        f" (duplicates {c['emails_duplicates']}; workers killed after SES accepted {c['kills_after_send']},"
        f" e-mails settled from SES events {c['emails_settled_from_ses_events']})",
        f"  scenarios: {_pairs(c['scenarios'])}",
        f"  TGR notifications by kind: {_pairs(c['tgr_notifications'])}",
        *(f"    expected state moved by a notification SEM failed on: {line}"
          for line in c["expected_changed_by_sem_failures"][:10]),
        *(f"    retried by TGR: {line}" for line in c["tgr_retried"][:10]),
        f"  payment creations retried (SOAP faults, same Idempotency-Key): {c['creation_retries']}",
        f"  SOAP mode changes: {_pairs(c.get('soap_modes', {}))}",
        f"  injected AWS faults: {c['injected_faults_total']} ({_pairs(c['injected_faults'])})",
        f"  worker kills: {c['worker_kills_total']} ({_pairs(c['worker_kills'])}); restarts {c['worker_restarts']}",
        f"  time: start-up {c.get('boot_s')} s, payments {c.get('payments_s')} s, settle {c.get('settle_s')} s,"
        f" check {c.get('check_s')} s",
        f"  receipt jobs dead-lettered, then finished by the sweep's recheck (no redrive): {c.get('dead_lettered')}",
        f"  money back (TGR notifying each three times): {_pairs(c.get('returns', {}))};"
        f" annulment e-mails {c.get('annulment_emails')}; {c.get('returns_s')} s",
        "",
        f"  violations: {len(result.violations)}",
    ]
    lines += [f"    - {v}" for v in result.violations[:50]]
    return "\n".join(lines) + "\n"


def _pairs(counts: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"


# -- main --------------------------------------------------------------------------------------

def run(payments: int, seconds: float, seed: int, concurrency: int, log_dir: Path) -> tuple[Result, dict[str, Any]]:
    rng = random.Random(seed)  # chaos, not cryptography
    started = time.monotonic()
    chaos = ChaosStack(log_dir, dict(DEFAULT_FAULTS), DEFAULT_KILL_RATE)
    _running.append(chaos)
    extra: dict[str, Any] = {"seed": seed, "log_dir": str(log_dir)}
    try:
        chaos.boot()
        extra["boot_s"] = round(time.monotonic() - started, 1)
        run_id = uuid.uuid4().hex[:6].upper()
        plans = make_plans(payments, run_id, rng)
        seed_debts(chaos, plans, rng)
        chaos.chaos_workers()
        stop = threading.Event()
        soap_modes: Counter[str] = Counter()
        monkey = threading.Thread(target=soap_monkey, args=(chaos, stop, random.Random(rng.random()), soap_modes),
                                  daemon=True)
        monkey.start()

        def one(plan: Plan) -> None:
            create_payment(chaos, plan)
            complete(chaos, plan)

        paying = time.monotonic()
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            list(pool.map(one, plans))
        extra["payments_s"] = round(time.monotonic() - paying, 1)
        stop.set()
        monkey.join(timeout=10)
        extra["soap_modes"] = dict(soap_modes)
        # Keep the workers misbehaving while the receipts drain, until every kill point has been
        # hit (a slow machine reaches the later steps later), within 60 % of the time budget.
        budget_end = started + seconds * 0.6
        while (time.monotonic() < budget_end and queue_depth(chaos, chaos.env["SEM_RECEIPTS_QUEUE_URL"]) > 0
               and {str(k["step"]) for k in kills(chaos.kill_log)} != set(KILL_STEPS)):
            time.sleep(1)
        late = max(s[2].get("late_duplicate_s", 0.0) for s in SCENARIOS.values())
        time.sleep(late + 1)  # the late duplicates are in
        chaos.calm_workers()
        extra.update(settle(chaos, plans, max(EMAIL_LEASE_S + EVENTS_GRACE_S + 30.0,
                                              started + seconds - time.monotonic())))
        returning = time.monotonic()
        extra.update(money_back(chaos, plans))
        extra["returns_s"] = round(time.monotonic() - returning, 1)
        checking = time.monotonic()
        result = check(chaos, plans)
        extra["check_s"] = round(time.monotonic() - checking, 1)
        if not extra.get("settled"):
            result.violations.append(f"the system did not settle in time: {extra}")
        if extra.get("returns_problem"):
            result.violations.append(f"no money-back phase: {extra['returns_problem']}")
            result.counts["violations"] = len(result.violations)
        extra["elapsed_s"] = round(time.monotonic() - started, 1)
        return result, extra
    finally:
        chaos.stop()


_running: list[ChaosStack] = []


def _terminated(*_: Any) -> None:
    print("chaos run: out of time; stopping the stack", file=sys.stderr, flush=True)
    for chaos in _running:
        chaos.halt()
    os._exit(124)


def main() -> int:
    parser = argparse.ArgumentParser(description="Fault-injection run against a local stack (dev only).")
    parser.add_argument("--payments", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=240.0, help="time budget after start-up (bounded)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=6)
    parser.add_argument("--json", type=Path, default=None, help="also write the counts and violations here")
    args = parser.parse_args()
    # `timeout` (make chaos) ends the run here: stop the stack's processes, then exit at once
    # (the payment threads may be waiting on HTTP calls).
    signal.signal(signal.SIGTERM, _terminated)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000)
    log_dir = Path(os.environ.get("SEM_CHAOS_LOG_DIR") or tempfile.mkdtemp(prefix="sem-chaos-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    print(f"chaos run: {args.payments} payments, seed {seed}, logs in {log_dir}", flush=True)
    result, extra = run(args.payments, args.seconds, seed, args.concurrency, log_dir)
    print(report(result, extra), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"counts": {**result.counts, **extra}, "violations": result.violations},
                                        indent=2, default=str), encoding="utf-8")
    return 1 if result.violations else 0


if __name__ == "__main__":
    sys.exit(main())

