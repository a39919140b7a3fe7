"""31 March at ten times its load, partition by partition (docs/capacity.md).

Two complete payments of the same municipality on the same day — different vehicles, payers and
idempotency keys — run through the app against in-process moto (bench/flow.py's world), each
metered by `bench.aws_meter.AwsMeter`: the read and write units it spent on every partition (of
the table and of each index) and on every item. A partition both payments touched is one every
payment of that municipality (its code is in the key) or of the country touches; the others are
the payment's own (its record, holds, idempotency key, receipt) and spread over the keyspace.

The shared partitions' measured units per payment times the peak's payment rate are their units
per second: the country's rate for national partitions, the largest municipality's for its own.
A partition written through `n` write shards takes `1/n` of that. Each must stay within a third of
DynamoDB's per-partition limits (1,000 WCU/s, 3,000 RCU/s); so must each item.

What a process caches (a municipality's configuration, the UTM/IPC tables: `TtlCache`, 60 s) is
read again only when its copy expires: two more payments run with every process cache emptied
first, and the units they spent over the warm payments' on a shared partition are counted once
per refresh, at most `LAMBDA_INSTANCES` processes each refreshing every `CACHE_TTL_S` seconds.

The folio counter is optimistic (read, then a transaction conditional on the value), so concurrent
allocations of one municipality collide and retry: its units are multiplied by the expected
attempts per folio, 1 / (1 - p) with p = 1 - exp(-rate × window), the chance that another
allocation commits inside one's read-to-commit window (`FOLIO_WINDOW_S`, an in-region read plus
a transaction).
"""

from __future__ import annotations

import gc
import json
import math
import re
from typing import Any

from bench.flow import MUNICIPALITY, Citizen, bench_world, plate

# The peak (issue 18): 31 March, ≈ 0.5 M permit payments in the country, its busiest hour ≈ 15 %
# of them, the largest municipality ≈ 10 % of the country; modelled at ten times that load.
DAY_PAYMENTS = 500_000
BUSIEST_HOUR_SHARE = 0.15
LARGEST_MUNICIPALITY_SHARE = 0.10
LOAD_FACTOR = 10
BUSIEST_MINUTES_FACTOR = 2.0
"""Sensitivity only (not the target): the busiest minutes at twice the busiest hour's rate."""

WCU_PER_PARTITION = 1_000.0
RCU_PER_PARTITION = 3_000.0
TARGET_SHARE = round(1 / 3, 4)
FOLIO_WINDOW_S = 0.02
LAMBDA_INSTANCES = 3_000
"""Concurrent Lambda executions asked for in docs/deploy.md: an upper bound on cache refreshers."""
CACHE_TTL_S = 60.0
"""The shortest process cache (adapters/reference_repo.py, adapters/municipalities_repo.py)."""

PAYERS = ("11.111.111-1", "22.222.222-2", "33.333.333-3", "44.444.444-4")
SHARDED: dict[re.Pattern[str], int] = {}
"""Partition keys written through write shards (a pattern whose `base` group drops the shard
number) → number of shards. None today: the platform's day counters, once the one sharded
partition, are no longer written (the municipalities' days are summed when read: stats_repo)."""


class PeakCitizen(Citizen):
    """A citizen of its own: each payment by another payer (another RUT and e-mail)."""

    def pay(self, i: int) -> dict[str, Any]:
        body = json.dumps({"items": [{"type": "permit", "plate": plate(i), "year": 2027, "installment": "full"}],
                           "payer": {"rut": PAYERS[i % len(PAYERS)], "name": "Ana Díaz",
                                     "email": f"peak{i}@ciudadano.demo"},
                           "return_url": "http://127.0.0.1/retorno.html"}).encode()
        response = self.world["client"].http.post(f"/v1/municipalities/{MUNICIPALITY}/payments", body=body,
                                                   headers={**self.headers, "Idempotency-Key": f"peak-{i}"})
        assert response.status_code == 201, response.body
        created: dict[str, Any] = json.loads(response.body)
        return created


