"""Public signature routes: a certificate's status (the platform CA's revocation list, one serial
at a time) and the verification of any signed PDF (receipt, batch, agreement). No credentials:
whoever holds a signed document may check it."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.http import api_view, json_response, typed
from chalicelib.api.models_signatures import CertificateStatusOut, SignedDocumentCheckOut
from chalicelib.api.operations import operation
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.services import signatures

bp = Blueprint(__name__)

PDF_TYPES = ["application/pdf", "application/octet-stream"]


@bp.route("/v1/trust/certificates/{serial}", methods=["GET"], cors=True)
@operation("getCertificateStatus",
           "Estado de un certificado de firma emitido por la plataforma (vigente o revocado, con fecha y motivo)",
           tag="signatures", errors=(400, 404), response=CertificateStatusOut)
@api_view
def certificate_status(serial: str) -> Response:
    """good / revoked (with time and reason) for a certificate issued to an official."""
    body = signatures.certificate_status(serial, wiring.signatures_repo())
    return json_response(typed(CertificateStatusOut, body), headers={"Cache-Control": "no-store"})


@bp.route("/v1/trust/firmagob.pem", methods=["GET"], cors=True)
@operation("getFirmaGobChain", "Cadena de certificados publicada por FirmaGob (PEM) con que se validan las firmas "
           "avanzadas", tag="signatures", errors=(404,), media=("application/x-pem-file",))
@api_view
def firmagob_pem() -> Response:
    """FirmaGob's published chain (PEM) that FirmaGob-signed documents are validated against, as
    configured (`SEM_FIRMAGOB_CHAIN_PATH`); 404 where FirmaGob is not configured."""
    pem = wiring.firmagob_chain_pem()
    if not pem:
        raise NotFound("Esta instalación no usa FirmaGob.", code="firmagob_not_configured")
    return Response(body=pem.decode("ascii"), status_code=200,
                    headers={"Content-Type": "application/x-pem-file", "Cache-Control": "public, max-age=3600",
                             "Content-Disposition": 'inline; filename="firmagob.pem"'})


@bp.route("/v1/signatures/verify", methods=["POST"], cors=True, content_types=PDF_TYPES)
@operation("verifySignedDocument",
           "Verificar las firmas de un PDF (comprobante, nómina o convenio; cuerpo application/pdf, máx. 5 MB)",
           tag="signatures", errors=(400, 404),
           extra={"requestBody": {"required": True, "content": {
               "application/pdf": {"schema": {"type": "string", "format": "binary"}}}}},
           response=SignedDocumentCheckOut)
@api_view
def verify() -> Response:
    """The signatures of the PDF sent as the body (at most 5 MB): signer, profile, municipality,
    time, integrity, trust, and whether the certificate was valid when it signed."""
    from chalicelib.signing.ca import ca_chain_pem

    raw = bp.current_request.raw_body or b""
    if isinstance(raw, str):  # pragma: no cover - a text body is not a PDF
        raw = raw.encode("latin-1", errors="replace")
    if not raw:
        raise InvalidInput("Envíe el PDF firmado como cuerpo de la solicitud.", code="not_a_pdf")
    signatures.check_pdf(raw)  # a non-PDF is a 400 whether or not the platform CA exists yet
    try:
        platform_pem = ca_chain_pem(wiring.receipts_store())
    except NotFound:  # nothing was ever signed with the platform CA (a FirmaGob deployment)
        platform_pem = b""
    body = signatures.verify_pdf(raw, trust_roots_pem=platform_pem, repo=wiring.signatures_repo(),
                                 firmagob_chain_pem=wiring.firmagob_chain_pem())
    return json_response(typed(SignedDocumentCheckOut, body), headers={"Cache-Control": "no-store"})
