"""Fleets (docs/citizens.md, "Flotas"): a company's representative, signed in with ClaveÚnica,
uploads or picks the company's plates, sees one quote per plate and pays the payable ones — one
payment per municipality. Every route needs the citizen's session and checks, on the
representation record, that the session's RUN represents the company of the path."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.api.citizen_space import CITIZEN_CORS, NO_STORE
from chalicelib.api.http import api_view, header, json_response, parse_body, typed
from chalicelib.api.models import Strict
from chalicelib.api.operations import operation
from chalicelib.domain.payments import check_idempotency_key
from chalicelib.services import citizens, fleets

bp = Blueprint(__name__)

CUT = r"^[0-9]{5}$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


# -- request bodies ---------------------------------------------------------------------------

class CsvIn(Strict):
    """Body of `POST …/plates/csv`: the file's text and the municipality for rows that name none."""

    csv: str = Field(min_length=1, max_length=40_000)
    municipality: str | None = Field(default=None, pattern=CUT)


class FleetPlateIn(Strict):
    plate: str = Field(min_length=5, max_length=12)
    municipality: str = Field(pattern=CUT)


class QuotesIn(Strict):
    """Body of `POST …/quotes`: a page of plates (the page asks in pages and shows its progress)."""

    year: int = Field(ge=2000, le=2100)
    plates: list[FleetPlateIn] = Field(min_length=1, max_length=fleets.MAX_QUOTE_PLATES)


class FleetPaymentIn(Strict):
    """Body of `POST …/payments`: the plates to pay; the payable ones are paid, one payment per municipality."""

    year: int = Field(ge=2000, le=2100)
    email: str = Field(min_length=5, max_length=254, pattern=EMAIL)
    plates: list[FleetPlateIn] = Field(min_length=1, max_length=fleets.MAX_PAY_PLATES)


# -- answers ----------------------------------------------------------------------------------

class CompanyOut(BaseModel):
    rut: str
    name: str


class CompaniesOut(BaseModel):
    """The companies the session's RUN represents (from the representation records)."""

    companies: list[CompanyOut]
    model_config = {"json_schema_extra": {"examples": [{"companies": [
        {"rut": "76.543.210-3", "name": "Transportes Cordillera SpA"}]}]}}


class FleetPlateOut(BaseModel):
    plate: str
    municipality: str
    municipality_name: str


class FleetOut(BaseModel):
    """The company's plate list."""

    company: CompanyOut
    plates: list[FleetPlateOut]


class AcceptedRowOut(BaseModel):
    row: int
    plate: str
    municipality: str
    municipality_name: str


class RowErrorOut(BaseModel):
    row: int
    code: str
    message: str


class UploadOut(BaseModel):
    """What an uploaded CSV gave: the rows kept and each bad row's error (in Spanish)."""

    accepted: list[AcceptedRowOut]
    errors: list[RowErrorOut]
    model_config = {"json_schema_extra": {"examples": [{
        "accepted": [{"row": 2, "plate": "BBBB10", "municipality": "13101", "municipality_name": "Santiago"}],
        "errors": [{"row": 3, "code": "invalid_plate", "message": "Fila 3: la patente no tiene un formato válido."}]}]}}


class CheckOut(BaseModel):
    status: str
    reason: str | None = None


class PlateQuoteOut(BaseModel):
    plate: str
    municipality: str
    municipality_name: str
    year: int
    payable: bool
    amount: int | None
    checks: dict[str, CheckOut]
    reasons: list[str]
    vehicle: dict[str, Any] | None = None


class QuotesOut(BaseModel):
    """One quote per plate with its prerequisites and, when it cannot be paid, why."""

    company: str
    year: int
    quotes: list[PlateQuoteOut]


class FleetPaymentOut(BaseModel):
    payment_id: str
    municipality: str
    municipality_name: str
    amount: int
    checkout_url: str
    expires_at: str
    plates: list[str]


class LeftOutOut(BaseModel):
    plate: str
    municipality: str
    reasons: list[str]


class FleetPaymentsOut(BaseModel):
    """One TGR payment per municipality, and the plates left out with their reasons."""

    company: str
    year: int
    payments: list[FleetPaymentOut]
    left_out: list[LeftOutOut]


class CompanyPaymentsOut(BaseModel):
    """The company's payments (payer: its RUT), newest first."""

    company: str
    payments: list[dict[str, Any]]


class ReceiptLinkOut(BaseModel):
    folio: str
    download_url: str
    verify_url: str


# -- routes -----------------------------------------------------------------------------------

def _company(rut: str) -> tuple[citizens.Citizen, fleets.FleetContext, fleets.Company]:
    """The session's citizen, and the company of the path when its representation record says so."""
    ctx = wiring.fleet_context()
    citizen = citizens.citizen_of(ctx.citizens, header(bp.current_request, "Authorization"))
    return citizen, ctx, fleets.representation(ctx, citizen, rut)


@bp.route("/v1/citizen/companies", methods=["GET"], cors=CITIZEN_CORS)
@operation("listMyCompanies", "Empresas que representa la persona de la sesión", tag="citizenSpace",
           response=CompaniesOut, security="citizenSession", errors=(401,))
