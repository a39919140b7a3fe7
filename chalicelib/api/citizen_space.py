"""The citizen's own space ("Mis pagos", docs/citizens.md): sign-in with ClaveÚnica and what a
signed-in citizen sees and pays. Every route but the sign-in needs the citizen's session
(`Authorization: Bearer <session_token>`), and answers about that session's RUN only."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from chalice.app import Blueprint, CORSConfig, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.citizen import DebtItem, PaymentCreatedOut, PermitItem
from chalicelib.api.http import api_view, header, json_response, parse_body, parse_query, typed
from chalicelib.api.models import Strict, municipality_code
from chalicelib.api.models_citizen_space import (
    CitizenOut,
    CitizenSessionOut,
    MyDebtsOut,
    MyPaymentsOut,
    MyPermitsOut,
    MyReceiptOut,
    ReminderConsentOut,
    SignInStartedOut,
)
from chalicelib.api.operations import operation
from chalicelib.domain.payments import check_idempotency_key
from chalicelib.services import citizens, payments, reminders
from chalicelib.settings import get_settings

bp = Blueprint(__name__)

# A bearer session, no cookies: any origin may ask, and only the holder of a session gets an answer.
CITIZEN_CORS = CORSConfig(allow_origin="*", allow_headers=["Content-Type", "Authorization", "Idempotency-Key"],
                          expose_headers=["X-Request-Id", "Retry-After"], max_age=600)
NO_STORE = {"Cache-Control": "no-store"}


class SignInIn(Strict):
    """Body of `POST /v1/citizen/session`: what ClaveÚnica sent back to the page."""

    code: str = Field(min_length=8, max_length=512, pattern=r"^[A-Za-z0-9._~-]+$")
    state: str = Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")


class CitizenPaymentIn(Strict):
    """Body of `POST /v1/citizen/payments`: the cart, in one municipality; the payer is the citizen."""

    municipality: str = Field(pattern=r"^[0-9]{5}$")
    items: list[Annotated[PermitItem | DebtItem, Field(discriminator="type")]] = Field(min_length=1, max_length=10)
    email: str = Field(min_length=5, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class PermitsQuery(Strict):
    year: int | None = Field(default=None, ge=2000, le=2100)


def _citizen() -> citizens.Citizen:
    return citizens.citizen_of(wiring.citizen_context(), header(bp.current_request, "Authorization"))


@bp.route("/v1/citizen/session/start", methods=["POST"], cors=CITIZEN_CORS)
@operation("startCitizenSignIn",
           "Iniciar el ingreso con ClaveÚnica: dirección de autorización (PKCE, state, nonce) y state",
           tag="citizenSpace", errors=(503,), response=SignInStartedOut)
@api_view
def start_sign_in() -> Response:
    """Begin a ClaveÚnica sign-in: the authorize address (PKCE, state, nonce) and the state."""
    return json_response(typed(SignInStartedOut, citizens.start_sign_in(wiring.citizen_context())), headers=NO_STORE)


@bp.route("/v1/citizen/session", methods=["POST"], cors=CITIZEN_CORS)
@operation("finishCitizenSignIn", "Completar el ingreso con ClaveÚnica (code y state del retorno): token de sesión",
           tag="citizenSpace", body=SignInIn, success=201, errors=(400, 401, 503), response=CitizenSessionOut)
@api_view
def finish_sign_in() -> Response:
    """ClaveÚnica's callback, relayed by the page: the citizen's session token."""
    body = parse_body(bp.current_request, SignInIn)
    return json_response(typed(CitizenSessionOut, citizens.finish_sign_in(wiring.citizen_context(), code=body.code,
                                                                          state=body.state)), status=201,
                         headers=NO_STORE)


@bp.route("/v1/citizen/me", methods=["GET"], cors=CITIZEN_CORS)
@operation("getCitizen", "Persona de la sesión", tag="citizenSpace", security="citizenSession", errors=(401,),
           response=CitizenOut)
@api_view
def me() -> Response:
    """Who the session belongs to."""
    citizen = _citizen()
    return json_response(typed(CitizenOut, {"run": citizen.run.formatted, "name": citizen.name}), headers=NO_STORE)


@bp.route("/v1/citizen/payments", methods=["GET"], cors=CITIZEN_CORS)
@operation("listMyPayments", "Todos los pagos hechos con el RUN de la sesión, en cualquier municipalidad",
           tag="citizenSpace", security="citizenSession", errors=(401,), response=MyPaymentsOut)
@api_view
def my_payments() -> Response:
    """Every payment made with the citizen's RUN, in any municipality."""
    ctx = wiring.citizen_context()
    return json_response(typed(MyPaymentsOut, citizens.my_payments(ctx, _citizen())), headers=NO_STORE)


@bp.route("/v1/citizen/payments/{payment_id}/receipt", methods=["GET"], cors=CITIZEN_CORS)
@operation("getMyReceipt", "Enlace de descarga del comprobante de un pago propio", tag="citizenSpace",
           security="citizenSession", errors=(401, 404), response=MyReceiptOut)
@api_view
def my_receipt(payment_id: str) -> Response:
    """A short-lived download link to the receipt of one of the citizen's payments."""
    ctx = wiring.citizen_context()
    return json_response(typed(MyReceiptOut, citizens.receipt_download(ctx, _citizen(), payment_id)), headers=NO_STORE)


@bp.route("/v1/citizen/debts", methods=["GET"], cors=CITIZEN_CORS)
@operation("listMyDebts", "Deudas abiertas del RUN en todas las municipalidades", tag="citizenSpace",
           security="citizenSession", errors=(401,), response=MyDebtsOut)
