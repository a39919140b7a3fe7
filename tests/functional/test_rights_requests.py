"""Citizens' rights requests through the officials' console API, against moto with real Cognito
tokens: filing with the legal deadline, access export, rectification, suppression that keeps what
a legal obligation keeps, opposition, extension, closing — each step audited — and another
municipality refused and logged on every route (docs/personal-data.md)."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from devstack.demo_data import DEMO_RUT
from tests.support.officials import id_token

OWN, FOREIGN = "13101", "13114"
BASE = "/v1/admin/municipalities/{code}/privacy/requests"
ADMIN = {OWN: "administrador.municipal@munistgo.demo", FOREIGN: "administrador.municipal@lascondes.demo"}
RUT = "98765432-5"


@pytest.fixture(scope="module")
def env(shared_demo_stack_with_users):
    from chalice.test import Client

    from app import app

    tokens = {code: id_token(shared_demo_stack_with_users, email) for code, email in ADMIN.items()}
    tokens["operador"] = id_token(shared_demo_stack_with_users, "operador.rentas@munistgo.demo")
    with Client(app, stage_name="test") as client:
        yield client, tokens


def call(env, method, path, *, token=OWN, body=None, code=OWN):
    client, tokens = env
    kwargs = {"headers": {"Content-Type": "application/json", "Authorization": f"Bearer {tokens[token]}"}}
    if body is not None:
        kwargs["body"] = json.dumps(body).encode()
    response = getattr(client.http, method)(BASE.format(code=code) + path, **kwargs)
    return response.status_code, (json.loads(response.body) if response.body else None)


def file(env, kind, rut=RUT, **extra):
    body = {"kind": kind, "rut": rut, "name": "Pedro Soto", "contact": "pedro@example.cl",
            "identity_verified": True, "identity_method": "cedula_presencial", **extra}
    status, answer = call(env, "post", "", body=body)
    assert status == 201, answer
    return answer


def add_payment(payment_id, *, status, email_status=None, rut=RUT, code=OWN):
    """A payment of `rut` as the payment service writes it (META with its RUT index, an e-mail row)."""
    pid = f"{code}-{payment_id}"
    table = wiring.data_table()
    meta = {"pk": table_keys.payment(code, pid), "sk": "META", "payment_id": pid, "municipality": code,
            "status": status, "amount": 30000, "access_token_hash": "secret-hash",
            "payer": {"rut": rut, "name": "Pedro Soto", "email": "pedro@example.cl"},
            "items": [{"type": "debt", "amount": 30000, "description": "Aseo 2027"}],
            "gsi2pk": table_keys.by_rut(code, rut), "gsi2sk": f"PAY#2027-03-01T10:00:00Z#{pid}"}
    if email_status:
        meta["email"] = {"status": email_status}
    table.put(meta)
    table.put({"pk": table_keys.payment(code, pid), "sk": "EMAIL#2027-03-01T10:05:00Z#000#a", "outcome": "sent",
               "to": "pedro@example.cl"})
    return pid


def payment(pid, code=OWN):
    return wiring.data_table().get(table_keys.payment(code, pid), "META", consistent=True)


def audit_actions(code):
    month = date.today().strftime("%Y-%m")
    table = wiring.data_table()
    entries = []
    for m in {month, (date.today() + timedelta(days=1)).strftime("%Y-%m")}:
        entries += list(table.query_all(table_keys.audit(code, m)))
    return [(e["action"], e["target"], e["after"]) for e in entries]


def test_filing_sets_the_legal_deadline_and_is_audited(env):
    request = file(env, "access")
    assert request["status"] == "open"
    assert request["due_on"] == (date.fromisoformat(request["filed_at"][:10]) + timedelta(days=30)).isoformat()
    assert request["rut"] == "98.765.432-5"
    actions = audit_actions(OWN)
    assert ("privacy.request.filed", f"privacy/requests/{request['request_id']}",
            {"kind": "access", "rut": "98.***.***-5", "due_on": request["due_on"]}) in actions
    status, listing = call(env, "get", "")
    assert status == 200
    assert request["request_id"] in [r["request_id"] for r in listing["items"]]


def test_a_person_whose_identity_was_not_checked_is_refused_and_logged(env):
    status, answer = call(env, "post", "", body={"kind": "access", "rut": RUT, "name": "Pedro Soto",
                                                  "contact": "pedro@example.cl", "identity_verified": False})
    assert status == 422
    assert answer["error"]["code"] == "identity_not_verified"
    assert any(a == "privacy.request.refused" and after["reason"] == "identity_not_verified"
               for a, _, after in audit_actions(OWN))


def test_access_exports_everything_held_about_the_run_here_and_nothing_internal(env):
    pid = add_payment("ACC1", status="paid", email_status="sent")
    add_payment("ACC2", status="paid", code=FOREIGN)  # the same RUN in another municipality: not exported
    request = file(env, "access")

    status, document = call(env, "post", f"/{request['request_id']}/export")

    assert status == 200, document
    assert document["rut"] == "98.765.432-5"
    assert document["municipality"] == OWN
    assert [p["payment_id"] for p in document["payments"]] == [pid]
    exported = document["payments"][0]
    assert exported["payer"]["email"] == "pedro@example.cl"
    assert exported["email_deliveries"][0]["to"] == "pedro@example.cl"
    for internal in ("pk", "sk", "gsi2pk", "access_token_hash"):
        assert internal not in exported
    assert {c["category"] for c in document["register"]} >= {"Datos del pagador", "Correo electrónico del pagador"}
    status, detail = call(env, "get", f"/{request['request_id']}")
    assert [e["type"] for e in detail["events"]] == ["filed", "exported"]
    assert ("privacy.request.exported", f"privacy/requests/{request['request_id']}",
            {"payments": 1, "debts": 0}) in audit_actions(OWN)


def test_the_demo_debts_of_a_run_are_part_of_its_export(env):
    request = file(env, "portability", rut=DEMO_RUT)
    status, document = call(env, "post", f"/{request['request_id']}/export")
    assert status == 200
    assert document["debts"], "the demo RUN has debts in Santiago's rolls"
    assert all("pk" not in d for d in document["debts"])


def test_rectification_changes_the_email_and_name_on_the_runs_payments(env):
    rut = "11111111-1"
    pid = add_payment("RECT1", status="paid", email_status="sent", rut=rut)
    request = file(env, "rectification", rut=rut)

    status, answer = call(env, "post", f"/{request['request_id']}/rectify",
                          body={"email": "Nuevo@Example.cl", "name": "Pedro Soto Díaz"})

    assert status == 200, answer
    assert answer == {"fields": ["email", "name"], "payments": 1}
    assert payment(pid)["payer"] == {"rut": rut, "name": "Pedro Soto Díaz", "email": "nuevo@example.cl"}
    assert call(env, "post", f"/{request['request_id']}/rectify", body={})[1]["error"]["code"] == "nothing_to_rectify"


def test_suppression_removes_what_no_legal_obligation_keeps_and_nothing_else(env):
    rut = "22222222-2"
    paid = add_payment("SUP1", status="paid", email_status="sent", rut=rut)
    unpaid = add_payment("SUP2", status="expired", rut=rut)
    review = add_payment("SUP3", status="review", rut=rut)
    request = file(env, "suppression", rut=rut)

    status, counts = call(env, "post", f"/{request['request_id']}/suppress")

    assert status == 200, counts
    assert counts == {"anonymized": 1, "emails_removed": 2, "kept_legal_obligation": 1, "kept_in_process": 1}
    assert payment(paid)["payer"] == {"rut": rut, "name": "Pedro Soto"}  # accounting keeps who paid
    assert set(payment(unpaid)["payer"]) == {"anonymized_at"}
    assert "gsi2pk" not in payment(unpaid)
    assert payment(review)["payer"]["email"] == "pedro@example.cl"  # still being resolved


def test_opposition_extension_and_closing_follow_the_law(env):
    request = file(env, "opposition")
    rid = request["request_id"]
    assert call(env, "post", f"/{rid}/suppress")[1]["error"]["code"] == "wrong_request_kind"
    status, answer = call(env, "post", f"/{rid}/opposition", body={"scope": "recordatorios"})
    assert status == 200
    assert answer["scope"] == "recordatorios"

    status, extended = call(env, "post", f"/{rid}/extend", body={"reason": "Consulta a otra unidad"})
    assert status == 200
    assert extended["due_on"] == (date.fromisoformat(request["due_on"]) + timedelta(days=30)).isoformat()
    status, again = call(env, "post", f"/{rid}/extend", body={"reason": "Otra vez"})
    assert status == 409
    assert again["error"]["code"] == "already_extended"

    status, refused = call(env, "post", f"/{rid}/close", body={"outcome": "refused"})
    assert status == 400
    assert refused["error"]["code"] == "reason_required"
    status, closed = call(env, "post", f"/{rid}/close", body={"outcome": "done"})
    assert status == 200
    assert closed["late"] is False
    status, after = call(env, "post", f"/{rid}/opposition", body={})
    assert status == 409
    assert after["error"]["code"] == "request_not_open"
    status, detail = call(env, "get", f"/{rid}")
    assert detail["status"] == "closed"
    assert [e["type"] for e in detail["events"]] == ["filed", "opposition_recorded", "extended", "closed"]


ROUTES = [("post", "", {"kind": "access", "rut": RUT, "name": "Pedro Soto", "contact": "x@example.cl",
                        "identity_verified": True, "identity_method": "cedula_presencial"}),
          ("get", "", None), ("get", "/{rid}", None), ("post", "/{rid}/export", None),
          ("post", "/{rid}/rectify", {"email": "a@example.cl"}), ("post", "/{rid}/suppress", None),
          ("post", "/{rid}/opposition", {}), ("post", "/{rid}/extend", {"reason": "abc"}),
          ("post", "/{rid}/close", {"outcome": "done"})]


def test_another_municipality_is_refused_on_every_route_and_the_attempt_logged(env):
    request = file(env, "access")
    before_own = len(audit_actions(OWN))
    for method, path, body in ROUTES:
        status, answer = call(env, method, path.format(rid=request["request_id"]), token=FOREIGN, body=body)
        assert status == 403, (method, path, answer)
        assert answer["error"]["code"] == "other_municipality"
    refused = [t for a, t, _ in audit_actions(FOREIGN) if a == "privacy.request.refused"]
    assert refused.count(f"privacy/requests@{OWN}") == len(ROUTES)
    assert len(audit_actions(OWN)) == before_own  # nothing written in the other municipality
    status, detail = call(env, "get", f"/{request['request_id']}")
    assert [e["type"] for e in detail["events"]] == ["filed"]


def test_a_profile_without_the_permission_is_refused(env):
    status, answer = call(env, "get", "", token="operador")
    assert status == 403
    assert answer["error"]["code"] == "permission_denied"
