"""Fleets: a company (a legal person) pays many plates' permits at once, through its representative
signed in with ClaveÚnica (docs/citizens.md, "Flotas").

Who may act for a company comes only from a representation record (company RUT ↔ representative
RUN) registered by an accountable official after checking the deed — never from what the caller
says. Every use case here starts with `representation()`, which reads that record for the
session's RUN. Payments go through the one payment flow (`services/payments.create_payment`): one
payment per municipality with one permit item per plate, the company as payer, so its receipt
lists every plate and the payment is in the company's national index."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.fleets_repo import FleetRepository
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, SemError
from chalicelib.domain.fleets import is_legal_person, read_fleet_csv
from chalicelib.domain.plates import parse_plate
from chalicelib.domain.rut import Rut, parse_rut
from chalicelib.services import citizens, payments, quotes
from chalicelib.services.citizen_index import run_digest
from chalicelib.services.citizens import Citizen, CitizenContext
from chalicelib.services.payments import PaymentContext

MAX_QUOTE_PLATES = 10
"""Plates per quote request: the page asks in pages and shows its progress."""
MAX_PAY_PLATES = 50
"""Plates per fleet payment request."""
MAX_ITEMS_PER_PAYMENT = 25
"""Items of one payment: its creation is one DynamoDB transaction (100 writes at most; a permit
takes three: the item and its two national holds). More plates in one municipality: several payments."""
REQUEST_ANSWER_TTL_S = 7 * 24 * 3600
"""How long a fleet payment request's answer is kept for replays of its Idempotency-Key."""


@dataclass
class FleetContext:
    """Everything fleets need: the representation records, the citizen's space (sessions, the
    national index, municipalities) and the payment flow."""

    repo: FleetRepository
    citizens: CitizenContext
    payments: Callable[[], PaymentContext]
    clock: Callable[[], datetime]
    page_origin: str
    """Where the fleet page lives (scheme://host): TGR sends the representative back there."""
    return_url: str


@dataclass(frozen=True)
class Company:
    """A company the session's citizen represents (checked on its representation record)."""

    rut: Rut
    name: str


NOT_A_REPRESENTATIVE = "No figura como representante de esa empresa en la plataforma."


# -- representation ---------------------------------------------------------------------------

def companies_of(ctx: FleetContext, citizen: Citizen) -> dict[str, Any]:
    """The companies the citizen represents (active records only, each checked on the company's side)."""
    out = []
    for pointer in ctx.repo.companies_of(run_digest(ctx.citizens.index_secret, citizen.run.compact)):
        record = ctx.repo.representation(str(pointer["company_rut"]), citizen.run.compact)
        if record and record.get("status") == "active":
            company = parse_rut(str(record["company_rut"]))
            out.append({"rut": company.formatted, "name": str(record["company_name"])})
    return {"companies": sorted(out, key=lambda c: c["name"])}


def representation(ctx: FleetContext, citizen: Citizen, raw_company: str) -> Company:
    """The company, when the session's RUN has an active representation record for it; else 403
    (the same answer for a company that does not exist: RUTs are not to be probed)."""
    try:
        rut = parse_rut(raw_company, field="company")
    except InvalidInput:
        raise Forbidden(NOT_A_REPRESENTATIVE, code="not_a_representative", field="company") from None
    record = ctx.repo.representation(rut.compact, citizen.run.compact)
    if not record or record.get("status") != "active":
        raise Forbidden(NOT_A_REPRESENTATIVE, code="not_a_representative", field="company")
    return Company(rut=rut, name=str(record["company_name"]))


def register(repo: FleetRepository, index_secret: str, *, company_rut: str, company_name: str,
             representative_run: str, deed: str, by: str, at: str, municipality: str | None = None,
             profile: str | None = None) -> dict[str, Any]:
    """An official registers a representation after checking the deed (escritura, poder) it names;
    with `municipality`, in that municipality's audit log, in the same transaction."""
    company = parse_rut(company_rut, field="company_rut")
    if not is_legal_person(company.body):
        raise InvalidInput("El RUT de la empresa no corresponde a una persona jurídica.",
                           code="not_a_legal_person", field="company_rut")
    run = parse_rut(representative_run, field="representative_run")
    if is_legal_person(run.body):
        raise InvalidInput("El representante debe ser una persona natural (RUN).", code="not_a_natural_person",
                           field="representative_run")
    record = {"company_rut": company.compact, "company_name": company_name.strip(), "representative_run": run.compact,
              "deed": deed.strip(), "registered_by": by, "registered_at": at,
              "registered_municipality": municipality or "00000"}
    audit = None
    if municipality is not None:
        audit = audit_row(municipality, actor=by, profile=profile or "", action="representation.register",
                          target=company.compact, after={k: v for k, v in record.items() if k != "registered_by"})
    if not repo.register_representation(record, run_digest=run_digest(index_secret, run.compact), audit=audit):
        raise Conflict("Esa persona ya figura como representante vigente de la empresa.",
                       code="representation_exists")
    return {"company_rut": company.formatted, "company_name": record["company_name"],
            "representative_run": run.formatted, "status": "active", "registered_at": at}


