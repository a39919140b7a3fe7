"""Four eyes on payment authority, the proposal side, on an in-memory fake of the proposals
(tests/support/fakes.py, held to the adapter by tests/functional/test_fake_contracts.py): one
pending proposal per official, malformed and unknown ids, nobody deciding their own proposal or
one about themselves, a proposal decided once — also when a second decision raced the first.
Approval itself (Cognito and the officials table) is tested against moto in
tests/functional/test_admin_console.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.services import official_approvals as approvals
from chalicelib.services.admin_officials import OfficialsAdminContext
from chalicelib.services.auth import Official
from chalicelib.services.permissions import PROFILE_NAMES
from tests.support.clocks import Clock
from tests.support.fakes import FakeOfficialProposals

CODE = "13101"
ADMIN = Official(email="admin@munistgo.demo", municipality=CODE, profile="administrador_municipal", name="Admin")
ALCALDE = Official(email="alcalde@munistgo.demo", municipality=CODE, profile="alcalde", name="Alcalde")
CHANGE = {"kind": "create", "email": "nuevo.tesorero@munistgo.demo", "name": "Nuevo", "run": "12345678-5",
          "profile": "tesorero"}


@pytest.fixture
def ctx() -> OfficialsAdminContext:
    return OfficialsAdminContext(officials=FakeOfficialProposals(), cognito=None, clock=Clock(),  # type: ignore[arg-type]
                          on_change=lambda *_: None)


def proposed(ctx: OfficialsAdminContext, change: dict[str, Any] = CHANGE) -> str:
    answer = approvals.propose(CODE, change, ADMIN, ctx)
    assert answer["status"] == "pending_approval"
    return str(answer["proposal"]["proposal_id"])


def test_one_pending_proposal_per_official(ctx):
    proposed(ctx)
    with pytest.raises(Conflict) as pending:
        proposed(ctx)
    assert pending.value.code == "proposal_pending"
    ctx.clock.now += timedelta(seconds=1)  # ids sort by time: the later proposal lists after
    proposed(ctx, {**CHANGE, "email": "otra@munistgo.demo"})
    listed = approvals.list_proposals(CODE, ctx, limit=10, cursor=None, pending_only=True)["items"]
    assert [p["email"] for p in listed] == ["nuevo.tesorero@munistgo.demo", "otra@munistgo.demo"]
    assert {p["profile_name"] for p in listed} == {PROFILE_NAMES["tesorero"]}


@pytest.mark.parametrize(("proposal_id", "error", "code"), [
    ("", InvalidInput, "invalid_input"),
    ("x" * 41, InvalidInput, "invalid_input"),
    ("20270320T130000Z-zzzz", InvalidInput, "invalid_input"),  # not the id alphabet
    ("20270320T130000Z-00000000", NotFound, "proposal_not_found"),
])
def test_a_malformed_or_unknown_id_is_refused(ctx, proposal_id, error, code):
    with pytest.raises(error) as refused:
        approvals.reject(CODE, proposal_id, ALCALDE, ctx)
    assert refused.value.code == code


def test_nobody_decides_their_own_proposal_nor_one_about_themselves(ctx):
    own = proposed(ctx)
    with pytest.raises(Forbidden) as refused:
        approvals.reject(CODE, own, ADMIN, ctx)
    assert refused.value.code == "own_proposal"
    about_alcalde = proposed(ctx, {**CHANGE, "kind": "promote", "email": ALCALDE.email})
    with pytest.raises(Forbidden):
        approvals.reject(CODE, about_alcalde, ALCALDE, ctx)
    assert ctx.officials.proposal(CODE, own)["status"] == "pending"


def test_a_proposal_is_decided_once(ctx):
    pid = proposed(ctx)
    answer = approvals.reject(CODE, pid, ALCALDE, ctx)
    assert (answer["proposal"]["status"], answer["proposal"]["decided_by"]) == ("rejected", ALCALDE.email)
    with pytest.raises(Conflict) as again:
        approvals.reject(CODE, pid, ALCALDE, ctx)
    assert again.value.code == "proposal_decided"
    assert [a["action"] for a in ctx.officials.audit_rows] == ["official.propose", "official.reject"]


def test_a_decision_that_lost_the_race_is_told_so(ctx, monkeypatch):
    pid = proposed(ctx)
    real = ctx.officials.proposal

    def read_then_someone_else_decides(code: str, proposal_id: str) -> Any:
        seen = real(code, proposal_id)  # pending when read…
        ctx.officials.proposals_of[code][proposal_id]["status"] = "approved"  # …decided before our write
        return seen

    monkeypatch.setattr(ctx.officials, "proposal", read_then_someone_else_decides)
    with pytest.raises(Conflict) as lost:
        approvals.reject(CODE, pid, ALCALDE, ctx)
    assert lost.value.code == "proposal_decided"
    assert ctx.officials.proposals_of[CODE][pid]["status"] == "approved"  # the other decision stands
