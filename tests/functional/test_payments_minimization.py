"""Minimization in the console (docs/personal-data.md): payers' RUT and e-mail are masked in
listings, details and exports for profiles that do not need them; shown in full only when asked
for, and then audited. Profiles that serve citizens see them as before."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest

from chalicelib import wiring
from chalicelib.adapters import table_keys
from tests.support.officials import id_token

CODE = "13101"
RUT = "98765432-5"
BASE = f"/v1/admin/municipalities/{CODE}/payments"
OFFICIALS = {"soporte": "soporte@subdere.demo", "alcalde": "alcalde@munistgo.demo",
             "tesorero": "tesorero@munistgo.demo"}


@pytest.fixture(scope="module")
def env(shared_demo_stack_with_users):
    from chalice.test import Client

    from app import app

    pid = f"{CODE}-01JQ000000000000000000ABCD"
    table = wiring.data_table()
    table.put({"pk": table_keys.payment(CODE, pid), "sk": "META", "payment_id": pid, "municipality": CODE,
               "status": "paid", "amount": 30000, "created_at": "2027-03-01T10:00:00-03:00",
               "payer": {"rut": RUT, "name": "Pedro Soto", "email": "pedro@example.cl"}, "items": [],
               "gsi2pk": table_keys.by_rut(CODE, RUT), "gsi2sk": f"PAY#2027-03-01T13:00:00Z#{pid}"})
    table.put({"pk": table_keys.payment(CODE, pid), "sk": "EMAIL#2027-03-01T13:05:00Z#000#a", "outcome": "sent",
               "at": "2027-03-01T10:05:00-03:00", "attempt": 1, "kind": "receipt", "to": "pedro@example.cl"})
    tokens = {p: id_token(shared_demo_stack_with_users, e) for p, e in OFFICIALS.items()}
    with Client(app, stage_name="test") as client:
        yield client, tokens, pid


def get(env, profile, path):
    client, tokens, _ = env
    response = client.http.get(path, headers={"Authorization": f"Bearer {tokens[profile]}"})
    return response.status_code, response.body


def reveals():
    entries = []
    for day in (date.today(), date.today() + timedelta(days=1)):
        entries += list(wiring.data_table().query_all(table_keys.audit(CODE, day.strftime("%Y-%m"))))
    return [(e["actor"], e["target"], e["after"]) for e in entries if e["action"] == "personal_data.reveal"]


def payer_of(body):
    return json.loads(body)["items"][0]["payer"]


@pytest.mark.parametrize("profile", ["soporte", "alcalde"])
def test_masked_by_default_for_profiles_that_do_not_need_them(env, profile):
    before = len(reveals())
    status, body = get(env, profile, f"{BASE}?rut={RUT}")
    assert status == 200, body
    assert payer_of(body) == {"rut": "98.***.***-5", "name": "Pedro Soto", "email": "p***@example.cl"}
    status, body = get(env, profile, f"{BASE}/{env[2]}")
    detail = json.loads(body)
    assert detail["payer"]["email"] == "p***@example.cl"
    assert detail["emails"][0]["to"] == "p***@example.cl"
    assert len(reveals()) == before


def test_shown_in_full_only_on_purpose_and_audited(env):
    status, body = get(env, "soporte", f"{BASE}?rut={RUT}&reveal=true")
    assert status == 200
    assert payer_of(body) == {"rut": RUT, "name": "Pedro Soto", "email": "pedro@example.cl"}
    assert ("soporte@subdere.demo", "payments", {"rows": 1}) in reveals()
    status, body = get(env, "soporte", f"{BASE}/{env[2]}?reveal=true")
    assert json.loads(body)["emails"][0]["to"] == "pedro@example.cl"
    assert ("soporte@subdere.demo", f"payments/{env[2]}", {"rows": 1}) in reveals()


def test_the_csv_export_is_masked_unless_asked_for(env):
    status, body = get(env, "alcalde", f"{BASE}.csv?rut={RUT}")
    assert status == 200
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff")), delimiter=";"))
    header, row = rows[0], rows[1]
    assert row[header.index("RUT pagador")] == "98.***.***-5"
    assert row[header.index("Correo pagador")] == "p***@example.cl"
    status, body = get(env, "alcalde", f"{BASE}.csv?rut={RUT}&reveal=true")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").lstrip("\ufeff")), delimiter=";"))
    assert rows[1][rows[0].index("Correo pagador")] == "pedro@example.cl"
    assert ("alcalde@munistgo.demo", "payments.csv", {"rows": 1}) in reveals()


def test_profiles_that_serve_citizens_see_them_without_asking_and_without_audit(env):
    before = len(reveals())
    status, body = get(env, "tesorero", f"{BASE}?rut={RUT}&reveal=true")
    assert status == 200
    assert payer_of(body)["email"] == "pedro@example.cl"
    status, body = get(env, "tesorero", f"{BASE}?rut={RUT}")
    assert payer_of(body)["rut"] == RUT
    assert len(reveals()) == before


def test_a_bad_reveal_value_is_a_400(env):
    status, body = get(env, "soporte", f"{BASE}?reveal=quizas")
    assert status == 400
    assert json.loads(body)["error"]["field"] == "reveal"
