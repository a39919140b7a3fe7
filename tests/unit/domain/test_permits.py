"""Permiso de circulación: worked examples by hand, invariants, and every bad input's error.

UTM used (seed): January 2024 = $64.666 and January 2025 = $67.429 (published); January 2026 =
$69.751 (published; SII's 2026 minimum permit $34.876 = ½ UTM); January 2027 = $72.153
(projected). Bracket edges for 2024: 60 UTM = $3.879.960,
120 UTM = $7.759.920, 250 UTM = $16.166.500, 400 UTM = $25.866.400.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import reference_data
from chalicelib.domain.errors import InvalidInput, RuleRefused
from chalicelib.domain.late_payment import add_months, months_late
from chalicelib.domain.permit_rules import PermitRules, VehicleClass
from chalicelib.domain.permits import (
    Installment,
    NewVehicle,
    PermitRequest,
    Propulsion,
    compute_duplicate_permit,
    compute_permit,
)
from chalicelib.domain.units import ReferenceTables


@dataclass(frozen=True)
class Worked:
    """One hand-computed case: the request body and the expected full and charged amounts."""

    body: dict[str, object]
    full: int
    amount: int


WORKED: dict[str, Worked] = {
    # 2024, tasación $10.000.000:
    #   0–60 UTM:    3.879.960 × 1% = 38.799,6
    #   60–120 UTM:  (7.759.920 − 3.879.960) = 3.879.960 × 2% = 77.599,2
    #   120–250 UTM: (10.000.000 − 7.759.920) = 2.240.080 × 3% = 67.202,4
    #   sum 183.601,2 > minimum 32.333 → $183.601
    "light_2024_10M": Worked(
        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024}, 183_601, 183_601
    ),
    # 2024, tasación $30.000.000: 38.799,6 + 77.599,2 + 8.406.580 × 3% (252.197,4)
    #   + 9.699.900 × 4% (387.996) + (30.000.000 − 25.866.400) = 4.133.600 × 4,5% (186.012) = 942.604,2
    "light_2024_30M": Worked(
        {"vehicle_class": "light", "tasacion": 30_000_000, "year": 2024}, 942_604, 942_604
    ),
    # Exactly at the 60 UTM edge: 3.879.960 × 1% = 38.799,6 → $38.800
    "light_2024_edge_60": Worked(
        {"vehicle_class": "light", "tasacion": 3_879_960, "year": 2024}, 38_800, 38_800
    ),
    # 2026 minimum: 2.000.000 × 1% = 20.000 < ½ × 69.751 = 34.875,5 → $34.876 (published minimum)
    "light_2026_minimum": Worked(
        {"vehicle_class": "light", "tasacion": 2_000_000, "year": 2026}, 34_876, 34_876
    ),
    # 2025 minimum: ½ × 67.429 = 33.714,5 → $33.715 (the minimum permit the SII published for 2025)
    "light_2025_minimum": Worked(
        {"vehicle_class": "light", "tasacion": 1_000_000, "year": 2025}, 33_715, 33_715
    ),
    # 2024 minimum with tasación 0 (vehicle assimilated with no value): ½ × 64.666 = $32.333
    "light_2024_zero": Worked({"vehicle_class": "light", "tasacion": 0, "year": 2024}, 32_333, 32_333),
    # First installment: 183.601 − 183.601 // 2 = 183.601 − 91.800 = $91.801
    "first_2024": Worked(
        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024, "installment": "first"},
        183_601,
        91_801,
    ),
    # Second installment (DL 3063 art. 15): 91.800 × (1 + IPC February→June 2024 = index June / index
    #   February − 1 = variations mar 0,4 · abr 0,5 · may 0,3 · jun −0,1: 1,004·1,005·1,003·0,999 − 1 = 1,1%)
    #   = 91.800 × 1,011 = 92.809,8 → $92.810
    "second_2024": Worked(
        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024, "installment": "second"},
        183_601,
        92_810,
    ),
    # 2025, tasación $10.000.000, UTM 67.429: 60 UTM = 4.045.740 × 1% = 40.457,4; 4.045.740 × 2% = 80.914,8;
    #   (10.000.000 − 8.091.480) = 1.908.520 × 3% = 57.255,6 → 178.627,8 → $178.628. Second installment:
    #   89.314 × (1 + INE mar 0,5 · abr 0,2 · may 0,2 · jun −0,4 → 1,005·1,002·1,002·0,996 − 1 = 0,5%)
    #   = 89.760,57 → $89.761
    "second_2025": Worked(
        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2025, "installment": "second"},
        178_628,
        89_761,
    ),
    # Taxi 2024: 1 UTM = $64.666; tractor and machinery: ½ UTM = $32.333
    "taxi_2024": Worked({"vehicle_class": "taxi", "year": 2024}, 64_666, 64_666),
    "tractor_2024": Worked({"vehicle_class": "tractor", "year": 2024}, 32_333, 32_333),
    "machinery_2024": Worked({"vehicle_class": "machinery", "year": 2024}, 32_333, 32_333),
    # Truck 8.000 kg (illustrative band ≤ 10.000 kg = 1,5 UTM): 1,5 × 64.666 = $96.999
    "truck_2024": Worked({"vehicle_class": "truck", "year": 2024, "capacity_kg": 8000}, 96_999, 96_999),
    # New vehicle bought in March 2024, net invoice $10.000.000: annual 183.601 (as above)
    #   × (13 − 3)/12 = 183.601 × 10/12 = 153.000,83 → $153.001
    "new_vehicle_march_2024": Worked(
        {
            "vehicle_class": "light",
            "year": 2024,
            "new_vehicle": {"net_invoice_value": 10_000_000, "month": 3},
        },
        153_001,
        153_001,
    ),
    # New vehicle bought in December: 183.601 × 1/12 = 15.300,08 → $15.300
    "new_vehicle_december_2024": Worked(
        {
            "vehicle_class": "light",
            "year": 2024,
            "new_vehicle": {"net_invoice_value": 10_000_000, "month": 12},
        },
        15_300,
        15_300,
    ),
    # Ley 21.505 art. 2° transitorio counts calendar years from 1-2-2023 for every eligible vehicle:
    # electric model 2021, permit 2024 → 2023–2024 exempt ($0)
    "ev_model_2021_permit_2024": Worked(
        {
            "vehicle_class": "light",
            "tasacion": 10_000_000,
            "year": 2024,
            "propulsion": "electric",
            "model_year": 2021,
        },
        0,
        0,
    ),
    # Electric model 2021, permit 2026 → 2025–2026 pay 25% (SII: "año de fabricación 2021 en adelante
    #   pagarán un 25%"): 2026 scale with UTM 69.751: 41.850,6 + 83.701,2 + 1.629.880 × 3% (48.896,4)
    #   = 174.448,2 → 174.448 × 25% = $43.612
    "ev_model_2021_permit_2026": Worked(
        {
            "vehicle_class": "light",
            "tasacion": 10_000_000,
            "year": 2026,
            "propulsion": "electric",
            "model_year": 2021,
        },
        43_612,
        43_612,
    ),
    # Electric model 2025, permit 2025 → 25% (not exempt): 178.628 × 25% = $44.657
    "ev_model_2025_permit_2025": Worked(
        {
            "vehicle_class": "light",
            "tasacion": 10_000_000,
            "year": 2025,
            "propulsion": "electric",
            "model_year": 2025,
        },
        44_657,
        44_657,
    ),
    # Plug-in hybrid model 2023, permit 2024 → exempt ($0)
    "phev_year2_2024": Worked(
        {
            "vehicle_class": "light",
            "tasacion": 10_000_000,
            "year": 2024,
            "propulsion": "plugin_hybrid",
            "model_year": 2023,
        },
        0,
        0,
    ),
    # Electric model 2019: before 2021 → pays in full, $183.601
    "ev_model_2019": Worked(
        {
            "vehicle_class": "light",
            "tasacion": 10_000_000,
            "year": 2024,
            "propulsion": "electric",
            "model_year": 2019,
        },
        183_601,
        183_601,
    ),
    # Late: due 31-03-2024, paid 15-06-2024 → 3 months or fraction (30-04, 31-05, 30-06).
    #   IPC from end of January to end of April: feb 0,6 · mar 0,4 · abr 0,5
    #   → 1,006·1,004·1,005 = 1,01507 → 1,5%
    #   readjustment 183.601 × 1,5% = 2.754,015 → 2.754; interest (183.601 + 2.754) × 1,5% × 3
    #   = 186.355 × 0,045 = 8.385,975 → 8.386; total 183.601 + 2.754 + 8.386 = $194.741
    "late_full_2024": Worked(
        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024, "payment_date": "2024-06-15"},
        183_601,
        194_741,
    ),
    # Late second installment paid in 2024 (1,5% rule in force): due 31-08-2024, paid 15-10-2024 → 2 months;
    #   IPC jul 0,7 · ago 0,3 → 1,0%: 92.810 × 1% = 928,1 → 928; (92.810 + 928) × 1,5% × 2 = 93.738 × 0,03
    #   = 2.812,14 → 2.812; total 92.810 + 928 + 2.812 = $96.550
    "late_second_2024": Worked(
        {
            "vehicle_class": "light",
            "tasacion": 10_000_000,
            "year": 2024,
            "installment": "second",
            "payment_date": "2024-10-15",
        },
        183_601,
        96_550,
    ),
    # Paid on the deadline: no surcharge
    "on_time_2024": Worked(
        {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024, "payment_date": "2024-03-31"},
        183_601,
        183_601,
    ),
}


@pytest.mark.parametrize("name", sorted(WORKED))
def test_worked_examples(name: str, tables: ReferenceTables, rules: PermitRules) -> None:
    case = WORKED[name]
    result = compute_permit(PermitRequest.parse(case.body), tables, rules)
    assert result.amounts["full"] == case.full
    assert result.amount == case.amount
    assert result.breakdown["total"] == case.amount
    assert result.fcm + result.municipal == result.amount
    assert result.estimated is False


def test_fcm_split_of_the_late_example(tables: ReferenceTables, rules: PermitRules) -> None:
    # 194.741 × 62,5% = 121.713,125 → 121.713; municipal 194.741 − 121.713 = 73.028
    result = compute_permit(PermitRequest.parse(WORKED["late_full_2024"].body), tables, rules)
    assert (result.fcm, result.municipal) == (121_713, 73_028)


def test_zona_extrema_computes_on_half_the_tasacion(tables: ReferenceTables) -> None:
    # Example override (unverified) for 12101: 50% of 10.000.000 = 5.000.000:
    #   3.879.960 × 1% = 38.799,6 + (5.000.000 − 3.879.960) = 1.120.040 × 2% = 22.400,8 → 61.200,4 → $61.200
    rules = reference_data.permit_rules_for("12101")
    result = compute_permit(PermitRequest.parse(WORKED["light_2024_10M"].body), tables, rules)
    assert result.amount == 61_200
    base = result.breakdown["base"]
    assert isinstance(base, dict)
    assert base["taxable_base"] == "5000000"
    assert base["tasacion_percent"] == "50"


def test_projected_utm_marks_the_result_as_estimated(tables: ReferenceTables, rules: PermitRules) -> None:
    # 2027 (projected UTM 72.153), electric model 2024: permits 2027–2028 pay 50% (Ley 21.505).
    #   60 UTM = 4.329.180, 120 UTM = 8.658.360: 43.291,8 + 86.583,6 + 1.341.640 × 3% (40.249,2) = 170.124,6
    #   → 170.125 × 50% = 85.062,5 → $85.063
    body = {
        "vehicle_class": "light",
        "tasacion": 10_000_000,
        "year": 2027,
        "propulsion": "electric",
        "model_year": 2024,
    }
    result = compute_permit(PermitRequest.parse(body), tables, rules)
    assert result.amount == 85_063
    assert result.estimated is True
    electric = result.breakdown["electric"]
    assert isinstance(electric, dict)
    assert (electric["law_years"], electric["percent_paid"]) == ("2027–2028", "50")
    assert result.breakdown["utm"] == {
        "month": "2027-01",
        "value": 72153,
        "source": tables.utm_months()[-1].source,
        "projected": True,
    }


def test_quote_amounts_for_a_2027_permit(tables: ReferenceTables, rules: PermitRules) -> None:
    # 170.125 (as above, combustion): first 85.063, second 85.062 × (projected mar–jun 1,003^4 − 1 = 1,2%)
    #   = 86.082,74 → 86.083
    body = {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2027}
    result = compute_permit(PermitRequest.parse(body), tables, rules)
    assert result.amounts == {"full": 170_125, "first": 85_063, "second": 86_083}
    assert result.estimated_amounts == {"full": True, "first": True, "second": True}


def test_projected_ipc_only_marks_the_second_installment() -> None:
    # 2026 UTM is published, March–April 2026 IPC reported; May–June 2026 IPC given here as projections.
    projected = [
        {"month": f"2026-{m:02d}", "variation_percent": "0.3", "source": "proyección", "projected": True}
        for m in range(5, 7)
    ]
    tables = ReferenceTables.from_records(
        reference_data.UTM_RECORDS, [*reference_data.IPC_RECORDS, *projected], reference_data.INTEREST_RATE_RECORDS
    )
    rules = reference_data.permit_rules()
    result = compute_permit(
        PermitRequest.parse({"vehicle_class": "light", "tasacion": 5_000_000, "year": 2026}), tables, rules
    )
    assert result.estimated is False
    assert result.estimated_amounts == {"full": False, "first": False, "second": True}


def test_breakdown_lets_a_citizen_redo_the_scale(tables: ReferenceTables, rules: PermitRules) -> None:
    result = compute_permit(PermitRequest.parse(WORKED["light_2024_10M"].body), tables, rules)
    scale = result.breakdown["scale"]
    assert isinstance(scale, dict)
    brackets = scale["brackets"]
    assert isinstance(brackets, list)
    assert [(b["base"], b["amount"]) for b in brackets] == [
        ("3879960", "38799.6"),
        ("3879960", "77599.2"),
        ("2240080", "67202.4"),
        ("0", "0"),
        ("0", "0"),
    ]
    assert result.breakdown["utm"] == {
        "month": "2024-01",
        "value": 64666,
        "source": "SII, valor publicado (tabla pública de UTM)",
    }
    assert result.breakdown["minimum"] == {"utm": "0.5", "pesos_exact": "32333", "applied": False}
    rounding_steps, lines = result.breakdown["rounding_steps"], result.breakdown["lines"]
    assert isinstance(rounding_steps, list)
    assert isinstance(lines, list)
    assert rounding_steps[0] == {"step": "impuesto anual", "exact": "183601.2", "pesos": 183601}
    assert lines[0] == {"label": "Impuesto anual según tasación", "amount": 183601}


def test_breakdown_is_plain_json(tables: ReferenceTables, rules: PermitRules) -> None:
    import json

    result = compute_permit(PermitRequest.parse(WORKED["late_second_2024"].body), tables, rules)
    assert json.loads(json.dumps(result.breakdown)) == result.breakdown


def test_duplicate_permit(tables: ReferenceTables, rules: PermitRules) -> None:
    # 0,05 × 64.666 = 3.233,3 → $3.233
    assert compute_duplicate_permit(2024, tables, rules).amount == 3_233


def test_months_late_counts_started_months() -> None:
    due = date(2027, 3, 31)
    assert add_months(due, 1) == date(2027, 4, 30)
    assert [
        months_late(due, date(2027, m, d)) for m, d in [(3, 31), (4, 1), (4, 30), (5, 1), (5, 31), (6, 1)]
    ] == [0, 1, 1, 2, 2, 3]


def test_second_installment_needs_the_february_june_ipc() -> None:
    tables = reference_data.reference_tables()
    body = {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026}
    result = compute_permit(PermitRequest.parse(body), tables, reference_data.permit_rules())
    assert result.amounts["second"] is None  # May–June 2026 IPC not loaded in the seed
    installments = result.breakdown["installments"]
    assert isinstance(installments, dict)
    assert "2026-05" in str(installments["second_unavailable"])
    with pytest.raises(RuleRefused) as error:
        compute_permit(
            PermitRequest.parse({**body, "installment": "second"}), tables, reference_data.permit_rules()
        )
    assert (error.value.code, error.value.field) == ("ipc_missing", "installment")


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"vehicle_class": "light", "tasacion": 10_000_000, "year": 2031}, "utm_missing", "year"),
        (
            {"vehicle_class": "taxi", "year": 2024, "installment": "first"},
            "installments_not_available",
            "installment",
        ),
        (
            {
                "vehicle_class": "light",
                "year": 2024,
                "installment": "first",
                "new_vehicle": {"net_invoice_value": 1, "month": 5},
            },
            "installments_not_available",
            "installment",
        ),
        (
            {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026, "payment_date": "2026-07-01"},
            "ipc_missing",
            "payment_date",
        ),

    ],
)
def test_valid_input_the_rules_refuse(
    body: dict[str, object], code: str, field: str, tables: ReferenceTables, rules: PermitRules
) -> None:
    with pytest.raises(RuleRefused) as error:
        compute_permit(PermitRequest.parse(body), tables, rules)
    assert (error.value.code, error.value.field) == (code, field)
    if code == "utm_missing":
        assert "No hay valor de UTM cargado para 2031-01" in error.value.message


BASE = {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2024}


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"vehicle_class": "spaceship"}, "invalid_vehicle_class", "vehicle_class"),
        ({"vehicle_class": None}, "invalid_vehicle_class", "vehicle_class"),
        ({"tasacion": -1}, "invalid_tasacion", "tasacion"),
        ({"tasacion": 10_000_000_001}, "invalid_tasacion", "tasacion"),
        ({"tasacion": 1.5}, "invalid_tasacion", "tasacion"),
        ({"tasacion": "1000"}, "invalid_tasacion", "tasacion"),
        ({"tasacion": True}, "invalid_tasacion", "tasacion"),
        ({"tasacion": None}, "tasacion_required", "tasacion"),
        ({"year": 1989}, "invalid_year", "year"),
        ({"year": 2101}, "invalid_year", "year"),
        ({"year": "2024"}, "invalid_year", "year"),
        ({"installment": "third"}, "invalid_installment", "installment"),
        ({"propulsion": "steam"}, "invalid_propulsion", "propulsion"),
        ({"propulsion": "electric"}, "model_year_required", "model_year"),
        ({"propulsion": "electric", "model_year": 2026}, "invalid_model_year", "model_year"),
        ({"model_year": 1800}, "invalid_model_year", "model_year"),
        (
            {"new_vehicle": {"net_invoice_value": 5_000_000, "month": 13}},
            "invalid_month",
            "new_vehicle.month",
        ),
        ({"new_vehicle": {"net_invoice_value": 5_000_000, "month": 0}}, "invalid_month", "new_vehicle.month"),
        (
            {"new_vehicle": {"net_invoice_value": -5, "month": 3}},
            "invalid_net_invoice_value",
            "new_vehicle.net_invoice_value",
        ),
        ({"new_vehicle": "yes"}, "invalid_new_vehicle", "new_vehicle"),
        ({"payment_date": "31-03-2024"}, "invalid_date", "payment_date"),
        ({"payment_date": "2024-02-30"}, "invalid_date", "payment_date"),
        ({"capacity_kg": 0}, "invalid_capacity", "capacity_kg"),
        ({"vehicle_class": "truck", "capacity_kg": None}, "capacity_required", "capacity_kg"),
        ({"color": "red"}, "unknown_field", "color"),
    ],
)
def test_bad_input_gets_its_specific_error(
    changes: dict[str, object], code: str, field: str, tables: ReferenceTables, rules: PermitRules
) -> None:
    body = {**BASE, **changes}
    with pytest.raises(InvalidInput) as error:
        compute_permit(PermitRequest.parse(body), tables, rules)
    assert (error.value.code, error.value.field) == (code, field)
    assert error.value.message  # Spanish, for the citizen


def test_missing_required_fields() -> None:
    for missing, code in (("vehicle_class", "invalid_vehicle_class"), ("year", "invalid_year")):
        body = {k: v for k, v in BASE.items() if k != missing}
        with pytest.raises(InvalidInput) as error:
            PermitRequest.parse(body)
        assert (error.value.code, error.value.field) == (code, missing)
    with pytest.raises(InvalidInput) as error:
        PermitRequest.parse(["not", "an", "object"])
    assert error.value.field == "body"


def test_direct_construction_validates_too() -> None:
    with pytest.raises(InvalidInput) as error:
        PermitRequest(VehicleClass.LIGHT, 2024, tasacion=-5)
    assert error.value.code == "invalid_tasacion"
    with pytest.raises(InvalidInput):
        PermitRequest(VehicleClass.LIGHT, 2024, new_vehicle=NewVehicle(1, 13))
    assert PermitRequest(VehicleClass.LIGHT, 2024, 1, Installment.FULL, Propulsion.COMBUSTION).year == 2024
    plain = PermitRequest("light", 2024, 1, "first", "combustion")  # type: ignore[arg-type]
    assert plain.vehicle_class is VehicleClass.LIGHT
    assert plain.installment is Installment.FIRST


# --- properties --------------------------------------------------------------------------------

tasaciones = st.integers(min_value=0, max_value=200_000_000)


def _annual(tasacion: int, tables: ReferenceTables, rules: PermitRules, year: int = 2024) -> int:
    return (
        compute_permit(PermitRequest(VehicleClass.LIGHT, year, tasacion=tasacion), tables, rules).amounts[
            "full"
        ]
        or 0
    )


def _exact_scale(tasacion: int, tables: ReferenceTables, rules: PermitRules) -> Decimal:
    result = compute_permit(PermitRequest(VehicleClass.LIGHT, 2024, tasacion=tasacion), tables, rules)
    scale = result.breakdown["scale"]
    assert isinstance(scale, dict)
    return Decimal(str(scale["total_exact"]))


@settings(max_examples=150, deadline=None)
@given(a=tasaciones, b=tasaciones)
def test_scale_is_monotonic(a: int, b: int, tables: ReferenceTables, rules: PermitRules) -> None:
    low, high = sorted((a, b))
    assert _annual(low, tables, rules) <= _annual(high, tables, rules)


@settings(max_examples=100, deadline=None)
@given(tasacion=tasaciones, year=st.sampled_from([2018, 2020, 2023, 2024, 2026]))
def test_minimum_holds(tasacion: int, year: int, tables: ReferenceTables, rules: PermitRules) -> None:
    from chalicelib.domain.money import to_pesos
    from chalicelib.domain.units import YearMonth

    half_utm = to_pesos(Decimal(tables.utm(YearMonth(year, 1)).value) / 2)
    assert _annual(tasacion, tables, rules, year) >= half_utm


@pytest.mark.parametrize("edge_utm", [60, 120, 250, 400])
def test_scale_is_continuous_at_every_bracket_edge(
    edge_utm: int, tables: ReferenceTables, rules: PermitRules
) -> None:
    edge = edge_utm * 64_666
    below, at, above = (_exact_scale(edge + d, tables, rules) for d in (-1, 0, 1))
    rate_below = {60: "0.01", 120: "0.02", 250: "0.03", 400: "0.04"}[edge_utm]
    rate_above = {60: "0.02", 120: "0.03", 250: "0.04", 400: "0.045"}[edge_utm]
    # One peso of tasación adds exactly the bracket's rate: no jump at the edge.
    assert at - below == Decimal(rate_below)
    assert above - at == Decimal(rate_above)
    rounded = [_annual(edge + d, tables, rules) for d in (-1, 0, 1)]
    assert rounded[1] - rounded[0] <= 1
    assert rounded[2] - rounded[1] <= 1


@settings(max_examples=150, deadline=None)
@given(tasacion=tasaciones)
def test_two_installments_add_up_before_readjustment(
    tasacion: int, tables: ReferenceTables, rules: PermitRules
) -> None:
    result = compute_permit(PermitRequest(VehicleClass.LIGHT, 2024, tasacion=tasacion), tables, rules)
    installments = result.breakdown["installments"]
    assert isinstance(installments, dict)
    first, second_before = installments["first"], installments["second_before_readjustment"]
    assert isinstance(first, int)
    assert isinstance(second_before, int)
    assert first + second_before == result.amounts["full"]
    assert 0 <= first - second_before <= 1
    second = result.amounts["second"]
    assert second is not None
    assert second >= second_before


EV_PERCENT_BY_PERMIT_YEAR = {2023: 0, 2024: 0, 2025: 25, 2026: 25, 2027: 50, 2028: 50, 2029: 75, 2030: 75}
"""Ley 21.505 art. 2° transitorio: percent paid by the permit's calendar year (100 outside it)."""


