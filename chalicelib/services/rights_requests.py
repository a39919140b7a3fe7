"""Citizens' rights over their personal data (arts. 4°–11 of Ley 19.628 as amended by Ley 21.719),
exercised through a request the municipality's officials file and handle in the console
(docs/personal-data.md). Self-service with ClaveÚnica does not exist yet.

A request is filed for a RUN after an official checked the person's identity (how is recorded);
it is due 30 calendar days after filing (art. 11), extendable once by 30. Its steps — export,
rectification, suppression, opposition, extension, closing — each write an event and an audit
entry in the same transaction as the request's new state. Nothing a legal obligation keeps is
removed: a paid payment's RUN and name, receipts and the municipality's rolls stay (art. 7°).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.dynamo import decode_cursor
from chalicelib.adapters.payments_repo import INDEX_FIELDS
from chalicelib.adapters.retention_repo import RetentionRepository
from chalicelib.adapters.rights_repo import RightsRepository, event_row, is_payment
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, RuleRefused
from chalicelib.domain.payments import PaymentStatus, utc_key
from chalicelib.domain.personal_data import CATEGORIES, EXTENSION_DAYS, RESPONSE_DAYS
from chalicelib.domain.receipt_state import email_attempts
from chalicelib.domain.rut import parse_rut
from chalicelib.services.auth import Official
from chalicelib.services.retention import UNPAID

KINDS = ("access", "portability", "rectification", "suppression", "opposition")
IDENTITY_METHODS = ("cedula_presencial", "firma_electronica_avanzada", "poder_notarial", "clave_unica")
OPEN = ("open",)
_INTERNAL = ("pk", "sk", *sorted(INDEX_FIELDS), "access_token_hash", "return_url", "checkout_url", "ttl")


@dataclass
class RightsContext:
    """What the rights flows need; `clock` is injected so tests move time."""

    repo: RightsRepository
    retention: RetentionRepository
    audit: AuditLog
    clock: Callable[[], datetime]


def _audit(code: str, official: Official, action: str, request_id: str, after: Any, now: datetime) -> dict[str, Any]:
    return audit_row(code, actor=official.email, profile=official.profile, action=action,
                     target=f"privacy/requests/{request_id}", after=after, now=now)


def refused_elsewhere(official: Official, requested_code: str, reason: str, ctx: RightsContext) -> None:
    """Log a refused attempt in the official's own municipality's audit (never in the other's)."""
    ctx.audit.record(official.municipality, actor=official.email, profile=official.profile,
                     action="privacy.request.refused", target=f"privacy/requests@{requested_code}",
                     after={"reason": reason}, now=ctx.clock())


def file_request(code: str, body: dict[str, Any], official: Official, ctx: RightsContext) -> dict[str, Any]:
    """File a request: the RUN, who asks, how to answer them, and how their identity was checked."""
    rut = parse_rut(body.get("rut"), field="rut")
    kind = body["kind"]
    if not body.get("identity_verified") or body.get("identity_method") not in IDENTITY_METHODS:
        ctx.audit.record(code, actor=official.email, profile=official.profile, action="privacy.request.refused",
                         target="privacy/requests", after={"reason": "identity_not_verified", "rut": rut.masked},
                         now=ctx.clock())
        raise RuleRefused("Antes de ingresar la solicitud, verifique la identidad del titular (o de su "
                          "representante) e indique cómo la verificó.", code="identity_not_verified",
                          field="identity_verified")
    now = ctx.clock()
    request_id = f"{utc_key(now).replace('-', '').replace(':', '')}-{os.urandom(4).hex()}"
    due = (now.date() + timedelta(days=RESPONSE_DAYS)).isoformat()
    request = {
        "request_id": request_id, "municipality": code, "kind": kind, "status": "open",
        "rut": rut.compact, "name": body["name"].strip(), "contact": body["contact"].strip(),
        "identity_method": body["identity_method"], "filed_at": now.isoformat(timespec="seconds"),
        "filed_by": official.email, "due_on": due, "details": (body.get("details") or "").strip(),
    }
    event = event_row(code, request_id, utc_key(now), "filed", official.email, {"kind": kind, "due_on": due})
    ctx.repo.create(request, event, _audit(code, official, "privacy.request.filed", request_id,
                                           {"kind": kind, "rut": rut.masked, "due_on": due}, now))
    return view(request)


def view(request: dict[str, Any], events: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A request as the console shows it (the handling official sees the RUN: it is their case)."""
    out = {k: v for k, v in request.items() if k not in ("pk", "sk")}
    out["rut"] = parse_rut(request["rut"]).formatted
    if events is not None:
        out["events"] = [{"type": e["type"], "at": e["at"], "actor": e["actor"], "detail": e.get("detail", {})}
                         for e in events]
    return out


def get_request(code: str, request_id: str, ctx: RightsContext) -> dict[str, Any]:
    request = _existing(code, request_id, ctx)
    return view(request, ctx.repo.events(code, request_id))


def list_requests(code: str, cursor: str | None, ctx: RightsContext) -> dict[str, Any]:
    decode_cursor(cursor)  # a forged cursor is the caller's 400
    page = ctx.repo.page(code, cursor)
    today = ctx.clock().date().isoformat()
    items = [{**view(i), "overdue": i["status"] == "open" and str(i["due_on"]) < today} for i in page.items]
    return {"items": items, "cursor": page.cursor}


def _existing(code: str, request_id: str, ctx: RightsContext) -> dict[str, Any]:
    request = ctx.repo.get(code, request_id) if len(request_id) <= 40 else None
    if request is None:
        raise NotFound("No existe esa solicitud en esta municipalidad.", code="request_not_found")
    return request


def _step(code: str, request: dict[str, Any], official: Official, ctx: RightsContext, kind: str,
          detail: dict[str, Any], set_fields: dict[str, Any] | None = None, *, once: str | None = None) -> None:
    now = ctx.clock()
    request_id = str(request["request_id"])
    fields = {"updated_at": now.isoformat(timespec="seconds"), **(set_fields or {})}
    done = ctx.repo.step(code, request_id, from_status=OPEN, set_fields=fields,
                         event=event_row(code, request_id, utc_key(now), kind, official.email, detail),
                         audit=_audit(code, official, f"privacy.request.{kind}", request_id, detail, now),
                         once=once)
    if not done:
        raise Conflict("La solicitud ya está cerrada o cambió; recargue.", code="request_not_open")


def _require_kind(request: dict[str, Any], *kinds: str) -> None:
    if request["kind"] not in kinds:
        raise RuleRefused("Este paso no corresponde al tipo de solicitud.", code="wrong_request_kind")


def export(code: str, request_id: str, official: Official, ctx: RightsContext) -> dict[str, Any]:
    """Access and portability: everything the platform holds about the RUN in this municipality,
    machine-readable, with the purposes, bases and periods of the register (art. 5°)."""
    request = _existing(code, request_id, ctx)
    _require_kind(request, "access", "portability")
    rut = str(request["rut"])
    payments: list[dict[str, Any]] = []
    debts: list[dict[str, Any]] = []
    for item in ctx.repo.held_by_rut(code, rut):
        if is_payment(item):
            rows = ctx.repo.payment_rows(code, str(item["payment_id"]))
            meta = next((r for r in rows if r["sk"] == "META"), item)
            payments.append({**_clean(meta),
                             "items_detail": [_clean(r) for r in rows if str(r["sk"]).startswith("ITEM#")],
                             "events": [_clean(r) for r in rows if str(r["sk"]).startswith("EVENT#")],
                             "email_deliveries": [_clean(r) for r in email_attempts(
                                 [r for r in rows if str(r["sk"]).startswith("EMAIL#")], meta)]})
        else:
            debts.append(_clean(item))
    document = {
        "format": "sem-personal-data-export/1", "municipality": code, "rut": parse_rut(rut).formatted,
        "generated_at": ctx.clock().isoformat(timespec="seconds"), "request_id": request_id,
        "register": [{"category": c.name, "data": c.data, "purpose": c.purpose, "basis": c.basis,
                      "storage": c.storage, "retention": c.retention} for c in CATEGORIES],
        "payments": payments, "debts": debts,
    }
    _step(code, request, official, ctx, "exported", {"payments": len(payments), "debts": len(debts)})
    return document


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _INTERNAL}


def rectify(code: str, request_id: str, body: dict[str, Any], official: Official,
            ctx: RightsContext) -> dict[str, Any]:
    """Rectification of the payer's e-mail and/or name on every payment of the RUN here. Receipts
    already issued keep the name they were issued with (a signed document is not rewritten)."""
    request = _existing(code, request_id, ctx)
    _require_kind(request, "rectification")
    fields = {k: str(v).strip() for k, v in body.items() if k in ("email", "name") and v}
    if "email" in fields:
        fields["email"] = fields["email"].lower()
    if not fields:
        raise InvalidInput("Indique el correo o el nombre rectificado.", code="nothing_to_rectify", field="email")
    rut = str(request["rut"])
    changed = sum(1 for item in ctx.repo.held_by_rut(code, rut) if is_payment(item)
                  and ctx.repo.rectify_payer(code, str(item["payment_id"]), rut, fields))
    detail = {"fields": sorted(fields), "payments": changed}
    _step(code, request, official, ctx, "rectified", detail)
    return detail


def suppress(code: str, request_id: str, official: Official, ctx: RightsContext) -> dict[str, Any]:
    """Suppression where no legal obligation keeps the data: the payer of payments never paid, and
    the e-mail of payments whose e-mail is settled. Paid payments' RUN and name, receipts and the
    municipality's rolls are kept (art. 7°: legal obligation, public function) and counted."""
    request = _existing(code, request_id, ctx)
    _require_kind(request, "suppression")
    rut = str(request["rut"])
    at = ctx.clock().isoformat(timespec="seconds")
    counts = {"anonymized": 0, "emails_removed": 0, "kept_legal_obligation": 0, "kept_in_process": 0}
    for item in list(ctx.repo.held_by_rut(code, rut)):
        if not is_payment(item):
            counts["kept_legal_obligation"] += 1  # a debt of the municipality's roll
            continue
        payment_id, status = str(item["payment_id"]), item.get("status")
        settled = (item.get("email") or {}).get("status") in ("sent", "failed")
        if status in UNPAID:
            if ctx.retention.remove_payer_email(code, payment_id, at=at, unpaid=UNPAID):
                counts["emails_removed"] += 1
            items = [{k: v for k, v in i.items() if k != "owner_rut"} for i in item.get("items", [])]
            if ctx.retention.anonymize_unpaid_payer(code, payment_id, at=at, unpaid=UNPAID, items=items):
                counts["anonymized"] += 1
        elif status == PaymentStatus.PAID.value and settled:
            if ctx.retention.remove_payer_email(code, payment_id, at=at, unpaid=UNPAID):
                counts["emails_removed"] += 1
            counts["kept_legal_obligation"] += 1
        else:
            counts["kept_in_process"] += 1
        for row in ctx.retention.email_rows(code, payment_id) if (status in UNPAID or settled) else []:
            if "to" in row:
                ctx.retention.remove_delivery_recipient(code, payment_id, str(row["sk"]))
    _step(code, request, official, ctx, "suppressed", counts)
    return counts


def record_opposition(code: str, request_id: str, body: dict[str, Any], official: Official,
                      ctx: RightsContext) -> dict[str, Any]:
    """Opposition: recorded with what it covers. The platform sends no communication other than the
    receipt of a payment the person made (reminders do not exist yet), so nothing else changes."""
    request = _existing(code, request_id, ctx)
    _require_kind(request, "opposition")
    scope = str(body.get("scope") or "comunicaciones").strip()[:200]
    detail = {"scope": scope, "effect": "sin comunicaciones distintas del comprobante de sus pagos"}
    _step(code, request, official, ctx, "opposition_recorded", detail)
    return detail


def extend(code: str, request_id: str, body: dict[str, Any], official: Official, ctx: RightsContext) -> dict[str, Any]:
    """Extend the deadline once, by up to 30 calendar days (art. 11), with the reason."""
    request = _existing(code, request_id, ctx)
    reason = str(body.get("reason") or "").strip()
    if not reason:
        raise InvalidInput("Indique el motivo de la prórroga.", code="reason_required", field="reason")
    due = (datetime.fromisoformat(str(request["due_on"])).date() + timedelta(days=EXTENSION_DAYS)).isoformat()
    try:
        _step(code, request, official, ctx, "extended", {"due_on": due, "reason": reason[:500]},
              {"due_on": due, "extended_on": ctx.clock().date().isoformat()},
              once="extended_on")
    except Conflict:
        if request.get("extended_on"):
            raise Conflict("El plazo ya fue prorrogado una vez.", code="already_extended") from None
        raise
    return {"due_on": due}


def close(code: str, request_id: str, body: dict[str, Any], official: Official, ctx: RightsContext) -> dict[str, Any]:
    """Close with the answer given: `done`, `partial` or `refused` (these two need the reason,
    which tells the person they may claim before the Agency)."""
    request = _existing(code, request_id, ctx)
    outcome = body.get("outcome")
    reason = str(body.get("reason") or "").strip()
    if outcome in ("partial", "refused") and not reason:
        raise InvalidInput("Una denegación total o parcial debe ser fundada.", code="reason_required",
                           field="reason")
    late = ctx.clock().date().isoformat() > str(request["due_on"])
    detail = {"outcome": outcome, "reason": reason[:1000], "late": late}
    _step(code, request, official, ctx, "closed", detail,
          {"status": "closed", "outcome": outcome, "closed_at": ctx.clock().isoformat(timespec="seconds")})
    return detail

