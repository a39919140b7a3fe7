"""Whole Chilean pesos: the one rounding rule, exact splits, and how amounts and dates are shown.

Every amount the platform charges is a whole number of pesos (``int``). Intermediate values
(a bracket's 1% of a tasación, a UTM fraction, an IPC adjustment) are exact ``Decimal``s and are
turned into pesos by :func:`to_pesos` and nothing else.

THE ROUNDING RULE: round half up to the whole peso (``ROUND_HALF_UP``: 0.5 goes to the next peso,
e.g. half of UTM 69.751 = 34.875,5 → $34.876, the published 2026 permit minimum). It is applied
once to every amount that is shown as its own line (the permit, each installment, an IPC
adjustment, interest, a semester, the FCM share), never to the exact values that make up a line.
"""

from __future__ import annotations

import decimal
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

ROUNDING: Final = ROUND_HALF_UP
ROUNDING_RULE_TEXT: Final = (
    "redondeo al peso entero más cercano; 0,5 se redondea hacia arriba (ROUND_HALF_UP)"
)

# Exact arithmetic room: tasaciones up to 10^10 pesos times rates with a few decimals, divided by
# 12 at most, never come near 50 significant digits.
_CONTEXT: Final = decimal.Context(prec=50, rounding=ROUND_HALF_UP)


def exact(value: Decimal | int | str) -> Decimal:
    """A Decimal for exact domain arithmetic (ints and numeric strings are converted exactly)."""
    return value if isinstance(value, Decimal) else Decimal(value)


def mul(*factors: Decimal | int) -> Decimal:
    """Exact product in the domain's 50-digit context."""
    result = Decimal(1)
    for factor in factors:
        result = _CONTEXT.multiply(result, exact(factor))
    return result


def div(numerator: Decimal | int, denominator: Decimal | int) -> Decimal:
    """Division in the domain's 50-digit context (exact for every ratio the rules use but /12)."""
    return _CONTEXT.divide(exact(numerator), exact(denominator))


def to_pesos(value: Decimal | int) -> int:
    """The one rounding rule: to the whole peso, half up (see the module docstring)."""
    return int(exact(value).quantize(Decimal(1), rounding=ROUNDING))


def split_in_halves(amount: int) -> tuple[int, int]:
    """Two installments that add up exactly to ``amount``; an odd peso goes to the first.

    ``first = amount − amount // 2`` (half rounded up), ``second = amount // 2``.
    """
    second = amount // 2
    return amount - second, second


def split_evenly(amount: int, parts: int) -> list[int]:
    """``parts`` installments that add up exactly to ``amount``.

    Each part is ``amount // parts``; the leftover pesos (fewer than ``parts``) go one each to the
    earliest installments, so no installment differs from another by more than one peso.
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    base, leftover = divmod(amount, parts)
    return [base + 1 if index < leftover else base for index in range(parts)]


def format_clp(amount: int) -> str:
    """Pesos as a Chilean reads them: ``12345`` → ``"$12.345"``, ``-5000`` → ``"-$5.000"``."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,}".replace(",", ".")


def format_date(day: date) -> str:
    """A date as a Chilean reads it: ``2027-03-31`` → ``"31-03-2027"``."""
    return day.strftime("%d-%m-%Y")


def decimal_text(value: Decimal | int) -> str:
    """A Decimal as a plain JSON string without exponent or trailing zeros (``"38799.6"``)."""
    text = format(exact(value).normalize(), "f")
    return "0" if text in {"-0", ""} else text


def percent_text(rate: Decimal) -> str:
    """A rate as a Chilean reads it: ``Decimal("0.015")`` → ``"1,5%"``."""
    return decimal_text(mul(rate, 100)).replace(".", ",") + "%"
