"""Officials: a municipality's payments — search, detail, CSV export, resend a receipt."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_body, parse_query
from chalicelib.api.models import Strict
from chalicelib.api.operations import operation
from chalicelib.domain.chile_time import SANTIAGO
from chalicelib.services import admin_payments
from chalicelib.services.auth import Official
from chalicelib.services.permissions import Permission, allowed

bp = Blueprint(__name__)

Status = Literal["pending", "paid", "rejected", "expired", "cancelled", "review", "refund_pending", "refunded",
                 "partially_refunded", "refund_failed", "reversed"]
Service = Literal["permisos", "patentes", "aseo"]


class PaymentFiltersIn(Strict):
    """Filters of the payments search and export. Without `rut`, `plate` or `folio` the search is
    by day (Chile's calendar), `from`–`to` inclusive, today by default, at most 93 days."""

    date_from: date | None = Field(default=None, alias="from", description="Primer día (AAAA-MM-DD).")
    date_to: date | None = Field(default=None, alias="to", description="Último día (AAAA-MM-DD).")
    status: Status | None = None
    service: Service | None = None
    rut: str | None = Field(default=None, min_length=3, max_length=14, description="RUT del pagador.")
    plate: str | None = Field(default=None, min_length=4, max_length=12, description="Patente (placa).")
    folio: str | None = Field(default=None, min_length=5, max_length=30, description="Folio del comprobante.")
    reveal: bool = Field(default=False, description="RUT y correo completos para un perfil que los ve enmascarados "
                                                    "(queda en la auditoría).")


class DetailIn(Strict):
    reveal: bool = Field(default=False, description="RUT y correo completos (queda en la auditoría).")


class PaymentSearchIn(PaymentFiltersIn):
    limit: int = Field(default=50, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=2000, description="El `cursor` de la página anterior.")


class PaymentRow(BaseModel):
    payment_id: str
    created_at: str | None
    status: str
    status_text: str
    amount: int
    services: list[str]
    plates: list[str]
    payer: dict[str, str | None]
    folio: str | None
    method: str | None
    paid_at: str | None


class PaymentPage(BaseModel):
    items: list[PaymentRow]
    cursor: str | None = Field(description="Para pedir la página siguiente; null al final.")


class ResendIn(Strict):
    """Optional: the payer's corrected address (after a bounce); the resend goes there (audited)."""

    email: str | None = Field(default=None, min_length=5, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                              description="Correo corregido del pagador.")


class ResendOut(BaseModel):
    payment_id: str
    queued: bool
    message_id: str


def _filters(query: PaymentFiltersIn) -> admin_payments.PaymentFilters:
    return admin_payments.normalize(
        date_from=query.date_from, date_to=query.date_to, status=query.status, service=query.service,
        rut=query.rut, plate=query.plate, folio=query.folio, today=wiring.today_in_chile())


@bp.route("/v1/admin/municipalities/{code}/payments", methods=["GET"], cors=True)
@operation("searchPayments", "Buscar pagos por día, estado, servicio, RUT, patente o folio (paginado) — payments.read",
           tag="admin", query=PaymentSearchIn, response=PaymentPage, security="officialToken", errors=(400, 401, 403))
@api_view
def search_payments(code: str) -> Response:
    """One page of the municipality's payments, newest first."""
    official = authorized(bp.current_request, Permission.PAYMENTS_READ, code)
    query = parse_query(bp.current_request, PaymentSearchIn)
    masked = _masked(official, query.reveal)
    page = admin_payments.search_payments(code, _filters(query), wiring.payments_admin(), limit=query.limit,
                                          cursor=query.cursor, masked=masked)
    _audit_reveal(official, code, query.reveal, "payments", len(page["items"]))
    return json_response(page)


@bp.route("/v1/admin/municipalities/{code}/payments.csv", methods=["GET"], cors=True)
@operation("exportPaymentsCsv", "Exportar la búsqueda de pagos a CSV (máx. 10.000) — payments.export", tag="admin",
           query=PaymentFiltersIn, security="officialToken", errors=(400, 401, 403, 422),
           extra={"x-content-type": "text/csv"})
@api_view
def export_payments(code: str) -> Response:
    """The same search as CSV (at most 10.000 payments)."""
    official = authorized(bp.current_request, Permission.PAYMENTS_EXPORT, code)
    query = parse_query(bp.current_request, PaymentFiltersIn)
    text, rows = admin_payments.export_csv(code, _filters(query), wiring.payments_admin(),
                                           masked=_masked(official, query.reveal))
    _audit_reveal(official, code, query.reveal, "payments.csv", rows)
    stamp = datetime.now(SANTIAGO).strftime("%Y%m%d-%H%M")
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="pagos-{code}-{stamp}.csv"', "X-Row-Count": str(rows)})


@bp.route("/v1/admin/municipalities/{code}/payments/{payment_id}", methods=["GET"], cors=True)
@operation("getPaymentDetail",
           "Detalle de un pago: ítems, desglose, verificaciones, eventos, comprobante, correos — payments.read",
           tag="admin", query=DetailIn, security="officialToken", errors=(400, 401, 403, 404))
@api_view
def payment_detail(code: str, payment_id: str) -> Response:
    """A payment with its items (breakdown, checks), events, receipt and e-mail deliveries."""
    official = authorized(bp.current_request, Permission.PAYMENTS_READ, code)
    query = parse_query(bp.current_request, DetailIn)
    body = admin_payments.payment_detail(code, payment_id, wiring.payments_admin(),
                                         masked=_masked(official, query.reveal))
    _audit_reveal(official, code, query.reveal, f"payments/{payment_id}", 1)
    return json_response(body)


def _masked(official: Official, reveal: bool) -> bool:
    """Payers' RUT and e-mail are masked for profiles that do not need them, unless asked for."""
    return not (reveal or allowed(official.profile, Permission.PERSONAL_DATA_FULL))


def _audit_reveal(official: Official, code: str, reveal: bool, target: str, rows: int) -> None:
    """A profile that sees masked data and asked for it in full leaves an audit entry."""
    if reveal and not allowed(official.profile, Permission.PERSONAL_DATA_FULL):
        wiring.audit_log().record(code, actor=official.email, profile=official.profile,
                                  action="personal_data.reveal", target=target, after={"rows": rows})


@bp.route("/v1/admin/municipalities/{code}/payments/{payment_id}/resend-receipt", methods=["POST"], cors=True)
@operation("resendReceipt", "Reenviar el comprobante de un pago, opcionalmente a un correo corregido — receipts.resend",
           tag="admin", body=ResendIn, response=ResendOut, success=202, security="officialToken",
           errors=(400, 401, 403, 404, 409, 503))
@api_view
def resend_receipt(code: str, payment_id: str) -> Response:
    """Queue the receipt e-mail again (audited)."""
    official = authorized(bp.current_request, Permission.RECEIPTS_RESEND, code)
    raw = bp.current_request.raw_body or b""
    correction = parse_body(bp.current_request, ResendIn) if raw.strip() else ResendIn()
    body = admin_payments.resend_receipt(code, payment_id, official, wiring.payments_admin(),
                                         new_email=correction.email)
    return json_response(body, status=202)
