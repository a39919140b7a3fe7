"""Citizen payments: created once per Idempotency-Key, priced by the server only, every item
held by a conditional write while the payment is pending, handed to TGR for collection."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.citizens_repo import CitizenRepository
from chalicelib.adapters.debts_repo import DebtRepository
from chalicelib.adapters.idempotency_repo import IdempotencyRepository
from chalicelib.adapters.job_queue import JobQueue
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.adapters.payments_repo import HoldRef, PaymentRepository
from chalicelib.adapters.reference_repo import ReferenceRepository
from chalicelib.adapters.tgr_client import GatewayOrder, TgrClient
from chalicelib.domain.errors import (
    Conflict,
    DependencyUnavailable,
    InvalidInput,
    NotFound,
    RuleRefused,
    SemError,
    Unauthenticated,
)
from chalicelib.domain.labels import INSTALLMENT_TEXT
from chalicelib.domain.payments import (
    STATUS_TEXT,
    PaymentStatus,
    debt_hold_key,
    municipality_of,
    new_payment_id,
    payment_id_millis,
    permit_hold_keys,
    utc_key,
)
from chalicelib.domain.plates import parse_plate
from chalicelib.domain.receipt_codes import verify_url
from chalicelib.domain.receipt_state import issued_receipt
from chalicelib.domain.rut import parse_rut
from chalicelib.services import back_years
from chalicelib.services.citizen_index import run_digest
from chalicelib.services.permit_items import PLATFORM, price_permit
from chalicelib.services.portal import Portal, registered_origins
from chalicelib.services.rate_limit import RateLimiter
from chalicelib.services.vehicle_checks import RegistryChecks

SERVICE_OF_DEBT = {"patente": "patentes", "aseo": "aseo", "permit_second": "permisos"}


@dataclass
class PaymentContext:
    """Everything creating and reading payments needs."""

    payments: PaymentRepository
    idempotency: IdempotencyRepository
    debts: DebtRepository
    references: ReferenceRepository
    registry: RegistryChecks
    gateway: TgrClient
    receipts_queue: JobQueue
    receipts_store: ObjectStore | None
    clock: Callable[[], datetime]
    token_secret: str
    notify_url: str
    payment_ttl: timedelta
    allow_estimated: bool
    receipt_recheck: timedelta = timedelta(minutes=45)
    """When the sweep queues a paid payment's receipt job again if it is still unfinished."""
    receipt_grace: timedelta = timedelta(minutes=2)
    """How long after `paid` the job sent right away has before the outbox mark is due (a crash
    between `paid` and the send is recovered then; at most `receipt_recheck`)."""
    public_api_url: str = ""
    """Where the receipt's verification page lives (`receipt.verification_url`)."""
    citizen_index_secret: str = ""
    """Keys the RUN's hash in the national index of a citizen's payments (docs/citizens.md)."""
    _plate_holds: dict[str, dict[str, dict[str, Any]]] = dataclasses.field(default_factory=dict, init=False, repr=False)

    def plate_holds(self, plate: str) -> dict[str, dict[str, Any]]:
        """The plate's permit holds (`PaymentRepository.permit_holds`), read once per context — a
        context serves one request. Eventually consistent: the quote shows them, and the creation
        checks them before the transaction whose hold conditions are the real guard."""
        if plate not in self._plate_holds:
            self._plate_holds[plate] = self.payments.permit_holds(plate)
        return self._plate_holds[plate]


# -- access tokens ------------------------------------------------------------------------------