@api_view
def my_debts() -> Response:
    """The citizen's open debts in every municipality that has them."""
    ctx = wiring.citizen_context()
    return json_response(typed(MyDebtsOut, citizens.my_debts(ctx, _citizen())), headers=NO_STORE)


@bp.route("/v1/citizen/permits", methods=["GET"], cors=CITIZEN_CORS)
@operation("listMyPermits", "Estado del permiso del año de las patentes propias", tag="citizenSpace",
           query=PermitsQuery, security="citizenSession", errors=(400, 401), response=MyPermitsOut)
@api_view
def my_permits() -> Response:
    """The permit status of the citizen's plates for a year (default: the current one)."""
    ctx = wiring.citizen_context()
    query = parse_query(bp.current_request, PermitsQuery)
    return json_response(typed(MyPermitsOut, citizens.my_permits(ctx, _citizen(), query.year)), headers=NO_STORE)


@bp.route("/v1/citizen/payments", methods=["POST"], cors=CITIZEN_CORS)
@operation("createMyPayment", "Pagar desde Mis pagos (el pagador es la persona de la sesión)", tag="citizenSpace",
           body=CitizenPaymentIn, success=201, headers=(("Idempotency-Key", True, "1–255 de [A-Za-z0-9-]."),),
           security="citizenSession", errors=(400, 401, 403, 404, 409, 422, 503), response=PaymentCreatedOut)
@api_view
def pay() -> Response:
    """Pay from "Mis pagos" through the same payment flow, the citizen as payer; TGR sends
    them back to the page."""
    ctx = wiring.citizen_context()
    citizen = _citizen()
    key = check_idempotency_key(header(bp.current_request, "Idempotency-Key"))
    body = parse_body(bp.current_request, CitizenPaymentIn)
    page = get_settings().claveunica_redirect_uri
    parts = urlsplit(page)
    portal = citizens.citizen_portal(ctx, municipality_code(body.municipality), f"{parts.scheme}://{parts.netloc}")
    cart = {"items": [i.model_dump(mode="json") for i in body.items],
            "payer": {"rut": citizen.run.compact, "name": citizen.name or "Ciudadano", "email": body.email},
            "return_url": page.split("?")[0]}
    created = payments.create_payment(portal, key, cart, wiring.payment_context())
    return json_response(typed(PaymentCreatedOut, created), status=201, headers=NO_STORE)



class ReminderConsentIn(Strict):
    """Body of `PUT /v1/citizen/reminders`: where to write, and for which obligations."""

    email: str = Field(min_length=5, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    obligations: list[Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_-]+$")]] = Field(
        min_length=1, max_length=50, description='["all"] o ids de deudas propias abiertas')


class UnsubscribeQuery(Strict):
    r: str = Field(pattern=r"^[0-9a-f]{64}$")
    v: int = Field(ge=1, le=1_000_000)
    s: str = Field(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


@bp.route("/v1/citizen/reminders", methods=["GET"], cors=CITIZEN_CORS)
@operation("getMyReminders", "Consentimiento de recordatorios", tag="citizenSpace", security="citizenSession",
           errors=(401,), response=ReminderConsentOut)
@api_view
def my_reminders() -> Response:
    """The citizen's consent to reminders."""
    ctx = wiring.citizen_context()
    return json_response(typed(ReminderConsentOut, reminders.consent_of(ctx, _citizen())), headers=NO_STORE)


@bp.route("/v1/citizen/reminders", methods=["PUT"], cors=CITIZEN_CORS)
@operation("optInReminders", "Pedir recordatorios (todas las obligaciones o algunas)", tag="citizenSpace",
           body=ReminderConsentIn, security="citizenSession", errors=(400, 401), response=ReminderConsentOut)
@api_view
def opt_in() -> Response:
    """Opt in to reminders, for all obligations or some."""
    ctx = wiring.citizen_context()
    citizen = _citizen()
    body = parse_body(bp.current_request, ReminderConsentIn)
    at = wiring.today_in_chile().isoformat()
    return json_response(typed(ReminderConsentOut, reminders.give_consent(ctx, citizen, email=body.email,
                                                                          obligations=body.obligations, at=at)),
                         headers=NO_STORE)


@bp.route("/v1/citizen/reminders", methods=["DELETE"], cors=CITIZEN_CORS)
@operation("optOutReminders", "Dejar de recibir recordatorios", tag="citizenSpace", security="citizenSession",
           errors=(401,), response=ReminderConsentOut)
@api_view
def opt_out() -> Response:
    """Withdraw consent: no more reminders."""
    ctx = wiring.citizen_context()
    return json_response(typed(ReminderConsentOut, reminders.withdraw(ctx, _citizen())), headers=NO_STORE)


@bp.route("/v1/citizen/reminders/unsubscribe", methods=["GET"], cors=True)
@operation("unsubscribeReminders", "Enlace firmado de baja de recordatorios (sin ingreso)", tag="citizenSpace",
           query=UnsubscribeQuery, errors=(400,), media=("text/html",))
@api_view
def unsubscribe() -> Response:
    """The one-click link of a reminder e-mail (signed, no sign-in): consent withdrawn."""
    query = parse_query(bp.current_request, UnsubscribeQuery)
    ctx = wiring.citizen_context()
    reminders.unsubscribe(ctx.repo, ctx.index_secret, digest=query.r, version=query.v, signature=query.s)
    page = ('<!doctype html><html lang="es-CL"><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width, initial-scale=1"><title>Recordatorios</title>'
            "<p>Listo: no recibirá más recordatorios de pago. Puede volver a pedirlos en Mis pagos.</p></html>")
    return Response(body=page, status_code=200, headers={"Content-Type": "text/html; charset=utf-8",
                                                          "Cache-Control": "no-store"})