def rates() -> dict[str, float]:
    """Payments per second at the modelled load: the country's and the largest municipality's."""
    national = LOAD_FACTOR * DAY_PAYMENTS * BUSIEST_HOUR_SHARE / 3600
    return {"national": national, "municipality": national * LARGEST_MUNICIPALITY_SHARE}


def folio_attempts(rate: float, window_s: float = FOLIO_WINDOW_S) -> float:
    """Expected allocations tried per folio given, at `rate` allocations per second."""
    collision = 1 - math.exp(-rate * window_s)
    return 1 / (1 - collision)


def shard_class(partition: str) -> tuple[str, int]:
    """A partition key without its write shard, and the number of shards (1: not sharded)."""
    index, _, pk = partition.rpartition(" ")
    for pattern, shards in SHARDED.items():
        found = pattern.match(pk)
        if found:
            return (f"{index} " if index else "") + found["base"] + "#<shard>", shards
    return partition, 1


Measured = list[dict[str, dict[str, list[float]]]]


def _forget_process_caches() -> None:
    """Empty every process cache, as in a new Lambda instance or after their expiry."""
    from chalicelib.ttl_cache import TtlCache

    for found in gc.get_objects():
        if isinstance(found, TtlCache):
            found.forget()


def measure(payments: int = 2) -> dict[str, Measured]:
    """Units per partition and per item of `payments` complete payments after a warm-up one
    (`warm`), and of as many more each after emptying the process caches (`cold`)."""
    measured: dict[str, Measured] = {"warm": [], "cold": []}
    with bench_world(2 * payments + 2) as world:
        meter = world["meter"]
        citizen = PeakCitizen(world)

        def complete(i: int) -> None:
            citizen.quote(i)
            created = citizen.pay(i)
            citizen.notify(created)
            citizen.receipt(citizen.take_job(created["payment_id"]))

        complete(0)  # warm-up: clients, caches, the day's counters and the year's folio counter exist
        for i in range(1, 2 * payments + 1):
            kind = "warm" if i <= payments else "cold"
            if kind == "cold":
                _forget_process_caches()
            meter.reset()
            complete(i)
            measured[kind].append({"partitions": {k: list(v) for k, v in meter.by_partition.items()},
                                   "items": {f"{pk} | {sk}": list(v) for (pk, sk), v in meter.by_item.items()}})
    return measured


def _shared(measured: Measured, kind: str) -> dict[str, tuple[float, float, int]]:
    """Keys (shards folded) every measured payment touched → (RRU, WRU) per payment, shards."""
    per_payment: list[dict[str, tuple[float, float, int]]] = []
    for figures in measured:
        folded: dict[str, tuple[float, float, int]] = {}
        for key, (rru, wru) in figures[kind].items():
            pk, bar, sk = key.partition(" | ")
            base, shards = shard_class(pk)
            name = base + bar + sk
            old = folded.get(name, (0.0, 0.0, shards))
            folded[name] = (old[0] + rru, old[1] + wru, shards)
        per_payment.append(folded)
    common = set.intersection(*(set(p) for p in per_payment))
    return {name: (sum(p[name][0] for p in per_payment) / len(per_payment),
                   sum(p[name][1] for p in per_payment) / len(per_payment), per_payment[0][name][2])
            for name in common}


