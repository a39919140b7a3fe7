"""Officials' advanced electronic signature: their own enrollment (certificate + TOTP), the daily
payment batch and its corrections (Tesorero), agreements (Alcalde; central administrator issues and
countersigns). Permissions in docs/roles.md; the scheme in docs/signatures.md."""

from __future__ import annotations

from datetime import date

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_body, parse_query, typed
from chalicelib.api.models import Strict, municipality_code
from chalicelib.api.models_signatures import (
    AgreementOut,
    AgreementsOut,
    BatchOut,
    EnrolledOut,
    EnrollmentOut,
    MySignatureOut,
)
from chalicelib.api.operations import operation
from chalicelib.services import agreements, batches, signatures
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

SIGN_ERRORS = (400, 401, 403, 404, 409, 422, 429, 503)
"""What a route that signs with a one-time code can answer."""

TEXT = r"^[^\x00-\x1f<>]+$"


class EnrollIn(Strict):
    """No RUN here: the certificate carries the one the administrator registered for the account."""

    otp: str | None = Field(default=None, pattern=r"^\d{6}$",
                            description="Código de la firma vigente: obligatorio para reemplazarla.")


class OtpIn(Strict):
    otp: str = Field(pattern=r"^\d{6}$", description="Código de un solo uso de 6 dígitos (aplicación TOTP).")


class BatchQuery(Strict):
    document: bool = Field(default=False, description="true: incluir un enlace al PDF por firmar (draft_url).")


class AgreementIn(Strict):
    valid_from: date = Field(description="Inicio de la vigencia (AAAA-MM-DD).")
    valid_until: date = Field(description="Fin de la vigencia (AAAA-MM-DD).")
    reference: str | None = Field(default=None, max_length=120, pattern=TEXT,
                                  description="Resolución o número del convenio.")


# -- own enrollment --------------------------------------------------------------------------------

@bp.route("/v1/admin/me/signature", methods=["GET"], cors=True)
@operation("getMySignature", "Mi firma electrónica: certificado, estado y bloqueo — signatures.enroll",
           tag="signatures", security="officialToken", errors=(401, 403), response=MySignatureOut)
@api_view
def my_signature() -> Response:
    """The official's signature: enrolled or not, certificate, lock."""
    official = authorized(bp.current_request, Permission.SIGNATURE_ENROLL)
    return json_response(typed(MySignatureOut, signatures.my_signature(official, wiring.signatures_context())))


@bp.route("/v1/admin/me/signature", methods=["POST"], cors=True)
@operation("enrollMySignature",
           "Enrolar mi firma: certificado (llave en KMS) y secreto TOTP (URI otpauth, se muestra una vez) — "
           "signatures.enroll",
           tag="signatures", body=EnrollIn, success=201, security="officialToken", errors=(400, 401, 403, 409, 503),
           response=EnrolledOut)
@api_view
def enroll() -> Response:
    """Issue the official's certificate and TOTP secret (the otpauth URI is shown once)."""
    official = authorized(bp.current_request, Permission.SIGNATURE_ENROLL)
    body = parse_body(bp.current_request, EnrollIn)
    answer = signatures.enroll(official, wiring.signatures_context(), otp=body.otp)
    return json_response(typed(EnrolledOut, answer), status=201, headers={"Cache-Control": "no-store"})


@bp.route("/v1/admin/me/signature/confirm", methods=["POST"], cors=True)
@operation("confirmMySignature", "Confirmar el enrolamiento con un primer código — signatures.enroll", tag="signatures",
           body=OtpIn, security="officialToken", errors=(400, 401, 403, 409, 429), response=EnrollmentOut)
@api_view
def confirm() -> Response:
    """Confirm the enrollment with a first code."""
    official = authorized(bp.current_request, Permission.SIGNATURE_ENROLL)
    body = parse_body(bp.current_request, OtpIn)
    return json_response(typed(EnrollmentOut, signatures.confirm(official, body.otp, wiring.signatures_context())))


# -- daily batch -------------------------------------------------------------------------------------

@bp.route("/v1/admin/municipalities/{code}/batches/{day}", methods=["GET"], cors=True)
@operation("getBatch",
           "Nómina de pagos del día: totales, pagos, versiones firmadas y corrección pendiente — batches.read",
           tag="signatures", query=BatchQuery, security="officialToken", errors=(400, 401, 403, 422), response=BatchOut)
@api_view
def batch(code: str, day: str) -> Response:
    """The day's batch: totals, payments, signed versions, pending correction."""
    authorized(bp.current_request, Permission.BATCHES_READ, code)
    query = parse_query(bp.current_request, BatchQuery)
    return json_response(typed(BatchOut, batches.view(code, day, wiring.batches_context(),
                                                      with_document=query.document)))


@bp.route("/v1/admin/municipalities/{code}/batches/{day}/sign", methods=["POST"], cors=True)
@operation("signBatch", "Firmar la nómina del día (una vez; inmutable) — batches.sign", tag="signatures", body=OtpIn,
           success=201, security="officialToken", errors=SIGN_ERRORS, response=BatchOut)
