"""The citizen's own space: sign-in with ClaveÚnica, a short session of ours, and "Mis pagos"
(every payment made with the citizen's RUN in any municipality, their receipts, their plates'
permits for the year, their open debts) — nothing of another RUN, ever (docs/citizens.md)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from chalicelib.adapters.citizens_repo import CitizenRepository
from chalicelib.adapters.claveunica import ClaveUnicaClient
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.domain.errors import Forbidden, NotFound, Unauthenticated
from chalicelib.domain.payments import STATUS_TEXT, PaymentStatus, municipality_of, permit_hold_keys
from chalicelib.domain.receipt_state import issued_receipt
from chalicelib.domain.rut import Rut, parse_rut
from chalicelib.services.citizen_index import run_digest
from chalicelib.services.municipalities import require_municipality
from chalicelib.services.portal import Portal

SIGN_IN_TTL_S = 600
SESSION_AUDIENCE = "sem-citizen"
SESSION_ISSUER = "sem"
ITEM_FIELDS = ("type", "description", "amount", "plate", "year", "installment", "debt_id")


@dataclass
class CitizenContext:
    """Everything the citizen's space needs."""

    repo: CitizenRepository
    claveunica: ClaveUnicaClient
    payments: PaymentRepository
    debts: DebtRepository
    municipalities: MunicipalityRepository
    receipts_store: ObjectStore | None
    session_secret: str
    index_secret: str
    session_minutes: int
    now: Callable[[], float]
    today: Callable[[], date]
    public_api_url: str


@dataclass(frozen=True)
class Citizen:
    """A signed-in citizen, as their session says."""

    run: Rut
    name: str


# -- sign-in ----------------------------------------------------------------------------------

def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start_sign_in(ctx: CitizenContext) -> dict[str, Any]:
    """A new sign-in: where to send the citizen, and the state the page keeps to match the callback."""
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)[:96]
    ctx.repo.save_sign_in(_digest(state), nonce=nonce, code_verifier=verifier,
                          expires_at=int(ctx.now()) + SIGN_IN_TTL_S)
    return {"authorize_url": ctx.claveunica.authorization_url(state=state, nonce=nonce, code_verifier=verifier),
            "state": state, "expires_in": SIGN_IN_TTL_S}


def finish_sign_in(ctx: CitizenContext, *, code: str, state: str) -> dict[str, Any]:
    """The callback: the state must be one we issued, unused and alive; the code is exchanged
    with its PKCE verifier; the ID token must verify with this sign-in's nonce. Then our session."""
    flow = ctx.repo.take_sign_in(_digest(state), now=int(ctx.now()))
    if flow is None:
        raise Unauthenticated("El ingreso no corresponde a una solicitud vigente (state); ingrese nuevamente.",
                              code="state_mismatch", field="state")
    verified = ctx.claveunica.sign_in(code=code, code_verifier=str(flow["code_verifier"]), nonce=str(flow["nonce"]))
    return issue_session(ctx, Citizen(run=verified.run, name=verified.name))


def issue_session(ctx: CitizenContext, citizen: Citizen) -> dict[str, Any]:
    """Our own short session token (HS256) for the citizen."""
    import jwt

    now = int(ctx.now())
    expires = now + ctx.session_minutes * 60
    token = jwt.encode({"iss": SESSION_ISSUER, "aud": SESSION_AUDIENCE, "sub": citizen.run.compact,
                        "name": citizen.name, "iat": now, "exp": expires}, ctx.session_secret, algorithm="HS256")
    return {"session_token": token, "expires_in": expires - now,
            "citizen": {"run": citizen.run.formatted, "name": citizen.name}}


