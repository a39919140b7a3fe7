"""Input checks shared by the rules: each bad value becomes an InvalidInput with a code and field.

The limits are sanity caps against typing mistakes and abuse, not legal limits; they are named
here once so every rule refuses the same things in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Final, TypeVar

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import format_clp

MIN_YEAR: Final = 1990
MAX_YEAR: Final = 2100
MAX_PESOS: Final = 10_000_000_000
"""Largest tasación or invoice value accepted (about 140.000 UTM): above it is surely a typo."""
MAX_CAPITAL_PESOS: Final = 100_000_000_000_000
"""Largest capital propio accepted for a patente (far above any Chilean company's equity)."""
MAX_CAPACITY_KG: Final = 100_000

E = TypeVar("E", bound=StrEnum)


def require_int(value: object, *, field: str, code: str, minimum: int, maximum: int, what: str) -> int:
    """An int (never a bool or float) within [minimum, maximum], or InvalidInput naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} debe ser un número entero.", code=code, field=field)
    if value < minimum or value > maximum:
        raise InvalidInput(
            f"{what} debe estar entre {minimum} y {maximum}; se recibió {value}.", code=code, field=field
        )
    return value


def require_pesos(value: object, *, field: str, code: str, what: str, maximum: int = MAX_PESOS) -> int:
    """Whole pesos from 0 to ``maximum``, with a message that shows the limit as pesos."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{what} debe ser un monto entero en pesos.", code=code, field=field)
    if value < 0:
        raise InvalidInput(f"{what} no puede ser negativo.", code=code, field=field)
    if value > maximum:
        raise InvalidInput(
            f"{what} supera el máximo aceptado ({format_clp(maximum)}); revise el monto.",
            code=code,
            field=field,
        )
    return value


def require_year(value: object, *, field: str = "year", code: str = "invalid_year") -> int:
    """A calendar year between MIN_YEAR and MAX_YEAR."""
    return require_int(value, field=field, code=code, minimum=MIN_YEAR, maximum=MAX_YEAR, what="El año")


def require_month(value: object, *, field: str, code: str = "invalid_month") -> int:
    """A month number, 1 to 12."""
    return require_int(value, field=field, code=code, minimum=1, maximum=12, what="El mes")


def require_enum(enum: type[E], value: object, *, field: str, code: str, what: str) -> E:
    """A member of ``enum`` given as the member or its string value."""
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    accepted = ", ".join(member.value for member in enum)
    raise InvalidInput(f"{what} no es válido. Valores aceptados: {accepted}.", code=code, field=field)


def require_date(value: object, *, field: str, code: str = "invalid_date") -> date:
    """A date given as ``date`` or ISO text ``YYYY-MM-DD``, within the accepted years."""
    if isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                "La fecha debe tener el formato AAAA-MM-DD (por ejemplo 2027-03-31).", code=code, field=field
            ) from None
    else:
        raise InvalidInput("La fecha debe tener el formato AAAA-MM-DD.", code=code, field=field)
    require_year(day.year, field=field, code=code)
    return day


def require_decimal(value: object, *, field: str, code: str, what: str) -> Decimal:
    """A finite Decimal from a Decimal, int or numeric string (floats are refused: not exact)."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int) and not isinstance(value, bool):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise InvalidInput(f"{what} debe ser un número.", code=code, field=field) from None
    else:
        raise InvalidInput(f"{what} debe ser un número exacto (texto o entero).", code=code, field=field)
    if not result.is_finite():
        raise InvalidInput(f"{what} debe ser un número finito.", code=code, field=field)
    return result


def require_mapping(value: object, *, field: str, code: str = "invalid_input") -> Mapping[str, object]:
    """A JSON object."""
    if not isinstance(value, Mapping):
        raise InvalidInput("Se esperaba un objeto JSON.", code=code, field=field)
    return value
