"""Citizen routes that municipal sites call: permit quotes, debts, payments and their status."""

from __future__ import annotations

from typing import Annotated, Literal

from chalice.app import Blueprint, CORSConfig, Response
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.api.http import api_view, header, json_response, parse_body, parse_query, source_address
from chalicelib.api.models import Strict, municipality_code
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


class PaymentCreatedOut(BaseModel):
    payment_id: str
    status: str
    amount: int
    checkout_url: str
    access_token: str
    expires_at: str


def _portal(code: str, *services: str) -> Portal:
    request = bp.current_request
    return open_portal(municipality_code(code), api_key=header(request, "x-api-key"),
                       origin=header(request, "origin"), services=services, munis=wiring.municipalities(),
                       portal_keys=wiring.portal_keys(), today=wiring.today_in_chile())


def _answer(portal: Portal, body: object, status: int = 200) -> Response:
    headers = {"Vary": "Origin"}
    if portal.allowed_origin:
        headers["Access-Control-Allow-Origin"] = portal.allowed_origin
    return json_response(body, status=status, headers=headers)


@bp.route("/v1/municipalities/{code}/permits/quote", methods=["GET"], cors=PORTAL_CORS)
@operation("getPermitQuote", "Cotización del permiso por patente: montos, desglose y requisitos", tag="citizen",
           query=QuoteQuery, security="portalKey", errors=(400, 401, 403, 404, 503))
@api_view
def permit_quote(code: str) -> Response:
    """Vehicle, amounts, breakdown, prerequisite checks and whether it can be paid."""
    portal = _portal(code, "permisos")
    query = parse_query(bp.current_request, QuoteQuery)
    return _answer(portal, quotes.permit_quote(portal, query.plate, query.year, wiring.payment_context()))


@bp.route("/v1/municipalities/{code}/debts", methods=["GET"], cors=PORTAL_CORS)
@operation("listDebts", "Deudas de un RUT en la municipalidad", tag="citizen", query=DebtsQuery, security="portalKey",
           errors=(400, 401, 403, 404))
@api_view
def debts(code: str) -> Response:
    """A RUT's open patentes, aseo installments and second permit installments."""
    portal = _portal(code)
    query = parse_query(bp.current_request, DebtsQuery)
    return _answer(portal, quotes.debts_of(portal, query.rut, wiring.payment_context()))


@bp.route("/v1/municipalities/{code}/payments", methods=["POST"], cors=PORTAL_CORS)
@operation("createPayment", "Iniciar el pago de un carro", tag="citizen", body=PaymentIn, response=PaymentCreatedOut,
           success=201, headers=(IDEMPOTENCY_KEY,), security="portalKey", errors=(400, 401, 403, 404, 409, 422, 503))
@api_view
def create_payment(code: str) -> Response:
    """Start a payment of a cart; answers 201 with where to pay and the status token."""
    portal = _portal(code)
    key = check_idempotency_key(header(bp.current_request, "idempotency-key"))
    body = parse_body(bp.current_request, PaymentIn)
    created = payments.create_payment(portal, key, body.model_dump(mode="json"), wiring.payment_context())
    return _answer(portal, created, status=201)


@bp.route("/v1/payments/{payment_id}", methods=["GET"], cors=PORTAL_CORS)
@operation("getPaymentStatus", "Estado de un pago (con su token de acceso); 429 tras demasiados tokens incorrectos",
           tag="citizen", security="paymentToken", errors=(400, 401, 404, 429, 503))
@api_view
def payment_status(payment_id: str) -> Response:
    """A payment's status, items and, once issued, its receipt (for the access token's holder)."""
    request = bp.current_request
    body = payments.payment_status(payment_id, header(request, "authorization"), wiring.payment_context(),
                                   limiter=wiring.rate_limiter(), source=source_address(request))
    return json_response(body)
