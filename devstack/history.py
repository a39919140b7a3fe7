"""Synthetic payment history for a local stack (dev only): a year or two of PAID payments' daily
counters across the demo municipalities, shaped like the real calendar — the March peak of
circulation permits (and August's second installments), patentes in January and July, aseo
installments in April, June, September and November — plus one day of individual paid payment
records per municipality (the last day), whose counters they match exactly.

It writes the same counter items the gateway maintains when it marks a payment paid
(`<cut>#STATS#<day>` sk `<service>#<method>`; the platform's day is their sum, derived by the
reports), as plain puts (a generated day replaces that day's counters) — by default only for the months
the reports still read day by day, with the closed months' summaries (`…#STATSY#<year>`) that
the reports would derive from them (`--raw all` writes every day's counters instead; see
`write`). Its known
totals are returned (and printed) for tests and people to compare with the reports.

    python -m devstack.history --years 2 --seed 1 [--end 2027-05-31]

Against the running local stack (`make run`: moto on 127.0.0.1:5000, table from the
environment, SEM_TABLE_NAME / AWS_ENDPOINT_URL), or in-process moto when called from tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.adapters import table_keys
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.domain.payments import new_payment_id, utc_key
from devstack import demo_data

PLATFORM = "00000"
METHODS = (("credito", 0.45), ("debito", 0.35), ("transferencia", 0.12), ("casas_comerciales", 0.08))
# Average daily permits on an ordinary day, by municipality (Santiago and Las Condes are large).
SIZE = {"13101": 1.0, "13114": 0.9, "05101": 0.45, "12101": 0.2, "01101": 0.25}
TICKET = {"permisos": 92_000, "patentes": 185_000, "aseo": 24_000}
BASE_DAILY = {"permisos": 60.0, "patentes": 14.0, "aseo": 30.0}
GROWTH = 1.3  # each year's volume over the previous one's


def _permits(day: date) -> float:
    if day.month == 3:
        return 14.0 if day.day >= 24 else 7.0  # the March rush, peaking in its last week
    if day.month == 2:
        return 2.5
    if day.month == 8:
        return 4.0 if day.day >= 24 else 1.5  # second installments, due 31 August
    if day.month in (4, 5):
        return 0.8  # taxis and buses by 31 May
    return 0.4


def _patentes(day: date) -> float:
    if day.month in (1, 7):
        return 6.0 if day.day >= 20 else 2.0
    return 0.2


def _aseo(day: date) -> float:
    if day.month in (4, 6, 9, 11):
        return 5.0 if day.day >= 22 else 1.5
    return 0.15


SHAPE = {"permisos": _permits, "patentes": _patentes, "aseo": _aseo}


@dataclass
class History:
    """What was generated: every counter cell, to compare with the reports."""

    first: date
    last: date
    cells: dict[tuple[str, str, str, str], list[int]] = field(default_factory=dict)  # (code, day, service, method)
    payments: list[dict[str, Any]] = field(default_factory=list)

    def total(self, code: str | None = None, first: date | None = None, last: date | None = None,
              service: str | None = None, method: str | None = None) -> dict[str, int]:
        lo, hi = (first or self.first).isoformat(), (last or self.last).isoformat()
        amount = items = payments = 0
        municipalities: set[str] = set()
        for (c, d, s, m), (a, i, p) in self.cells.items():
            if lo <= d <= hi and code in (None, c) and service in (None, s) and method in (None, m):
                amount, items, payments = amount + a, items + i, payments + p
                municipalities.add(c)
        return {"amount": amount, "items": items, "payments": payments, "municipalities": len(municipalities)}

    def summary(self) -> dict[str, Any]:
        years = range(self.first.year, self.last.year + 1)
        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "platform": {y: self.total(first=date(y, 1, 1), last=min(self.last, date(y, 12, 31))) for y in years},
                "municipalities": {c: {y: self.total(c, date(y, 1, 1), min(self.last, date(y, 12, 31))) for y in years}
                                   for c in sorted({k[0] for k in self.cells})},
                "sample_payments": len(self.payments)}


def paid_payment_record(code: str, payment_id: str, *, order_id: str, amount: int, method: str, paid_at: str,
                        created_at: str, service: str, description: str = "Pago histórico (generado)"
                        ) -> dict[str, Any]:
    """A PAID payment's META item, as the payment flow leaves it (for samples and tests)."""
    return {"pk": table_keys.payment(code, payment_id), "sk": "META", "payment_id": payment_id, "municipality": code,
            "status": "paid", "amount": amount, "created_at": created_at, "paid_at": paid_at, "method": method,
            "order_id": order_id, "authorization_code": hashlib.sha256(payment_id.encode()).hexdigest()[:6].upper(),
            "items": [{"type": "debt" if service != "permisos" else "permit", "service": service,
                       "description": description, "amount": amount, "holds": []}],
            "receipt_job": "generated", "version": 1,
            "gsi1pk": table_keys.payments_by_day(code, created_at[:10]),
            "gsi1sk": f"{utc_key(created_at)}#{payment_id}"}


