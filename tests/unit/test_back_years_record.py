"""Reading the national record for owed years (chalicelib/services/back_years.py), with an in-memory
record: which hold states count as a paid year, and the refusal's wording."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import RuleRefused
from chalicelib.services import back_years


def record(holds: dict[str, str]) -> dict[str, dict[str, str]]:
    """The plate's permit holds by item key, as PaymentRepository.permit_holds answers them."""
    return {key: {"status": status} for key, status in holds.items()}


def test_a_paid_first_installment_takes_the_year_pending_review_or_released_do_not() -> None:
    holds = record({"PERMIT#AB1234#2025#1": "paid", "PERMIT#AB1234#2026#1": "pending",
                    "PERMIT#AB1234#2024#2": "review", "PERMIT#AB1234#2023#1": "released"})
    assert back_years.paid_years("AB1234", 2027, holds) == [2025]
    assert back_years.owed("AB1234", 2027, {"first_registration": "2019-05-02"}, holds) == (2026,)


def test_a_paid_second_installment_alone_takes_the_year_and_other_plates_do_not_count() -> None:
    holds = record({"PERMIT#AB1234#2026#2": "paid", "PERMIT#ZZ9999#2025#1": "paid"})
    assert back_years.paid_years("AB1234", 2027, holds) == [2026]


def test_the_refusal_names_every_owed_year_missing_from_the_cart() -> None:
    with pytest.raises(RuleRefused) as refused:
        back_years.require_paid_or_in_cart("AB1234", 2027, (2024, 2025, 2026), [2025, 2027], field="items[1]")
    assert refused.value.code == "back_years_owed"
    assert refused.value.field == "items[1]"
    assert "2024 y 2026" in refused.value.message
    assert "2025" not in refused.value.message
    back_years.require_paid_or_in_cart("AB1234", 2027, (2026,), [2026, 2027], field="items[0]")