def model(measured: dict[str, Measured], load: float = 1.0) -> dict[str, Any]:
    """Units per second and share of the partition limit of every shared partition and item."""
    rate = {scope: r * load for scope, r in rates().items()}
    refreshes_per_s = LAMBDA_INSTANCES / CACHE_TTL_S
    out: dict[str, Any] = {}
    for kind in ("partitions", "items"):
        warm = _shared(measured["warm"], kind)
        cold = _shared(measured["cold"], kind) if measured.get("cold") else {}
        rows = []
        for name in sorted(set(warm) | set(cold)):
            rru, wru, shards = warm.get(name, (0.0, 0.0, cold.get(name, (0, 0, 1))[2]))
            refresh_rru = max(0.0, cold[name][0] - rru) if name in cold else 0.0
            scope = "municipality" if MUNICIPALITY in name else "national"
            payments_per_s = rate[scope] / shards
            attempts = folio_attempts(rate[scope]) if "#FOLIO#" in name else 1.0
            wcu = wru * attempts * payments_per_s
            rcu = rru * attempts * payments_per_s + refresh_rru * refreshes_per_s / shards
            share = max(wcu / WCU_PER_PARTITION, rcu / RCU_PER_PARTITION)
            row: dict[str, Any] = {"key": name, "scope": scope, "shards": shards,
                                   "rru_per_payment": round(rru, 2), "wru_per_payment": round(wru, 2),
                                   "payments_per_s": round(payments_per_s, 2),
                                   "wcu_per_s": round(wcu, 1), "rcu_per_s": round(rcu, 1), "share": round(share, 4)}
            if refresh_rru:
                row["rru_per_cache_refresh"] = round(refresh_rru, 2)
                row["cache_refreshes_per_s"] = round(refreshes_per_s, 1)
            if attempts != 1.0:
                row["attempts_per_folio"] = round(attempts, 2)
                row["serialised_utilisation"] = round(rate[scope] * FOLIO_WINDOW_S, 2)
            if shards > 1:
                unsharded = share * shards
                row["share_unsharded"] = round(unsharded, 4)
                row["shards_needed"] = max(1, math.ceil(unsharded / TARGET_SHARE))
            rows.append(row)
        out[kind] = sorted(rows, key=lambda r: (-r["share"], r["key"]))
    return out


def bench_peak(payments: int = 2) -> dict[str, Any]:
    """The peak model's figures; `max_share_of_partition_limit` is the one with a target."""
    measured = measure(payments)
    at_peak = model(measured)
    burst = model(measured, BUSIEST_MINUTES_FACTOR)
    top = at_peak["partitions"] + at_peak["items"]
    hottest = max(top, key=lambda r: r["share"])
    # Every unit a payment spends lands on some partition: its whole WRU at the largest
    # municipality's rate bounds any partition of that municipality, however the writes are laid out.
    warm = measured["warm"]
    wru = sum(w for figures in warm for _, w in figures["partitions"].values()) / len(warm)
    sharded = [r for r in at_peak["partitions"] if r["shards"] > 1]
    return {
        "assumptions": {"day_payments": DAY_PAYMENTS, "busiest_hour_share": BUSIEST_HOUR_SHARE,
                        "largest_municipality_share": LARGEST_MUNICIPALITY_SHARE, "load_factor": LOAD_FACTOR,
                        "wcu_per_partition": WCU_PER_PARTITION, "rcu_per_partition": RCU_PER_PARTITION,
                        "folio_window_s": FOLIO_WINDOW_S, "lambda_instances": LAMBDA_INSTANCES,
                        "cache_ttl_s": CACHE_TTL_S, "payments_measured": {"warm": payments, "cold": payments}},
        "payments_per_s": {k: round(v, 2) for k, v in rates().items()},
        "max_share_of_partition_limit": hottest["share"],
        "hottest": hottest["key"],
        "wru_per_payment": round(wru, 2),
        "municipal_partition_bound": round(wru * rates()["municipality"] / WCU_PER_PARTITION, 4),
        "max_share_busiest_minutes": max(r["share"] for r in burst["partitions"] + burst["items"]),
        "sharded": {r["key"]: {"shards": r["shards"], "shards_needed": r["shards_needed"],
                               "share_unsharded": r["share_unsharded"], "share": r["share"]} for r in sharded},
        "shards_enough": all(r["shards"] >= r["shards_needed"] for r in sharded),
        "partitions": at_peak["partitions"],
        "items": at_peak["items"][:12],
    }


if __name__ == "__main__":
    print(json.dumps(bench_peak(), indent=2))