def revoke(repo: FleetRepository, index_secret: str, *, company_rut: str, representative_run: str, by: str,
           at: str, municipality: str | None = None, profile: str | None = None) -> dict[str, Any]:
    """An official revokes a representation (the deed was revoked, the mandate ended); with
    `municipality`, only one that municipality registered, audited in its log."""
    company = parse_rut(company_rut, field="company_rut")
    run = parse_rut(representative_run, field="representative_run")
    audit = None
    if municipality is not None:
        audit = audit_row(municipality, actor=by, profile=profile or "", action="representation.revoke",
                          target=company.compact, after={"representative_run": run.compact, "revoked_at": at})
    if not repo.revoke_representation(company.compact, run.compact, run_digest=run_digest(index_secret, run.compact),
                                      at=at, by=by, municipality=municipality, audit=audit):
        raise NotFound("No hay una representación vigente de esa persona para esa empresa registrada aquí.",
                       code="representation_not_found")
    return {"company_rut": company.formatted, "representative_run": run.formatted, "status": "revoked",
            "revoked_at": at}


# -- the company's plates ---------------------------------------------------------------------

def _municipality_name(ctx: FleetContext, code: str) -> str | None:
    config = ctx.citizens.municipalities.get(code)
    if config is None:
        return None
    return str(config.get("name") or code)


def fleet(ctx: FleetContext, company: Company) -> dict[str, Any]:
    """The company's plate list."""
    plates = ctx.repo.plates(company.rut.compact)
    for entry in plates:
        entry["municipality_name"] = _municipality_name(ctx, entry["municipality"]) or entry["municipality"]
    return {"company": {"rut": company.rut.formatted, "name": company.name}, "plates": plates}


def upload(ctx: FleetContext, company: Company, text: str, default_municipality: str | None) -> dict[str, Any]:
    """Read an uploaded CSV: every good row added to the company's list, every bad row listed with
    its error in Spanish (a municipality that is not on the platform is a bad row too)."""
    good, bad = read_fleet_csv(text, default_municipality)
    errors: list[dict[str, Any]] = [{"row": e.row, "code": e.code, "message": e.message} for e in bad]
    accepted: list[dict[str, Any]] = []
    names: dict[str, str | None] = {}
    for row in good:
        if row.municipality not in names:
            names[row.municipality] = _municipality_name(ctx, row.municipality)
        if names[row.municipality] is None:
            errors.append({"row": row.row, "code": "municipality_not_found",
                           "message": f"Fila {row.row}: la municipalidad {row.municipality} no está en la plataforma."})
            continue
        accepted.append({"row": row.row, "plate": row.plate, "municipality": row.municipality,
                         "municipality_name": names[row.municipality]})
    ctx.repo.save_plates(company.rut.compact, [(a["plate"], a["municipality"]) for a in accepted],
                         at=ctx.clock().isoformat(timespec="seconds"))
    errors.sort(key=lambda e: int(e["row"]))
    return {"accepted": accepted, "errors": errors}


# -- quotes and payment ------------------------------------------------------------------------

