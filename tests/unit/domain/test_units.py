"""UTM and IPC tables: lookups, missing months, accumulated variation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.domain.errors import InvalidInput, RuleRefused
from chalicelib.domain.units import ReferenceTables, YearMonth


def test_year_month_parse_arithmetic_and_text() -> None:
    assert YearMonth.parse("2027-01") == YearMonth(2027, 1)
    assert str(YearMonth(2027, 1).plus(-1)) == "2026-12"
    assert str(YearMonth(2026, 12).plus(2)) == "2027-02"
    assert [str(m) for m in YearMonth(2024, 11).through(YearMonth(2025, 1))] == [
        "2024-11",
        "2024-12",
        "2025-01",
    ]
    assert list(YearMonth(2024, 5).through(YearMonth(2024, 4))) == []


@pytest.mark.parametrize("text", ["2027-13", "2027-1", "27-01", "enero", ""])
def test_year_month_parse_refuses_malformed(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        YearMonth.parse(text)
    assert error.value.code == "invalid_month"


def test_utm_lookup_and_missing_month(tables: ReferenceTables) -> None:
    assert tables.utm(YearMonth(2024, 1)).value == 64666
    assert tables.utm(YearMonth(2027, 1)).projected is True
    with pytest.raises(RuleRefused) as error:
        tables.utm(YearMonth(2031, 1))
    assert error.value.code == "utm_missing"
    assert error.value.field == "year"
    assert "2031-01" in error.value.message


def test_ipc_missing_month_names_it(tables: ReferenceTables) -> None:
    with pytest.raises(RuleRefused) as error:
        tables.ipc_accumulated(YearMonth(2026, 2), YearMonth(2026, 6))
    assert error.value.code == "ipc_missing"
    assert "2026-05" in error.value.message  # March and April 2026 are loaded; May is the first missing


def test_ipc_accumulated_compounds_monthly_variations(tables: ReferenceTables) -> None:
    # Feb–Jun 2024: 1.006 × 1.004 × 1.005 × 1.003 × 0.999 = 1.017101… → 1.7%
    adjustment = tables.ipc_accumulated(YearMonth(2024, 2), YearMonth(2024, 6))
    assert adjustment.accumulated_percent == Decimal("1.7")
    assert adjustment.factor == Decimal("1.017")
    assert adjustment.projected is False
    assert adjustment.to_json()["applied_percent"] == "1.7"


def test_negative_accumulated_variation_is_floored_when_asked() -> None:
    tables = ReferenceTables.from_records(
        [], [{"month": "2024-06", "variation_percent": "-0.1", "source": "test"}]
    )
    floored = tables.ipc_accumulated(YearMonth(2024, 6), YearMonth(2024, 6))
    assert floored.accumulated_percent == Decimal("-0.1")
    assert floored.applied_percent == 0
    assert floored.floored_at_zero
    raw = tables.ipc_accumulated(YearMonth(2024, 6), YearMonth(2024, 6), floor_at_zero=False)
    assert raw.applied_percent == Decimal("-0.1")


def test_empty_run_of_months_is_zero(tables: ReferenceTables) -> None:
    assert tables.ipc_accumulated(YearMonth(2024, 5), YearMonth(2024, 4)).applied_percent == 0


@pytest.mark.parametrize(
    ("utm", "ipc", "code", "field"),
    [
        ([{"month": "2024-01", "value": 0}], [], "invalid_utm", "value"),
        ([{"month": "2024-01", "value": "64666"}], [], "invalid_utm", "value"),
        ([{"month": "2024-1", "value": 64666}], [], "invalid_month", "month"),
        ([{"month": "2024-01", "value": 1}, {"month": "2024-01", "value": 2}], [], "duplicate_utm", "month"),
        ([], [{"month": "2024-01", "variation_percent": "abc"}], "invalid_ipc", "variation_percent"),
        ([], [{"month": "2024-01", "variation_percent": "25"}], "invalid_ipc", "variation_percent"),
        ([], [{"month": "2024-01", "variation_percent": 0.5}], "invalid_ipc", "variation_percent"),
    ],
)
def test_bad_records_are_refused(
    utm: list[dict[str, object]], ipc: list[dict[str, object]], code: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as error:
        ReferenceTables.from_records(utm, ipc)
    assert (error.value.code, error.value.field) == (code, field)
