"""Reading the national record for owed years (chalicelib/services/back_years.py), with an in-memory
record: which hold states count as a paid year, and the refusal's wording."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import RuleRefused
from chalicelib.services import back_years


class Record:
    """The permit holds by key, as PaymentRepository.hold answers them."""

    def __init__(self, holds: dict[str, str]) -> None:
        self.holds = holds
        self.reads: list[str] = []

    def hold(self, ref: tuple[str, str]) -> dict[str, str] | None:
        owner, key = ref
        assert owner == "00000", "the national record, never a municipality's"
        self.reads.append(key)
        status = self.holds.get(key)
        return {"status": status} if status else None


def test_a_paid_first_installment_takes_the_year_pending_review_or_released_do_not() -> None:
    record = Record({"PERMIT#AB1234#2025#1": "paid", "PERMIT#AB1234#2026#1": "pending",
                     "PERMIT#AB1234#2024#2": "review", "PERMIT#AB1234#2023#1": "released"})
    assert back_years.paid_years("AB1234", 2027, record) == [2025]  # type: ignore[arg-type]
    assert back_years.owed("AB1234", 2027, {"first_registration": "2019-05-02"}, record) == (2026,)  # type: ignore[arg-type]
    assert len(record.reads) <= 2 * 2 * 5  # at most two reads a year over five years, per call


def test_the_refusal_names_every_owed_year_missing_from_the_cart() -> None:
    with pytest.raises(RuleRefused) as refused:
        back_years.require_paid_or_in_cart("AB1234", 2027, (2024, 2025, 2026), [2025, 2027], field="items[1]")
    assert refused.value.code == "back_years_owed"
    assert refused.value.field == "items[1]"
    assert "2024 y 2026" in refused.value.message
    assert "2025" not in refused.value.message
    back_years.require_paid_or_in_cart("AB1234", 2027, (2026,), [2026, 2027], field="items[0]")
