"""Money back: officials' refund routes (propose, authorize with the advanced signature, withdraw,
resend, list) and TGR's signed refund and reversal notifications. The flow is in docs/refunds.md."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized, authorized_any
from chalicelib.api.http import (
    api_view,
    json_response,
    parse_body,
    parse_query,
    typed,
)
from chalicelib.api.models import Out, Strict
from chalicelib.api.operations import operation
from chalicelib.api.tgr_body import signed_notification
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.refunds import REASONS
from chalicelib.services import refunds
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

TEXT = r"^[^\x00-\x1f<>]*$"
BASE = "/v1/admin/municipalities/{code}"
Reason = Literal["double_payment", "amount_mismatch", "wrong_municipality", "not_owed", "citizen_withdrawal",
                 "other"]
RefundState = Literal["proposed", "authorized", "accepted", "completed", "rejected", "failed", "cancelled"]


class RefundIn(Strict):
    """A refund proposal: whole (no `items`) or by item (their indexes in the payment)."""

    items: list[int] | None = Field(default=None, max_length=50,
                                    description="Índices de los ítems a devolver; omitido: todo lo que queda.")
    amount: int | None = Field(default=None, ge=1, description="Monto esperado (control): debe coincidir.")
    reason: Reason = Field(description="Motivo: " + "; ".join(f"{k} = {v}" for k, v in REASONS.items()))
    note: str = Field(default="", max_length=500, pattern=TEXT, description="Descripción libre del motivo.")


class OtpIn(Strict):
    otp: str = Field(pattern=r"^\d{6}$", description="Código de un solo uso de 6 dígitos (aplicación TOTP).")


class RefundsQuery(Strict):
    status: RefundState | None = Field(default=None, description="proposed: autorizaciones pendientes.")
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000)


class RefundNotificationResultOut(Out):
    """What a refund or reversal notification did: `applied`, `duplicate` or `ignored` (and why);
    the refund's or reversal's status after it and, when it moved, the payment's."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"result": "applied", "status": "completed", "payment_status": "refunded", "reason": None}]})

    result: str
    status: str
    payment_status: str | None = None
    reason: str | None


class TgrRefundNotificationIn(BaseModel):
    """TGR's refund result (`type: refund`) or reversal (`type: reversal`) notification."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["refund", "reversal"]
    notification_id: str | None = Field(default=None, max_length=80)
    order_id: str = Field(min_length=1, max_length=80)
    payment_id: str = Field(min_length=1, max_length=80)
    amount: int = Field(ge=0)
    refund_id: str | None = Field(default=None, max_length=40)
    refund_order_id: str | None = Field(default=None, max_length=80)
    status: Literal["completed", "failed"] | None = None
    completed_at: str | None = Field(default=None, max_length=40)
    failure_reason: str | None = Field(default=None, max_length=200)
    reversal_id: str | None = Field(default=None, max_length=80)
    reversed_at: str | None = Field(default=None, max_length=40)
    reason: str | None = Field(default=None, max_length=200)


_REFUND_STATES = ("Estados de la devolución: proposed, authorized, accepted, completed, rejected, failed, "
                  "cancelled. Estados del pago: refund_pending, refunded, partially_refunded, refund_failed, "
                  "reversed; el comprobante queda annulled con una devolución total o un contracargo.")


@bp.route(BASE + "/refunds", methods=["GET"], cors=True)
@operation("listRefunds", "Devoluciones y contracargos de la municipalidad — refunds.read", tag="admin",
           query=RefundsQuery, security="officialToken", errors=(400, 401, 403), extra={"description": _REFUND_STATES})
@api_view
def list_refunds(code: str) -> Response:
    """The municipality's refunds and reversals, newest first (filter `status=proposed`: to authorize)."""
    authorized(bp.current_request, Permission.REFUNDS_READ, code)
    query = parse_query(bp.current_request, RefundsQuery)
    return json_response(refunds.listing(code, wiring.refunds_context(), status=query.status, limit=query.limit,
                                         cursor=query.cursor))