def _plates(raw: list[dict[str, str]]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for i, entry in enumerate(raw):
        plate = parse_plate(entry["plate"], field=f"plates[{i}].plate").value
        if any(p == plate for p, _ in out):
            raise InvalidInput(f"La patente {plate} está repetida.", code="duplicate_plate", field=f"plates[{i}]")
        out.append((plate, entry["municipality"]))
    return out


def _quote_one(ctx: FleetContext, pay: PaymentContext, plate: str, code: str, year: int) -> dict[str, Any]:
    """One plate's quote with its prerequisites; a plate that cannot be quoted says why."""
    name = _municipality_name(ctx, code)
    entry: dict[str, Any] = {"plate": plate, "municipality": code, "municipality_name": name or code, "year": year}
    if name is None:
        return {**entry, "payable": False, "amount": None, "checks": {},
                "reasons": [f"La municipalidad {code} no está en la plataforma."]}
    try:
        portal = citizens.citizen_portal(ctx.citizens, code, ctx.page_origin)
        quote = quotes.permit_quote(portal, plate, year, pay)
    except SemError as exc:
        return {**entry, "payable": False, "amount": None, "checks": {}, "reasons": [exc.message]}
    checks = {name: {"status": str(c.get("status")), "reason": c.get("reason")}
              for name, c in (quote.get("checks") or {}).items()}
    vehicle = quote.get("vehicle") or {}
    shown = {k: vehicle.get(k) for k in ("make", "model", "model_year", "vehicle_class")} if vehicle else None
    return {**entry, "payable": bool(quote["payable"]), "amount": (quote.get("amounts") or {}).get("full"),
            "checks": checks, "reasons": [str(r) for r in quote["reasons"]],
            "vehicle": shown}


def quote(ctx: FleetContext, company: Company, raw: list[dict[str, str]], year: int) -> dict[str, Any]:
    """One quote per plate (at most MAX_QUOTE_PLATES per request), each with its checks and, when
    it cannot be paid, the reasons."""
    pay = ctx.payments()
    return {"company": company.rut.formatted, "year": year,
            "quotes": [_quote_one(ctx, pay, plate, code, year) for plate, code in _plates(raw)]}


def pay(ctx: FleetContext, citizen: Citizen, company: Company, raw: list[dict[str, str]], *, year: int, email: str,
        idem_key: str) -> dict[str, Any]:
    """Pay the payable plates: one payment per municipality (up to MAX_ITEMS_PER_PAYMENT plates
    each) through the one payment flow, the company as payer; the plates that fail a check are
    left out with their reasons. The same Idempotency-Key gives the same payments again."""
    fingerprint = payments.request_hash({"plates": raw, "year": year, "email": email})
    key_digest = hashlib.sha256(idem_key.encode()).hexdigest()
    stored = ctx.repo.request_answer(company.rut.compact, key_digest)
    if stored is not None:
        if stored.get("request_hash") != fingerprint:
            raise Conflict("Esta Idempotency-Key ya se usó con otra solicitud.", code="idempotency_key_reused",
                           field="Idempotency-Key")
        return dict(stored["answer"])
    pay_ctx = ctx.payments()
    by_municipality: dict[str, list[str]] = defaultdict(list)
    left_out: list[dict[str, Any]] = []
    for plate, code in _plates(raw):
        quoted = _quote_one(ctx, pay_ctx, plate, code, year)
        if quoted["payable"]:
            by_municipality[code].append(plate)
        else:
            left_out.append({"plate": plate, "municipality": code, "reasons": quoted["reasons"] or
                             ["No se puede pagar el permiso."]})
    created = []
    by = run_digest(ctx.citizens.index_secret, citizen.run.compact)
    for code in sorted(by_municipality):
        plates = by_municipality[code]
        for part, start in enumerate(range(0, len(plates), MAX_ITEMS_PER_PAYMENT)):
            chunk = plates[start:start + MAX_ITEMS_PER_PAYMENT]
            result = _pay_chunk(ctx, pay_ctx, company, code, chunk, year=year, email=email,
                                key=f"{idem_key}-{code}-{part}", left_out=left_out)
            if result is not None:
                ctx.repo.record_payment(company.rut.compact, result["payment_id"], municipality=code,
                                        plates=result["plates"], by_digest=by,
                                        at=ctx.clock().isoformat(timespec="seconds"))
                created.append(result)
    answer = {"company": company.rut.formatted, "year": year, "payments": created, "left_out": left_out}
    ctx.repo.save_request_answer(company.rut.compact, key_digest, request_hash=fingerprint, answer=answer,
                                 ttl=int(ctx.clock().timestamp()) + REQUEST_ANSWER_TTL_S)
    return answer


def _pay_chunk(ctx: FleetContext, pay_ctx: PaymentContext, company: Company, code: str, plates: list[str], *,
               year: int, email: str, key: str, left_out: list[dict[str, Any]]) -> dict[str, Any] | None:
    """One payment for these plates in one municipality; a plate the payment flow refuses (taken
    meanwhile by another payment, say) is left out with its reason and the rest is tried again."""
    portal = citizens.citizen_portal(ctx.citizens, code, ctx.page_origin)
    remaining = list(plates)
    for attempt in range(3):
        if not remaining:
            return None
        cart = {"items": [{"type": "permit", "plate": p, "year": year, "installment": "full"} for p in remaining],
                "payer": {"rut": company.rut.compact, "name": company.name, "email": email},
                "return_url": ctx.return_url}
        try:
            answer = payments.create_payment(portal, key if attempt == 0 else f"{key}-r{attempt}", cart, pay_ctx)
        except SemError as exc:
            index = _item_index(exc.field)
            if index is None or index >= len(remaining):
                raise
            left_out.append({"plate": remaining[index], "municipality": code, "reasons": [exc.message]})
            del remaining[index]
            continue
        return {"payment_id": answer["payment_id"], "municipality": code,
                "municipality_name": _municipality_name(ctx, code) or code, "amount": answer["amount"],
                "checkout_url": answer["checkout_url"], "expires_at": answer["expires_at"], "plates": remaining}
    if remaining:
        for plate in remaining:
            left_out.append({"plate": plate, "municipality": code,
                             "reasons": ["No se pudo crear el pago; reintente en unos minutos."]})
    return None


def _item_index(field: str | None) -> int | None:
    if not field or not field.startswith("items["):
        return None
    digits = field[len("items["):].split("]", 1)[0]
    return int(digits) if digits.isdigit() else None


# -- the company's payments and receipts -------------------------------------------------------

def company_payments(ctx: FleetContext, company: Company) -> dict[str, Any]:
    """Every payment made with the company's RUT as payer (the national index, checked on each
    record), newest first, with its receipt once issued."""
    answer = citizens.my_payments(ctx.citizens, Citizen(run=company.rut, name=company.name))
    return {"company": company.rut.formatted, "payments": answer["payments"]}


def company_receipt(ctx: FleetContext, company: Company, payment_id: str) -> dict[str, Any]:
    """A short-lived link to the receipt of one of the company's payments (404 for any other)."""
    return citizens.receipt_download(ctx.citizens, Citizen(run=company.rut, name=company.name), payment_id)
