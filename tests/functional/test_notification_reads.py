"""TGR's notification reads the payment eventually consistent first (half the read units): a
stale read only ever leads to a retry on a strongly consistent read, or to the answer the
payment's real state gives — never to a second `paid`, a lost approval or a wrong 404."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from chalicelib.adapters.payments_repo import PaymentRepository
from devstack.demo_data import DEMO_RUT
from tests.support.payments_world import notify, pay, payments_world, put_debt

CODE = "13101"


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    yield from payments_world(shared_demo_stack)


@pytest.fixture
def replica(monkeypatch):
    """What an eventually consistent read of a payment answers (a replica behind: `{"stale": …}`,
    None for one that has not seen the record yet; absent: the real record); every read's
    consistency is recorded. Strongly consistent reads are real."""
    state: dict[str, Any] = {"reads": [], "transitions": 0}
    real_get, real_transition = PaymentRepository.get, PaymentRepository.transition

    def get(self, code, payment_id, *, consistent=True):
        state["reads"].append(consistent)
        if consistent or "stale" not in state:
            return real_get(self, code, payment_id, consistent=True)
        return None if state["stale"] is None else dict(state["stale"])

    def transition(self, *args, **kwargs):
        state["transitions"] += 1
        return real_transition(self, *args, **kwargs)

    monkeypatch.setattr(PaymentRepository, "get", get)
    monkeypatch.setattr(PaymentRepository, "transition", transition)
    return state


def _pending(world, debt_id: str) -> dict[str, Any]:
    put_debt(CODE, debt_id, "patente", DEMO_RUT, 41_000)
    status, created, _ = pay(world, [{"type": "debt", "debt_id": debt_id}], key=f"k-{debt_id}")
    assert status == 201, created
    return created


def _day_cell(payment_id: str) -> dict[str, Any]:
    record = wiring.payments_repo().get(CODE, payment_id)
    return wiring.data_table().get(table_keys.stats(CODE, record["paid_at"][:10]), f"patentes#{record['method']}") or {}


def test_an_approval_reads_once_eventually_consistent(world, replica):
    created = _pending(world, "PAT-R-1")
    replica["reads"].clear()
    assert notify(world, created["payment_id"])[1]["status"] == "paid"
    assert replica["reads"][-1:] == [False]
    assert replica["reads"].count(False) == 1
    assert replica["transitions"] == 1


def test_a_repeat_read_from_a_replica_still_pending_retries_strongly_and_answers_paid_once(world, replica):
    created = _pending(world, "PAT-R-2")
    replica["stale"] = wiring.payments_repo().get(CODE, created["payment_id"])  # pending, with its order
    code, body = notify(world, created["payment_id"])
    assert (code, body["result"], body["status"]) == (200, "applied", "paid"), body
    counted = _day_cell(created["payment_id"])
    replica["reads"].clear()
    replica["transitions"] = 0
    code, body = notify(world, created["payment_id"])  # TGR's repeat; the replica still says pending
    assert (code, body["result"], body["status"]) == (200, "duplicate", "paid"), body
    assert replica["transitions"] == 1  # decided on the stale read: its condition failed, nothing written
    assert replica["reads"][1:] == [False, True]  # (the helper's own read first) then the strong re-read
    assert _day_cell(created["payment_id"]) == counted  # the counters added the payment once
    assert wiring.payments_repo().get(CODE, created["payment_id"])["status"] == "paid"


def test_a_replica_without_the_record_is_read_again_strongly_not_answered_404(world, replica):
    created = _pending(world, "PAT-R-3")
    replica["stale"] = None
    code, body = notify(world, created["payment_id"])
    assert (code, body["status"]) == (200, "paid"), body
    assert replica["reads"][-2:] == [False, True]


def test_a_replica_without_the_order_is_read_again_before_the_order_is_trusted(world, replica):
    created = _pending(world, "PAT-R-4")
    stale = wiring.payments_repo().get(CODE, created["payment_id"])
    stale.pop("order_id")  # the replica has not seen TGR's order attached yet
    replica["stale"] = stale
    code, body = notify(world, created["payment_id"], order_id="TGR-SOMEONE-ELSES")
    assert (code, body["error"]["code"]) == (409, "order_mismatch"), body
    assert replica["transitions"] == 0
    assert wiring.payments_repo().get(CODE, created["payment_id"])["status"] == "pending"
