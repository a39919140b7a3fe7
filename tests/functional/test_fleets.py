"""Fleets inside the app, against moto and the ClaveÚnica simulator: only a registered
representative acts for a company, one company never sees another's fleet, a CSV's bad rows are
each named in Spanish while the good ones are kept, one quote per plate, and one payment per
municipality through the payment flow (TGR is a recording fake here)."""

from __future__ import annotations

import json

import pytest

from chalicelib import wiring
from chalicelib.adapters.fleets_repo import FleetRepository
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.services import fleets
from devstack import demo_data
from tests.support.citizens import call, citizen_world, sign_in

ANA, JUAN, MARIA = "11111111-1", "12678579-8", "12345678-5"  # Ana: Cordillera; Juan: Buses Australes
CORDILLERA, AUSTRALES = "76543210-3", "77777777-7"
BASE = f"/v1/citizen/companies/{CORDILLERA}"


@pytest.fixture(scope="module")
def world(shared_demo_stack):
    yield from citizen_world()


@pytest.fixture(scope="module")
def tokens(world):
    return {run: sign_in(world, run) for run in (ANA, JUAN, MARIA)}


def plates_of(csv_text):
    return [{"plate": line.split(";")[0], "municipality": line.split(";")[1]}
            for line in csv_text.splitlines()[1:] if line]


def test_a_representative_sees_only_the_companies_of_their_records(world, tokens):
    status, body = call(world, "get", "/v1/citizen/companies", token=tokens[ANA])
    assert status == 200
    assert body["companies"] == [{"rut": "76.543.210-3", "name": "Transportes Cordillera SpA"}]
    assert call(world, "get", "/v1/citizen/companies", token=tokens[MARIA])[1]["companies"] == []
    assert [c["name"] for c in call(world, "get", "/v1/citizen/companies", token=tokens[JUAN])[1]["companies"]] \
        == ["Buses Australes Ltda."]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/plates", None),
    ("post", "/plates/csv", {"csv": "BBBB10;13101"}),
    ("post", "/quotes", {"year": 2027, "plates": [{"plate": "FLTC10", "municipality": "13101"}]}),
    ("post", "/payments", {"year": 2027, "email": "flota@empresa.demo",
                           "plates": [{"plate": "FLTC10", "municipality": "13101"}]}),
    ("get", "/payments", None),
    ("get", "/payments/13101-01J0000000000000000000000Z/receipt", None),
])
def test_every_fleet_route_refuses_who_does_not_represent_the_company(world, tokens, method, path, body):
    headers = {"Idempotency-Key": "fleet-refused-0001"}
    for run in (MARIA, JUAN):  # a citizen who represents nobody; the representative of another company
        status, answer = call(world, method, BASE + path, body=body, token=tokens[run], headers=headers)
        assert status == 403, answer
        assert answer["error"]["code"] == "not_a_representative"
        assert "Cordillera" not in json.dumps(answer)
    # a company that does not exist, or a RUT that is not one, gets the same answer (nothing to probe)
    for company in ("99999999-9", "11111111-1", "x"):
        status, answer = call(world, method, f"/v1/citizen/companies/{company}{path}", body=body,
                              token=tokens[ANA], headers=headers)
        assert (status, answer["error"]["code"]) == (403, "not_a_representative")
    status, answer = call(world, method, BASE + path, body=body, headers=headers)
    assert (status, answer["error"]["code"]) == (401, "missing_session")


def test_a_csv_with_bad_rows_keeps_the_good_ones_and_names_each_error_in_spanish(world, tokens):
    good = demo_data.fleet_csv()
    bad = ("B1;13101\n"            # not a plate
           "FLTC10;13101\n"        # repeated
           "BCDF12\n"              # no municipality, none chosen on the page
           "BCDF13;131\n"          # not a CUT code
           "BCDF14;99999\n"        # not on the platform
           "BCDF15;13101;extra\n"  # a third column
           "\n")
    status, body = call(world, "post", f"{BASE}/plates/csv", body={"csv": good + bad}, token=tokens[ANA])
    assert status == 200, body
    assert len(body["accepted"]) == 20
    assert {a["plate"] for a in body["accepted"]} == set(demo_data.FLEET_OK) | set(demo_data.FLEET_FAILING)
    rows = {e["row"]: e for e in body["errors"]}
    assert sorted(rows) == [22, 23, 24, 25, 26, 27]
    assert [rows[r]["code"] for r in sorted(rows)] == ["invalid_plate", "duplicate_plate", "missing_municipality",
                                                        "invalid_municipality", "municipality_not_found",
                                                        "too_many_columns"]
    assert rows[23]["message"] == "Fila 23: la patente FLTC10 ya está en la fila 2."
    for error in body["errors"]:
        assert error["message"].startswith(f"Fila {error['row']}: ")
    status, fleet = call(world, "get", f"{BASE}/plates", token=tokens[ANA])
    assert status == 200
    assert {p["plate"] for p in fleet["plates"]} >= {a["plate"] for a in body["accepted"]}
    assert "BCDF12" not in {p["plate"] for p in fleet["plates"]}
    # the same file again changes nothing (idempotent), and a default municipality fills empty cells
    assert len(call(world, "post", f"{BASE}/plates/csv", body={"csv": good}, token=tokens[ANA])[1]["accepted"]) == 20
    status, body = call(world, "post", f"{BASE}/plates/csv", body={"csv": "BCDF12\n", "municipality": "13114"},
                        token=tokens[ANA])
    assert body["accepted"][0]["municipality"] == "13114"
    # and Juan's company still has no plates: one company's list is not another's
    juan = call(world, "get", f"/v1/citizen/companies/{AUSTRALES}/plates", token=tokens[JUAN])[1]
    assert juan["plates"] == []


