"""Patentes municipales: capital rule with limits, municipal tariffs, exemption, semesters, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain import reference_data
from chalicelib.domain.errors import InvalidInput, RuleRefused
from chalicelib.domain.patentes import PatenteRequest, PatenteRules, compute_patente
from chalicelib.domain.units import ReferenceTables

UTM_2024 = 64_666


@pytest.fixture(scope="module")
def patente_rules() -> PatenteRules:
    return reference_data.patente_rules({"zone_rates": {"centro": "2.5"}})


# (body, yearly, semester 1, semester 2) — UTM January 2024 = 64.666; default rate 5‰
WORKED = [
    # 100.000.000 × 5‰ = 500.000, within [64.666; 517.328.000]; halves 250.000 + 250.000
    ({"kind": "comercial", "capital_propio": 100_000_000, "year": 2024}, 500_000, 250_000, 250_000),
    # 5.000.000 × 5‰ = 25.000 < 1 UTM → 64.666; halves 32.333 + 32.333
    ({"kind": "industrial", "capital_propio": 5_000_000, "year": 2024}, 64_666, 32_333, 32_333),
    # 200.000.000.000 × 5‰ = 1.000.000.000 > 8.000 × 64.666 = 517.328.000 → 517.328.000
    (
        {"kind": "comercial", "capital_propio": 200_000_000_000, "year": 2024},
        517_328_000,
        258_664_000,
        258_664_000,
    ),
    # zone "centro" 2,5‰: 33.333.333 × 2,5‰ = 83.333,3325 → 83.333; 83.333 − 41.666 = 41.667 and 41.666
    (
        {"kind": "provisoria", "capital_propio": 33_333_333, "year": 2024, "zone": "centro"},
        83_333,
        41_667,
        41_666,
    ),
    # profesional: municipal tariff 1 UTM (illustrative) = 64.666
    ({"kind": "profesional", "year": 2024}, 64_666, 32_333, 32_333),
    # micro empresa familiar without an ordinance tariff: art. 24 on capital propio, like a
    # comercial one (art. 26 only exempts it from prior permits): 5‰ × 30.000.000 = 150.000
    ({"kind": "micro_empresa_familiar", "capital_propio": 30_000_000, "year": 2024}, 150_000, 75_000, 75_000),
    # ... and at the 1 UTM minimum when its capital is small: 5‰ × 2.000.000 = 10.000 < 64.666
    ({"kind": "micro_empresa_familiar", "capital_propio": 2_000_000, "year": 2024}, 64_666, 32_333, 32_333),
    # exempt non-profit (art. 27): 0
    (
        {
            "kind": "comercial",
            "capital_propio": 100_000_000,
            "year": 2024,
            "exempt_reason": "Corporación sin fines de lucro",
        },
        0,
        0,
        0,
    ),
]


@pytest.mark.parametrize(("body", "yearly", "first", "second"), WORKED)
def test_worked_examples(
    body: dict[str, object],
    yearly: int,
    first: int,
    second: int,
    tables: ReferenceTables,
    patente_rules: PatenteRules,
) -> None:
    result = compute_patente(PatenteRequest.parse(body), tables, patente_rules)
    assert result.amount == yearly
    assert result.installments == [
        {"semester": 1, "due": "2024-01-31", "amount": first},
        {"semester": 2, "due": "2024-07-31", "amount": second},
    ]
    assert result.breakdown["utm"] == {
        "month": "2024-01",
        "value": UTM_2024,
        "source": "SII, valor publicado (tabla pública de UTM)",
    }
    assert result.estimated is False


def test_breakdown_shows_rate_and_limits(tables: ReferenceTables, patente_rules: PatenteRules) -> None:
    result = compute_patente(PatenteRequest.parse(WORKED[1][0]), tables, patente_rules)
    assert result.breakdown["rate_per_mille"] == "5"
    assert result.breakdown["minimum"] == {"utm": "1", "pesos": "64666", "applied": True}
    assert result.breakdown["maximum"] == {"utm": "8000", "pesos": "517328000", "applied": False}


@pytest.mark.parametrize("rate", ["2.4", "5.01", "0", "10"])
def test_configured_rate_outside_the_law_is_refused(rate: str) -> None:
    with pytest.raises(InvalidInput) as error:
        reference_data.patente_rules({"rate_per_mille": rate})
    assert (error.value.code, error.value.field) == ("invalid_patente_rate", "rate_per_mille")
    with pytest.raises(InvalidInput) as error:
        reference_data.patente_rules({"zone_rates": {"norte": rate}})
    assert error.value.code == "invalid_patente_rate"


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"kind": "minera", "capital_propio": 1, "year": 2024}, "invalid_patente_kind", "kind"),
        ({"kind": "comercial", "year": 2024}, "capital_required", "capital_propio"),
        ({"kind": "comercial", "capital_propio": -1, "year": 2024}, "invalid_capital", "capital_propio"),
        ({"kind": "comercial", "capital_propio": 10**15, "year": 2024}, "invalid_capital", "capital_propio"),
        ({"kind": "comercial", "capital_propio": "100", "year": 2024}, "invalid_capital", "capital_propio"),
        ({"kind": "comercial", "capital_propio": 1, "year": 1900}, "invalid_year", "year"),
        ({"kind": "comercial", "capital_propio": 1}, "invalid_year", "year"),
        ({"kind": "comercial", "capital_propio": 1, "year": 2024, "zone": "sur"}, "invalid_zone", "zone"),
        ({"kind": "comercial", "capital_propio": 1, "year": 2024, "zone": 3}, "invalid_zone", "zone"),
        (
            {"kind": "comercial", "capital_propio": 1, "year": 2024, "exempt_reason": " "},
            "invalid_exempt_reason",
            "exempt_reason",
        ),
        ({"kind": "comercial", "capital_propio": 1, "year": 2024, "rate": 5}, "unknown_field", "rate"),
    ],
)
def test_bad_input_gets_its_specific_error(
    body: dict[str, object], code: str, field: str, tables: ReferenceTables, patente_rules: PatenteRules
) -> None:
    with pytest.raises(InvalidInput) as error:
        compute_patente(PatenteRequest.parse(body), tables, patente_rules)
    assert (error.value.code, error.value.field) == (code, field)


def test_year_without_utm_is_refused(tables: ReferenceTables, patente_rules: PatenteRules) -> None:
    with pytest.raises(RuleRefused) as error:
        compute_patente(
            PatenteRequest.parse({"kind": "comercial", "capital_propio": 1, "year": 2030}),
            tables,
            patente_rules,
        )
    assert (error.value.code, error.value.field) == ("utm_missing", "year")


@settings(max_examples=200, deadline=None)
@given(capital=st.integers(min_value=0, max_value=10**14), rate=st.sampled_from(["2.5", "3", "4.25", "5"]))
def test_patente_stays_within_1_and_8000_utm(capital: int, rate: str, tables: ReferenceTables) -> None:
    rules = reference_data.patente_rules({"rate_per_mille": rate})
    result = compute_patente(
        PatenteRequest.parse({"kind": "comercial", "capital_propio": capital, "year": 2024}), tables, rules
    )
    assert UTM_2024 <= result.amount <= 8000 * UTM_2024
    semesters = [item["amount"] for item in result.installments]
    assert sum(semesters) == result.amount  # type: ignore[arg-type]
    expected = min(max(Decimal(capital) * Decimal(rate) / 1000, Decimal(UTM_2024)), Decimal(8000 * UTM_2024))
    assert abs(result.amount - expected) <= Decimal("0.5")


def test_micro_empresa_familiar_follows_the_ordinance_tariff_when_the_municipality_sets_one(
    tables: ReferenceTables,
) -> None:
    rules = reference_data.patente_rules(
        {
            "fixed_tariffs": {
                "profesional": {"utm": "1", "source": "ordenanza"},
                "micro_empresa_familiar": {"utm": "0.5", "source": "Ordenanza municipal de derechos, art. 5"},
            }
        }
    )
    result = compute_patente(PatenteRequest.parse({"kind": "micro_empresa_familiar", "year": 2024}), tables, rules)
    assert result.amount == 32_333  # ½ × 64.666
    assert result.breakdown["tariff"]["source"] == "Ordenanza municipal de derechos, art. 5"


def test_micro_empresa_familiar_without_ordinance_tariff_needs_its_capital(
    tables: ReferenceTables, patente_rules: PatenteRules
) -> None:
    with pytest.raises(InvalidInput) as error:
        compute_patente(PatenteRequest.parse({"kind": "micro_empresa_familiar", "year": 2024}), tables, patente_rules)
    assert (error.value.code, error.value.field) == ("capital_required", "capital_propio")
    assert "art. 24" in error.value.message


def test_a_late_semester_carries_art_53_readjustment_and_daily_interest() -> None:
    tables, rules = reference_data.reference_tables(), reference_data.patente_rules()
    # 2025, 5‰ × 40.000.000 = 200.000: semesters 100.000 due 31-01-2025 and 31-07-2025; paid 02-03-2025:
    #   30 days late; IPC dec 2024 −0,2 · jan 2025 1,1 → 0,998 × 1,011 − 1 = 0,9% → readjustment 900;
    #   interest 100.900 × 8,12% / 360 × 30 = 682,76 → 683; due 101.583. The 2nd semester is not due yet.
    body = {"kind": "comercial", "capital_propio": 40_000_000, "year": 2025, "payment_date": "2025-03-02"}
    result = compute_patente(PatenteRequest.parse(body), tables, rules)
    first, second = result.installments
    late = first["late_payment"]
    assert isinstance(late, dict)
    assert (late["readjustment"], late["interest"], late["days_late"]) == (900, 683, 30)
    assert first["amount_due"] == 101_583
    assert (second["late_payment"], second["amount_due"]) == (None, 100_000)
