"""The day counters' steps (adapters/stats_repo.py) and the peak model's arithmetic (bench/peak.py):
summing cells on read, a payment's and a refund's counter steps (its municipality's day only: the
platform's is derived), and the rates, shard folding and shares the model reports."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from bench import peak
from chalicelib.adapters import table_keys
from chalicelib.adapters.stats_repo import StatsRepository, sum_cells

DAY = "2027-03-31"


def test_cells_are_summed_by_sort_key_and_only_their_numbers():
    items = [
        {"pk": table_keys.stats("13101", DAY), "sk": "permisos#debito", "amount": Decimal(1000), "items": 1,
         "payments": 1},
        {"pk": table_keys.stats("13101", DAY), "sk": "permisos#debito", "amount": Decimal(250), "items": 2,
         "payments": 1},
        {"pk": table_keys.stats("13101", DAY), "sk": "aseo#credito", "amount": 70, "payments": 1, "note": "x",
         "flag": True},
        {"pk": table_keys.stats("13101", DAY), "sk": "permisos#refund", "amount": -400, "refunds": 1},
    ]
    assert sum_cells(items) == [
        {"sk": "aseo#credito", "amount": 70, "payments": 1},
        {"sk": "permisos#debito", "amount": 1250, "items": 3, "payments": 2},
        {"sk": "permisos#refund", "amount": -400, "refunds": 1},
    ]
    assert sum_cells([]) == []


def test_a_paid_payment_and_a_refund_count_in_their_municipalitys_day_only():
    ops = StatsRepository.paid_operations("13101", DAY, {("permisos", "debito"): (50_000, 2),
                                                         ("aseo", "debito"): (9_000, 1)})
    assert [op["update"] for op in ops] == [(table_keys.stats("13101", DAY), "aseo#debito"),
                                            (table_keys.stats("13101", DAY), "permisos#debito")]
    assert ops[1]["values"] == {":a": 50_000, ":n": 2, ":one": 1}
    assert ops == StatsRepository.paid_operations("13101", DAY, {("aseo", "debito"): (9_000, 1),
                                                                 ("permisos", "debito"): (50_000, 2)})
    refund = StatsRepository.refund_operations("13101", DAY, {"permisos": 50_000}, "refund")
    assert [op["update"] for op in refund] == [(table_keys.stats("13101", DAY), "permisos#refund")]
    assert refund[0]["values"] == {":a": -50_000, ":one": 1}


def test_the_peak_rates_follow_the_issue_figures():
    rates = peak.rates()
    assert rates["national"] == pytest.approx(10 * 500_000 * 0.15 / 3600)  # 208 payments per second
    assert rates["municipality"] == pytest.approx(rates["national"] / 10)
    assert peak.folio_attempts(0.0) == 1.0
    assert peak.folio_attempts(20.83) == pytest.approx(1.516, abs=0.01)


def test_shards_are_folded_into_one_partition_class(monkeypatch):
    assert peak.SHARDED == {}  # nothing is written through shards today
    assert peak.shard_class(table_keys.stats("13101", DAY)) == (table_keys.stats("13101", DAY), 1)
    monkeypatch.setattr(peak, "SHARDED", {re.compile(r"^(?P<base>00000#HOT#\d{4}-\d{2}-\d{2})#\d+$"): 4})
    assert peak.shard_class(f"00000#HOT#{DAY}#2") == (f"00000#HOT#{DAY}#<shard>", 4)
    assert peak.shard_class("GSI1 13101#PAYDAY#2027-03-31") == ("GSI1 13101#PAYDAY#2027-03-31", 1)


def test_the_model_takes_shared_partitions_at_their_scope_rate_and_divides_sharded_ones(monkeypatch):
    monkeypatch.setattr(peak, "SHARDED", {re.compile(r"^(?P<base>00000#HOT#\d{4}-\d{2}-\d{2})#\d+$"): 4})

    def payment(pid: str, shard: int) -> dict:
        return {"partitions": {
            f"13101#PAY#{pid}": [1.0, 6.0],  # the payment's own: not shared, not modelled
            table_keys.stats("13101", DAY): [0.0, 2.0],
            f"00000#HOT#{DAY}#{shard}": [0.0, 2.0],
            "13101#FOLIO#2027": [1.0, 2.0],
        }, "items": {}}

    figures = peak.model({"warm": [payment("A", 0), payment("B", 3)]})
    rows = {r["key"]: r for r in figures["partitions"]}
    assert set(rows) == {table_keys.stats("13101", DAY), f"00000#HOT#{DAY}#<shard>", "13101#FOLIO#2027"}
    national = peak.rates()["national"]
    platform = rows[f"00000#HOT#{DAY}#<shard>"]
    assert platform["scope"] == "national"
    assert platform["wcu_per_s"] == pytest.approx(2 * national / 4, abs=0.1)
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