def _count(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    return max(0, round(rng.gauss(mean, mean ** 0.5)))


def generate(years: int = 2, seed: int = 1, end: date | None = None,
             municipalities: Iterable[str] | None = None, sample_day_payments: int = 25) -> History:
    """The history in memory (deterministic for a seed)."""
    rng = random.Random(seed)
    end = end or date.today() - timedelta(days=1)
    first = date(end.year - years + 1, 1, 1)
    codes = list(municipalities or [m["code"] for m in demo_data.MUNICIPALITIES])
    history = History(first, end)
    day = first
    while day < end:
        growth = GROWTH ** (day.year - end.year)
        for code in codes:
            for service, shape in SHAPE.items():
                mean = BASE_DAILY[service] * SIZE.get(code, 0.3) * shape(day) * growth
                if day.weekday() == 6:
                    mean *= 0.5
                n = _count(rng, mean)
                if not n:
                    continue
                split = Counter(rng.choices([m for m, _ in METHODS], weights=[w for _, w in METHODS], k=n))
                for method, k in split.items():
                    amount = round(k * TICKET[service] * rng.uniform(0.85, 1.15))
                    history.cells[(code, day.isoformat(), service, method)] = [amount, k, k]
        day += timedelta(days=1)
    # The last day: individual payments (records and counters agree exactly).
    for code in codes:
        for n in range(sample_day_payments):
            service = rng.choice(list(SHAPE))
            method = rng.choices([m for m, _ in METHODS], weights=[w for _, w in METHODS])[0]
            amount = round(TICKET[service] * rng.uniform(0.5, 1.5))
            paid = datetime(end.year, end.month, end.day, 8, 0, 0) + timedelta(minutes=20 * n + rng.randint(0, 15))
            created = paid - timedelta(minutes=rng.randint(2, 30))
            payment_id = new_payment_id(code, int(created.timestamp() * 1000), rng.randbytes(10))
            record = paid_payment_record(
                code, payment_id, order_id=f"TGR-{end:%Y%m%d}-{rng.randbytes(5).hex().upper()}", amount=amount,
                method=method, paid_at=paid.isoformat(timespec="seconds") + "-03:00",
                created_at=created.isoformat(timespec="seconds") + "-03:00", service=service)
            history.payments.append(record)
            cell = history.cells.setdefault((code, end.isoformat(), service, method), [0, 0, 0])
            cell[0] += amount
            cell[1] += 1
            cell[2] += 1
    return history


def counter_items(history: History, since: date | None = None) -> list[dict[str, Any]]:
    """The counter items of a history (of the days from `since`), as the gateway shapes them (the
    municipalities' days: the platform's is derived from them)."""
    items = []
    first = (since or history.first).isoformat()
    for (code, day, service, method), (amount, n_items, payments) in history.cells.items():
        if day < first:
            continue
        figures = {"amount": amount, "items": n_items, "payments": payments}
        items.append({"pk": table_keys.stats(code, day), "sk": f"{service}#{method}", **figures})
    return items


def month_summary_items(history: History, until: date) -> list[dict[str, Any]]:
    """The reports' closed-month summaries (`reports.month_summary`) of every month ending by `until`."""
    from chalicelib.services.reports import DaySummary, month_end, month_summary

    by_owner_month: dict[tuple[str, str], dict[date, DaySummary]] = defaultdict(dict)
    for (code, day, service, method), (amount, n_items, payments) in history.cells.items():
        d = date.fromisoformat(day)
        if month_end(d.year, d.month) > until:
            continue
        for owner in (code, PLATFORM):
            summary = by_owner_month[(owner, day[:7])].setdefault(d, DaySummary())
            summary.add(f"{service}#{method}", amount, n_items, payments)
            if owner == PLATFORM:
                summary.municipalities.add(code)
    items = []
    months = sorted({(y, m) for y in range(history.first.year, history.last.year + 1) for m in range(1, 13)
                     if date(y, m, 1) >= history.first and month_end(y, m) <= until})
    for owner in sorted({k[0] for k in history.cells} | {PLATFORM}):
        for y, m in months:
            month = f"{y}-{m:02d}"
            items.append({"pk": table_keys.stats_rollup(owner, y), "sk": month,
                          **month_summary(by_owner_month.get((owner, month), {}))})
    return items


def write(history: History, table: DynamoTable, client: Any, *, today: date | None = None,
          raw: str = "open") -> int:
    """Write the history; returns the items written.

    `raw="all"`: every day's counters, as the gateway would have left them (the reports derive and
    store the month summaries on first read). `raw="open"` (default): counters only for the days
    the reports read from counters (months not yet closed on `today`), and the closed months'
    summaries the reports would have derived — the same figures in far fewer items, because
    moto's Query reads its whole table (every Query of the local stack slows with its size).
    Derived summaries of the touched years are replaced either way."""
    from chalicelib.services.reports import CLOSED_AFTER_DAYS, month_end

    today = today or history.last + timedelta(days=1)
    until = today - timedelta(days=CLOSED_AFTER_DAYS)
    codes = {k[0] for k in history.cells} | {PLATFORM}
    stale = []
    for code in codes:
        for year in range(history.first.year, history.last.year + 1):
            for item in table.query_all(table_keys.stats_rollup(code, year), limit=1000):
                stale.append({"DeleteRequest": {"Key": table.to_dynamo({"pk": item["pk"], "sk": item["sk"]})}})
    _batch(client, table, stale)
    if raw == "all":
        items = counter_items(history)
    else:
        first_open = until.replace(day=1) if month_end(until.year, until.month) > until else until + timedelta(days=1)
        items = counter_items(history, since=first_open) + month_summary_items(history, until)
    items += history.payments
    _batch(client, table, [{"PutRequest": {"Item": table.to_dynamo(item)}} for item in items])
    _listed(table, sorted(codes - {PLATFORM}))
    return len(items)


def _listed(table: DynamoTable, codes: Iterable[str]) -> None:
    """Put the history's municipalities on the platform's list when a stack without demo data lacks
    them (as `devstack/seed.py` does): the platform's figures are its listed municipalities' days."""
    from contextlib import suppress

    from chalicelib.domain.errors import ConditionFailed

    known = {m["code"]: m for m in demo_data.MUNICIPALITIES}
    for code in codes:
        muni = known.get(code, {"code": code, "name": code, "region": ""})
        with suppress(ConditionFailed):
            table.put_new({"pk": table_keys.municipality_index(), "sk": code, "code": code, "name": muni["name"],
                           "region": muni["region"], "services": list(demo_data.SERVICES), "enabled": True})


def _batch(client: Any, table: DynamoTable, requests: list[dict[str, Any]]) -> None:
    for start in range(0, len(requests), 25):
        pending: dict[str, Any] = {table.name: requests[start:start + 25]}
        for _ in range(10):
            unprocessed = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if not unprocessed:
                break
            pending = unprocessed


def main() -> None:
    parser = argparse.ArgumentParser(description="Fill a local SEM stack with synthetic payment history (dev only).")
    parser.add_argument("--years", type=int, default=2, choices=range(1, 6))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last day (default: yesterday)")
    parser.add_argument("--raw", choices=("open", "all"), default="open",
                        help="counters for every day (all) or only for days not yet summarised (open, default)")
    parser.add_argument("--stage", default="local", help="the local stack's stage (finds its table by name)")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ.setdefault(name, "local-moto-not-a-secret")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if "SEM_TABLE_NAME" not in os.environ:  # the running stack's table, from its CloudFormation outputs
        import boto3

        stack = boto3.client("cloudformation", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).describe_stacks(
            StackName=f"sem-{args.stage}")["Stacks"][0]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
        os.environ["SEM_TABLE_NAME"] = outputs["TableName"]
    import time

    from chalicelib import wiring
    from chalicelib.adapters.aws_clients import aws_client

    start = time.perf_counter()
    history = generate(args.years, args.seed, args.end)
    written = write(history, wiring.data_table(), aws_client("dynamodb"), raw=args.raw)
    summary = history.summary()
    summary.update(items_written=written, seconds=round(time.perf_counter() - start, 1))
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
