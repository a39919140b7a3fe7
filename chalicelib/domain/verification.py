"""What a receipt or a plate's permit is worth to whoever checks it: states and validity periods.

A circulation permit for year Y is paid once a year (DL 3.063 de 1979, Ley de Rentas Municipales,
art. 12) and covers 1 April Y to 31 March Y+1 (the permit period in `domain/prerequisites.py`). The
owners who may split it in two installments (art. 12; the classes with a `second_installment_due`
in `domain/reference_data.py`, all on 31 August) hold after the first installment alone a permit
valid until the second installment falls due, 31 August Y; once both are paid, until 31 March Y+1.

Receipt states: `valid` (issued) and `annulled` (set by the annulment that a later change brings;
the state is in the contract already so that every verifier shows it the day it exists).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

RECEIPT_VALID = "valid"
RECEIPT_ANNULLED = "annulled"


class PermitStatus(StrEnum):
    """A plate's permit for one year, nationally."""

    PAID = "paid"
    PARTIALLY_PAID = "partially_paid"
    NOT_PAID = "not_paid"
    ANNULLED = "annulled"


STATUS_TEXT = {
    PermitStatus.PAID: "Permiso pagado",
    PermitStatus.PARTIALLY_PAID: "Permiso pagado en parte (primera cuota)",
    PermitStatus.NOT_PAID: "Sin permiso pagado en la plataforma",
    PermitStatus.ANNULLED: "Permiso anulado",
}

INSTALLMENT_HALVES = {"full": ("1", "2"), "first": ("1",), "second": ("2",)}
"""Which halves of the year's permit an installment pays (the national holds, one per half)."""


def permit_valid_until(year: int, halves_paid: Iterable[str]) -> date | None:
    """Until when a year's permit is valid given the halves paid: both → 31 March Y+1; the first
    alone → 31 August Y; the second alone (never sold without the first) or none → None."""
    paid = set(halves_paid)
    if {"1", "2"} <= paid:
        return date(year + 1, 3, 31)
    if "1" in paid:
        return date(year, 8, 31)
    return None


def installment_valid_until(year: int, installment: str) -> date | None:
    """The validity a receipt for one installment shows: the full permit and the second
    installment complete the year; the first covers until the second falls due."""
    if installment in ("full", "second"):
        return date(year + 1, 3, 31)
    if installment == "first":
        return date(year, 8, 31)
    return None


def permit_status(halves: dict[str, str]) -> PermitStatus:
    """The year's state from its halves' states (`paid`, `annulled`, anything else = not paid)."""
    states = [halves.get(half, "") for half in ("1", "2")]
    if "annulled" in states and "paid" not in states:
        return PermitStatus.ANNULLED
    paid = sum(state == "paid" for state in states)
    if paid == 2:
        return PermitStatus.PAID
    if paid == 1:
        return PermitStatus.PARTIALLY_PAID
    return PermitStatus.NOT_PAID
