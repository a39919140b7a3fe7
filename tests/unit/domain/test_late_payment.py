"""Late payment (Código Tributario art. 53): worked examples from published figures.

- TGR, January 2025 (press release on Ley 21.713): $2.000.000 paid 60 days late in the first
  semester of 2025 bears $27.067 of interest, 61 days $27.518 (SII Res. Ex. 133/2024: 8,12%/360).
- A debt late across semesters adds each semester's days at that semester's rate.
- The rule in force on the payment date applies: up to 31-12-2024, 1,5% per month or fraction.
- DL 3063 art. 15: the 2022 second-installment adjustment published as 5,5% equals the IPC
  index change February→June 2022 (INE index 116,10 → 122,48), not the five monthly variations
  February–June (which compound to 5,8%).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chalicelib.domain import reference_data
from chalicelib.domain.errors import InvalidInput, RuleRefused
from chalicelib.domain.late_payment import late_payment
from chalicelib.domain.permits import PermitRequest, compute_permit
from chalicelib.domain.units import ReferenceTables, YearMonth

LEGACY = Decimal("0.015")


def _no_readjustment_tables(rates: list[dict[str, object]]) -> ReferenceTables:
    """Tables whose IPC is flat over 2024–2026, to isolate the interest (the TGR example has no readjustment)."""
    ipc = [
        {"month": str(m), "variation_percent": "0", "source": "prueba"}
        for m in YearMonth(2024, 1).through(YearMonth(2026, 12))
    ]
    return ReferenceTables.from_records([], ipc, rates)


def test_tgr_published_example_60_and_61_days() -> None:
    tables = _no_readjustment_tables(reference_data.INTEREST_RATE_RECORDS)
    # 2.000.000 × 8,12% / 360 × 60 = 27.066,67 → $27.067
    sixty = late_payment(2_000_000, date(2025, 1, 31), date(2025, 4, 1), tables, monthly_rate=LEGACY)
    assert (sixty.days, sixty.interest, sixty.readjustment) == (60, 27_067, 0)
    # × 61 = 27.517,78 → $27.518
    sixty_one = late_payment(2_000_000, date(2025, 1, 31), date(2025, 4, 2), tables, monthly_rate=LEGACY)
    assert (sixty_one.days, sixty_one.interest) == (61, 27_518)
    body = sixty.to_json(2_000_000)
    assert body["interest_rule"] == "daily"
    assert body["semesters"] == [
        {
            "month": "2025-01",
            "semester": "1er semestre 2025",
            "annual_percent": "8.12",
            "daily_percent": "0.0225555556",
            "source": reference_data.INTEREST_RATE_RECORDS[0]["source"],
            "from": "2025-02-01",
            "to": "2025-04-01",
            "days": 60,
            "interest_exact": decimal_str(Decimal(2_000_000) * Decimal("0.0812") * 60 / 360),
        }
    ]
    assert "Ley 21.713" in str(body["legal_basis"])


def decimal_str(value: Decimal) -> str:
    from chalicelib.domain.money import decimal_text

    return decimal_text(value)


def test_a_debt_late_across_semesters_adds_each_semesters_days_at_its_rate() -> None:
    tables = _no_readjustment_tables(reference_data.INTEREST_RATE_RECORDS)
    # due 31-05-2025, paid 15-01-2026: 30 days at 8,12% (jun 2025), 184 at 8,00% (jul–dic), 15 at 7,92%
    result = late_payment(1_000_000, date(2025, 5, 31), date(2026, 1, 15), tables, monthly_rate=LEGACY)
    assert [(s.rate.label, s.days) for s in result.segments] == [
        ("1er semestre 2025", 30),
        ("2do semestre 2025", 184),
        ("1er semestre 2026", 15),
    ]
    exact = Decimal(1_000_000) * (
        Decimal("0.0812") * 30 + Decimal("0.08") * 184 + Decimal("0.0792") * 15
    ) / 360
    # 6.766,67 + 40.888,89 + 3.300 = 50.955,56 → $50.956
    assert result.days == 229
    assert result.interest == 50_956 == int(exact.to_integral_value(rounding="ROUND_HALF_UP"))


def test_payment_up_to_2024_keeps_the_monthly_rule_in_force_then() -> None:
    tables = _no_readjustment_tables(reference_data.INTEREST_RATE_RECORDS)
    result = late_payment(2_000_000, date(2024, 9, 30), date(2024, 11, 30), tables, monthly_rate=LEGACY)
    # 2 months × 1,5% = 3% → $60.000 (what the TGR compared against)
    assert (result.months, result.interest, result.segments) == (2, 60_000, ())
    assert result.to_json(2_000_000)["interest_rule"] == "monthly"


def test_days_in_a_semester_without_a_loaded_rate_are_refused_not_guessed() -> None:
    tables = _no_readjustment_tables(reference_data.INTEREST_RATE_RECORDS)
    # due in 2024, paid in 2025: the days of 2024 have no semestral rate (none is published before 2025)
    with pytest.raises(RuleRefused) as before:
        late_payment(100_000, date(2024, 11, 30), date(2025, 2, 1), tables, monthly_rate=LEGACY)
    assert before.value.code == "interest_rate_missing"
    assert "segundo semestre de 2024" in before.value.message
    # the 2nd semester of 2026 is not in the seed
    with pytest.raises(RuleRefused) as later:
        late_payment(100_000, date(2026, 6, 30), date(2026, 7, 2), tables, monthly_rate=LEGACY)
    assert (later.value.code, later.value.field) == ("interest_rate_missing", "payment_date")
    assert "segundo semestre de 2026" in later.value.message


def test_a_projected_rate_marks_the_result_projected() -> None:
    tables = _no_readjustment_tables(
        [{"month": "2026-07", "annual_percent": "7.9", "source": "proyección", "projected": True}]
    )
    result = late_payment(100_000, date(2026, 8, 31), date(2026, 9, 10), tables, monthly_rate=LEGACY)
    assert result.projected is True
    assert result.to_json(100_000)["semesters"][0]["projected"] is True  # type: ignore[index]


def test_late_permit_through_the_permit_rule_uses_the_daily_interest_and_shows_each_step() -> None:
    tables, rules = reference_data.reference_tables(), reference_data.permit_rules()
    # 2025 permit, tasación 10.000.000 → 178.628, due 31-03-2025, paid 20-04-2025 (20 days):
    #   readjustment: IPC feb 2025 (0,4%) (end of jan → end of feb) → 714,51 → 715; readjusted 179.343;
    #   interest 179.343 × 8,12% / 360 × 20 = 809,03 → 809; total 178.628 + 715 + 809 = 180.152
    body = {"vehicle_class": "light", "tasacion": 10_000_000, "year": 2025, "payment_date": "2025-04-20"}
    result = compute_permit(PermitRequest.parse(body), tables, rules)
    assert result.amount == 180_152
    late = result.breakdown["late_payment"]
    assert isinstance(late, dict)
    assert (late["readjustment"], late["interest"], late["days_late"]) == (715, 809, 20)
    labels = [line["label"] for line in result.breakdown["lines"]]  # type: ignore[union-attr]
    assert "Intereses art. 53 (20 día(s) al 8,12%/360)" in labels


def test_second_installment_2022_published_adjustment_is_february_to_june_point_to_point() -> None:
    # INE monthly variations 2022 (index 2018=100: feb 116,10 → jun 122,48 = +5,495% → 5,5%)
    ipc_2022 = {"2022-02": "0.3", "2022-03": "1.9", "2022-04": "1.4", "2022-05": "1.2", "2022-06": "0.9"}
    tables = ReferenceTables.from_records(
        [],
        [{"month": m, "variation_percent": v, "source": "INE"} for m, v in ipc_2022.items()],
    )
    first, last = reference_data.permit_rules().second_installment_ipc_months
    assert tables.ipc_accumulated(YearMonth(2022, first), YearMonth(2022, last)).applied_percent == Decimal("5.5")
    # the five monthly variations February–June would give 5,8%, not the published 5,5%
    assert tables.ipc_accumulated(YearMonth(2022, 2), YearMonth(2022, 6)).applied_percent == Decimal("5.8")


def test_a_debt_due_in_2024_and_paid_in_2025_is_refused_even_with_a_rate_loaded_for_2024() -> None:
    """No published text says which rate the 2024 days bear under the daily rule (docs/domain.md)."""
    invented = [*reference_data.INTEREST_RATE_RECORDS,
                {"month": "2024-07", "annual_percent": "8.12", "source": "inventada", "projected": False}]
    with pytest.raises(InvalidInput) as loaded:
        _no_readjustment_tables(invented)
    assert loaded.value.code == "invalid_rate_month"
    tables = _no_readjustment_tables(reference_data.INTEREST_RATE_RECORDS)
    with pytest.raises(RuleRefused) as refused:
        late_payment(100_000, date(2024, 12, 30), date(2025, 1, 1), tables, monthly_rate=LEGACY)
    assert "Ley 21.713" in refused.value.message
    assert "Circular SII N° 1 de 2025" in refused.value.message
    # due on the last day of 2024: the first day of delay is 1-1-2025, fully under the daily rule
    on_time = late_payment(100_000, date(2024, 12, 31), date(2025, 1, 2), tables, monthly_rate=LEGACY)
    assert on_time.days == 2