@settings(max_examples=80, deadline=None)
@given(
    year=st.sampled_from([2022, 2023, 2024, 2025, 2026, 2027]),
    model_year=st.integers(min_value=2015, max_value=2028),
    propulsion=st.sampled_from([Propulsion.ELECTRIC, Propulsion.PLUGIN_HYBRID]),
)
def test_ev_benefit_goes_by_the_permit_year_never_the_model_year(
    year: int, model_year: int, propulsion: Propulsion, tables: ReferenceTables, rules: PermitRules
) -> None:
    model_year = min(model_year, year + 1)
    combustion = compute_permit(PermitRequest(VehicleClass.LIGHT, year, tasacion=10_000_000), tables, rules)
    ev = compute_permit(
        PermitRequest(VehicleClass.LIGHT, year, tasacion=10_000_000, propulsion=propulsion, model_year=model_year),
        tables,
        rules,
    )
    expected_percent = EV_PERCENT_BY_PERMIT_YEAR.get(year, 100) if model_year >= 2021 else 100
    # combustion × percent, rounded half up (exact integer arithmetic)
    assert ev.amounts["full"] == (combustion.amounts["full"] * expected_percent * 2 + 100) // 200
    assert ev.amount <= combustion.amount


def test_mopeds_fall_due_on_30_september(tables: ReferenceTables, rules: PermitRules) -> None:
    # motonetas, bicimotos, bicicletas con motor: 2025 minimum ½ UTM = $33.715, due 30-09-2025;
    # paid 01-10-2025: 1 day at the 2nd-semester 2025 rate on the readjusted amount
    body = {"vehicle_class": "moped", "tasacion": 500_000, "year": 2025, "payment_date": "2025-09-30"}
    on_time = compute_permit(PermitRequest.parse(body), tables, rules)
    assert on_time.amount == 33_715
    late = compute_permit(PermitRequest.parse({**body, "payment_date": "2025-10-01"}), tables, rules)
    breakdown = late.breakdown["late_payment"]
    assert isinstance(breakdown, dict)
    assert (breakdown["due_date"], breakdown["days_late"]) == ("2025-09-30", 1)


