"""The calculators of docs/contract.md through the Chalice app against moto, with the seeded reference data."""

from __future__ import annotations

import json
import re

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


def test_ley_21505_counts_calendar_years_from_2023_through_the_route(api):
    # Electric, manufactured 2021, permit 2026 → 25% (SII: "año de fabricación 2021 en adelante pagarán un
    # 25%"): 2026 scale on $10.000.000 with UTM 69.751 = 174.448,2 → 174.448 × 25% = $43.612
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026,
                         "propulsion": "electric", "model_year": 2021})
    assert status == 200, body
    assert body["amount"] == 43_612
    electric = body["breakdown"]["electric"]
    assert (electric["law_years"], electric["percent_paid"], electric["base"]) == ("2025–2026", "25", 174_448)
    assert "Ley 21.505" in electric["legal_basis"]
    # Electric, manufactured 2025, permit 2025 → 25% too (not exempt): 178.628 × 25% = $44.657
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2025,
                         "propulsion": "electric", "model_year": 2025})
    assert status == 200, body
    assert body["amount"] == 44_657


def test_sii_minimum_permits_2025_and_2026(api):
    for year, minimum in ((2025, 33_715), (2026, 34_876)):
        status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                            {"vehicle_class": "light", "tasacion": 1_000_000, "year": year})
        assert status == 200, body
        assert body["amount"] == minimum
        assert body["breakdown"]["minimum"]["applied"] is True


def test_late_payment_in_2025_is_daily_interest_with_each_step_shown(api):
    # 178.628 due 31-03-2025, paid 20-04-2025: IPC feb 2025 0,4% → readjustment 715; 179.343 × 8,12%/360 × 20
    # = 809,03 → 809; total $180.152 (the 1,5% monthly rule would have charged 2.690)
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2025,
                         "payment_date": "2025-04-20"})
    assert status == 200, body
    assert body["amount"] == 180_152
    late = body["breakdown"]["late_payment"]
    assert (late["interest_rule"], late["days_late"], late["readjustment"], late["interest"]) == (
        "daily", 20, 715, 809)
    assert [(s["semester"], s["annual_percent"], s["days"]) for s in late["semesters"]] == [
        ("1er semestre 2025", "8.12", 20)]
    assert late["ipc"]["monthly_percent"] == [{"month": "2025-02", "percent": "0.4", "projected": False}]


def test_late_payment_in_2026_uses_the_first_semester_2026_rate(api):
    # 174.448 due 31-03-2026, paid 15-04-2026: IPC feb 2026 0,0% → no readjustment;
    # 174.448 × 7,92% / 360 × 15 = 575,68 → 576; total $175.024
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026,
                         "payment_date": "2026-04-15"})
    assert status == 200, body
    assert body["amount"] == 175_024
    assert body["breakdown"]["late_payment"]["semesters"][0]["daily_percent"] == "0.022"


def test_late_payment_readjusted_by_the_march_and_april_2026_ipc(api):
    # 174.448 due 31-03-2026, paid 01-06-2026: IPC feb 0,0 · mar 1,0 · abr 1,3 (INE, as reported 08-04 and
    # 08-05-2026) → 1,02313 → 2,3%; 174.448 × 2,3% = 4.012,30 → 4.012; 178.460 × 7,92% / 360 × 62 días
    # = 2.434,19 → 2.434; total $180.894
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026,
                         "payment_date": "2026-06-01"})
    assert status == 200, body
    assert body["amount"] == 180_894
    late = body["breakdown"]["late_payment"]
    assert (late["ipc"]["applied_percent"], late["readjustment"], late["days_late"], late["interest"]) == (
        "2.3", 4_012, 62, 2_434)
    assert [m["month"] for m in late["ipc"]["monthly_percent"]] == ["2026-02", "2026-03", "2026-04"]


def test_back_year_permits_are_listed_with_their_surcharges(api):
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026,
                         "payment_date": "2026-04-15", "back_years": [2025]})
    assert status == 200, body
    (back,) = body["back_years"]["years"]
    assert (back["year"], back["permit"]) == (2025, 178_628)
    assert back["amount"] > back["permit"]
    assert body["back_years"]["total"] == back["amount"]


def test_second_installment_2025_is_readjusted_february_to_june(api):
    # 89.314 × (1 + mar 0,5 · abr 0,2 · may 0,2 · jun −0,4 → 0,5%) = 89.760,57 → $89.761
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2025, "installment": "second"})
    assert status == 200, body
    assert body["amount"] == 89_761
    installments = body["breakdown"]["installments"]
    assert installments["second_readjustment_percent"] == "0.5"
    assert "DL 3063 art. 15" in installments["second_readjustment_basis"]


def test_a_month_without_published_ipc_is_refused_naming_it(api):
    status, body = post(api, "/v1/municipalities/13101/permits/simulate",
                        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026, "installment": "second"})
    assert status == 422, body
    assert body["error"]["code"] == "ipc_missing"
    assert "2026-05" in body["error"]["message"]  # March–April 2026 are loaded, May–June are not


def test_a_late_patente_semester_through_the_route_shows_art_53_steps(api):
    # 2025, 5‰ × 40.000.000: 1st semester 100.000 due 31-01-2025, paid 02-03-2025 → 900 + 683 → 101.583
    status, body = post(api, "/v1/municipalities/13101/patentes/simulate",
                        {"kind": "comercial", "capital_propio": 40_000_000, "year": 2025,
                         "payment_date": "2025-03-02"})
    assert status == 200, body
    first = body["installments"][0]
    assert first["amount_due"] == 101_583
    assert first["late_payment"]["semesters"][0]["annual_percent"] == "8.12"
    assert body["installments"][1]["late_payment"] is None


def test_micro_empresa_familiar_patente_follows_art_24_on_capital(api):
    # No ordinance tariff seeded: 5‰ × $30.000.000 = $150.000 (art. 24), two semesters of $75.000
    status, body = post(api, "/v1/municipalities/13101/patentes/simulate",
                        {"kind": "micro_empresa_familiar", "capital_propio": 30_000_000, "year": 2024})
    assert status == 200, body
    assert body["amount"] == 150_000
    assert "art. 26" in body["breakdown"]["legal_basis"]
    status, body = post(api, "/v1/municipalities/13101/patentes/simulate",
                        {"kind": "micro_empresa_familiar", "year": 2024})
    assert status == 400, body
    assert (body["error"]["code"], body["error"]["field"]) == ("capital_required", "capital_propio")


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


def test_a_municipalitys_public_profile_carries_its_colours(api):
    response = api.http.get("/v1/municipalities/13101")
    assert response.status_code == 200
    profile = json.loads(response.body)
    assert profile["name"] == "Santiago"
    assert profile["services"] == ["permisos", "patentes", "aseo"]
    assert set(profile["branding"]) == {"primary_color", "secondary_color"}
    assert profile["branding"]["primary_color"] == "#0b4f8a"  # its own (devstack/demo_data.py)
    for colour in profile["branding"].values():  # what the payment widget paints itself with
        assert re.fullmatch(r"#[0-9A-Fa-f]{6}", colour)
    assert api.http.get("/v1/municipalities/99999").status_code == 404
    assert api.http.get("/v1/municipalities/abc").status_code == 400
