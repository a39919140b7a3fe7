"""The Spanish labels citizens and officials read, shared by receipts, e-mails, reports and pages.

One table per thing named, so a receipt, its e-mail and the verification page never word the same
thing two ways. (Tables worded for one screen only stay with that screen.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

MONTHS: Final = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
                 "noviembre", "diciembre")
MONTHS_SHORT: Final = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
INSTALLMENT_TEXT: Final = {"full": "Pago total", "first": "Primera cuota", "second": "Segunda cuota"}
"""A permit's installment, capitalised as a label (lower-case inside a sentence)."""
PAYMENT_METHOD_TEXT: Final = {
    "credito": "Tarjeta de crédito",
    "debito": "Tarjeta de débito",
    "casas_comerciales": "Tarjeta de casa comercial",
    "transferencia": "Transferencia bancaria",
}
"""How the citizen paid, as a receipt and its e-mail print it."""
SIGNER_ROLE_TEXT: Final = {
    "tesorero": "Tesorero(a) Municipal",
    "tesorero_subrogante": "Tesorero(a) Municipal Subrogante",
    "director_finanzas": "Director(a) de Administración y Finanzas",
    "alcalde": "Alcalde(sa)",
}
"""The role printed in a receipt's signature stamp, by the signer's profile."""
CHECK_TEXT: Final = {"insurance": "SOAP", "inspection": "revisión técnica", "emissions": "gases",
                     "fines": "multas impagas"}
"""A permit's prerequisites checked online, as a receipt lists them."""


def display_name(config: Mapping[str, Any]) -> str:
    """``"Municipalidad de Santiago"`` (or the configured display name) of a municipality's settings."""
    return str(config.get("display_name") or f"Municipalidad de {config.get('name', config.get('code', ''))}")


def month_text(month: str) -> str:
    """``"2027-01"`` → ``"enero de 2027"`` (anything else as given)."""
    match = re.match(r"^(\d{4})-(\d{2})$", month)
    if not match or not 1 <= int(match.group(2)) <= 12:
        return month
    return f"{MONTHS[int(match.group(2)) - 1]} de {match.group(1)}"


def thousands(value: int) -> str:
    """``12.345``: a count with Chilean thousands separators (amounts: `money.format_clp`)."""
    return f"{value:,}".replace(",", ".")
