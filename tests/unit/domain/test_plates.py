"""Plates (PPU): every format, normalization, the check digit when given, specific errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.plates import PlateKind, normalize_plate, parse_plate

NEW_LETTERS = "BCDFGHJKLPRSTVWXYZ"
ALL_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.mark.parametrize(
    ("spelling", "value", "kind"),
    [
        ("bb-bb10", "BBBB10", PlateKind.CAR),
        ("BB BB 10", "BBBB10", PlateKind.CAR),
        ("bb·bb·10", "BBBB10", PlateKind.CAR),
        ("ZZZZ99", "ZZZZ99", PlateKind.CAR),
        ("AA1000", "AA1000", PlateKind.CAR_OLD),
        ("ab-1234", "AB1234", PlateKind.CAR_OLD),
        ("ZZ.9999", "ZZ9999", PlateKind.CAR_OLD),
        ("BBBBB0", "BBBBB0", PlateKind.CAR_2026),
        ("bbbbb-0", "BBBBB0", PlateKind.CAR_2026),
        ("BBB010", "BBB010", PlateKind.MOTORCYCLE),
        ("bbb·10", "BBB010", PlateKind.MOTORCYCLE),  # painted 3+2, padded with 0
        ("AB0123", "AB0123", PlateKind.MOTORCYCLE_OLD),
        ("ab-123", "AB0123", PlateKind.MOTORCYCLE_OLD),  # painted 2+3, padded with 0
    ],
)
def test_formats_and_spellings(spelling: str, value: str, kind: PlateKind) -> None:
    plate = parse_plate(spelling)
    assert (plate.value, plate.kind) == (value, kind)
    assert normalize_plate(plate.value) == value


# Check digits as this implementation computes them (mod 11 like a RUT over the plate's digits;
# tables in plate_tables, partly unverified — see docs/domain.md):
WORKED = [
    # BBBB10 → B=1 ×4, then 1 0 → "111110"; 0·2+1·3+1·4+1·5+1·6+1·7 = 25; 25 mod 11 = 3; 11−3 = 8
    ("BBBB10", "8"),
    # AA1000 → series AA = 001, then 1000 → "0011000"; 0+0+0+1·5+1·6+0+0 = 11; 11 mod 11 = 0 → 11 → 0
    ("AA1000", "0"),
    # PHZF55 → P=0 H=6 Z=9 F=4 → "069455"; 5·2+5·3+4·4+9·5+6·6+0·7 = 122; 122 mod 11 = 1; 11−1 = 10 → K
    ("PHZF55", "K"),
    # BR1234 → series BR = 087 → "0871234"; 4·2+3·3+2·4+1·5+7·6+8·7+0·2 = 128; 128 mod 11 = 7; 11−7 = 4
    ("BR1234", "4"),
]


@pytest.mark.parametrize(("value", "digit"), WORKED)
def test_worked_check_digits_and_validation(value: str, digit: str) -> None:
    assert parse_plate(value).check_digit == digit
    for spelling in (f"{value}-{digit}", f"{value}{digit}", f"{value[:2]}-{value[2:]}-{digit.lower()}"):
        plate = parse_plate(spelling)
        assert plate.value == value
        assert plate.check_digit_given
        assert plate.check_digit_verified
    wrong = "1" if digit != "1" else "2"
    with pytest.raises(InvalidInput) as error:
        parse_plate(f"{value}-{wrong}")
    assert (error.value.code, error.value.field) == ("invalid_plate", "plate")
    assert "dígito verificador" in error.value.message


def test_old_series_missing_from_the_table_accepts_but_does_not_verify() -> None:
    plate = parse_plate("ZZ9999-5")
    assert plate.value == "ZZ9999"
    assert plate.check_digit is None
    assert plate.check_digit_given
    assert not plate.check_digit_verified
    assert plate.with_check_digit == "ZZ9999"


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty
        "BBBB1",  # too short and not a motorcycle
        "BABB10",  # vowel in a current-format plate
        "BBBB05",  # current car numbers start at 10
        "AA0999X",  # bad check digit character
        "AA0000",  # old motorcycle 000
        "BBB000",  # motorcycle 00
        "BBB101",  # motorcycle 3+2 with a check digit is not accepted: pad it first
        "AB12345678",
        "ÑA1234",
        "BBBB1K",
    ],
)
def test_bad_plates_get_invalid_plate(text: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_plate(text, field="items.0.plate")
    assert (error.value.code, error.value.field) == ("invalid_plate", "items.0.plate")
    assert "formato" in error.value.message


def test_non_string_plate() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_plate(None)
    assert error.value.code == "invalid_plate"


def _plates() -> st.SearchStrategy[str]:
    new = st.sampled_from(NEW_LETTERS)
    old = st.sampled_from(ALL_LETTERS)
    car = st.tuples(st.text(NEW_LETTERS, min_size=4, max_size=4), st.integers(10, 99)).map(
        lambda t: f"{t[0]}{t[1]}"
    )
    car_old = st.tuples(st.text(ALL_LETTERS, min_size=2, max_size=2), st.integers(1000, 9999)).map(
        lambda t: f"{t[0]}{t[1]}"
    )
    car_2026 = st.tuples(st.text(NEW_LETTERS, min_size=5, max_size=5), st.integers(0, 9)).map(
        lambda t: f"{t[0]}{t[1]}"
    )
    moto = st.tuples(st.lists(new, min_size=3, max_size=3), st.integers(1, 99)).map(
        lambda t: "".join(t[0]) + f"0{t[1]:02d}"
    )
    moto_old = st.tuples(st.lists(old, min_size=2, max_size=2), st.integers(1, 999)).map(
        lambda t: "".join(t[0]) + f"0{t[1]:03d}"
    )
    return st.one_of(car, car_old, car_2026, moto, moto_old)


@settings(max_examples=300, deadline=None)
@given(value=_plates(), separator=st.sampled_from(["", "-", " ", "·", "."]), lower=st.booleans())
def test_plate_normalization_round_trips(value: str, separator: str, lower: bool) -> None:
    spelled = separator.join([value[:2], value[2:4], value[4:]])
    plate = parse_plate(spelled.lower() if lower else spelled)
    assert plate.value == value
    assert parse_plate(plate.value) == plate  # idempotent
    if plate.check_digit is not None:
        with_digit = parse_plate(plate.with_check_digit)
        assert with_digit.value == value
        assert with_digit.check_digit_verified
