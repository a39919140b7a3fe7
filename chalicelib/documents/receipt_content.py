"""What a receipt says, from a paid payment: its items and how each amount was computed, in
Spanish (`ReceiptDocument`, drawn by `receipt_pdf.build_receipt_pdf`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chalicelib.domain.labels import CHECK_TEXT, INSTALLMENT_TEXT, PAYMENT_METHOD_TEXT, display_name, month_text
from chalicelib.domain.money import format_clp, format_date
from chalicelib.domain.receipt_codes import verify_url
from chalicelib.domain.rut import parse_rut

if TYPE_CHECKING:
    from chalicelib.documents.receipt_model import Branding, ReceiptDocument


def branding_of(config: Mapping[str, Any], logo: bytes | None = None) -> Branding:
    """The municipality's look (its `branding` setting and logo) with the defaults filled in."""
    from chalicelib.documents.branding import branding_with_defaults

    return branding_with_defaults(dict(config.get("branding") or {}), logo)


def receipt_document(payment: Mapping[str, Any], item_rows: list[dict[str, Any]], config: Mapping[str, Any],
                     allocation: Mapping[str, Any], logo: bytes | None, public_api_url: str) -> ReceiptDocument:
    """The `ReceiptDocument` of a paid payment and its folio."""
    from chalicelib.documents.receipt_model import GatewayInfo, Municipality, ReceiptDocument, ReceiptItem

    rows = {int(r.get("index", i)): r for i, r in enumerate(item_rows)}
    items = []
    for index, item in enumerate(payment["items"]):
        breakdown = (rows.get(index) or {}).get("breakdown") or {}
        items.append(ReceiptItem(description=str(item["description"]), amount=int(item["amount"]),
                                 breakdown=tuple(breakdown_lines(item, breakdown))))
    folio = str(allocation["folio"])
    code = str(allocation["verification_code"])
    return ReceiptDocument(
        municipality=Municipality(code=str(payment["municipality"]), name=display_name(config),
                                  legal_name=str(config.get("legal_name", "")), address=str(config.get("address", "")),
                                  region=str(config.get("region", ""))),
        branding=branding_of(config, logo),
        folio=folio,
        issued_at=datetime.fromisoformat(str(allocation["issued_at"])),
        payer_rut=parse_rut(payment["payer"]["rut"]).formatted,
        payer_name=str(payment["payer"]["name"]),
        items=tuple(items),
        total=int(payment["amount"]),
        gateway=GatewayInfo(reference=str(payment.get("order_id") or ""),
                            authorization_code=str(payment.get("authorization_code") or ""),
                            payment_method=PAYMENT_METHOD_TEXT.get(str(payment.get("method")),
                                                                   str(payment.get("method")))),
        verification_code=code,
        verify_url=verify_url(public_api_url, folio, code),
        extra_notes=tuple(_notes(payment)),
    )


def breakdown_lines(item: Mapping[str, Any], breakdown: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The lines printed under an item: how its amount was computed, in Spanish."""
    lines: list[tuple[str, str]] = []
    if item.get("type") == "permit":
        base = breakdown.get("base") or {}
        if base.get("kind") == "tasacion" and base.get("value") is not None:
            lines.append(("Tasación fiscal del vehículo (SII)", format_clp(int(base["value"]))))
        utm = breakdown.get("utm") or {}
        if utm.get("value") is not None:
            lines.append((f"UTM de {month_text(str(utm.get('month', '')))}", format_clp(int(utm["value"]))))
        for line in breakdown.get("lines") or []:
            if line.get("amount") is not None and line.get("label") != "Total a pagar":
                lines.append((str(line["label"]), format_clp(int(line["amount"]))))
        lines.append(("Cuota", INSTALLMENT_TEXT.get(str(item.get("installment")), str(item.get("installment")))))
        checks = breakdown.get("checks") or {}
        if checks and all((c or {}).get("status") == "ok" for c in checks.values()):
            names = ", ".join(CHECK_TEXT.get(name, name) for name in checks)
            lines.append(("Requisitos verificados en línea", f"{names}: en regla"))
    else:
        if breakdown.get("period"):
            lines.append(("Período", str(breakdown["period"])))
        if breakdown.get("due_date"):
            lines.append(("Vencimiento", format_date(datetime.fromisoformat(str(breakdown["due_date"])).date())))
        if breakdown.get("source"):
            lines.append(("Origen", str(breakdown["source"]).capitalize()))
    return lines


def _notes(payment: Mapping[str, Any]) -> list[str]:
    notes = []
    for item in payment.get("items", []):
        if item.get("type") == "permit" and item.get("installment") == "first":
            notes.append(f"Permiso {item.get('year')} {item.get('plate')}: primera cuota; la segunda cuota queda "
                         "pendiente de pago.")
    return notes