def test_a_file_that_is_not_a_csv_or_too_long_is_refused_clearly(world, tokens):
    status, body = call(world, "post", f"{BASE}/plates/csv", body={"csv": "a\x00b"}, token=tokens[ANA])
    assert (status, body["error"]["code"]) == (400, "invalid_csv")
    status, body = call(world, "post", f"{BASE}/plates/csv", body={"csv": "BBBB10;13101\n" * 202},
                        token=tokens[ANA])
    assert (status, body["error"]["code"]) == (400, "too_many_rows")
    assert "filas" in body["error"]["message"]


def test_one_quote_per_plate_with_its_prerequisites(world, tokens):
    plates = [{"plate": "FLTC10", "municipality": "13101"}, {"plate": "FLTC22", "municipality": "13114"},
              {"plate": "FLTC28", "municipality": "13101"}, {"plate": "FLTC10-x", "municipality": "13101"}]
    status, body = call(world, "post", f"{BASE}/quotes", body={"year": 2027, "plates": plates[:3]},
                        token=tokens[ANA])
    assert status == 200, body
    first, second, third = body["quotes"]
    assert first["payable"] is True
    assert first["amount"] > 0
    assert set(first["checks"]) >= {"insurance", "inspection", "emissions", "fines"}
    assert all(c["status"] == "ok" for c in first["checks"].values())
    assert second["payable"] is True
    assert second["municipality_name"] == "Las Condes"
    assert third["payable"] is False
    assert third["reasons"]
    status, body = call(world, "post", f"{BASE}/quotes", body={"year": 2027, "plates": plates[3:]},
                        token=tokens[ANA])
    assert (status, body["error"]["code"]) == (400, "invalid_plate")
    eleven = [{"plate": p, "municipality": "13101"} for p in demo_data.FLEET_OK[:11]]
    status, body = call(world, "post", f"{BASE}/quotes", body={"year": 2027, "plates": eleven}, token=tokens[ANA])
    assert status == 400


def test_paying_the_fleet_makes_one_payment_per_municipality_and_leaves_out_the_failing_plates(world, tokens):
    plates = plates_of(demo_data.fleet_csv())
    assert len(plates) == 20
    request = {"year": 2027, "email": "flota@cordillera.demo", "plates": plates}
    headers = {"Idempotency-Key": "fleet-cordillera-2027-1"}
    status, body = call(world, "post", f"{BASE}/payments", body=request, token=tokens[ANA], headers=headers)
    assert status == 201, body
    by_muni = {p["municipality"]: p for p in body["payments"]}
    assert sorted(by_muni) == ["13101", "13114"]
    assert len(by_muni["13101"]["plates"]) == 12
    assert len(by_muni["13114"]["plates"]) == 6
    assert {x["plate"] for x in body["left_out"]} == set(demo_data.FLEET_FAILING)
    assert all(x["reasons"] for x in body["left_out"])
    assert world["gateway"].return_urls[-1] == "http://127.0.0.1:8400/flotas/"

    # one payment per municipality, its items one permit per plate, the company as payer
    repo = wiring.payments_repo()
    for code, entry in by_muni.items():
        payment = repo.get(code, entry["payment_id"])
        assert payment["payer"]["rut"] == CORDILLERA
        assert [i["plate"] for i in payment["items"]] == entry["plates"]
        assert payment["amount"] == entry["amount"] == sum(i["amount"] for i in payment["items"])
        assert all(i["type"] == "permit" and i["year"] == 2027 for i in payment["items"])

    # the same request again: the same payments, nothing created twice
    status, again = call(world, "post", f"{BASE}/payments", body=request, token=tokens[ANA], headers=headers)
    assert status == 201
    assert {p["payment_id"] for p in again["payments"]} == {p["payment_id"] for p in body["payments"]}

    # the company's payments are the company's: listed for its representative, not in anyone's own list
    status, listed = call(world, "get", f"{BASE}/payments", token=tokens[ANA])
    assert status == 200
    assert {p["payment_id"] for p in listed["payments"]} >= {p["payment_id"] for p in body["payments"]}
    own = call(world, "get", "/v1/citizen/payments", token=tokens[ANA])[1]
    assert not {p["payment_id"] for p in own["payments"]} & {p["payment_id"] for p in body["payments"]}
    juan = call(world, "get", f"/v1/citizen/companies/{AUSTRALES}/payments", token=tokens[JUAN])[1]
    assert juan["payments"] == []
    payment_id = body["payments"][0]["payment_id"]
    status, answer = call(world, "get", f"{BASE}/payments/{payment_id}/receipt", token=tokens[ANA])
    assert (status, answer["error"]["code"]) == (404, "receipt_not_ready")
    status, answer = call(world, "get", f"/v1/citizen/companies/{AUSTRALES}/payments/{payment_id}/receipt",
                          token=tokens[JUAN])
    assert (status, answer["error"]["code"]) == (404, "payment_not_found")

    # plates under way are not payable twice: a new request leaves them out with the reason
    status, twice = call(world, "post", f"{BASE}/payments", body={**request, "plates": plates[:2]},
                         token=tokens[ANA], headers={"Idempotency-Key": "fleet-cordillera-2027-2"})
    assert status == 201
    assert twice["payments"] == []
    assert len(twice["left_out"]) == 2


