"""Whole pesos: the rounding rule, exact splits and Chilean formatting."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.money import (
    decimal_text,
    format_clp,
    format_date,
    percent_text,
    split_evenly,
    split_in_halves,
    to_pesos,
)


@pytest.mark.parametrize(
    ("exact", "pesos"),
    [
        (Decimal("34875.5"), 34876),  # half of UTM 69.751: .5 goes up (published minimum 2026)
        (Decimal("183601.2"), 183601),
        (Decimal("93360.6"), 93361),
        (Decimal("60702.5"), 60703),
        (Decimal("0.49"), 0),
        (Decimal(7), 7),
    ],
)
def test_to_pesos_rounds_half_up(exact: Decimal, pesos: int) -> None:
    assert to_pesos(exact) == pesos


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (12345, "$12.345"),
        (0, "$0"),
        (999, "$999"),
        (1000, "$1.000"),
        (34876, "$34.876"),
        (1234567890, "$1.234.567.890"),
        (-5000, "-$5.000"),
    ],
)
def test_format_clp(amount: int, text: str) -> None:
    assert format_clp(amount) == text


def test_format_date_is_day_month_year() -> None:
    assert format_date(date(2027, 3, 31)) == "31-03-2027"


def test_decimal_and_percent_text() -> None:
    assert decimal_text(Decimal("38799.60")) == "38799.6"
    assert decimal_text(Decimal("3879960")) == "3879960"
    assert decimal_text(Decimal("-0")) == "0"
    assert percent_text(Decimal("0.015")) == "1,5%"


def test_split_in_halves_gives_the_odd_peso_to_the_first() -> None:
    assert split_in_halves(183601) == (91801, 91800)
    assert split_in_halves(64666) == (32333, 32333)
    assert split_in_halves(0) == (0, 0)


def test_split_evenly_gives_leftover_pesos_to_the_earliest() -> None:
    assert split_evenly(77599, 4) == [19400, 19400, 19400, 19399]
    with pytest.raises(ValueError, match="parts"):
        split_evenly(10, 0)


@settings(max_examples=200, deadline=None)
@given(amount=st.integers(min_value=0, max_value=10**12), parts=st.integers(min_value=1, max_value=12))
def test_splits_add_up_exactly(amount: int, parts: int) -> None:
    first, second = split_in_halves(amount)
    assert first + second == amount
    assert 0 <= first - second <= 1
    pieces = split_evenly(amount, parts)
    assert sum(pieces) == amount
    assert max(pieces) - min(pieces) <= 1