@bp.route(BASE + "/payments/{payment_id}/refunds", methods=["GET"], cors=True)
@operation("listPaymentRefunds", "Devoluciones y contracargos de un pago — refunds.read", tag="admin",
           security="officialToken", errors=(401, 403, 404))
@api_view
def payment_refunds(code: str, payment_id: str) -> Response:
    """A payment's refunds and reversals."""
    authorized(bp.current_request, Permission.REFUNDS_READ, code)
    ctx = wiring.refunds_context()
    refunds.require_payment(code, payment_id, ctx)
    return json_response({"items": refunds.of_payment(code, payment_id, ctx)})


@bp.route(BASE + "/payments/{payment_id}/refunds", methods=["POST"], cors=True)
@operation("proposeRefund", "Proponer una devolución (total o por ítem) con motivo — refunds.propose", tag="admin",
           body=RefundIn, success=201, security="officialToken", errors=(400, 401, 403, 404, 409),
           extra={"description": _REFUND_STATES})
@api_view
def propose(code: str, payment_id: str) -> Response:
    """Propose a refund (whole or by item, with a reason); a profile that authorizes payments signs it."""
    official = authorized(bp.current_request, Permission.REFUNDS_PROPOSE, code)
    body = parse_body(bp.current_request, RefundIn)
    return json_response(refunds.propose(code, payment_id, official, wiring.refunds_context(), items=body.items,
                                         amount=body.amount, reason=body.reason, note=body.note), status=201)


@bp.route(BASE + "/payments/{payment_id}/refunds/{refund_id}/authorize", methods=["POST"], cors=True)
@operation("authorizeRefund", "Autorizar una devolución firmando la orden (firma electrónica y código TOTP) y enviarla "
           "a la Tesorería — refunds.authorize", tag="admin", body=OtpIn, success=201,
           also=((202, "Firmada; la Tesorería no respondió: reenviar"),), security="officialToken",
           errors=(400, 401, 403, 404, 409))
@api_view
def authorize(code: str, payment_id: str, refund_id: str) -> Response:
    """Sign the refund order with the advanced signature (one-time code) and send it to TGR."""
    official = authorized(bp.current_request, Permission.REFUNDS_AUTHORIZE, code)
    body = parse_body(bp.current_request, OtpIn)
    answer = refunds.authorize(code, payment_id, refund_id, body.otp, official, wiring.refunds_context())
    return json_response(answer, status=201 if answer.get("sent") else 202)


@bp.route(BASE + "/payments/{payment_id}/refunds/{refund_id}/withdraw", methods=["POST"], cors=True)
@operation("withdrawRefund", "Retirar una devolución propuesta sin firmar — refunds.propose o refunds.authorize",
           tag="admin", security="officialToken", errors=(401, 403, 404, 409))
@api_view
def withdraw(code: str, payment_id: str, refund_id: str) -> Response:
    """Withdraw a proposal not yet signed (who proposes or who authorizes)."""
    official = authorized_any(bp.current_request, (Permission.REFUNDS_PROPOSE, Permission.REFUNDS_AUTHORIZE), code)
    return json_response(refunds.withdraw(code, payment_id, refund_id, official, wiring.refunds_context()))


@bp.route(BASE + "/payments/{payment_id}/refunds/{refund_id}/send", methods=["POST"], cors=True)
@operation("resendRefund", "Reenviar a la Tesorería una orden de devolución firmada — refunds.authorize",
           tag="admin", success=201, also=((202, "La Tesorería no respondió: reenviar más tarde"),),
           security="officialToken", errors=(401, 403, 404, 409, 503))
@api_view
def resend(code: str, payment_id: str, refund_id: str) -> Response:
    """Send a signed refund order to TGR again (when TGR did not answer)."""
    authorized(bp.current_request, Permission.REFUNDS_AUTHORIZE, code)
    answer = refunds.send(code, payment_id, refund_id, wiring.refunds_context())
    return json_response(answer, status=201 if answer.get("sent") else 202)


class OfficialRefOut(Out):
    email: str
    name: str
    profile: str


