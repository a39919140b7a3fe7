"""A plate's owed earlier permits (domain/back_years.py), read from the national record of paid
permits, and the rule that a new permit is paid only after (or together with) them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from chalicelib.domain.back_years import owed_years, window, years_text
from chalicelib.domain.errors import RuleRefused
from chalicelib.domain.payments import permit_hold_keys

RULE = ("DL 3063 art. 12 (permiso anual): los permisos de años anteriores no pagados se pagan, reajustados y con "
        "intereses del art. 53 del Código Tributario, antes del permiso del año o en el mismo pago")
SOURCE = ("registro nacional de permisos pagados en esta plataforma; un permiso pagado fuera de ella no figura: "
          "si lo pagó, presente el comprobante en la municipalidad")


def paid_years(plate: str, year: int, holds: Mapping[str, Mapping[str, Any]]) -> list[int]:
    """Years of the window with an installment paid, per the national record: `holds` are the
    plate's permit holds by item key (`PaymentRepository.permit_holds`, one Query for every year)."""
    return [earlier for earlier in window(year)
            if any((holds.get(key) or {}).get("status") == "paid" for key in permit_hold_keys(plate, earlier, "full"))]


def owed(plate: str, year: int, vehicle: dict[str, Any], holds: Mapping[str, Mapping[str, Any]]) -> tuple[int, ...]:
    """The earlier years ``plate`` owes before the permit of ``year`` (``holds``: the plate's
    permit holds, as for `paid_years`)."""
    return owed_years(year, paid_years(plate, year, holds),
                      first_registration_year=_first_registration_year(vehicle))


def require_paid_or_in_cart(plate: str, year: int, owed_years_: tuple[int, ...], in_cart: Iterable[int], *,
                            field: str) -> None:
    """RuleRefused(back_years_owed, 422) naming the owed years not in the same payment."""
    missing = [y for y in owed_years_ if y not in set(in_cart)]
    if missing:
        raise RuleRefused(
            f"El vehículo {plate} adeuda el permiso de circulación de {years_text(missing)}: páguelo antes del "
            f"permiso {year} o inclúyalo en el mismo pago (cada año con reajuste e intereses, art. 53 del Código "
            "Tributario).",
            code="back_years_owed", field=field)


def _first_registration_year(vehicle: dict[str, Any]) -> int | None:
    value = vehicle.get("first_registration")
    if isinstance(value, date):
        return value.year
    if isinstance(value, str) and len(value) >= 4 and value[:4].isdigit():
        return int(value[:4])
    return None
