"""Public receipt routes: verify a receipt by folio and code (where its QR points; a page for people,
JSON for API clients), check an uploaded PDF against it, the CA chain its signature validates
against and the public keys of the tokens in its QR. None needs a portal key: a printed receipt is
shown to anyone (a police check, a bank, an employer)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from chalice.app import Blueprint, Request, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.http import api_view, json_response, parse_query, source_address, typed
from chalicelib.api.models import ReceiptVerificationOut, Strict
from chalicelib.api.operations import operation
from chalicelib.api.pages import colors, logo_data_uri, page_or_api_view, render, wants_html
from chalicelib.api.uploads import UPLOAD_TYPES, uploaded_pdf
from chalicelib.domain.errors import NotFound
from chalicelib.domain.receipt_codes import FOLIO_PATTERN
from chalicelib.services import verification

bp = Blueprint(__name__)


class VerifyQuery(Strict):
    """Query of `GET /v1/receipts/verify` (as printed on the receipt and in its QR)."""

    folio: str = Field(pattern=FOLIO_PATTERN, max_length=30, description="Folio, p. ej. 13101-2027-000123.",
                       examples=["13101-2027-000123"])
    code: str = Field(min_length=10, max_length=16, description="Código de verificación, p. ej. K7P39-XQ2M4.",
                      examples=["K7P39-XQ2M4"])


def _request() -> Request | None:
    return bp.current_request


def _receipt_page(body: dict[str, Any], query: VerifyQuery) -> Response:
    code = body["municipality"]["code"]
    config = wiring.municipalities().get(code)
    action = f"/v1/receipts/verify?{urlencode({'folio': query.folio, 'code': query.code})}"
    return render("receipt.html.j2", {"title": f"Comprobante {body['folio']}", "heading": body["municipality"]["name"],
                                      "subheading": "Verificación de comprobante de pago", "receipt": body,
                                      "colors": colors(config), "form_action": action, "privacy_municipality": code,
                                      "logo": logo_data_uri(wiring.municipal_logos().logo(code))})


@bp.route("/v1/receipts/verify", methods=["GET"], cors=True)
@operation("verifyReceipt",
           "Verificar un comprobante por folio y código (destino del QR): JSON, o una página si se pide text/html; "
           "429 tras demasiados intentos fallidos",
           tag="receipts", query=VerifyQuery, response=ReceiptVerificationOut, errors=(400, 404, 429, 503))
@page_or_api_view(_request)
def verify() -> Response:
    """A receipt by folio and code (where its QR points): state (valid or annulled), municipality,
    items as printed, amount, signature and the stored PDF's SHA-256 — nothing about the payer. A
    page for browsers, JSON for API clients (same fields). Unknown folio and wrong code get the
    same 404."""
    request = bp.current_request
    query = parse_query(request, VerifyQuery)
    body = verification.receipt_verification(query.folio, query.code, wiring.verification_context(),
                                             source=source_address(request))
    if wants_html(request):
        return _receipt_page(body, query)
    return json_response(typed(ReceiptVerificationOut, body),
                         headers={"Cache-Control": "no-store", "Vary": "Accept"})


@bp.route("/v1/receipts/verify", methods=["POST"], cors=True, content_types=UPLOAD_TYPES)
@operation("verifyReceiptUpload",
           "Comprobar que un PDF es el comprobante emitido (SHA-256) y que su firma es válida (multipart/form-data "
           "con el campo pdf, o application/pdf; máx. 5 MB)",
           tag="receipts", query=VerifyQuery, errors=(400, 404, 429, 503),
           extra={"requestBody": {"required": True, "content": {
               "application/pdf": {"schema": {"type": "string", "format": "binary"}},
               "multipart/form-data": {"schema": {"type": "object", "properties": {
                   "pdf": {"type": "string", "format": "binary"}}, "required": ["pdf"]}}}}})
@page_or_api_view(_request)
def verify_upload() -> Response:
    """The same, plus whether the PDF sent (a form's `pdf` file, or the body as application/pdf)
    is the very PDF the platform stored and whether its signature holds."""

    request = bp.current_request
    query = parse_query(request, VerifyQuery)
    pdf = uploaded_pdf(request)
    body = verification.check_uploaded_pdf(query.folio, query.code, pdf, wiring.verification_context(),
                                           source=source_address(request),
                                           trust_roots_pem=wiring.trust_roots_pem())
    if wants_html(request):
        return _receipt_page(body, query)
    return json_response(body, headers={"Cache-Control": "no-store", "Vary": "Accept"})


@bp.route("/v1/trust/jwks.json", methods=["GET"], cors=True)
@operation("getTrustJwks",
           "Llaves públicas (JWKS, ES256) que verifican sin conexión el token firmado del QR de los comprobantes",
           tag="receipts")
@api_view
def jwks() -> Response:
    """The public keys (JWKS) that verify the signed tokens in receipts' QR codes, offline."""
    signer = wiring.receipt_token_signer()
    keys = []
    for municipality in wiring.municipalities().list_all():
        try:
            keys.append(signer.jwk(str(municipality["code"]), create=False))
        except NotFound:
            continue  # no receipt issued there yet: no key
    return json_response({"keys": keys}, headers={"Cache-Control": "public, max-age=300"})


@bp.route("/v1/trust/ca.pem", methods=["GET"], cors=True)
@operation("getTrustCaCertificate", "Cadena de certificados (PEM) con que se validan las firmas de los comprobantes",
           tag="receipts", errors=(404,))
@api_view
def ca_pem() -> Response:
    """The platform CA certificate (PEM) that receipts' signatures chain to."""
    from chalicelib.signing.ca import PEM_CONTENT_TYPE, ca_chain_pem

    pem = ca_chain_pem(wiring.receipts_store())
    return Response(body=pem.decode("ascii"), status_code=200,
                    headers={"Content-Type": PEM_CONTENT_TYPE, "Cache-Control": "public, max-age=3600",
                             "Content-Disposition": 'inline; filename="sem-ca.pem"'})