class ReversalOut(Out):
    """A reversal (contracargo) TGR notified: the money it took back and whether the treasury
    acknowledged it (who, when, what was done)."""

    kind: Literal["reversal"]
    reversal_id: str
    payment_id: str
    status: Literal["completed"]
    status_text: str
    amount: int = Field(description="Pesos devueltos al medio de pago.")
    reason_text: str
    created_at: str | None
    completed_at: str | None
    acknowledged: bool
    acknowledged_at: str | None = None
    acknowledged_by: OfficialRefOut | None = None
    acknowledgement_note: str | None = None


class OpenReversalsOut(Out):
    """The reversals no official has acknowledged yet, newest first (at most 50): the console's alert."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"items": [{
        "kind": "reversal", "reversal_id": "CC-1A2B3C4D5E6F", "payment_id": "13101-01J0000000000000000000",
        "status": "completed", "status_text": "Contracargo: pago reversado por la Tesorería", "amount": 45_000,
        "reason_text": "Contracargo del medio de pago informado por la Tesorería",
        "created_at": "2027-03-31T12:00:00-03:00", "completed_at": "2027-03-31T12:00:00-03:00",
        "acknowledged": False}]}]})

    items: list[ReversalOut]


class AcknowledgeIn(Strict):
    note: str = Field(min_length=3, max_length=500, pattern=TEXT,
                      description="Qué se hizo o se hará (p. ej., «se contactó al contribuyente»).")


@bp.route(BASE + "/reversals/open", methods=["GET"], cors=True)
@operation("listOpenReversals", "Contracargos sin revisar (alerta de la consola) — refunds.read", tag="admin",
           response=OpenReversalsOut, security="officialToken", errors=(401, 403))
@api_view
def open_reversals(code: str) -> Response:
    """The reversals nobody in the treasury has acknowledged yet."""
    authorized(bp.current_request, Permission.REFUNDS_READ, code)
    return json_response(typed(OpenReversalsOut, refunds.open_reversals(code, wiring.refunds_context())))


@bp.route(BASE + "/payments/{payment_id}/reversals/{reversal_id}/acknowledge", methods=["POST"], cors=True)
@operation("acknowledgeReversal", "Marcar un contracargo como revisado, con lo que se hizo — refunds.propose",
           tag="admin", body=AcknowledgeIn, response=ReversalOut, security="officialToken",
           errors=(400, 401, 403, 404, 409))
@api_view
def acknowledge_reversal(code: str, payment_id: str, reversal_id: str) -> Response:
    """Record that the treasury looked into a reversal: its alert goes, the step is audited."""
    official = authorized(bp.current_request, Permission.REFUNDS_PROPOSE, code)
    body = parse_body(bp.current_request, AcknowledgeIn)
    ctx = wiring.refunds_context()
    refunds.require_payment(code, payment_id, ctx)
    return json_response(typed(ReversalOut, refunds.acknowledge_reversal(code, payment_id, reversal_id, body.note,
                                                                         official, ctx)))


@bp.route("/v1/gateways/tgr/refund-notifications", methods=["POST"])
@operation("receiveTgrRefundNotification", "Resultado de una devolución o contracargo (TGR), firmado con "
           "X-TGR-Signature", tag="gateway", body=TgrRefundNotificationIn,
           response=RefundNotificationResultOut, headers=(("X-TGR-Signature", True, "t=<unix>,v1=<hmac-sha256>"),),
           errors=(400, 401, 404, 409, 503),
           extra={"description": _REFUND_STATES})
@api_view
def tgr_refund_notification() -> Response:
    """TGR's refund result or reversal: the signature over the raw body checked, applied once."""
    ctx = wiring.refunds_context()
    note = signed_notification(bp.current_request, TgrRefundNotificationIn, ctx.clock)
    if note.type == "refund" and (note.status is None or not note.refund_id):
        raise InvalidInput("Una notificación de devolución trae refund_id y status.", code="invalid_notification",
                           field="status" if note.status is None else "refund_id")
    return json_response(typed(RefundNotificationResultOut, refunds.handle_notification(note.model_dump(), ctx)))


