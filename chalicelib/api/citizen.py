"""Citizen routes that municipal sites call: permit quotes, debts, payments and their status."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from chalice.app import Blueprint, CORSConfig, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib import wiring
from chalicelib.api.http import api_view, header, json_response, parse_body, parse_query, source_address, typed
from chalicelib.api.models import Out, Strict, municipality_code
from chalicelib.api.operations import IDEMPOTENCY_KEY, operation
from chalicelib.domain.payments import check_idempotency_key
from chalicelib.services import payments, quotes
from chalicelib.services.portal import Portal, open_portal

bp = Blueprint(__name__)

# Preflight answers for any origin; each actual request is then checked against the
# municipality's registered origins (and answered with that origin, not "*").
PORTAL_CORS = CORSConfig(
    allow_origin="*", allow_headers=["Content-Type", "X-Api-Key", "Idempotency-Key", "Authorization"],
    expose_headers=["X-Request-Id", "Retry-After"], max_age=600)


class QuoteQuery(Strict):
    plate: str = Field(min_length=4, max_length=12)
    year: int = Field(ge=2000, le=2100)


class DebtsQuery(Strict):
    rut: str = Field(min_length=3, max_length=14)


class PermitItem(Strict):
    type: Literal["permit"]
    plate: str = Field(min_length=4, max_length=12)
    year: int = Field(ge=2000, le=2100)
    installment: Literal["full", "first", "second"] = "full"


class DebtItem(Strict):
    type: Literal["debt"]
    debt_id: str = Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")


class Payer(Strict):
    rut: str = Field(min_length=3, max_length=14)
    name: str = Field(min_length=2, max_length=120)
    email: str = Field(min_length=5, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PaymentIn(Strict):
    """Body of `POST /v1/municipalities/{code}/payments`."""

    items: list[Annotated[PermitItem | DebtItem, Field(discriminator="type")]] = Field(min_length=1, max_length=10)
    payer: Payer
    return_url: str = Field(min_length=10, max_length=2000, pattern=r"^https?://")


class PaymentCreatedOut(Out):
    """`POST …/payments`: where to send the citizen (checkout_url) and the token to read the status."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "payment_id": "13101-01J0000000000000000000000Z", "status": "pending", "amount": 212500,
        "checkout_url": "https://tgr.example/checkout/…", "access_token": "…",
        "expires_at": "2027-03-01T13:30:00+00:00"}]})

    payment_id: str
    status: str
    amount: int
    checkout_url: str
    access_token: str
    expires_at: str


class VehicleOut(Out):
    """The vehicle as the registry knows it; the owner's name masked."""

    plate: str
    vehicle_class: str | None
    make: str | None
    model: str | None
    model_year: int | None
    propulsion: str | None
    owner: str = Field(description="Nombre del propietario, enmascarado.")


class InstallmentOut(Out):
    amount: int | None
    payable: bool
    reasons: list[str]
    breakdown: dict[str, Any] | None = Field(description="Cada paso del cálculo de la cuota (null para full).")


QUOTE_EXAMPLE: dict[str, Any] = {
    "plate": "BBBB10", "year": 2027, "municipality": "13101",
    "vehicle": {"plate": "BBBB10", "vehicle_class": "light", "make": "Toyota", "model": "Yaris", "model_year": 2020,
                "propulsion": "combustion", "owner": "J*** P***"},
    "tasacion": 8500000, "amounts": {"full": 212500, "first": 106250, "second": 106250},
    "installments": {"full": {"amount": 212500, "payable": True, "reasons": [], "breakdown": None}},
    "estimated": False, "breakdown": {"base_utm": 1.0},
    "checks": {"soap": {"status": "ok", "reason": None}}, "checked_at": "2027-03-01T10:00:00-03:00",
    "payable": True, "reasons": [],
}


class BackYearOut(Out):
    """One owed year, priced as paid today (readjusted, art. 53 interest), or `amount` null with why."""

    year: int
    amount: int | None
    estimated: bool | None = None
    breakdown: dict[str, Any] | None = None
    reasons: list[str]


class BackYearsOut(Out):
    """The earlier permit years the national record shows unpaid (docs/domain.md, back years)."""

    rule: str
    source: str
    years: list[BackYearOut]
    total: int | None
    pay_together: bool


class PermitQuoteOut(Out):
    """`GET …/permits/quote`: vehicle, amounts per installment, breakdown, each prerequisite check and
    whether it can be paid now. Without a vehicle (not found), only plate, year, checks and reasons."""

    model_config = ConfigDict(json_schema_extra={"examples": [QUOTE_EXAMPLE]})

    plate: str
    year: int
    municipality: str | None = None
    vehicle: VehicleOut | None
    tasacion: int | None = None
    amounts: dict[str, int | None] | None
    installments: dict[str, InstallmentOut] | None = None
    estimated: bool | None = None
    breakdown: dict[str, Any] | None = None
    checks: dict[str, dict[str, Any]]
    checked_at: str | None = None
    payable: bool
    reasons: list[str]
    back_years: BackYearsOut | None = Field(
        default=None, description="Earlier permit years the plate owes, paid before or with this one.")


class DebtOut(Out):
    debt_id: str
    type: str = Field(examples=["patente"])
    description: str | None
    period: str | None
    due_date: str | None
    amount: int | None
    in_progress: bool = Field(description="Ya está en un pago en curso.")


