"""The daily counters against moto under concurrent payments: a bounded load of paid payments and
refunds from threads, each the counter steps of its own transaction, adds up exactly in each
municipality's day, in the platform's day derived from them — and in the reports read from them.

moto applies an update's ADD actions one attribute at a time without a lock, so two threads
updating one item can lose one's amount; DynamoDB applies a transaction atomically. moto's
transaction is therefore made atomic here (one at a time, as DynamoDB serialises writes to an
item); everything on SEM's side — building the steps, the requests — runs concurrently."""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import boto3
import pytest
from moto.dynamodb.models import DynamoDBBackend

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.stats_repo import PLATFORM, StatsRepository
from chalicelib.services import reports

DAY = "2027-03-31"
CODES = ("13101", "12101")
LISTED = (*CODES, "05101")  # the platform's municipalities: one without payments that day
METHODS = ("debito", "credito")
PAYMENTS = 320
THREADS = 16


@pytest.fixture
def atomic_moto_transactions(monkeypatch):
    lock = threading.Lock()
    transact = DynamoDBBackend.transact_write_items

    def atomic(self, transact_items):
        with lock:
            return transact(self, transact_items)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", atomic)


def test_concurrent_payments_add_up_exactly_in_the_municipalities_and_the_platform(stack, atomic_moto_transactions):
    table = wiring.data_table()
    for code in LISTED:
        table.put({"pk": table_keys.municipality_index(), "sk": code, "code": code, "name": code})
    stats = StatsRepository(table)
    rng = random.Random(18)
    payments = [(CODES[i % 2], f"{CODES[i % 2]}-P{i:05d}", METHODS[rng.randrange(2)], rng.randrange(1_000, 400_000),
                 rng.randrange(1, 3)) for i in range(PAYMENTS)]
    refunds = [(code, pid, amount) for code, pid, _, amount, _ in payments[:40:3]]
    expected: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # amount, items, payments, refunds
    for code, _, method, amount, items in payments:
        cell = expected[(code, f"permisos#{method}")]
        cell[0] += amount
        cell[1] += items
        cell[2] += 1
    for code, _, amount in refunds:
        cell = expected[(code, "permisos#refund")]
        cell[0] -= amount
        cell[3] += 1

    def pay(payment: tuple[str, str, str, int, int]) -> None:
        code, payment_id, method, amount, items = payment
        assert payment_id.startswith(code)
        table.transact(StatsRepository.paid_operations(code, DAY, {("permisos", method): (amount, items)}))

    def refund(done: tuple[str, str, int]) -> None:
        code, _, amount = done
        table.transact(StatsRepository.refund_operations(code, DAY, {"permisos": amount}, "refund"))

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        list(pool.map(pay, payments))
        list(pool.map(refund, refunds))

    def figures(cell: dict) -> list[int]:
        return [cell.get("amount", 0), cell.get("items", 0), cell.get("payments", 0), cell.get("refunds", 0)]

    for code in CODES:
        found = {c["sk"]: figures(c) for c in stats.day_cells(code, DAY)}
        assert found == {sk: v for (c, sk), v in expected.items() if c == code}
    platform = {c["sk"]: figures(c) for c in stats.day_cells(PLATFORM, DAY)}
    assert platform == {f"{c}#{sk}": v for (c, sk), v in expected.items()}

    # Nothing national was written: the platform's day is only ever the municipalities' summed.
    written = {item["pk"]["S"] for item in boto3.client("dynamodb").scan(TableName=table.name)["Items"]}
    assert written == {table_keys.stats(code, DAY) for code in CODES} | {table_keys.municipality_index()}

    # The reports read the same totals through the repository (paid minus refunded).
    ctx = reports.ReportsContext(stats=stats, today=date(2027, 4, 1), summarise=False)
    day = date.fromisoformat(DAY)
    central = reports.central_report(2027, ctx, as_of=day)["current"]
    assert central["amount"] == sum(v[0] for v in expected.values())
    assert central["payments"] == PAYMENTS
    assert central["municipalities"] == len(CODES)
    for code in CODES:
        totals = reports.municipal_report(code, day, day, "method", ctx)["totals"]
        assert totals["amount"] == sum(v[0] for (c, _), v in expected.items() if c == code)
        assert totals["payments"] == PAYMENTS // len(CODES)

