"""Public receipt routes: verify a receipt by folio and code (where its QR points), and the CA
chain its signature validates against. Neither needs a portal key: a printed receipt is shown to
anyone (a police check, a bank, an employer)."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.http import api_view, json_response, parse_query, source_address
from chalicelib.api.models import Strict
from chalicelib.api.openapi import EXTRA_OPERATIONS, Operation
from chalicelib.services.receipts import FOLIO_PATTERN, verify_receipt

bp = Blueprint(__name__)


class VerifyQuery(Strict):
    """Query of `GET /v1/receipts/verify` (as printed on the receipt and in its QR)."""

    folio: str = Field(pattern=FOLIO_PATTERN, max_length=30, description="Folio, p. ej. 13101-2027-000123.",
                       examples=["13101-2027-000123"])
    code: str = Field(min_length=10, max_length=16, description="Código de verificación, p. ej. K7P39-XQ2M4.",
                      examples=["K7P39-XQ2M4"])


@bp.route("/v1/receipts/verify", methods=["GET"], cors=True)
@api_view
def verify() -> Response:
    """Whether a receipt with this folio and code was issued: municipality, amount, date and
    signature — nothing about the payer. Unknown folio and wrong code get the same 404."""
    query = parse_query(bp.current_request, VerifyQuery)
    body = verify_receipt(query.folio, query.code, wiring.receipts_repo(), wiring.municipalities(),
                          limiter=wiring.rate_limiter(), source=source_address(bp.current_request))
    return json_response(body, headers={"Cache-Control": "no-store"})


@bp.route("/v1/trust/ca.pem", methods=["GET"], cors=True)
@api_view
def ca_pem() -> Response:
    """The platform CA certificate (PEM) that receipts' signatures chain to."""
    from chalicelib.signing.ca import PEM_CONTENT_TYPE, ca_chain_pem

    pem = ca_chain_pem(wiring.receipts_store())
    return Response(body=pem.decode("ascii"), status_code=200,
                    headers={"Content-Type": PEM_CONTENT_TYPE, "Cache-Control": "public, max-age=3600",
                             "Content-Disposition": 'inline; filename="sem-ca.pem"'})


EXTRA_OPERATIONS[("/v1/receipts/verify", "GET")] = Operation(
    "Verificar un comprobante por folio y código (destino del QR); 429 tras demasiados intentos fallidos",
    "comprobantes", query=VerifyQuery, errors=(400, 404, 429, 503))
EXTRA_OPERATIONS[("/v1/trust/ca.pem", "GET")] = Operation(
    "Cadena de certificados (PEM) con que se validan las firmas de los comprobantes", "comprobantes",
    errors=(404,))
