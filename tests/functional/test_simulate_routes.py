"""The calculators of API.md through the Chalice app against moto, with the seeded reference data."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def api(shared_demo_stack):
    from chalice.test import Client

    from app import app

    with Client(app, stage_name="test") as client:
        yield client


def post(api, path, payload):
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    response = api.http.post(path, body=raw, headers={"Content-Type": "application/json"})
    return response.status_code, json.loads(response.body)


def test_light_car_2024_matches_the_worked_example(api):
    # 60 UTM × 64.666 = 3.879.960 at 1% + 3.879.960 at 2% + 2.240.080 at 3% = 183.601,2 → $183.601
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024})
    assert status == 200, body
    assert body["amount"] == 183_601
    assert body["breakdown"]["utm"]["month"] == "2024-01"
    assert body["breakdown"]["utm"]["value"] == 64_666
    assert body["amounts"]["full"] == 183_601


def test_zona_extrema_computes_on_its_share_of_the_tasacion(api):
    # 12101 (seeded example, unverified): 50% of $10.000.000 = 5.000.000
    # 3.879.960 × 1% + 1.120.040 × 2% = 38.799,6 + 22.400,8 = 61.200,4 → $61.200
    status, body = post(api, "/v1/municipalities/12101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024})
    assert status == 200, body
    assert body["amount"] == 61_200


def test_patente_is_rate_per_mille_of_capital_with_semesters(api):
    # 5‰ × $40.000.000 = $200.000 a year (between 1 and 8.000 UTM), two semesters of $100.000
    status, body = post(api, "/v1/municipalities/13101/patentes/simulate",
                        {"kind": "comercial", "capital_propio": 40_000_000, "year": 2024})
    assert status == 200, body
    assert body["amount"] == 200_000
    assert [i["amount"] for i in body["installments"]] == [100_000, 100_000]
    assert body["breakdown"]["utm"]["month"] == "2024-01"


@pytest.mark.parametrize(("path", "payload", "status", "code", "field"), [
    ("/v1/municipalities/13101/permits/simulate",
     {"vehicle_class": "spaceship", "tasacion": 1, "year": 2024}, 400, "invalid_vehicle_class", "vehicle_class"),
    ("/v1/municipalities/13101/permits/simulate",
     {"vehicle_class": "light", "tasacion": -5, "year": 2024}, 400, "invalid_tasacion", "tasacion"),
    ("/v1/municipalities/13101/permits/simulate",
     {"vehicle_class": "light", "tasacion": "mucho", "year": 2024}, 400, "invalid_input", "tasacion"),
    ("/v1/municipalities/13101/permits/simulate",
     {"vehicle_class": "light", "tasacion": 10**15, "year": 2024}, 400, "invalid_tasacion", "tasacion"),
    ("/v1/municipalities/13101/permits/simulate",
     {"vehicle_class": "light", "tasacion": 5_000_000, "year": 2031}, 422, "utm_missing", None),
    ("/v1/municipalities/13101/permits/simulate",
     {"vehicle_class": "light", "tasacion": 5_000_000, "year": 2024, "color": "rojo"}, 400, "invalid_input", "color"),
    ("/v1/municipalities/99999/permits/simulate",
     {"vehicle_class": "light", "tasacion": 5_000_000, "year": 2024}, 404, "municipality_not_found", "code"),
    ("/v1/municipalities/131/permits/simulate",
     {"vehicle_class": "light", "tasacion": 5_000_000, "year": 2024}, 400, "invalid_municipality", "code"),
    ("/v1/municipalities/13101/patentes/simulate",
     {"kind": "comercial", "capital_propio": 1_000_000, "year": 1800}, 400, "invalid_year", "year"),
    ("/v1/municipalities/13101/patentes/simulate",
     {"kind": "kiosko", "capital_propio": 1_000_000, "year": 2024}, 400, "invalid_patente_kind", "kind"),
])
def test_every_bad_input_gets_its_specific_error(api, path, payload, status, code, field):
    got_status, body = post(api, path, payload)
    assert got_status == status, body
    assert body["error"]["code"] == code
    if field is not None:
        assert body["error"]["field"] == field
    assert body["error"]["message"]


@pytest.mark.parametrize("raw", [b"", b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_bodies_are_400(api, raw):
    status, body = post(api, "/v1/municipalities/13101/permits/simulate", raw)
    assert status == 400
    assert body["error"]["code"] == "invalid_json"


def test_missing_utm_names_the_month(api):
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 5_000_000, "year": 2031})
    assert status == 422
    assert "2031-01" in body["error"]["message"]


def test_the_municipality_list_shows_enabled_ones_with_services(api):
    response = api.http.get("/v1/municipalities")
    assert response.status_code == 200
    listed = {m["code"]: m for m in json.loads(response.body)["municipalities"]}
    assert set(listed) == {"13101", "13114", "05101", "12101", "01101"}
    assert listed["12101"]["name"] == "Punta Arenas"
    assert listed["13101"]["services"] == ["permisos", "patentes", "aseo"]
