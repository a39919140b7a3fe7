"""The platform's counters' write shards (adapters/stats_repo.py) and the peak model's arithmetic
(bench/peak.py): shard selection, summing on read, and the rates and shares the model reports."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from bench import peak
from chalicelib.adapters import table_keys
from chalicelib.adapters.stats_repo import PLATFORM_SHARDS, StatsRepository, shard_of, sum_cells

DAY = "2027-03-31"


def test_a_payment_always_gets_the_same_shard_and_payments_spread_evenly():
    ids = [f"13101-{n:08d}" for n in range(8_000)]
    assert [shard_of(i) for i in ids] == [shard_of(i) for i in ids]
    counts = Counter(shard_of(i) for i in ids)
    assert set(counts) == set(range(PLATFORM_SHARDS))
    expected = len(ids) / PLATFORM_SHARDS
    assert all(abs(n - expected) < 0.1 * expected for n in counts.values()), counts
    assert {shard_of(i, 7) for i in ids} == set(range(7))


def test_the_shards_cells_are_summed_by_sort_key_and_only_their_numbers():
    items = [
        {"pk": table_keys.stats_shard(DAY, 0), "sk": "13101#permisos#debito", "amount": Decimal(1000), "items": 1,
         "payments": 1},
        {"pk": table_keys.stats_shard(DAY, 3), "sk": "13101#permisos#debito", "amount": Decimal(250), "items": 2,
         "payments": 1},
        {"pk": table_keys.stats_shard(DAY, 1), "sk": "12101#aseo#credito", "amount": 70, "payments": 1, "note": "x",
         "flag": True},
        {"pk": table_keys.stats_shard(DAY, 2), "sk": "13101#permisos#refund", "amount": -400, "refunds": 1},
    ]
    assert sum_cells(items) == [
        {"sk": "12101#aseo#credito", "amount": 70, "payments": 1},
        {"sk": "13101#permisos#debito", "amount": 1250, "items": 3, "payments": 2},
        {"sk": "13101#permisos#refund", "amount": -400, "refunds": 1},
    ]
    assert sum_cells([]) == []


def test_a_paid_payment_counts_in_its_municipality_and_in_its_own_platform_shard():
    ops = StatsRepository.paid_operations("13101", DAY, "13101-P1", {("permisos", "debito"): (50_000, 2),
                                                                      ("aseo", "debito"): (9_000, 1)})
    shard = table_keys.stats_shard(DAY, shard_of("13101-P1"))
    assert [op["update"] for op in ops] == [
        (table_keys.stats("13101", DAY), "aseo#debito"), (table_keys.stats("13101", DAY), "permisos#debito"),
        (shard, "13101#aseo#debito"), (shard, "13101#permisos#debito")]
    assert ops[1]["values"] == {":a": 50_000, ":n": 2, ":one": 1}
    assert ops == StatsRepository.paid_operations("13101", DAY, "13101-P1", {("aseo", "debito"): (9_000, 1),
                                                                             ("permisos", "debito"): (50_000, 2)})
    refund = StatsRepository.refund_operations("13101", DAY, "13101-P1", {"permisos": 50_000}, "refund")
    assert [op["update"] for op in refund] == [(table_keys.stats("13101", DAY), "permisos#refund"),
                                               (shard, "13101#permisos#refund")]
    assert refund[0]["values"] == {":a": -50_000, ":one": 1}


def test_the_peak_rates_follow_the_issue_figures():
    rates = peak.rates()
    assert rates["national"] == pytest.approx(10 * 500_000 * 0.15 / 3600)  # 208 payments per second
    assert rates["municipality"] == pytest.approx(rates["national"] / 10)
    assert peak.folio_attempts(0.0) == 1.0
    assert peak.folio_attempts(20.83) == pytest.approx(1.516, abs=0.01)


def test_shards_are_folded_into_one_partition_class():
    assert peak.shard_class(table_keys.stats_shard(DAY, 2)) == (f"00000#STATS#{DAY}#<shard>", PLATFORM_SHARDS)
    assert peak.shard_class(table_keys.stats("13101", DAY)) == (table_keys.stats("13101", DAY), 1)
    assert peak.shard_class("GSI1 13101#PAYDAY#2027-03-31") == ("GSI1 13101#PAYDAY#2027-03-31", 1)


def test_the_model_takes_shared_partitions_at_their_scope_rate_and_divides_sharded_ones():
    def payment(pid: str, shard: int) -> dict:
        return {"partitions": {
            f"13101#PAY#{pid}": [1.0, 6.0],  # the payment's own: not shared, not modelled
            table_keys.stats("13101", DAY): [0.0, 2.0],
            table_keys.stats_shard(DAY, shard): [0.0, 2.0],
            "13101#FOLIO#2027": [1.0, 2.0],
        }, "items": {}}

    figures = peak.model({"warm": [payment("A", 0), payment("B", 3)]})
    rows = {r["key"]: r for r in figures["partitions"]}
    assert set(rows) == {table_keys.stats("13101", DAY), f"00000#STATS#{DAY}#<shard>", "13101#FOLIO#2027"}
    national = peak.rates()["national"]
    platform = rows[f"00000#STATS#{DAY}#<shard>"]
    assert platform["scope"] == "national"
    assert platform["wcu_per_s"] == pytest.approx(2 * national / PLATFORM_SHARDS, abs=0.1)
    assert platform["share_unsharded"] == pytest.approx(2 * national / 1000, abs=1e-3)
    assert platform["shards_needed"] == 2  # 417 WCU/s is over a third of 1,000, under two thirds
    municipal = rows[table_keys.stats("13101", DAY)]
    assert municipal["scope"] == "municipality"
    assert municipal["wcu_per_s"] == pytest.approx(2 * national / 10, abs=0.1)
    folio = rows["13101#FOLIO#2027"]
    assert folio["wcu_per_s"] == pytest.approx(2 * peak.folio_attempts(national / 10) * national / 10, abs=0.1)
    assert folio["rcu_per_s"] == pytest.approx(folio["wcu_per_s"] / 2, abs=0.1)


def test_reads_a_process_caches_are_counted_per_refresh_not_per_payment():
    def payment(cold: bool) -> dict:
        partitions = {"13101#MUNI": [1.0, 0.0]}
        if cold:
            partitions |= {"00000#REF#UTM": [0.5, 0.0], "13101#MUNI": [2.0, 0.0]}
        return {"partitions": partitions, "items": {}}

    figures = peak.model({"warm": [payment(False), payment(False)], "cold": [payment(True), payment(True)]})
    rows = {r["key"]: r for r in figures["partitions"]}
    refreshes = peak.LAMBDA_INSTANCES / peak.CACHE_TTL_S
    assert rows["00000#REF#UTM"]["rru_per_payment"] == 0.0
    assert rows["00000#REF#UTM"]["rcu_per_s"] == pytest.approx(0.5 * refreshes, abs=0.1)
    municipal = peak.rates()["municipality"]
    assert rows["13101#MUNI"]["rcu_per_s"] == pytest.approx(municipal + refreshes, abs=0.1)
