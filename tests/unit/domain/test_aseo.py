"""Derechos de aseo: ordinance tariffs, the 225 UTM dwelling exemption, exact installments."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import reference_data
from chalicelib.domain.aseo import AseoRequest, AseoRules, compute_aseo
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.units import ReferenceTables

# 225 UTM of January 2024 = 225 × 64.666 = 14.549.850
THRESHOLD_2024 = 14_549_850


@pytest.fixture(scope="module")
def aseo_rules() -> AseoRules:
    return reference_data.aseo_rules()


def test_dwelling_above_the_threshold_pays_in_four_exact_installments(
    tables: ReferenceTables, aseo_rules: AseoRules
) -> None:
    # vivienda 1,2 UTM (illustrative) = 1,2 × 64.666 = 77.599,2 → 77.599;
    # 77.599 // 4 = 19.399, leftover 3 → 19.400, 19.400, 19.400, 19.399
    result = compute_aseo(AseoRequest("vivienda", 2024, THRESHOLD_2024 + 1), tables, aseo_rules)
    assert result.amount == 77_599
    assert not result.exempt
    assert result.installments == [
        {"number": 1, "due": "2024-04-30", "amount": 19_400},
        {"number": 2, "due": "2024-06-30", "amount": 19_400},
        {"number": 3, "due": "2024-09-30", "amount": 19_400},
        {"number": 4, "due": "2024-11-30", "amount": 19_399},
    ]


def test_dwelling_at_the_threshold_is_exempt(tables: ReferenceTables, aseo_rules: AseoRules) -> None:
    result = compute_aseo(AseoRequest("vivienda", 2024, THRESHOLD_2024), tables, aseo_rules)
    assert result.exempt
    assert result.amount == 0
    assert [i["amount"] for i in result.installments] == [0, 0, 0, 0]
    assert result.breakdown["exemption"] == {
        "legal_basis": "DL 3063 art. 7: viviendas con avalúo fiscal ≤ 225 UTM",
        "threshold_utm": "225",
        "threshold_pesos": "14549850",
        "avaluo_fiscal": THRESHOLD_2024,
        "exempt": True,
    }


def test_commercial_unit_is_never_exempt(tables: ReferenceTables, aseo_rules: AseoRules) -> None:
    # local comercial 2,5 UTM = 161.665; 161.665 // 4 = 40.416, leftover 1 → 40.417, 40.416, 40.416, 40.416
    result = compute_aseo(AseoRequest("local_comercial", 2024, 1), tables, aseo_rules)
    assert result.amount == 161_665
    assert [i["amount"] for i in result.installments] == [40_417, 40_416, 40_416, 40_416]


def test_tariff_in_pesos_and_other_installment_plans(tables: ReferenceTables) -> None:
    rules = reference_data.aseo_rules(
        {
            "tariffs": {"vivienda": {"annual": "60001", "unit": "CLP", "dwelling": True}},
            "installment_dues": ["03-31", "09-30"],
        }
    )
    result = compute_aseo(AseoRequest("vivienda", 2024, THRESHOLD_2024 + 1), tables, rules)
    assert [i["amount"] for i in result.installments] == [30_001, 30_000]


@pytest.mark.parametrize(
    ("request_args", "code", "field"),
    [
        (("bodega", 2024, 1), "invalid_unit_type", "unit_type"),
        (("vivienda", 2024, None), "avaluo_required", "avaluo_fiscal"),
    ],
)
def test_bad_input(
    request_args: tuple[str, int, int | None],
    code: str,
    field: str,
    tables: ReferenceTables,
    aseo_rules: AseoRules,
) -> None:
    with pytest.raises(InvalidInput) as error:
        compute_aseo(AseoRequest(*request_args), tables, aseo_rules)
    assert (error.value.code, error.value.field) == (code, field)


def test_bad_request_fields() -> None:
    for args, code, field in (
        (("", 2024), "invalid_unit_type", "unit_type"),
        (("vivienda", 3000), "invalid_year", "year"),
        (("vivienda", 2024, -1), "invalid_avaluo", "avaluo_fiscal"),
    ):
        with pytest.raises(InvalidInput) as error:
            AseoRequest(*args)
        assert (error.value.code, error.value.field) == (code, field)


def test_unordered_installment_dates_are_refused() -> None:
    with pytest.raises(InvalidInput) as error:
        reference_data.aseo_rules({"installment_dues": ["09-30", "04-30"]})
    assert error.value.field == "installment_dues"


@settings(max_examples=100, deadline=None)
@given(avaluo=st.integers(min_value=0, max_value=10**11))
def test_installments_always_add_up(avaluo: int, tables: ReferenceTables, aseo_rules: AseoRules) -> None:
    result = compute_aseo(AseoRequest("vivienda", 2024, avaluo), tables, aseo_rules)
    assert sum(i["amount"] for i in result.installments) == result.amount  # type: ignore[misc]
    assert result.exempt == (avaluo <= THRESHOLD_2024)


def test_late_aseo_installments_carry_art_53_surcharges() -> None:
    from datetime import date

    from chalicelib.domain import reference_data
    from chalicelib.domain.aseo import AseoRequest, compute_aseo

    tables, rules = reference_data.reference_tables(), reference_data.aseo_rules()
    # local comercial 2,5 UTM (illustrative) × 67.429 = 168.572,5 → 168.573 → 42.144, 42.143 × 3;
    # paid 20-07-2025: the April and June installments are late, September and November are not.
    result = compute_aseo(AseoRequest("local_comercial", 2025, payment_date=date(2025, 7, 20)), tables, rules)
    late = [i for i in result.installments if i["late_payment"] is not None]
    assert [i["due"] for i in late] == ["2025-04-30", "2025-06-30"]
    april = late[0]["late_payment"]
    assert isinstance(april, dict)
    # 81 days (01-05 → 20-07) at 8,12% / 360 then 20 days at 8,00% / 360 on the readjusted amount
    assert [(s["semester"], s["days"]) for s in april["semesters"]] == [
        ("1er semestre 2025", 61),
        ("2do semestre 2025", 20),
    ]
    assert late[0]["amount_due"] == late[0]["amount"] + april["readjustment"] + april["interest"]
    assert all(i["amount_due"] == i["amount"] for i in result.installments if i["late_payment"] is None)