def test_a_municipality_can_put_taxis_on_an_installment_calendar(tables: ReferenceTables) -> None:
    # Installments of taxis, buses and cargo vehicles follow each municipality's calendar: an override
    # gives the class a second due date (here 31 August); the seed has none.
    seeded = reference_data.permit_rules()
    with pytest.raises(RuleRefused):
        compute_permit(PermitRequest.parse({"vehicle_class": "taxi", "year": 2025, "installment": "first"}),
                       tables, seeded)
    rules = reference_data.permit_rules({"classes": [{"vehicle_class": "taxi", "second_installment_due": "08-31"}]})
    result = compute_permit(PermitRequest.parse({"vehicle_class": "taxi", "year": 2025, "installment": "second"}),
                            tables, rules)
    # 1 UTM 2025 = 67.429 → first 33.715, second 33.714 × (IPC mar–jun 2025 0,5%) = 33.882,57 → 33.883
    assert result.amounts == {"full": 67_429, "first": 33_715, "second": 33_883}
    installments = result.breakdown["installments"]
    assert isinstance(installments, dict)
    assert (installments["first_due"], installments["second_due"]) == ("2025-05-31", "2025-08-31")


def test_back_year_permits_are_each_readjusted_with_interest(tables: ReferenceTables, rules: PermitRules) -> None:
    from chalicelib.domain.permits import compute_back_years

    # 2026 permit paid 15-04-2026 by a plate that skipped 2025: the 2025 permit (178.628, due 31-03-2025)
    # is owed with art. 53: IPC feb 2025–feb 2026 and 380 days of interest across three semesters.
    request = PermitRequest.parse({"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026,
                                   "payment_date": "2026-04-15", "back_years": [2025]})
    owed = compute_back_years(request, tables, rules)
    years = owed["years"]
    assert isinstance(years, list)
    (back,) = years
    late = back["late_payment"]
    assert back["year"] == 2025
    assert back["permit"] == 178_628
    assert [(s["semester"], s["days"]) for s in late["semesters"]] == [
        ("1er semestre 2025", 91), ("2do semestre 2025", 184), ("1er semestre 2026", 105)]
    assert back["amount"] == 178_628 + late["readjustment"] + late["interest"]
    assert owed["total"] == back["amount"]


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"back_years": [2026]}, "invalid_back_years", "back_years"),
    ({"back_years": [2025, 2025]}, "invalid_back_years", "back_years"),
    ({"back_years": "2025"}, "invalid_back_years", "back_years"),
    ({"back_years": [2025], "payment_date": None}, "payment_date_required", "payment_date"),
])
def test_back_years_bad_input(body: dict[str, object], code: str, field: str) -> None:
    base = {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2026, "payment_date": "2026-04-15"}
    with pytest.raises(InvalidInput) as error:
        PermitRequest.parse({**base, **body})
    assert (error.value.code, error.value.field) == (code, field)
