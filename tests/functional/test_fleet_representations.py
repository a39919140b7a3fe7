"""Representation records registered by an accountable official, against moto: a treasury
official of a municipality registers who represents a company after checking the deed (audited
in its log, in the same transaction), the representative then acts for the company, and only the
municipality that registered it revokes it. (Every profile × own and foreign municipality on
these routes: tests/functional/test_admin_matrix.py.)"""

from __future__ import annotations

import json

import pytest

from tests.support.citizens import call as citizen_call
from tests.support.citizens import citizen_world, sign_in
from tests.support.officials import id_token

MARIA = "12345678-5"
CORDILLERA = "76543210-3"
REGISTER = "/v1/admin/municipalities/{code}/representations"
DEED = "Poder especial, 3ª Notaría de Santiago, 02-01-2027, repertorio 77-2027"


@pytest.fixture(scope="module")
def world(shared_demo_stack_with_users):
    for world in citizen_world():
        world["officials"] = {email: id_token(shared_demo_stack_with_users, email)
                              for email in ("tesorero@munistgo.demo", "tesorero@lascondes.demo",
                                            "operador.rentas@munistgo.demo", "director.finanzas@munistgo.demo")}
        yield world


def admin(world, email, path, body, code="13101"):
    response = world["client"].http.post(path.format(code=code), body=json.dumps(body).encode(), headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {world['officials'][email]}"})
    assert response.status_code < 500, response.body[:300]
    return response.status_code, json.loads(response.body)


def audit_actions(world, code, email):
    response = world["client"].http.get(f"/v1/admin/municipalities/{code}/audit", headers={
        "Authorization": f"Bearer {world['officials'][email]}"})
    return json.dumps(json.loads(response.body))


def test_a_treasurer_registers_a_representative_who_then_acts_for_the_company(world):
    maria = sign_in(world, MARIA)
    status, body = citizen_call(world, "get", f"/v1/citizen/companies/{CORDILLERA}/plates", token=maria)
    assert (status, body["error"]["code"]) == (403, "not_a_representative")

    request = {"company_rut": "76.543.210-3", "company_name": "Transportes Cordillera SpA",
               "representative_run": "12.345.678-5", "deed": DEED}
    status, body = admin(world, "operador.rentas@munistgo.demo", REGISTER, request)
    assert status == 403  # not a treasury profile
    status, body = admin(world, "tesorero@munistgo.demo", REGISTER, request, code="13114")
    assert status == 403  # not their municipality
    status, body = admin(world, "tesorero@munistgo.demo", REGISTER, request)
    assert status == 201, body
    assert body["status"] == "active"
    status, again = admin(world, "tesorero@munistgo.demo", REGISTER, request)
    assert (status, again["error"]["code"]) == (409, "representation_exists")

    assert citizen_call(world, "get", f"/v1/citizen/companies/{CORDILLERA}/plates", token=maria)[0] == 200
    names = [c["name"] for c in citizen_call(world, "get", "/v1/citizen/companies", token=maria)[1]["companies"]]
    assert names == ["Transportes Cordillera SpA"]
    assert "representation.register" in audit_actions(world, "13101", "director.finanzas@munistgo.demo")

    revocation = {"company_rut": CORDILLERA, "representative_run": MARIA}
    status, body = admin(world, "tesorero@lascondes.demo", REGISTER + "/revoke", revocation, code="13114")
    assert (status, body["error"]["code"]) == (404, "representation_not_found")  # registered by Santiago
    status, body = admin(world, "tesorero@munistgo.demo", REGISTER + "/revoke", revocation)
    assert status == 200, body
    assert body["status"] == "revoked"
    status, body = citizen_call(world, "get", f"/v1/citizen/companies/{CORDILLERA}/plates", token=maria)
    assert (status, body["error"]["code"]) == (403, "not_a_representative")
    assert "representation.revoke" in audit_actions(world, "13101", "director.finanzas@munistgo.demo")


@pytest.mark.parametrize(("change", "field"), [
    ({"company_rut": "12.345.678-5"}, "company_rut"),         # a natural person is not a company
    ({"representative_run": "77.777.777-7"}, "representative_run"),  # a company does not sign in
    ({"company_rut": "76.543.210-4"}, "company_rut"),          # wrong check digit
    ({"deed": "<script>"}, "deed"),
])
def test_bad_registrations_are_refused_clearly(world, change, field):
    request = {"company_rut": CORDILLERA, "company_name": "Transportes Cordillera SpA",
               "representative_run": "11.111.111-1", "deed": DEED, **change}
    status, body = admin(world, "tesorero@munistgo.demo", REGISTER, request)
    assert status == 400, body
    assert body["error"]["field"] == field