class DebtsOut(Out):
    """`GET …/debts`: a RUT's open debts in the municipality and their total."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "rut": "12.345.678-5", "municipality": "13101", "total": 45000, "debts": [
            {"debt_id": "PAT-2027-1", "type": "patente", "description": "Patente comercial 1er semestre",
             "period": "2027-1", "due_date": "2027-07-31", "amount": 45000, "in_progress": False}]}]})

    rut: str
    municipality: str
    debts: list[DebtOut]
    total: int


class PaymentItemOut(Out):
    type: str
    description: str | None = None
    amount: int | None = None
    plate: str | None = None
    year: int | None = None
    installment: str | None = None
    debt_id: str | None = None


class ReceiptLinkOut(Out):
    folio: str | int
    verification_code: str
    download_url: str = Field(description="URL firmada del PDF, válida 5 minutos.")
    verification_url: str


class EmailNoticeOut(Out):
    status: str
    text: str


class PaymentStatusOut(Out):
    """`GET /v1/payments/{payment_id}`: status, items and, once issued, the receipt."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "payment_id": "13101-01J0000000000000000000000Z", "municipality": "13101", "status": "paid",
        "status_text": "Pagado", "amount": 212500, "created_at": "2027-03-01T13:00:00+00:00",
        "expires_at": "2027-03-01T13:30:00+00:00", "paid_at": "2027-03-01T13:05:00+00:00", "method": "webpay",
        "items": [{"type": "permit", "description": "Permiso de circulación 2027 BBBB10", "amount": 212500,
                   "plate": "BBBB10", "year": 2027, "installment": "full"}],
        "receipt": {"folio": "13101-2027-000001", "verification_code": "ABCD-EFGH",
                    "download_url": "https://…", "verification_url": "https://…"}}]})

    payment_id: str
    municipality: str
    status: str
    status_text: str
    amount: int
    created_at: str
    expires_at: str
    items: list[PaymentItemOut]
    paid_at: str | None = None
    method: str | None = None
    receipt: ReceiptLinkOut | None = None
    email_notice: EmailNoticeOut | None = None


def _portal(code: str, *services: str) -> Portal:
    request = bp.current_request
    return open_portal(municipality_code(code), api_key=header(request, "x-api-key"),
                       origin=header(request, "origin"), services=services, munis=wiring.municipalities(),
                       portal_keys=wiring.portal_keys(), today=wiring.today_in_chile())


def _answer(portal: Portal, body: BaseModel, status: int = 200) -> Response:
    headers = {"Vary": "Origin"}
    if portal.allowed_origin:
        headers["Access-Control-Allow-Origin"] = portal.allowed_origin
    return json_response(body, status=status, headers=headers)


@bp.route("/v1/municipalities/{code}/permits/quote", methods=["GET"], cors=PORTAL_CORS)
@operation("getPermitQuote", "Cotización del permiso por patente: montos, desglose, requisitos y años anteriores "
           "adeudados (back_years)", tag="citizen",
           query=QuoteQuery, response=PermitQuoteOut, security="portalKey", errors=(400, 401, 403, 404, 503))
@api_view
def permit_quote(code: str) -> Response:
    """Vehicle, amounts, breakdown, prerequisite checks and whether it can be paid."""
    portal = _portal(code, "permisos")
    query = parse_query(bp.current_request, QuoteQuery)
    quote = quotes.permit_quote(portal, query.plate, query.year, wiring.payment_context())
    return _answer(portal, typed(PermitQuoteOut, quote))


@bp.route("/v1/municipalities/{code}/debts", methods=["GET"], cors=PORTAL_CORS)
@operation("listDebts", "Deudas de un RUT en la municipalidad", tag="citizen", query=DebtsQuery, response=DebtsOut,
           security="portalKey", errors=(400, 401, 403, 404))
@api_view
def debts(code: str) -> Response:
    """A RUT's open patentes, aseo installments and second permit installments."""
    portal = _portal(code)
    query = parse_query(bp.current_request, DebtsQuery)
    return _answer(portal, typed(DebtsOut, quotes.debts_of(portal, query.rut, wiring.payment_context())))


@bp.route("/v1/municipalities/{code}/payments", methods=["POST"], cors=PORTAL_CORS)
@operation("createPayment", "Iniciar el pago de un carro (422 back_years_owed si la patente adeuda años anteriores "
           "que no van en el mismo carro)", tag="citizen", body=PaymentIn, response=PaymentCreatedOut,
           success=201, headers=(IDEMPOTENCY_KEY,), security="portalKey", errors=(400, 401, 403, 404, 409, 422, 503))
@api_view
def create_payment(code: str) -> Response:
    """Start a payment of a cart; answers 201 with where to pay and the status token."""
    portal = _portal(code)
    key = check_idempotency_key(header(bp.current_request, "idempotency-key"))
    body = parse_body(bp.current_request, PaymentIn)
    created = payments.create_payment(portal, key, body.model_dump(mode="json"), wiring.payment_context())
    return _answer(portal, typed(PaymentCreatedOut, created), status=201)


@bp.route("/v1/payments/{payment_id}", methods=["GET"], cors=PORTAL_CORS)
@operation("getPaymentStatus", "Estado de un pago (con su token de acceso); 429 tras demasiados tokens incorrectos",
           tag="citizen", response=PaymentStatusOut, security="paymentToken", errors=(400, 401, 404, 429, 503))
@api_view
def payment_status(payment_id: str) -> Response:
    """A payment's status, items and, once issued, its receipt (for the access token's holder)."""
    request = bp.current_request
    body = payments.payment_status(payment_id, header(request, "authorization"), wiring.payment_context(),
                                   limiter=wiring.rate_limiter(), source=source_address(request))
    return json_response(typed(PaymentStatusOut, body))
