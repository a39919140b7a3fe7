"""RUT / RUN (Chilean tax and identity number): parsing, the mod 11 check digit, and display forms.

Accepted spellings: any case, with or without thousands dots, with or without the hyphen before
the check digit, surrounding or inner spaces: ``12.345.678-5``, ``12345678-5``, ``123456785``,
``12 345 678 5``, ``12.678.579-k``. The body is 1 to 8 digits (leading zeros are ignored).
Full-width digits, no-break spaces, zero-width characters and Unicode dashes are folded first
(`domain/spelling.py`); other scripts' digits are refused.

Check digit (mod 11): multiply the body's digits, right to left, by 2, 3, 4, 5, 6, 7, 2, 3, …;
r = sum mod 11; dv = 11 − r, where 11 is written ``0`` and 10 is written ``K``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.spelling import fold

MAX_BODY: Final = 99_999_999
_SHAPE: Final = re.compile(r"^(\d{1,9})-?([0-9K])$")
_FORMAT_MESSAGE: Final = (
    "El RUT no tiene un formato válido: se esperan hasta 8 dígitos seguidos del dígito verificador "
    "(0-9 o K), por ejemplo 12.345.678-5."
)


def mod11_check_digit(digits: str) -> str:
    """The mod 11 check digit of a string of decimal digits (shared by RUTs and plates)."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        total += int(digit) * (2 + position % 6)
    result = 11 - total % 11
    return {11: "0", 10: "K"}.get(result, str(result))


@dataclass(frozen=True)
class Rut:
    """A valid RUT: its body (the number) and check digit (``"0"``–``"9"`` or ``"K"``)."""

    body: int
    check_digit: str

    @property
    def formatted(self) -> str:
        """``"12.345.678-5"``: how it is shown to people and returned by the API."""
        return f"{self.body:,}".replace(",", ".") + f"-{self.check_digit}"

    @property
    def compact(self) -> str:
        """``"12345678-5"``: how it is stored and used in keys."""
        return f"{self.body}-{self.check_digit}"

    @property
    def masked(self) -> str:
        """``"12.***.***-5"``: for logs and for showing an owner's RUT to someone else.

        Keeps only the leading group of the body and the check digit.
        """
        groups = self.formatted[:-2].split(".")
        return ".".join([groups[0], *("***" for _ in groups[1:])]) + f"-{self.check_digit}"

    def __str__(self) -> str:
        return self.formatted


def parse_rut(text: object, *, field: str = "rut") -> Rut:
    """A Rut from any common spelling, or InvalidInput(invalid_rut) saying what is wrong.

    The message tells a format problem from a wrong check digit; it never repeats the RUT
    (error messages end up in logs).
    """
    if not isinstance(text, str):
        raise InvalidInput(_FORMAT_MESSAGE, code="invalid_rut", field=field)
    cleaned = re.sub(r"[\s.]", "", fold(text)).upper()
    match = _SHAPE.match(cleaned) if cleaned.isascii() else None
    if match is None or int(match.group(1)) == 0 or int(match.group(1)) > MAX_BODY:
        raise InvalidInput(_FORMAT_MESSAGE, code="invalid_rut", field=field)
    body = int(match.group(1))
    given = match.group(2)
    if mod11_check_digit(str(body)) != given:
        raise InvalidInput(
            "El dígito verificador del RUT no corresponde al número ingresado; revise el RUT.",
            code="invalid_rut",
            field=field,
        )
    return Rut(body, given)


def rut_from_body(body: int) -> Rut:
    """The valid RUT with this body (for tests, fixtures and generated data)."""
    if not 1 <= body <= MAX_BODY:
        raise ValueError(f"RUT body out of range: {body}")
    return Rut(body, mod11_check_digit(str(body)))


def is_valid_rut(text: object) -> bool:
    """True if ``text`` parses as a RUT with a correct check digit."""
    try:
        parse_rut(text)
    except InvalidInput:
        return False
    return True