@api_view
def sign_batch(code: str, day: str) -> Response:
    """Sign the day's batch (once)."""
    official = authorized(bp.current_request, Permission.BATCHES_SIGN, code)
    body = parse_body(bp.current_request, OtpIn)
    return json_response(typed(BatchOut, batches.sign(code, day, body.otp, official, wiring.batches_context(),
                                                      correction=False)), status=201)


@bp.route("/v1/admin/municipalities/{code}/batches/{day}/corrections/sign", methods=["POST"], cors=True)
@operation("signBatchCorrection",
           "Firmar una corrección de la nómina (cambios posteriores a la última firma) — batches.sign",
           tag="signatures", body=OtpIn, success=201, security="officialToken", errors=SIGN_ERRORS, response=BatchOut)
@api_view
def sign_correction(code: str, day: str) -> Response:
    """Sign a correction: what changed since the last signed version of the day."""
    official = authorized(bp.current_request, Permission.BATCHES_SIGN, code)
    body = parse_body(bp.current_request, OtpIn)
    return json_response(typed(BatchOut, batches.sign(code, day, body.otp, official, wiring.batches_context(),
                                                      correction=True)), status=201)


# -- agreements --------------------------------------------------------------------------------------

@bp.route("/v1/admin/municipalities/{code}/agreements", methods=["GET"], cors=True)
@operation("listAgreements", "Convenios de la municipalidad y el vigente — agreements.read", tag="signatures",
           security="officialToken", errors=(401, 403, 404), response=AgreementsOut)
@api_view
def list_agreements(code: str) -> Response:
    """The municipality's agreements, newest first, and the one in force."""
    authorized(bp.current_request, Permission.AGREEMENTS_READ, code)
    return json_response(typed(AgreementsOut, agreements.list_agreements(code, wiring.agreements_context())))


@bp.route("/v1/admin/municipalities/{code}/agreements/{agreement_id}", methods=["GET"], cors=True)
@operation("getAgreement", "Un convenio y el enlace a su PDF — agreements.read", tag="signatures",
           security="officialToken", errors=(401, 403, 404), response=AgreementOut)
@api_view
def get_agreement(code: str, agreement_id: str) -> Response:
    """One agreement with a link to its latest PDF."""
    authorized(bp.current_request, Permission.AGREEMENTS_READ, code)
    return json_response(typed(AgreementOut, agreements.get(code, agreement_id, wiring.agreements_context())))


@bp.route("/v1/admin/municipalities/{code}/agreements/{agreement_id}/sign", methods=["POST"], cors=True)
@operation("signAgreement", "Firma del convenio por el Alcalde(sa) — agreements.sign", tag="signatures", body=OtpIn,
           security="officialToken", errors=SIGN_ERRORS, response=AgreementOut)
@api_view
def sign_agreement(code: str, agreement_id: str) -> Response:
    """The Alcalde signs the agreement."""
    official = authorized(bp.current_request, Permission.AGREEMENTS_SIGN, code)
    body = parse_body(bp.current_request, OtpIn)
    return json_response(typed(AgreementOut, agreements.sign_municipality(code, agreement_id, body.otp, official,
                                                                          wiring.agreements_context())))


@bp.route("/v1/admin/central/municipalities/{code}/agreements", methods=["POST"], cors=True)
@operation("issueAgreement", "Emitir un convenio (borrador PDF) para una municipalidad — agreements.issue",
           tag="central", body=AgreementIn, success=201, security="officialToken", errors=(400, 401, 403, 404),
           response=AgreementOut)
@api_view
def issue_agreement(code: str) -> Response:
    """The central administrator issues an agreement (PDF draft) for a municipality."""
    actor = authorized(bp.current_request, Permission.AGREEMENTS_ISSUE)
    municipality_code(code)
    body = parse_body(bp.current_request, AgreementIn)
    return json_response(typed(AgreementOut, agreements.issue(code, valid_from=body.valid_from,
                                                              valid_until=body.valid_until, reference=body.reference,
                                                              actor=actor, ctx=wiring.agreements_context())),
                         status=201)


@bp.route("/v1/admin/central/municipalities/{code}/agreements/{agreement_id}/countersign", methods=["POST"],
          cors=True)
@operation("countersignAgreement", "Firma del nivel central: el convenio entra en vigencia — agreements.countersign",
           tag="central", body=OtpIn, security="officialToken", errors=SIGN_ERRORS, response=AgreementOut)
@api_view
def countersign_agreement(code: str, agreement_id: str) -> Response:
    """The central administrator countersigns: the agreement enters into force."""
    actor = authorized(bp.current_request, Permission.AGREEMENTS_COUNTERSIGN)
    municipality_code(code)
    body = parse_body(bp.current_request, OtpIn)
    return json_response(typed(AgreementOut, agreements.countersign(code, agreement_id, body.otp, actor,
                                                                    wiring.agreements_context())))
