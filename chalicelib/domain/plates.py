"""Vehicle plates (PPU, placa patente única): formats, normalization and the check digit.

Formats (canonical form: 6 characters, upper case, no separators):

=================  ==========  ===========================================================
kind               shape       range
=================  ==========  ===========================================================
``car_old``        LLNNNN      AA1000–ZZ9999 (any letter A–Z, number 1000–9999)
``car``            LLLLNN      BBBB10–ZZZZ99 (18 letters B C D F G H J K L P R S T V W X Y Z)
``car_2026``       LLLLLN      BBBBB0–ZZZZZ9 (same 18 letters; decreed January 2026)
``motorcycle_old`` LL0NNN      AA0001–ZZ0999 (any letter; the 0 pads the old 2+3 plate)
``motorcycle``     LLL0NN      BBB001–ZZZ099 (18 letters; the 0 pads the 3+2 plate)
=================  ==========  ===========================================================

Accepted spellings: any case; separators anywhere (space, hyphen, dot, middle dot ``·``, bullet
``•``, underscore, slash) are ignored; full-width letters and digits, no-break spaces, zero-width characters and
Unicode dashes are folded first (``domain/spelling.py``), and anything still not ASCII is refused. After removing them:

- 6 characters: the plate (``bb-bb10``, ``BB BB 10``, ``bb·bb·10`` → ``BBBB10``);
- 5 characters: a motorcycle plate as painted, without the padding 0 (``BBB10`` → ``BBB010``,
  ``AB123`` → ``AB0123``);
- 7 characters: a 6-character plate followed by its check digit ``0``–``9``/``K``
  (``BBBB10-1``, ``BBBB101``).

That rule is unambiguous because no plate has 7 characters. A check digit after the 5-character
motorcycle spelling is NOT accepted (``BBB01`` + ``0`` would read the same as plate ``BBB010``):
write the padded plate first. Motorcycle numbers from 01 (current) and 001 (old) are accepted
because no source fixed the first issued number; the registry lookup catches plates that do not
exist.

Check digit (Registro Civil): the plate is turned into digits — the old series (two letters)
into three digits from a table, each letter of the newer formats into one digit — and the
digit string gets the same mod 11 as a RUT. The tables are in ``plate_tables`` with how far each
is verified; when the digit cannot be computed (an old series missing from the partial table),
a given check digit is accepted but reported as unverified.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.plate_tables import CURRENT_FORMAT_LETTER_DIGITS, OLD_FORMAT_SERIES_DIGITS
from chalicelib.domain.rut import mod11_check_digit
from chalicelib.domain.spelling import fold

_SEPARATORS: Final = re.compile(r"[\s\-.·•_/]")
_NEW_LETTERS: Final = "BCDFGHJKLPRSTVWXYZ"
_N: Final = f"[{_NEW_LETTERS}]"


class PlateKind(StrEnum):
    """Which plate format a PPU is written in."""

    CAR_OLD = "car_old"
    CAR = "car"
    CAR_2026 = "car_2026"
    MOTORCYCLE_OLD = "motorcycle_old"
    MOTORCYCLE = "motorcycle"


_SHAPES: Final[tuple[tuple[PlateKind, re.Pattern[str]], ...]] = (
    (PlateKind.CAR_OLD, re.compile(r"^[A-Z]{2}[1-9]\d{3}$")),
    (PlateKind.CAR, re.compile(rf"^{_N}{{4}}[1-9]\d$")),
    (PlateKind.CAR_2026, re.compile(rf"^{_N}{{5}}\d$")),
    (PlateKind.MOTORCYCLE_OLD, re.compile(r"^[A-Z]{2}0(?!000)\d{3}$")),
    (PlateKind.MOTORCYCLE, re.compile(rf"^{_N}{{3}}0(?!00)\d{{2}}$")),
)
_SHORT_MOTORCYCLE: Final = re.compile(r"^([A-Z]{2,3})(\d{2,3})$")
_FORMAT_MESSAGE: Final = (
    "La patente no tiene un formato reconocido. Formatos aceptados: autos AB1234, BBBB10 y BBBBB0; "
    "motos AB0123 y BBB010; con o sin dígito verificador (por ejemplo BBBB10-1)."
)


@dataclass(frozen=True)
class Plate:
    """A valid plate in canonical form, its kind, and its check digit when it can be computed.

    ``check_digit_verified`` is True only when a check digit was given and matched the computed
    one; a plate given without one, or whose digit cannot be computed, has it False.
    """

    value: str
    kind: PlateKind
    check_digit: str | None
    check_digit_given: bool
    check_digit_verified: bool

    @property
    def with_check_digit(self) -> str:
        """``"BBBB10-1"`` when the check digit is known, else just the plate."""
        return f"{self.value}-{self.check_digit}" if self.check_digit is not None else self.value

    def __str__(self) -> str:
        return self.value


def plate_digits(value: str, kind: PlateKind) -> str | None:
    """The digit string the check digit is computed on, or None if a letter is not in the tables."""
    if kind in (PlateKind.CAR_OLD, PlateKind.MOTORCYCLE_OLD):
        series = OLD_FORMAT_SERIES_DIGITS.get(value[:2])
        return None if series is None else series + value[2:]
    return "".join(CURRENT_FORMAT_LETTER_DIGITS.get(char, char) for char in value)


def plate_check_digit(value: str, kind: PlateKind) -> str | None:
    """The Registro Civil check digit of a canonical plate, or None if it cannot be computed."""
    digits = plate_digits(value, kind)
    return None if digits is None else mod11_check_digit(digits)


def _kind_of(candidate: str) -> PlateKind | None:
    for kind, shape in _SHAPES:
        if shape.match(candidate):
            return kind
    return None


def _expand_short_motorcycle(candidate: str) -> str:
    match = _SHORT_MOTORCYCLE.match(candidate)
    if match and len(match.group(1)) + len(match.group(2)) == 5:
        return match.group(1) + "0" + match.group(2)
    return candidate


def parse_plate(text: object, *, field: str = "plate") -> Plate:
    """A Plate from any accepted spelling, or InvalidInput(invalid_plate).

    The message tells a format problem from a wrong check digit and never repeats the plate.
    """
    if not isinstance(text, str):
        raise InvalidInput(_FORMAT_MESSAGE, code="invalid_plate", field=field)
    cleaned = _SEPARATORS.sub("", fold(text)).upper()
    if not cleaned.isascii():  # other scripts' digits, combining accents: never stored
        raise InvalidInput(_FORMAT_MESSAGE, code="invalid_plate", field=field)
    given: str | None = None
    if len(cleaned) == 7:
        cleaned, given = cleaned[:6], cleaned[6]
        if given not in "0123456789K":
            raise InvalidInput(_FORMAT_MESSAGE, code="invalid_plate", field=field)
    elif len(cleaned) == 5:
        cleaned = _expand_short_motorcycle(cleaned)
    kind = _kind_of(cleaned)
    if kind is None:
        raise InvalidInput(_FORMAT_MESSAGE, code="invalid_plate", field=field)
    computed = plate_check_digit(cleaned, kind)
    if given is not None and computed is not None and given != computed:
        raise InvalidInput(
            "El dígito verificador de la patente no corresponde; revise la patente ingresada.",
            code="invalid_plate",
            field=field,
        )
    return Plate(
        value=cleaned,
        kind=kind,
        check_digit=computed,
        check_digit_given=given is not None,
        check_digit_verified=given is not None and computed is not None,
    )


def normalize_plate(text: object, *, field: str = "plate") -> str:
    """The canonical 6-character plate (``"bb-bb10"`` → ``"BBBB10"``), or InvalidInput."""
    return parse_plate(text, field=field).value
