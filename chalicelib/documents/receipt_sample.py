"""A realistic receipt for previews, tests and the benchmark (a light-vehicle circulation permit)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from chalicelib.documents.branding import default_branding
from chalicelib.documents.receipt_model import (
    Branding,
    GatewayInfo,
    Municipality,
    ReceiptDocument,
    ReceiptItem,
)

CHILE_SUMMER = timezone(timedelta(hours=-3))


def sample_document(*, branding: Branding | None = None, folio: str = "13101-2027-000123",
                    verify_base: str = "https://sem.example.gob.cl") -> ReceiptDocument:
    """A two-item receipt of Santiago with the default (or the given) branding."""
    code = "K7P3-9XQ2-M4RT"
    return ReceiptDocument(
        municipality=Municipality(
            code="13101",
            name="Municipalidad de Santiago",
            legal_name="Ilustre Municipalidad de Santiago",
            address="Plaza de Armas s/n, Santiago",
            region="Región Metropolitana de Santiago",
        ),
        branding=branding or default_branding(),
        folio=folio,
        issued_at=datetime(2027, 3, 31, 14, 5, 9, tzinfo=CHILE_SUMMER),
        payer_rut="12.345.678-5",
        payer_name="María José Fernández Rojas",
        items=(
            ReceiptItem(
                description="Permiso de circulación 2027 · Automóvil · Placa patente KHTR-54",
                amount=84_312,
                breakdown=(
                    ("Tasación fiscal del vehículo (SII)", "$8.500.000"),
                    ("Tramo: sobre 4 UTM y hasta 8 UTM, tasa 1,5%", "$76.812"),
                    ("Impuesto mínimo de la Ley de Rentas Municipales", "$7.500"),
                    ("Cuota", "Pago total"),
                ),
            ),
            ReceiptItem(
                description="Seguro obligatorio de accidentes personales (SOAP) — verificado",
                amount=0,
                breakdown=(("Aseguradora · póliza", "Consorcio · 99812345"),),
            ),
        ),
        total=84_312,
        gateway=GatewayInfo(reference="TGR-2027-03-31-7781204", authorization_code="583920",
                            payment_method="Tarjeta de débito"),
        verification_code=code,
        verify_url=f"{verify_base}/v1/receipts/verify?folio={folio}&code={code}",
    )
