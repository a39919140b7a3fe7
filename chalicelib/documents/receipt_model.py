"""What a receipt (comprobante de pago) shows: plain, immutable data, no I/O, no heavy imports.

The worker fills a `ReceiptDocument` from the payment, the municipality's settings and the folio,
and hands it to `chalicelib.documents.receipt_pdf.build_receipt_pdf`. Every text here is already what the
citizen reads (formatted RUT, Spanish labels of breakdown lines); amounts are whole pesos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class Municipality:
    """The issuing municipality as printed on the receipt."""

    code: str
    """5-digit CUT code, e.g. ``"13101"``."""
    name: str
    """Short name, e.g. ``"Municipalidad de Santiago"``."""
    legal_name: str
    """Registered name, e.g. ``"Ilustre Municipalidad de Santiago"``."""
    address: str
    region: str


@dataclass(frozen=True)
class Branding:
    """The municipality's look & feel. Defaults: `chalicelib.documents.branding.default_branding`."""

    primary_color: str
    """``#RRGGBB``: the header band, title and total."""
    secondary_color: str
    """``#RRGGBB``: the accent strip and rules."""
    logo_png: bytes | None = None
    """The logo as PNG bytes; ``None`` prints the platform's neutral placeholder."""
    header_text: str = ""
    """A line under the municipality's name, e.g. ``"Dirección de Administración y Finanzas"``."""
    footer_text: str = ""
    """A line at the foot of the page, e.g. opening hours or a help desk address."""

    def __post_init__(self) -> None:
        for name in ("primary_color", "secondary_color"):
            value = getattr(self, name)
            if not _HEX_COLOUR.match(value):
                raise ValueError(f"{name} must be #RRGGBB, got {value!r}")


@dataclass(frozen=True)
class ReceiptItem:
    """One paid item and how its amount was computed."""

    description: str
    amount: int
    breakdown: tuple[tuple[str, str], ...] = ()
    """``(label, value text)`` lines, e.g. ``("Tasación fiscal", "$8.500.000")``."""


@dataclass(frozen=True)
class GatewayInfo:
    """What the payment gateway (TGR) reported for the payment."""

    reference: str
    """TGR's transaction reference."""
    authorization_code: str
    payment_method: str
    """As the citizen reads it, e.g. ``"Tarjeta de débito"``."""
    collector: str = "Tesorería General de la República"


@dataclass(frozen=True)
class ReceiptDocument:
    """Everything printed on one receipt."""

    municipality: Municipality
    branding: Branding
    folio: str
    """Unique per municipality and year, e.g. ``"13101-2027-000123"``."""
    issued_at: datetime
    """Timezone-aware (printed in its own offset, normally Chile's)."""
    payer_rut: str
    """Already formatted: ``"12.345.678-5"``."""
    payer_name: str
    items: tuple[ReceiptItem, ...]
    total: int
    gateway: GatewayInfo
    verification_code: str
    verify_url: str
    """Where the QR points: ``…/v1/receipts/verify?folio=…&code=…``."""
    qr_payload: str = ""
    """What the QR encodes when not just `verify_url`: the URL with the signed token in its
    fragment (``…#t=<JWS>``, docs/verification.md)."""
    title: str = "COMPROBANTE DE PAGO"
    extra_notes: tuple[str, ...] = field(default=())
    """Optional short lines printed under the items (e.g. "Primera cuota de 2")."""
    signature_note: str = ""
    """The signature block's legend: what the signature is (`SignatureKind.legend`); empty: the
    generic "firmado electrónicamente" note, which claims no level."""

    def __post_init__(self) -> None:
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must carry its UTC offset")
        if not self.items:
            raise ValueError("a receipt needs at least one item")
        if sum(item.amount for item in self.items) != self.total:
            raise ValueError("total must equal the sum of the items' amounts")