def test_paying_needs_an_idempotency_key(world, tokens):
    plates = [{"plate": "FLTC10", "municipality": "13101"}]
    status, body = call(world, "post", f"{BASE}/payments", token=tokens[ANA],
                        body={"year": 2027, "email": "a@b.cl", "plates": plates})
    assert (status, body["error"]["field"]) == (400, "Idempotency-Key")


def test_a_revoked_representation_no_longer_opens_the_fleet(world, tokens):
    repo = FleetRepository(wiring.data_table())
    secret = wiring.citizen_context().index_secret
    fleets.revoke(repo, secret, company_rut=AUSTRALES, representative_run=JUAN, by="tesorero@demo", at="2027-01-02")
    try:
        status, body = call(world, "get", f"/v1/citizen/companies/{AUSTRALES}/plates", token=tokens[JUAN])
        assert (status, body["error"]["code"]) == (403, "not_a_representative")
        assert call(world, "get", "/v1/citizen/companies", token=tokens[JUAN])[1]["companies"] == []
    finally:
        company = next(c for c in demo_data.COMPANIES if c["rut"] == AUSTRALES)
        fleets.register(repo, secret, company_rut=AUSTRALES, company_name=company["name"], representative_run=JUAN,
                        deed=company["deed"], by="tesorero@demo", at="2027-01-03")
    assert call(world, "get", f"/v1/citizen/companies/{AUSTRALES}/plates", token=tokens[JUAN])[0] == 200


def test_a_representation_needs_a_legal_person_and_a_natural_representative_once(world):
    repo = FleetRepository(wiring.data_table())
    secret = wiring.citizen_context().index_secret
    args = {"company_name": "X SpA", "deed": "escritura", "by": "tesorero@demo", "at": "2027-01-01"}
    with pytest.raises(InvalidInput) as natural:
        fleets.register(repo, secret, company_rut=MARIA, representative_run=ANA, **args)
    assert natural.value.code == "not_a_legal_person"
    with pytest.raises(InvalidInput) as legal:
        fleets.register(repo, secret, company_rut=CORDILLERA, representative_run=AUSTRALES, **args)
    assert legal.value.code == "not_a_natural_person"
    with pytest.raises(Conflict):
        fleets.register(repo, secret, company_rut=CORDILLERA, representative_run=ANA, **args)


@pytest.mark.parametrize("cell", ["\ufeffFLTC10", "ＦＬＴＣ１０", "FLTC10\u200b", "\u202eFLTC10", "中文", "' OR 1=1 --",
                                  "<script>", "FLTC10\r", "\"FLTC10\";\"13101\"", "=HYPERLINK(\"x\")", "ñ" * 500])
def test_hostile_cells_are_a_row_error_or_the_plate_normalized_never_a_500(world, tokens, cell):
    status, body = call(world, "post", f"{BASE}/plates/csv", body={"csv": f"{cell};13101\n"}, token=tokens[ANA])
    assert status in (200, 400), body
    if status == 200:
        assert len(body["accepted"]) + len(body["errors"]) <= 2  # a lone CR is a line break: two rows
        assert all(a["plate"] == "FLTC10" for a in body["accepted"])
        assert all(e["message"].startswith(f"Fila {e['row']}: ") for e in body["errors"])
