"""The rights requests' branching on in-memory fakes (tests/support/fakes.py, held to the adapters
by tests/functional/test_fake_contracts.py): identity not verified, the step that does not fit the
kind, a request another official closed first, the one extension, a founded refusal, a late close,
rectification of this RUN's payments only. The routes, fence and suppression against moto are
tests/functional/test_rights_requests.py."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, RuleRefused
from chalicelib.services import rights_requests as rights
from chalicelib.services.auth import Official
from chalicelib.services.rights_requests import RightsContext
from tests.support.clocks import SANTIAGO, Clock
from tests.support.fakes import FakeAuditLog, FakeRightsRepository

CODE = "13101"
OFFICIAL = Official(email="datos@munistgo.demo", municipality=CODE, profile="encargado_datos", name="Encargada")
RUT = "12345678-5"


@pytest.fixture
def ctx() -> RightsContext:
    return RightsContext(repo=FakeRightsRepository(), retention=None,  # type: ignore[arg-type]  # suppress only
                         audit=FakeAuditLog(), clock=Clock(datetime(2027, 3, 31, 10, 0, tzinfo=SANTIAGO)))


def filed(ctx: RightsContext, kind: str = "access", **changes: Any) -> dict[str, Any]:
    body = {"kind": kind, "rut": "12.345.678-5", "name": " Ana Pérez ", "contact": "ana@ciudadano.demo",
            "identity_verified": True, "identity_method": "cedula_presencial", **changes}
    return rights.file_request(CODE, body, OFFICIAL, ctx)


def test_a_request_without_a_verified_identity_is_refused_and_the_refusal_audited(ctx):
    with pytest.raises(RuleRefused) as refused:
        filed(ctx, identity_verified=False)
    assert refused.value.code == "identity_not_verified"
    with pytest.raises(RuleRefused):
        filed(ctx, identity_method="me_lo_dijo")
    assert ctx.audit.actions(CODE) == ["privacy.request.refused"] * 2
    assert ctx.audit.entries[0]["after"]["reason"] == "identity_not_verified"
    assert "345.678" not in str(ctx.audit.entries)  # the audit holds the RUN masked
    assert ctx.repo.requests == {}


def test_a_filed_request_is_due_in_thirty_days_with_its_event_and_audit(ctx):
    request = filed(ctx)
    assert (request["status"], request["due_on"], request["name"]) == ("open", "2027-04-30", "Ana Pérez")
    assert request["rut"] == "12.345.678-5"
    stored = rights.get_request(CODE, request["request_id"], ctx)
    assert [e["type"] for e in stored["events"]] == ["filed"]
    assert [a["action"] for a in ctx.repo.audit_rows] == ["privacy.request.filed"]


def test_an_unknown_or_overlong_id_is_not_found(ctx):
    with pytest.raises(NotFound):
        rights.get_request(CODE, "20270331T130000Z-00000000", ctx)
    with pytest.raises(NotFound):
        rights.get_request(CODE, "x" * 41, ctx)


def test_each_step_only_fits_its_kinds(ctx):
    access = filed(ctx, "access")["request_id"]
    with pytest.raises(RuleRefused) as wrong:
        rights.rectify(CODE, access, {"email": "x@y.demo"}, OFFICIAL, ctx)
    assert wrong.value.code == "wrong_request_kind"
    with pytest.raises(RuleRefused):
        rights.record_opposition(CODE, access, {}, OFFICIAL, ctx)
    opposition = filed(ctx, "opposition")["request_id"]
    with pytest.raises(RuleRefused):
        rights.export(CODE, opposition, OFFICIAL, ctx)
    assert rights.record_opposition(CODE, opposition, {"scope": "x" * 300}, OFFICIAL, ctx)["scope"] == "x" * 200


def test_the_deadline_is_extended_once_with_a_reason(ctx):
    rid = filed(ctx)["request_id"]
    with pytest.raises(InvalidInput) as no_reason:
        rights.extend(CODE, rid, {"reason": "  "}, OFFICIAL, ctx)
    assert no_reason.value.code == "reason_required"
    assert rights.extend(CODE, rid, {"reason": "Volumen de datos"}, OFFICIAL, ctx) == {"due_on": "2027-05-30"}
    with pytest.raises(Conflict) as twice:
        rights.extend(CODE, rid, {"reason": "Otra vez"}, OFFICIAL, ctx)
    assert twice.value.code == "already_extended"
    assert ctx.repo.get(CODE, rid)["due_on"] == "2027-05-30"


def test_closing_needs_a_reason_to_refuse_says_when_it_is_late_and_happens_once(ctx):
    rid = filed(ctx)["request_id"]
    with pytest.raises(InvalidInput):
        rights.close(CODE, rid, {"outcome": "refused"}, OFFICIAL, ctx)
    ctx.clock.now += timedelta(days=31)  # past the 30 days
    assert rights.close(CODE, rid, {"outcome": "partial", "reason": "Art. 7°"}, OFFICIAL, ctx)["late"] is True
    with pytest.raises(Conflict) as closed:
        rights.close(CODE, rid, {"outcome": "done"}, OFFICIAL, ctx)
    assert closed.value.code == "request_not_open"
    with pytest.raises(Conflict):  # an extension after closing: the same refusal, not "already extended"
        rights.extend(CODE, rid, {"reason": "tarde"}, OFFICIAL, ctx)
    listed = rights.list_requests(CODE, None, ctx)["items"]
    assert [(i["status"], i["overdue"]) for i in listed] == [("closed", False)]


def test_an_open_request_past_its_due_date_is_listed_overdue(ctx):
    filed(ctx)
    ctx.clock.now += timedelta(days=31)
    assert [i["overdue"] for i in rights.list_requests(CODE, None, ctx)["items"]] == [True]


def test_rectification_changes_this_runs_payments_and_needs_something_to_change(ctx):
    rid = filed(ctx, "rectification")["request_id"]
    ctx.repo.add_held(CODE, RUT, {"gsi2sk": "PAY#2027-03-20", "payment_id": "13101-P1", "payer": {"rut": RUT}})
    ctx.repo.add_held(CODE, RUT, {"gsi2sk": "PAY#2027-03-21", "payment_id": "13101-P2", "payer": {"rut": "1-9"}})
    ctx.repo.add_held(CODE, RUT, {"gsi2sk": "DEBT#PAT-1", "debt_id": "PAT-1"})
    with pytest.raises(InvalidInput) as nothing:
        rights.rectify(CODE, rid, {"email": "", "rut": "2-7"}, OFFICIAL, ctx)
    assert nothing.value.code == "nothing_to_rectify"
    detail = rights.rectify(CODE, rid, {"email": " Ana@Nuevo.Demo ", "name": "Ana P."}, OFFICIAL, ctx)
    assert detail == {"fields": ["email", "name"], "payments": 1}  # P2 is no longer this RUN's
    payer = ctx.repo.held[(CODE, RUT)][0]["payer"]
    assert (payer["email"], payer["name"]) == ("ana@nuevo.demo", "Ana P.")


def test_an_export_holds_the_register_and_what_is_held_without_internal_keys(ctx):
    rid = filed(ctx, "portability")["request_id"]
    meta = {"pk": "x", "sk": "META", "gsi2sk": "PAY#2027-03-20", "payment_id": "13101-P1", "amount": 1000,
            "access_token_hash": "secret"}
    ctx.repo.add_held(CODE, RUT, meta, rows=[meta, {"pk": "x", "sk": "ITEM#1", "debt_id": "PAT-1"},
                                             {"pk": "x", "sk": "EMAIL#a", "to": "ana@ciudadano.demo"}])
    ctx.repo.add_held(CODE, RUT, {"gsi2sk": "DEBT#PAT-2", "debt_id": "PAT-2", "gsi2pk": "k"})
    document = rights.export(CODE, rid, OFFICIAL, ctx)
    [payment] = document["payments"]
    assert payment["amount"] == 1000
    assert "access_token_hash" not in payment
    assert (len(payment["items_detail"]), len(payment["email_deliveries"]), payment["events"]) == (1, 1, [])
    assert document["debts"] == [{"debt_id": "PAT-2"}]
    assert document["register"]
    assert [e["type"] for e in ctx.repo.events(CODE, rid)] == ["filed", "exported"]