def citizen_of(ctx: CitizenContext, authorization: str | None) -> Citizen:
    """The citizen of a request's `Authorization: Bearer <session>`, or 401."""
    import jwt

    token = (authorization or "").removeprefix("Bearer ").strip()
    if not token:
        raise Unauthenticated("Ingrese con ClaveÚnica para ver sus pagos.", code="missing_session")
    try:
        claims = jwt.decode(token, ctx.session_secret, algorithms=["HS256"], audience=SESSION_AUDIENCE,
                            issuer=SESSION_ISSUER, options={"require": ["exp", "iat", "sub"]})
        run = parse_rut(claims["sub"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("Su sesión expiró; ingrese nuevamente con ClaveÚnica.", code="session_expired") from exc
    except Exception as exc:  # any forged, truncated or foreign token: the same answer
        raise Unauthenticated("La sesión no es válida; ingrese nuevamente con ClaveÚnica.",
                              code="invalid_session") from exc
    return Citizen(run=run, name=str(claims.get("name", ""))[:120])


# -- Mis pagos --------------------------------------------------------------------------------

def _own_payment(ctx: CitizenContext, citizen: Citizen, code: str, payment_id: str) -> dict[str, Any] | None:
    """The payment when its payer is this citizen (checked on the record itself, not only by
    the index), else None."""
    payment = ctx.payments.get(code, payment_id)
    if payment is None or str((payment.get("payer") or {}).get("rut", "")).upper() != citizen.run.compact.upper():
        return None
    return payment


def _municipality_name(ctx: CitizenContext, code: str) -> str:
    config = ctx.municipalities.get(code) or {}
    return str(config.get("name") or code)


def my_payments(ctx: CitizenContext, citizen: Citizen) -> dict[str, Any]:
    """Every payment made with the citizen's RUN, in any municipality, newest first."""
    out = []
    for pointer in ctx.repo.payment_pointers(run_digest(ctx.index_secret, citizen.run.compact)):
        payment = _own_payment(ctx, citizen, pointer["municipality"], pointer["payment_id"])
        if payment is None:
            continue
        status = PaymentStatus(payment["status"])
        entry: dict[str, Any] = {
            "payment_id": payment["payment_id"], "municipality": payment["municipality"],
            "municipality_name": _municipality_name(ctx, payment["municipality"]),
            "status": status.value, "status_text": STATUS_TEXT[status], "amount": payment["amount"],
            "created_at": payment["created_at"], "paid_at": payment.get("paid_at"),
            "items": [{k: v for k, v in i.items() if k in ITEM_FIELDS} for i in payment["items"]],
        }
        if payment.get("annulled_at") or payment.get("annulment"):
            entry["annulled"] = True
        receipt = issued_receipt(payment)
        if receipt and receipt.get("folio"):
            entry["receipt"] = {"folio": receipt["folio"], "verify_url": _verify_url(ctx, receipt)}
        out.append(entry)
    return {"run": citizen.run.formatted, "payments": out}


def _verify_url(ctx: CitizenContext, receipt: dict[str, Any]) -> str:
    query = urlencode({"folio": receipt["folio"], "code": receipt.get("verification_code", "")})
    return f"{ctx.public_api_url.rstrip('/')}/v1/receipts/verify?{query}"


def receipt_download(ctx: CitizenContext, citizen: Citizen, payment_id: str) -> dict[str, Any]:
    """A short-lived link to the receipt PDF of one of the citizen's payments (404 for any other)."""
    try:
        code = municipality_of(payment_id)
    except Exception as exc:
        raise NotFound("No tiene un pago con ese identificador.", code="payment_not_found") from exc
    payment = _own_payment(ctx, citizen, code, payment_id)
    if payment is None:
        raise NotFound("No tiene un pago con ese identificador.", code="payment_not_found")
    receipt = issued_receipt(payment)
    if not receipt or not receipt.get("key") or ctx.receipts_store is None:
        raise NotFound("El comprobante de este pago aún no está disponible.", code="receipt_not_ready")
    url = ctx.receipts_store.presign_get(receipt["key"], expires_in=300,
                                         filename=f"comprobante-{receipt['folio']}.pdf")
    return {"folio": receipt["folio"], "download_url": url, "verify_url": _verify_url(ctx, receipt)}


def my_debts(ctx: CitizenContext, citizen: Citizen) -> dict[str, Any]:
    """The citizen's open debts (patentes, aseo, second installments) in every enabled municipality."""
    out = []
    for config in ctx.municipalities.list_all():
        if config.get("enabled") is False:
            continue
        code = str(config["code"])
        for debt in ctx.debts.by_rut(code, citizen.run.compact):
            if debt.get("status") != "open" or str(debt.get("rut", "")).upper() != citizen.run.compact.upper():
                continue
            out.append({"municipality": code, "municipality_name": str(config.get("name") or code),
                        "debt_id": debt["debt_id"], "type": debt["type"], "description": debt["description"],
                        "amount": int(debt["amount"]), "due_date": debt.get("due_date"),
                        "period": debt.get("period")})
    out.sort(key=lambda d: (str(d.get("due_date") or ""), d["municipality"]))
    return {"debts": out}


def my_permits(ctx: CitizenContext, citizen: Citizen, year: int | None = None) -> dict[str, Any]:
    """The permit of `year` (default: the current one) of every plate the citizen has paid a
    permit for, from the national holds (paid wherever it was paid)."""
    year = year or ctx.today().year
    plates: dict[str, str] = {}
    for entry in my_payments(ctx, citizen)["payments"]:
        for item in entry["items"]:
            if item.get("plate"):
                plates.setdefault(str(item["plate"]), entry["municipality"])
    out = []
    for plate in sorted(plates):
        holds = ctx.payments.permit_holds(plate)  # one Query a plate; shown, not decided on: eventually consistent
        halves = [str(holds[key].get("status")) if key in holds else "none"
                  for key in permit_hold_keys(plate, year, "full")]
        if halves == ["paid", "paid"]:
            status, text = "paid", "Pagado"
        elif halves[0] == "paid":
            status, text = "first_paid", "Primera cuota pagada; falta la segunda"
        elif "pending" in halves:
            status, text = "pending", "Pago en curso"
        else:
            status, text = "unpaid", "Sin pago registrado"
        out.append({"plate": plate, "year": year, "status": status, "status_text": text,
                    "municipality": plates[plate], "municipality_name": _municipality_name(ctx, plates[plate])})
    return {"year": year, "permits": out}


def citizen_portal(ctx: CitizenContext, code: str, page_origin: str) -> Portal:
    """The municipality as the citizen's space pays in it: enabled, with an agreement in force,
    and the "Mis pagos" page as where TGR sends the citizen back."""
    config = dict(require_municipality(ctx.municipalities, code))
    if config.get("enabled") is False:
        raise Forbidden("La municipalidad está deshabilitada en la plataforma.", code="municipality_disabled")
    agreement = config.get("agreement") or {}
    valid_until = agreement.get("valid_until")
    if agreement.get("status") != "in_force" or (valid_until and str(valid_until) < ctx.today().isoformat()):
        raise Forbidden("La municipalidad no tiene un convenio vigente con la plataforma.",
                        code="agreement_not_in_force")
    config["origins"] = [*config.get("origins", []), page_origin]
    return Portal(code=code, config=config, allowed_origin=None)