@api_view
def my_companies() -> Response:
    """The companies the session's RUN represents."""
    ctx = wiring.fleet_context()
    citizen = citizens.citizen_of(ctx.citizens, header(bp.current_request, "Authorization"))
    return json_response(typed(CompaniesOut, fleets.companies_of(ctx, citizen)), headers=NO_STORE)


@bp.route("/v1/citizen/companies/{rut}/plates", methods=["GET"], cors=CITIZEN_CORS)
@operation("listFleetPlates", "Patentes de la flota de una empresa representada", tag="citizenSpace",
           response=FleetOut, security="citizenSession", errors=(401, 403))
@api_view
def fleet_plates(rut: str) -> Response:
    """The company's plate list."""
    _, ctx, company = _company(rut)
    return json_response(typed(FleetOut, fleets.fleet(ctx, company)), headers=NO_STORE)


@bp.route("/v1/citizen/companies/{rut}/plates/csv", methods=["POST"], cors=CITIZEN_CORS)
@operation("uploadFleetCsv", "Cargar un CSV de patentes: filas válidas guardadas, cada error por fila",
           tag="citizenSpace", body=CsvIn, response=UploadOut, security="citizenSession", errors=(400, 401, 403))
@api_view
def upload_csv(rut: str) -> Response:
    """Read a CSV of plates: the good rows join the company's list; each bad row says why."""
    _, ctx, company = _company(rut)
    body = parse_body(bp.current_request, CsvIn)
    return json_response(typed(UploadOut, fleets.upload(ctx, company, body.csv, body.municipality)),
                         headers=NO_STORE)


@bp.route("/v1/citizen/companies/{rut}/quotes", methods=["POST"], cors=CITIZEN_CORS)
@operation("quoteFleet", "Cotizar el permiso de varias patentes (hasta 10 por solicitud), con sus requisitos",
           tag="citizenSpace", body=QuotesIn, response=QuotesOut, security="citizenSession",
           errors=(400, 401, 403))
@api_view
def quote(rut: str) -> Response:
    """One quote per plate, each with its checks and the reasons when it cannot be paid."""
    _, ctx, company = _company(rut)
    body = parse_body(bp.current_request, QuotesIn)
    plates = [p.model_dump() for p in body.plates]
    return json_response(typed(QuotesOut, fleets.quote(ctx, company, plates, body.year)), headers=NO_STORE)


@bp.route("/v1/citizen/companies/{rut}/payments", methods=["POST"], cors=CITIZEN_CORS)
@operation("payFleet", "Pagar los permisos pagables de la flota: un pago TGR por municipalidad",
           tag="citizenSpace", body=FleetPaymentIn, response=FleetPaymentsOut, success=201,
           headers=(("Idempotency-Key", True, "1–255 de [A-Za-z0-9-]."),), security="citizenSession",
           errors=(400, 401, 403, 409, 503))
@api_view
def pay(rut: str) -> Response:
    """Pay the payable plates, one payment per municipality; the others listed with their reasons."""
    citizen, ctx, company = _company(rut)
    key = check_idempotency_key(header(bp.current_request, "Idempotency-Key"))
    body = parse_body(bp.current_request, FleetPaymentIn)
    if len(key) > 200:  # the key of each municipality's payment adds a suffix to it
        from chalicelib.domain.errors import InvalidInput

        raise InvalidInput("La Idempotency-Key de un pago de flota tiene a lo más 200 caracteres.",
                           code="invalid_idempotency_key", field="Idempotency-Key")
    plates = [p.model_dump() for p in body.plates]
    answer = fleets.pay(ctx, citizen, company, plates, year=body.year, email=body.email, idem_key=key)
    return json_response(typed(FleetPaymentsOut, answer), status=201, headers=NO_STORE)


@bp.route("/v1/citizen/companies/{rut}/payments", methods=["GET"], cors=CITIZEN_CORS)
@operation("listFleetPayments", "Pagos hechos con el RUT de la empresa, con sus comprobantes",
           tag="citizenSpace", response=CompanyPaymentsOut, security="citizenSession", errors=(401, 403))
@api_view
def company_payments(rut: str) -> Response:
    """The company's payments, newest first."""
    _, ctx, company = _company(rut)
    return json_response(typed(CompanyPaymentsOut, fleets.company_payments(ctx, company)), headers=NO_STORE)


@bp.route("/v1/citizen/companies/{rut}/payments/{payment_id}/receipt", methods=["GET"], cors=CITIZEN_CORS)
@operation("getFleetReceipt", "Enlace de descarga del comprobante de un pago de la empresa", tag="citizenSpace",
           response=ReceiptLinkOut, security="citizenSession", errors=(401, 403, 404))
@api_view
def company_receipt(rut: str, payment_id: str) -> Response:
    """A short-lived link to the receipt of one of the company's payments."""
    _, ctx, company = _company(rut)
    return json_response(typed(ReceiptLinkOut, fleets.company_receipt(ctx, company, payment_id)),
                         headers=NO_STORE)
