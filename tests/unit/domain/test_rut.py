"""RUT/RUN: mod 11 check digit, accepted spellings, display forms, specific errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.rut import MAX_BODY, is_valid_rut, mod11_check_digit, parse_rut, rut_from_body

# Worked check digits (digits right to left × 2,3,4,5,6,7,2,3; r = sum mod 11; dv = 11 − r):
WORKED = [
    # 12345678: 8·2+7·3+6·4+5·5+4·6+3·7+2·2+1·3 = 16+21+24+25+24+21+4+3 = 138; 138 mod 11 = 6; 11−6 = 5
    ("12345678", "5"),
    # 12678579: 9·2+7·3+5·4+8·5+7·6+6·7+2·2+1·3 = 18+21+20+40+42+42+4+3 = 190; 190 mod 11 = 3; 11−3 = 8
    ("12678579", "8"),
    # 10000013: 3·2+1·3+0+0+0+0+0+1·3 = 12; 12 mod 11 = 1; 11−1 = 10 → K
    ("10000013", "K"),
    # 7000004: 4·2+0+0+0+0+0+7·2 = 22; 22 mod 11 = 0; 11−0 = 11 → 0
    ("7000004", "0"),
]


@pytest.mark.parametrize(("body", "digit"), WORKED)
def test_worked_check_digits(body: str, digit: str) -> None:
    assert mod11_check_digit(body) == digit


@pytest.mark.parametrize(
    "spelling",
    ["12.345.678-5", "12345678-5", "123456785", " 12 345 678 5 ", "12.345.678 - 5", "012.345.678-5"],
)
def test_common_spellings_parse_to_the_same_rut(spelling: str) -> None:
    rut = parse_rut(spelling)
    assert rut.formatted == "12.345.678-5"
    assert rut.compact == "12345678-5"
    assert rut.masked == "12.***.***-5"


def test_k_in_any_case_and_short_bodies() -> None:
    assert parse_rut("10.000.013-k").formatted == "10.000.013-K"
    assert parse_rut("7000004-0").masked == "7.***.***-0"
    assert parse_rut("1-9").formatted == "1-9"
    assert parse_rut("1-9").masked == "1-9"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("12.345.678-4", "dígito verificador"),
        ("12.678.579-K", "dígito verificador"),
        ("", "formato"),
        ("abc", "formato"),
        ("12.345.678-", "formato"),
        ("123.456.789-0", "formato"),  # body over 8 digits
        ("0-0", "formato"),
        ("12345678-55", "formato"),
        ("12-345-678-5", "formato"),
    ],
)
def test_bad_ruts_get_invalid_rut_with_a_specific_message(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as error:
        parse_rut(text, field="payer.rut")
    assert error.value.code == "invalid_rut"
    assert error.value.field == "payer.rut"
    assert fragment in error.value.message


def test_error_messages_never_echo_the_rut() -> None:
    for text in ("98.765.432-1", "98765432-K9"):
        with pytest.raises(InvalidInput) as error:
            parse_rut(text)
        assert "98" not in error.value.message


def test_non_string_is_invalid_rut_with_default_field() -> None:
    with pytest.raises(InvalidInput) as error:
        parse_rut(12345678)
    assert (error.value.code, error.value.field) == ("invalid_rut", "rut")
    assert not is_valid_rut(None)
    assert is_valid_rut("12.678.579-8")


bodies = st.integers(min_value=1, max_value=MAX_BODY)


@settings(max_examples=300, deadline=None)
@given(body=bodies, lower=st.booleans())
def test_normalization_round_trips_and_is_idempotent(body: int, lower: bool) -> None:
    rut = rut_from_body(body)
    for spelling in (rut.formatted, rut.compact, rut.compact.replace("-", ""), f" {rut.formatted} "):
        parsed = parse_rut(spelling.lower() if lower else spelling)
        assert parsed == rut
        assert parse_rut(parsed.formatted) == parsed
        assert parse_rut(parsed.compact) == parsed


@settings(max_examples=300, deadline=None)
@given(body=bodies, wrong=st.sampled_from("0123456789K"))
def test_any_other_check_digit_is_refused(body: int, wrong: str) -> None:
    rut = rut_from_body(body)
    if wrong == rut.check_digit:
        return
    with pytest.raises(InvalidInput) as error:
        parse_rut(f"{body}-{wrong}")
    assert "dígito verificador" in error.value.message