def access_token(secret: str, payment_id: str) -> str:
    """The payment's bearer token: derived, so a replayed creation returns the same token while
    only its hash is stored."""
    digest = hmac.new(secret.encode(), f"payment-access|{payment_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


TOKEN_HASH_CHARS = 32
"""What the record keeps of a token: the first 128 bits of its SHA-256, in hex (the token itself
carries 256 bits from a keyed HMAC; 128 bits of its digest is as hard to match, and 32 bytes less
on a record rewritten at every step). Records written before keep the whole digest."""


def token_hash(token: str) -> str:
    """What the payment record keeps of its access token."""
    return hashlib.sha256(token.encode()).hexdigest()[:TOKEN_HASH_CHARS]


def token_matches(token: str, stored: str) -> bool:
    """Whether `token` is the one whose hash the record keeps (a short hash, or a whole digest kept
    by older records; anything else matches nothing)."""
    if len(stored) not in (TOKEN_HASH_CHARS, 64):
        return False
    return hmac.compare_digest(hashlib.sha256(token.encode()).hexdigest()[:len(stored)], stored)


# -- creation -----------------------------------------------------------------------------------

def request_hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def create_payment(portal: Portal, idem_key: str, body: dict[str, Any], ctx: PaymentContext) -> dict[str, Any]:
    """The 201 body of `POST …/payments` (the same one again for a repeat of the same request).

    The key's claim names the payment id from the start (docs/reliability.md): a repeat reads the
    claim and the payment, and rebuilds the 201 from the record; an attempt that stopped is
    resumed under the id it named (finished when its payment exists, made again when it does not:
    the record's conditional put lets only one attempt ever create it)."""
    code = portal.code
    fingerprint = request_hash(body)
    now = ctx.clock()
    chosen = new_payment_id(code, int(now.timestamp() * 1000), os.urandom(10))
    claimed, record = ctx.idempotency.claim(code, idem_key, fingerprint, payment_id=chosen,
                                            now_epoch=int(now.timestamp()))
    if not claimed:
        return _replay(portal, record or {}, fingerprint, ctx)
    payment_id = str((record or {}).get("payment_id") or chosen)
    again = payment_id != chosen  # an earlier attempt of this request held the key, and died
    if again:
        payment = ctx.payments.get(code, payment_id)
        if payment is not None:  # it created the payment and then stopped (crash, timeout): finish it
            return _resume(portal, payment, ctx)
        # It stopped before its payment existed: make it now, under its id and its time, so
        # whatever it wrote first (item rows, listing entries) is rewritten the same.
        now = datetime.fromtimestamp(payment_id_millis(payment_id) / 1000, tz=now.tzinfo)
    try:
        return _create(portal, body, ctx, now, payment_id=payment_id, again=again)
    except PaymentCreated as stopped:
        # The payment exists (its id named by the key): a retry with the same key resumes it.
        raise stopped.cause from None
    except SemError:
        ctx.idempotency.release(code, idem_key, fingerprint)
        raise


def _created_body(payment: Mapping[str, Any], ctx: PaymentContext) -> dict[str, Any]:
    """The 201 of a payment's creation, rebuilt from its record as it was first answered (status
    `pending`, whatever the payment became since; the access token derived again)."""
    payment_id = str(payment["payment_id"])
    return {"payment_id": payment_id, "status": PaymentStatus.PENDING.value, "amount": payment["amount"],
            "checkout_url": payment["checkout_url"], "access_token": access_token(ctx.token_secret, payment_id),
            "expires_at": payment["expires_at"]}


def _replay(portal: Portal, existing: dict[str, Any], fingerprint: str, ctx: PaymentContext) -> dict[str, Any]:
    if existing.get("request_hash") != fingerprint:
        raise Conflict("Esta Idempotency-Key ya se usó con otra solicitud.", code="idempotency_key_reused",
                       field="Idempotency-Key")
    if existing.get("state") == "done" and isinstance(existing.get("response"), dict):
        # A record completed with its stored response (before the claim named the payment).
        response = dict(existing["response"])
        response["access_token"] = access_token(ctx.token_secret, response["payment_id"])
        return response
    payment = ctx.payments.get(portal.code, str(existing["payment_id"])) if existing.get("payment_id") else None
    if payment is None or not payment.get("checkout_url"):
        raise Conflict("Esta solicitud ya se está procesando; reintente en unos segundos.",
                       code="idempotency_in_progress", field="Idempotency-Key")
    return _created_body(payment, ctx)


class PaymentCreated(Exception):
    """A failure after the payment was created (its id named by its idempotency key)."""

    def __init__(self, cause: SemError) -> None:
        super().__init__(cause.message)
        self.cause = cause


def _resume(portal: Portal, payment: dict[str, Any], ctx: PaymentContext) -> dict[str, Any]:
    if payment.get("checkout_url"):
        return _created_body(payment, ctx)
    if payment["status"] != PaymentStatus.PENDING.value:
        raise Conflict("El pago de esta solicitud ya no está pendiente; inicie uno nuevo con otra Idempotency-Key.",
                       code="payment_not_pending", field="Idempotency-Key")
    order = _attach_order(portal, payment, ctx)
    return _created_body({**payment, "checkout_url": order.checkout_url}, ctx)


def _attach_order(portal: Portal, payment: Mapping[str, Any], ctx: PaymentContext) -> GatewayOrder:
    """TGR's order for the payment (TGR returns the same one for the same payment), recorded."""
    code, payment_id = portal.code, payment["payment_id"]
    order = ctx.gateway.create_order(
        payment_id=payment_id, municipality=code, amount=payment["amount"],
        description=f"{portal.config.get('name', code)}: " + "; ".join(i["description"] for i in payment["items"]),
        return_url=payment["return_url"], notify_url=ctx.notify_url)
    ctx.payments.attach_order(code, payment_id, order_id=order.order_id, checkout_url=order.checkout_url,
                              at=utc_key(ctx.clock()))
    return order


def _create(portal: Portal, body: dict[str, Any], ctx: PaymentContext, now: datetime, *, payment_id: str,
            again: bool) -> dict[str, Any]:
    code = portal.code
    now_iso = now.isoformat(timespec="seconds")
    now_key = utc_key(now)
    payer = body["payer"]
    payer_rut = parse_rut(payer["rut"], field="payer.rut")
    _check_return_url(portal, body["return_url"])
    _check_back_years(body["items"], ctx)
    resolved = [_resolve_item(portal, i, item, payer_rut.compact, ctx, now) for i, item in enumerate(body["items"])]
    seen: set[str] = set()
    for i, item in enumerate(resolved):
        for hold in item["holds"]:
            if hold in seen:
                raise InvalidInput("El carro repite un ítem.", code="duplicate_item", field=f"items[{i}]")
            seen.add(hold)
    amount = sum(int(item["amount"]) for item in resolved)
    token = access_token(ctx.token_secret, payment_id)
    expires_at = (now + ctx.payment_ttl).isoformat(timespec="seconds")
    expires_key = utc_key(now + ctx.payment_ttl)
    # The record is written at every step of the payment: what only its detail needs (the legal
    # breakdown, when the checks were made) goes to the item rows, written once.
    summary = [{k: v for k, v in item.items() if k not in ("breakdown", "hold_owner", "checked_at")}
               for item in resolved]
    meta = {
        "payment_id": payment_id, "municipality": code,
        "status": PaymentStatus.PENDING.value, "amount": amount, "items": summary,
        "payer": {"rut": payer_rut.compact, "name": payer["name"].strip(), "email": payer["email"].strip().lower()},
        "return_url": body["return_url"], "access_token_hash": token_hash(token), "created_at": now_iso,
        "expires_at": expires_at,
    }
    item_rows = [{"breakdown": item["breakdown"], "description": item["description"], "amount": item["amount"],
                  **{k: item[k] for k in ("plate", "checked_at") if item.get(k)}} for item in resolved]
    holds: list[HoldRef] = [(item["hold_owner"], key) for item in resolved for key in item["holds"]]
    before = []
    if ctx.citizen_index_secret:  # the payer's national index entry, written before the payment
        before.append(CitizenRepository.payment_pointer(run_digest(ctx.citizen_index_secret, payer_rut.compact),
                                                        code=code, payment_id=payment_id, created_key=now_key))
    ctx.payments.create_pending(meta, item_rows, holds, payer_rut=payer_rut.compact, now_key=now_key,
                                expires_key=expires_key, before=before, again=again)
    try:
        order = _attach_order(portal, meta, ctx)
    except DependencyUnavailable as exc:
        if exc.code not in ("gateway_unavailable", "gateway_refused"):
            raise PaymentCreated(exc) from exc  # the order may exist: leave the payment for a resume
        # TGR has no order for it: cancel, so the items are free for the citizen's next try.
        ctx.payments.close(code, payment_id, from_status="pending", to_status=PaymentStatus.CANCELLED.value,
                           at=now_iso, event_kind="cancelled", detail={"reason": "gateway order failed"}, holds=holds)
        raise
    except SemError as exc:
        raise PaymentCreated(exc) from exc
    return {"payment_id": payment_id, "status": "pending", "amount": amount, "checkout_url": order.checkout_url,
            "access_token": token, "expires_at": expires_at}


def _check_back_years(items: list[dict[str, Any]], ctx: PaymentContext) -> None:
    """A permit of year N (full or first installment) is refused while the plate owes earlier years
    that are not in the same cart (services/back_years.py); a second installment belongs to a year
    already taken. Read before pricing, so the refusal names the years even when they cannot be priced."""
    permits = [(i, parse_plate(item["plate"], field=f"items[{i}].plate").value, int(item["year"]))
               for i, item in enumerate(items) if item.get("type") == "permit" and item.get("installment") != "second"]
    for i, plate, year in permits:
        owed = back_years.owed(plate, year, {}, ctx.plate_holds(plate))
        back_years.require_paid_or_in_cart(plate, year, owed, (y for _, p, y in permits if p == plate),
                                           field=f"items[{i}]")


def _check_return_url(portal: Portal, url: str) -> None:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.scheme not in ("https", "http") or origin not in registered_origins(portal.config):
        raise InvalidInput("return_url debe ser una dirección del sitio registrado de la municipalidad.",
                           code="return_url_not_allowed", field="return_url")


def _resolve_item(portal: Portal, index: int, item: dict[str, Any], payer_rut: str, ctx: PaymentContext,
                  now: datetime) -> dict[str, Any]:
    field = f"items[{index}]"
    if item["type"] == "permit":
        return _resolve_permit(portal, field, item["plate"], int(item["year"]), item["installment"], ctx, now)
    debt = ctx.debts.get(portal.code, item["debt_id"])
    if debt is None:
        raise NotFound("La deuda indicada no existe en esta municipalidad.", code="debt_not_found", field=field)
    if debt.get("status") != "open":
        raise Conflict("La deuda indicada ya está pagada.", code="item_unavailable", field=field)
    if debt["type"] == "permit_second":
        return _resolve_permit(portal, field, debt["plate"], int(debt["year"]), "second", ctx, now,
                               debt_id=debt["debt_id"])
    return {"type": "debt", "debt_id": debt["debt_id"], "debt_type": debt["type"],
            "service": SERVICE_OF_DEBT[debt["type"]], "description": debt["description"],
            "amount": int(debt["amount"]), "holds": [debt_hold_key(debt["debt_id"])], "hold_owner": portal.code,
            "breakdown": {"source": "rol municipal", "period": debt.get("period"), "due_date": debt.get("due_date"),
                          "amount": int(debt["amount"])}}


def _resolve_permit(portal: Portal, field: str, raw_plate: str, year: int, installment: str, ctx: PaymentContext,
                    now: datetime, debt_id: str | None = None) -> dict[str, Any]:
    if "permisos" not in portal.config.get("services", []):
        raise RuleRefused("La municipalidad no tiene habilitado el pago de permisos de circulación.",
                          code="service_not_enabled", field=field)
    plate = parse_plate(raw_plate, field=f"{field}.plate").value
    result = ctx.registry.check(portal.code, plate, year, now=now)
    if result.vehicle is None:
        if result.any_unavailable:
            raise DependencyUnavailable("No se pudo consultar el registro de vehículos; reintente en unos minutos.",
                                        code="registry_unavailable", retry_after=60)
        raise RuleRefused("El vehículo no figura en el registro; verifique la patente.", code="vehicle_not_found",
                          field=f"{field}.plate")
    if not result.all_ok:
        unavailable = result.any_unavailable
        reasons = [c.get("reason") or name for name, c in result.checks.items() if c.get("status") != "ok"]
        if unavailable:
            raise DependencyUnavailable("No se pudieron verificar los requisitos del permiso; reintente en unos "
                                        "minutos.", code="checks_unavailable", retry_after=60)
        raise RuleRefused("No se puede pagar el permiso: " + " ".join(str(r) for r in reasons),
                          code="not_payable", field=field)
    if installment == "first" and any(d.get("status") == "open" and d.get("type") != "permit_second"
                                      for d in ctx.debts.by_rut(portal.code, str(result.vehicle.get("owner_rut")))):
        raise RuleRefused("Solo propietarios sin deudas con la municipalidad pueden pagar en cuotas.",
                          code="split_not_allowed", field=f"{field}.installment")
    price = price_permit(portal.code, portal.config, result.vehicle, year, installment, refs=ctx.references,
                         holds=ctx.plate_holds(str(result.vehicle["plate"])), today=now.date(), now_iso=utc_key(now),
                         allow_estimated=ctx.allow_estimated)
    if price.held:
        raise Conflict(" ".join(price.held), code="item_unavailable", field=field)
    if price.amount is None or price.blockers:
        raise RuleRefused(" ".join(price.blockers) or "No se pudo calcular el permiso.", code="not_payable",
                          field=field)
    item = {"type": "permit", "plate": plate, "year": year, "installment": installment, "service": "permisos",
            "description": f"Permiso de circulación {year}, {plate} ({INSTALLMENT_TEXT[installment].lower()})",
            "amount": price.amount, "holds": permit_hold_keys(plate, year, installment), "hold_owner": PLATFORM,
            "owner_rut": result.vehicle.get("owner_rut"), "checked_at": result.checked_at,
            "breakdown": {**price.breakdown, "checks": result.checks}}
    if debt_id:
        item["debt_id"] = debt_id
    return item


# -- reading ------------------------------------------------------------------------------------

def payment_status(payment_id: str, authorization: str | None, ctx: PaymentContext, *,
                   limiter: RateLimiter | None = None, source: str | None = None) -> dict[str, Any]:
    """`GET /v1/payments/{id}` for the holder of the payment's access token. With a `limiter`,
    wrong tokens are counted per payment and per source, and past the limit they get 429; the
    right token is always served."""
    code = municipality_of(payment_id)
    token = (authorization or "").removeprefix("Bearer ").strip()
    if not token:
        raise Unauthenticated("Falta el token de acceso del pago (Authorization: Bearer …).", code="missing_token")
    # The token is derived from the payment id: a right one is known without a read, so it is never
    # slowed by the counters (a citizen polling, or one whose payment id someone else is guessing
    # at) and costs no counter read; the others are limited and counted unless the stored hash
    # still matches (a token of a payment created before the secret was rotated).
    derived_right = hmac.compare_digest(token, access_token(ctx.token_secret, payment_id))
    attempt = limiter.attempt(code, limiter.payment_token_limits(payment_id, source)) \
        if limiter and not derived_right else None
    payment = ctx.payments.get(code, payment_id)
    if payment is None or not token_matches(token, str(payment.get("access_token_hash", ""))):
        # Counted already (taken before the read). The same answer for "no such payment" and
        # "wrong token": ids are not to be probed.
        raise NotFound("No existe un pago con ese identificador y token.", code="payment_not_found")
    if attempt is not None:
        attempt.succeeded()
    status = PaymentStatus(payment["status"])
    body: dict[str, Any] = {
        "payment_id": payment_id, "municipality": code, "status": status.value, "status_text": STATUS_TEXT[status],
        "amount": payment["amount"], "created_at": payment["created_at"], "expires_at": payment["expires_at"],
        "items": [{k: v for k, v in i.items() if k in ("type", "description", "amount", "plate", "year",
                                                        "installment", "debt_id")} for i in payment["items"]],
    }
    for name in ("paid_at", "method"):
        if payment.get(name):
            body[name] = payment[name]
    receipt = issued_receipt(payment)
    if receipt and ctx.receipts_store is not None:
        body["receipt"] = {"folio": receipt["folio"], "verification_code": receipt["verification_code"],
                           "download_url": ctx.receipts_store.presign_get(
                               receipt["key"], expires_in=300, filename=f"comprobante-{receipt['folio']}.pdf"),
                           "verification_url": verify_url(ctx.public_api_url, str(receipt["folio"]),
                                                          str(receipt["verification_code"]))}
    if payment.get("email_bounce") or (payment.get("email") or {}).get("reason_code") == "email_suppressed":
        # SES reported a hard bounce (docs/email-events.md): the citizen learns it here, with the download.
        body["email_notice"] = {"status": "bounced", "text": (
            "No pudimos entregar el comprobante en su correo: el servidor de destino lo rechazó. Descárguelo"
            " desde esta página, o pida a la municipalidad que corrija su correo y lo reenvíe.")}
    return body
