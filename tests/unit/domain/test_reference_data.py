"""The seed: it builds, every value says where it came from, projections are marked."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from chalicelib.domain import reference_data
from chalicelib.domain.errors import InvalidInput, RuleRefused
from chalicelib.domain.permit_rules import PermitRules, VehicleClass
from chalicelib.domain.units import ReferenceTables, YearMonth


def test_published_utm_values(tables: ReferenceTables) -> None:
    januaries = {m.month.year: m.value for m in tables.utm_months() if m.month.month == 1}
    assert januaries == {
        2018: 47019,
        2019: 48353,
        2020: 49673,
        2021: 50978,
        2022: 54442,
        2023: 61769,
        2024: 64666,
        2025: 67429,
        2026: 69751,
        2027: 72153,
    }
    assert [tables.utm(YearMonth(2024, m)).value for m in range(1, 13)] == [
        64666,
        64343,
        64793,
        65182,
        65443,
        65770,
        65967,
        65901,
        66362,
        66561,
        66628,
        67294,
    ]


def test_only_january_2027_utm_is_projected(tables: ReferenceTables) -> None:
    assert [str(m.month) for m in tables.utm_months() if m.projected] == ["2027-01"]
    assert all(m.source for m in tables.utm_months())


def test_2025_and_2026_utm_match_the_published_permit_minimums(tables: ReferenceTables) -> None:
    # ½ UTM rounded half up = published minimum: 67.429 / 2 = 33.714,5 → 33.715; 69.751 / 2 → 34.876
    for year, minimum in ((2025, 33_715), (2026, 34_876)):
        half = Decimal(tables.utm(YearMonth(year, 1)).value) / 2
        assert half.quantize(Decimal(1), rounding=ROUND_HALF_UP) == minimum


def test_derived_ipc_agrees_with_the_utm_series(tables: ReferenceTables) -> None:
    # UTM(m+2) = UTM(m+1) × (1 + IPC(m)): each derived variation reproduces the next UTM within $35
    # (the UTM is rounded to the peso and the variation to 0,1 point).
    for variation in tables.ipc_months():
        if variation.projected or "INE, boletín" in variation.source:
            continue  # published INE figures: the UTMs after January 2025 are derived FROM them (below)
        previous = tables.utm(variation.month.plus(1)).value
        following = tables.utm(variation.month.plus(2)).value
        assert abs(previous * (1 + variation.percent / 100) - following) < 35


def test_derived_utms_follow_the_readjustment_rule_month_by_month(tables: ReferenceTables) -> None:
    # UTM(m) = UTM(m−1) × (1 + IPC(m−2)), rounded half up to the peso, from January 2025 to June 2026
    derived = [m for m in tables.utm_months() if m.source.startswith("DERIVADA")]
    expected = [f"2025-{n:02d}" for n in range(2, 13)] + [f"2026-{n:02d}" for n in range(2, 7)]
    assert [str(m.month) for m in derived] == expected
    for utm in derived:
        previous = tables.utm(utm.month.plus(-1)).value
        ipc = tables.ipc(utm.month.plus(-2))
        assert "INE, boletín" in ipc.source  # derived only from published INE variations, never projections
        exact = Decimal(previous) * (1 + ipc.percent / 100)
        assert utm.value == exact.quantize(Decimal(1), rounding=ROUND_HALF_UP), utm.month
        assert f"[IPC {ipc.month}]" in utm.source
        assert str(exact.quantize(Decimal("0.001"))).replace(".", ",") in utm.source


def test_the_derived_chain_reproduces_the_published_utms_it_passes() -> None:
    # Worked example: September 2025 = 68.647 (August) × 1,009 (IPC July 2025) = 69.264,82 → $69.265, the
    # UTM the SII published for September 2025 (Circular N° 52 de 2025); and December 2025 69.542 × 1,003
    # (IPC November 2025) = 69.750,63 → $69.751, the published January 2026 (½ UTM = the $34.876 minimum).
    tables = reference_data.reference_tables()
    assert tables.utm(YearMonth(2025, 8)).value == 68_647
    assert tables.utm(YearMonth(2025, 9)).value == 69_265
    december = tables.utm(YearMonth(2025, 12)).value
    chained = (Decimal(december) * (1 + tables.ipc(YearMonth(2025, 11)).percent / 100)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    assert chained == tables.utm(YearMonth(2026, 1)).value == 69_751
    assert "SII Circular N° 52" in tables.utm(YearMonth(2025, 9)).source


def test_utm_after_june_2026_is_refused_until_the_ipc_is_loaded(tables: ReferenceTables) -> None:
    # July 2026 would need the IPC of May 2026, which is not seeded: refused, not guessed.
    with pytest.raises(RuleRefused) as error:
        tables.utm(YearMonth(2026, 7))
    assert error.value.code == "utm_missing"


def test_ipc_projections_are_marked_and_say_they_are_not_official(tables: ReferenceTables) -> None:
    projected = [v for v in tables.ipc_months() if v.projected]
    assert {str(v.month) for v in projected} == {"2026-11", "2026-12"} | {f"2027-{m:02d}" for m in range(1, 13)}
    assert all("NO es cifra oficial" in v.source for v in projected)


def test_permit_rules_seed(rules: PermitRules) -> None:
    assert set(rules.classes) == set(VehicleClass)
    assert rules.class_rule(VehicleClass.TAXI).fixed_utm == 1
    assert rules.class_rule(VehicleClass.TRACTOR).fixed_utm == Decimal("0.5")
    assert not rules.class_rule(VehicleClass.BUS).verified
    assert str(rules.class_rule(VehicleClass.TRUCK).deadline) == "09-30"
    assert rules.fcm_share == Decimal("0.625")
    assert rules.duplicate_utm == Decimal("0.05")


def test_municipal_overrides_merge_per_class() -> None:
    rules = reference_data.permit_rules(
        {"classes": [{"vehicle_class": "taxi", "deadline": "06-30"}], "tasacion_percent": "75"}
    )
    assert str(rules.class_rule(VehicleClass.TAXI).deadline) == "06-30"
    assert rules.class_rule(VehicleClass.TAXI).fixed_utm == 1
    assert rules.tasacion_percent == 75


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tasacion_percent": "0"}, "tasacion_percent"),
        ({"tasacion_percent": "120"}, "tasacion_percent"),
        ({"fcm_share": "1.5"}, "fcm_share"),
        ({"second_installment_ipc_months": [6, 2]}, "second_installment_ipc_months"),
        ({"light_scale": [{"lower_utm": "0", "upper_utm": "60", "rate": "0.01"}]}, "light_scale"),
        (
            {
                "light_scale": [
                    {"lower_utm": "0", "upper_utm": "60", "rate": "0.01"},
                    {"lower_utm": "70", "upper_utm": None, "rate": "0.02"},
                ]
            },
            "light_scale",
        ),
        ({"classes": [{"vehicle_class": "taxi", "deadline": "02-30"}]}, "deadline"),
        ({"classes": [{"vehicle_class": "bus", "fixed_utm": None}]}, "fixed_utm"),
        ({"minimum_utm": 0.5}, "minimum_utm"),
    ],
)
def test_malformed_rules_are_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as error:
        reference_data.permit_rules(overrides)
    assert (error.value.code, error.value.field) == ("invalid_rules", field)


def test_march_and_april_2026_ipc_as_reported(tables: ReferenceTables) -> None:
    # INE's March 2026 (1,0%) and April 2026 (1,3%) as reported on 08-04-2026 and 08-05-2026. Check:
    # March to 2,8% a year, as reported — April 2025–March 2026 compound: 1,002 × 1,002 × 0,996 × 1,009 × 1,000
    # × 1,004 × 1,000 × 1,003 × 0,998 × 1,004 × 1,000 × 1,010 = 1,0282… → 2,8%.
    assert (tables.ipc(YearMonth(2026, 3)).percent, tables.ipc(YearMonth(2026, 4)).percent) == (
        Decimal("1.0"),
        Decimal("1.3"),
    )
    year = tables.ipc_accumulated(YearMonth(2025, 4), YearMonth(2026, 3))
    assert year.accumulated_percent == Decimal("2.8")
    # Worked example, UTM June 2026: 69.889 (April) × 1,010 = 70.587,89 → 70.588 (May); × 1,013 = 71.505,64 → $71.506
    assert (tables.utm(YearMonth(2026, 5)).value, tables.utm(YearMonth(2026, 6)).value) == (70_588, 71_506)
