"""Property tests of the parsers that read what callers type or send, on arbitrary text: they either
answer a canonical ASCII value or refuse with the platform's own error — never another
exception. (Valid spellings are test_rut.py's and test_plates.py's.)"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput, SemError, Unauthenticated
from chalicelib.domain.plates import parse_plate
from chalicelib.domain.rut import parse_rut, rut_from_body
from chalicelib.domain.spelling import fold
from chalicelib.domain.spreadsheet import FORMULA_STARTS, safe_cell
from chalicelib.domain.webhook_signature import signature_header, verify

# Text a person or an attacker may send: any code point, plus the look-alikes that matter here.
ODD = st.sampled_from(["\u00a0", "\u200b", "\u200d", "\ufeff", "\u00ad", "\u2010", "\u2013", "\u2212", "\u0301",
                       "\uff11", "\uff22", "\u0661", "\u0412", "\x00", "\r", "\n", "\t", "."])
TEXT = st.text(alphabet=st.one_of(st.characters(), ODD, st.sampled_from("0123456789kKBCDFGHJ-. ")), max_size=24)
FAST = settings(max_examples=300, deadline=None)


@FAST
@given(text=TEXT)
def test_rut_parsing_answers_canonical_ascii_or_invalid_input(text):
    try:
        rut = parse_rut(text)
    except InvalidInput as exc:
        code = exc.code
        assert code == "invalid_rut"
        return
    assert re.fullmatch(r"\d{1,8}-[\dK]", rut.compact)
    assert parse_rut(rut.compact) == rut


@FAST
@given(text=TEXT)
def test_plate_parsing_answers_canonical_ascii_or_invalid_input(text):
    try:
        plate = parse_plate(text)
    except InvalidInput as exc:
        code = exc.code
        assert code == "invalid_plate"
        return
    assert re.fullmatch(r"[A-Z]{2,5}\d{1,4}", plate.value)
    assert len(plate.value) == 6
    assert parse_plate(plate.value).value == plate.value


FULL_WIDTH = {ord(c): chr(ord(c) + 0xFEE0) for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-"}


@FAST
@given(body=st.integers(min_value=1, max_value=99_999_999),
       junk=st.lists(st.sampled_from(["\u00a0", "\u200b", "\u200d", "\ufeff", "\u00ad", " "]), max_size=3),
       dash=st.sampled_from(["-", "\u2010", "\u2011", "\u2013", "\u2212", "\uff0d"]), wide=st.booleans())
def test_a_rut_in_full_width_with_odd_dashes_or_invisible_characters_is_the_same_rut(body, junk, dash, wide):
    rut = rut_from_body(body)
    spelled = rut.formatted.translate(FULL_WIDTH) if wide else rut.formatted
    assert parse_rut("".join(junk) + spelled.replace("-", dash).replace("\uff0d", dash) + "".join(junk)) == rut


@pytest.mark.parametrize(("spelling", "plate"), [
    ("ＢＢＢＢ１０", "BBBB10"), ("bb\u00a0bb\u00a010", "BBBB10"), ("BB\u200bBB10", "BBBB10"),
    ("bb\u2013bb\u201310", "BBBB10"), ("\ufeffcdfg23", "CDFG23"), ("bb\u00adbb10", "BBBB10"),
])
def test_plates_in_odd_encodings_are_normalized(spelling, plate):
    assert parse_plate(spelling).value == plate


@pytest.mark.parametrize("spelling", ["BBBB\u0661\u0660", "B\u0301BBB10", "BBBB10\x00", "\u0412\u0412\u0412\u041210",
                                      "BBBB10\u0000K"])
def test_plates_in_other_scripts_or_with_accents_are_refused(spelling):
    with pytest.raises(InvalidInput) as refused:
        parse_plate(spelling)
    assert "patente" in refused.value.message


@given(text=st.text(max_size=40))
def test_folding_is_idempotent_and_leaves_no_invisible_characters_or_odd_dashes(text):
    folded = fold(text)
    assert fold(folded) == folded
    assert all(unicodedata.category(c) != "Cf" for c in folded)
    assert all(c == "-" or unicodedata.category(c) != "Pd" for c in folded)


@FAST
@given(header=st.one_of(st.none(), st.text(max_size=80),
                        st.builds(lambda t, v: f"t={t},v1={v}", st.text(max_size=12), st.text(max_size=70))),
       body=st.binary(max_size=64))
def test_any_signature_header_is_verified_or_refused_with_401(header, body):
    with pytest.raises(Unauthenticated):
        verify(header, body, ["s3cr3t"], now=1_800_000_000)


@given(body=st.binary(max_size=256), secret=st.text(min_size=1, max_size=40),
       skew=st.integers(min_value=-300, max_value=300), extra=st.sampled_from(["", ",v0=abc", ", v1=00", ",x=1"]))
def test_a_signature_made_with_any_configured_secret_within_tolerance_verifies(body, secret, skew, extra):
    now = 1_800_000_000
    header = signature_header(secret, now + skew, body) + extra
    assert verify(header, body, ["old-secret", secret], now=now) == now + skew
    with pytest.raises(Unauthenticated):
        verify(header, body + b"x", [secret], now=now)


@given(value=st.one_of(st.text(max_size=30), st.integers(), st.none()))
def test_no_csv_cell_can_start_a_formula(value):
    cell = safe_cell(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        assert cell == "'" + value or (re.fullmatch(r"[+-]?\d+(?:[.,]\d+)*%?", value) and cell == value)
    else:
        assert cell == value


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.text(alphabet=st.one_of(st.characters(), st.sampled_from(';,"\n\r\x00')), max_size=40),
                      max_size=6))
def test_a_roll_file_of_any_content_is_parsed_or_refused_line_by_line(lines):
    from chalicelib.services.admin_rolls import REQUIRED_COLUMNS, parse_roll

    raw = "\n".join([";".join(REQUIRED_COLUMNS), *lines]).encode("utf-8", errors="surrogatepass")
    try:
        parsed = parse_roll(raw)
    except SemError:
        return
    assert parsed.data_lines == len(parsed.debts) + len(parsed.errors)
    for _, debt in parsed.debts:
        assert re.fullmatch(r"\d{1,8}-[\dK]", debt["rut"])
        assert debt["amount"] >= 1


def test_a_roll_with_an_unclosed_quote_over_the_csv_field_limit_is_refused_not_a_crash():
    from chalicelib.services.admin_rolls import REQUIRED_COLUMNS, parse_roll

    with pytest.raises(InvalidInput) as refused:
        parse_roll((";".join(REQUIRED_COLUMNS) + '\n"' + "x" * 200_000).encode())
    assert refused.value.code == "roll_malformed"
