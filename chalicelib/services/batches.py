"""A municipality's daily payment batch (nómina): built from the day's paid payments, signed by the
Tesorero(a) (or subrogante) with an attended advanced signature, immutable once signed; what
changes later is signed as a correction of the same day.

- Which payments: those paid on the day (their `paid_at` in Chile's time, as TGR notified it),
  the same rule as the consolidation (`reconciliation.paid_payments`): GSI1 partitions of the
  day and the day before, status `paid`.
- Signed version n is the record `<cut>#BATCH#<day>` / `SIGNED#<nnn>` (001 the batch, 002… the
  corrections), written with `attribute_not_exists`: never overwritten. Its manifest (payment id →
  amount, JSON) and signed PDF are objects in the receipts bucket under `<cut>/batches/<day>/`, with
  a random part in their names so a losing concurrent signer cannot replace the winner's files.
- Money that went back on the day — refunds TGR completed and reversals (contracargos) it
  notified, the same lines the settlement reconciliation matches (`reconciliation.day_returns`) —
  are lines of their own with a negative amount (`returns`), so the day's total is net; a refunded
  payment stays in its paid day's batch (it was collected that day). In the manifest a return is
  keyed `DEV#<refund id>` / `CTC#<reversal id>` beside the payment ids.
- A correction compares the day as it is now with the last signed manifest: payments added (late
  notifications), removed (no longer paid) or with another amount (shown as removed + added), and
  returns notified after the day was signed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.dynamo import DynamoTable
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.adapters.refunds_repo import RefundRepository
from chalicelib.domain.errors import ConditionFailed, Conflict, InvalidInput, RuleRefused
from chalicelib.domain.reconciliation import METHOD_TEXT, SERVICE_TEXT
from chalicelib.services import signatures
from chalicelib.services.auth import Official
from chalicelib.services.reconciliation import day_returns as returned_on

LINK_SECONDS = 300
STATUS_TEXT = {"unsigned": "Sin firmar", "signed": "Firmada",
               "correction_pending": "Firmada; hay cambios posteriores por firmar como corrección"}


@dataclass
class BatchesContext:
    table: DynamoTable
    documents: ObjectStore
    """Signed batches and their manifests (the receipts bucket)."""
    drafts: ObjectStore
    """Drafts for review (the uploads bucket)."""
    municipalities: MunicipalityRepository
    signatures: signatures.SignaturesContext
    clock: Callable[[], datetime]
    refunds: RefundRepository
    """The day's refunds and reversals: lines of their own in the batch."""


def check_day(day: str, today: date | None = None) -> str:
    """The day as `YYYY-MM-DD`; with `today`, a day still to come is refused (nothing to sign)."""
    try:
        parsed = date.fromisoformat(day)
    except ValueError:
        raise InvalidInput("La fecha debe tener el formato AAAA-MM-DD.", code="invalid_day", field="day") from None
    if len(day) != 10:
        raise InvalidInput("La fecha debe tener el formato AAAA-MM-DD.", code="invalid_day", field="day")
    if today is not None and parsed > today:
        raise RuleRefused("No hay nómina de un día que aún no llega.", code="future_day", field="day")
    return parsed.isoformat()


def day_payments(code: str, day: str, table: DynamoTable) -> list[dict[str, Any]]:
    """The municipality's payments paid on `day`, oldest first."""
    found = []
    for item in PaymentRepository(table).paid_on(code, day):
        by_service: dict[str, int] = defaultdict(int)
        for line in item.get("items", []):
            by_service[str(line.get("service", "otro"))] += int(line.get("amount", 0))
        found.append({"payment_id": str(item["payment_id"]), "amount": int(item["amount"]),
                      "method": str(item.get("method") or "desconocido"), "paid_at": str(item["paid_at"]),
                      "services": sorted(by_service), "by_service": dict(by_service)})
    return sorted(found, key=lambda p: (p["paid_at"], p["payment_id"]))


RETURN_PREFIX = {"devolucion": "DEV", "contracargo": "CTC"}
RETURN_TEXT = {"devolucion": "Devolución", "contracargo": "Contracargo"}


def day_returns(code: str, day: str, refunds: RefundRepository) -> list[dict[str, Any]]:
    """The money that went back on `day` as batch lines: negative amounts, oldest first."""
    lines = [{"payment_id": r.payment_id, "line": f"{RETURN_PREFIX.get(r.method, 'DEV')}#{r.order_id}",
              "reference": r.order_id, "kind": r.method, "kind_text": RETURN_TEXT.get(r.method, r.method),
              "amount": r.amount, "returned_at": r.paid_at}
             for r in returned_on(code, day, refunds)]
    return sorted(lines, key=lambda line: (line["returned_at"], line["line"]))


def _line_key(line: dict[str, Any]) -> str:
    return str(line.get("line") or line["payment_id"])


def totals(payments: list[dict[str, Any]], returns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    services: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    methods: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in payments:
        for service, amount in p["by_service"].items():
            services[service][0] += 1
            services[service][1] += amount
        methods[p["method"]][0] += 1
        methods[p["method"]][1] += p["amount"]
    returns = returns or []
    collected = sum(p["amount"] for p in payments)
    returned = sum(r["amount"] for r in returns)
    by_method = [{"method": m, "label": METHOD_TEXT.get(m, m), "count": n, "amount": a}
                 for m, (n, a) in sorted(methods.items())]
    if returns:
        by_method.append({"method": "refund", "label": METHOD_TEXT["refund"], "count": len(returns),
                          "amount": returned})
    return {"count": len(payments), "amount": collected + returned, "collected": collected,
            "returns": {"count": len(returns), "amount": returned},
            "by_service": [{"service": s, "label": SERVICE_TEXT.get(s, s), "count": n, "amount": a}
                           for s, (n, a) in sorted(services.items())],
            "by_method": by_method}


def manifest(payments: list[dict[str, Any]], returns: list[dict[str, Any]] | None = None) -> dict[str, int]:
    entries = {p["payment_id"]: p["amount"] for p in payments}
    entries.update({r["line"]: r["amount"] for r in returns or []})
    return entries


def digest(entries: dict[str, int]) -> str:
    return hashlib.sha256(json.dumps(sorted(entries.items()), separators=(",", ":")).encode()).hexdigest()


def build(code: str, day: str, ctx: BatchesContext) -> dict[str, Any]:
    payments = day_payments(code, day, ctx.table)
    returns = day_returns(code, day, ctx.refunds)
    return {"municipality": code, "day": day, "payments": payments, "returns": returns,
            "totals": totals(payments, returns), "digest": digest(manifest(payments, returns))}


def _signed(code: str, day: str, ctx: BatchesContext) -> tuple[list[dict[str, Any]], dict[str, int] | None]:
    records = ctx.signatures.repo.signed_batches(code, day)
    if not records:
        return [], None
    last: dict[str, int] = json.loads(ctx.documents.get(str(records[-1]["manifest_key"])))
    return records, last


def difference(current: list[dict[str, Any]], signed: dict[str, int]) -> tuple[list[dict[str, Any]],
                                                                            list[dict[str, Any]]]:
    """Lines (payments and returns) to add and to remove for the signed manifest to match the day
    as it is now."""
    now = {_line_key(p): p for p in current}
    added = [p for p in current if signed.get(_line_key(p)) != p["amount"]]
    removed = [{"payment_id": "" if "#" in key else key, "line": key, "amount": amount,
                "paid_at": "", "method": "", "services": []}
               for key, amount in sorted(signed.items())
               if key not in now or now[key]["amount"] != amount]
    return added, removed


def view(code: str, day: str, ctx: BatchesContext, *, with_document: bool = False) -> dict[str, Any]:
    """The day's batch as it is now, its signed versions and any pending correction."""
    day = check_day(day)
    batch = build(code, day, ctx)
    records, last = _signed(code, day, ctx)
    pending = None
    status = "unsigned"
    if last is not None:
        added, removed = difference(batch["payments"] + batch["returns"], last)
        status = "correction_pending" if added or removed else "signed"
        if added or removed:
            pending = {"added": added, "removed": removed,
                       "net_amount": sum(p["amount"] for p in added) - sum(p["amount"] for p in removed)}
    body: dict[str, Any] = {**batch, "status": status, "status_text": STATUS_TEXT[status],
                            "signed": [_public_record(r, ctx) for r in records], "pending_correction": pending,
                            "signs_with": ctx.signatures.port.kind.record()}
    if with_document and status != "signed":
        pdf = _document(code, batch, records, last, pending, ctx)
        key = f"{code}/batches/{day}/drafts/{ctx.clock():%Y%m%dT%H%M%S}-{secrets.token_hex(4)}.pdf"
        ctx.drafts.put(key, pdf, content_type="application/pdf")
        body["draft_url"] = ctx.drafts.presign_get(key, expires_in=LINK_SECONDS, filename=f"nomina-{code}-{day}.pdf")
    return body


def _public_record(record: dict[str, Any], ctx: BatchesContext) -> dict[str, Any]:
    number = int(record["number"])
    return {"number": number, "kind": record["kind"], "count": record["count"], "amount": record["amount"],
            "net_amount": record.get("net_amount"), "digest": record["digest"], "signed_at": record["signed_at"],
            "signed_by": record["signed_by"], "certificate_serial": record["certificate_serial"],
            "document_sha256": record["document_sha256"],
            "download_url": ctx.documents.presign_get(
                str(record["document_key"]), expires_in=LINK_SECONDS,
                filename=f"nomina-{record['municipality']}-{record['day']}-{number:03d}.pdf")}


def _municipality_name(code: str, ctx: BatchesContext) -> str:
    config = ctx.municipalities.get(code) or {}
    return str(config.get("legal_name") or config.get("name") or code)


def _document(code: str, batch: dict[str, Any], records: list[dict[str, Any]], last: dict[str, int] | None,
              pending: dict[str, Any] | None, ctx: BatchesContext) -> bytes:
    from chalicelib.documents.signed_pdfs import batch_pdf, correction_pdf

    generated = ctx.clock().strftime("%d-%m-%Y %H:%M")
    name = _municipality_name(code, ctx)
    if last is None or pending is None:
        return batch_pdf(batch, municipality=name, generated_at=generated)
    correction = {**pending, "municipality": code, "day": batch["day"], "number": int(records[-1]["number"]) + 1,
                  "previous_number": int(records[-1]["number"]), "previous_digest": str(records[-1]["digest"]),
                  "totals": batch["totals"], "digest": batch["digest"]}
    return correction_pdf(correction, municipality=name, generated_at=generated)


def sign(code: str, day: str, otp: str, official: Official, ctx: BatchesContext, *, correction: bool
         ) -> dict[str, Any]:
    """Sign the day's batch (`correction=False`, once) or a correction of it (what changed since the
    last signed version). 409 when already signed / nothing to correct / signed meanwhile."""
    from chalicelib.documents.signed_pdfs import BATCH_BOX
    from chalicelib.signing.port import Appearance, DocumentToSign

    day = check_day(day, ctx.clock().date())
    signer = signatures.identity(official, ctx.signatures)
    batch = build(code, day, ctx)
    records, last = _signed(code, day, ctx)
    if not correction and records:
        raise Conflict("La nómina de ese día ya está firmada; lo que cambió se firma como corrección.",
                       code="batch_already_signed")
    pending = None
    if correction:
        if last is None:
            raise Conflict("Primero firme la nómina del día.", code="batch_not_signed")
        added, removed = difference(batch["payments"] + batch["returns"], last)
        if not added and not removed:
            raise Conflict("La nómina firmada coincide con los pagos del día: no hay nada que corregir.",
                           code="nothing_to_correct")
        pending = {"added": added, "removed": removed,
                   "net_amount": sum(p["amount"] for p in added) - sum(p["amount"] for p in removed)}
    number = int(records[-1]["number"]) + 1 if records else 1
    pdf = _document(code, batch, records, last, pending, ctx)
    kind = "correction" if correction else "batch"
    document = DocumentToSign(
        pdf=pdf, kind="batch_correction" if correction else "batch",
        description=f"nomina-{code}-{day}-{number:03d}.pdf",
        appearance=Appearance(field_name="FirmaNomina", box=BATCH_BOX,
                              reason=("Corrección de nómina de pagos" if correction
                                      else "Autorización de nómina de pagos"),
                              location=_municipality_name(code, ctx), certify="no_changes"))
    signed_pdf = ctx.signatures.port.sign(document, signer, otp=otp)
    now = ctx.clock()
    stem = f"{code}/batches/{day}/{number:03d}-{secrets.token_hex(6)}"
    entries = manifest(batch["payments"], batch["returns"])
    ctx.documents.put(f"{stem}.json", json.dumps(entries, sort_keys=True).encode(), content_type="application/json")
    ctx.documents.put(f"{stem}.pdf", signed_pdf, content_type="application/pdf",
                      metadata={"kind": kind, "day": day, "number": str(number)})
    record = {"municipality": code, "day": day, "number": number, "kind": kind, "count": len(entries),
              "amount": sum(entries.values()), "digest": batch["digest"], "manifest_key": f"{stem}.json",
              "document_key": f"{stem}.pdf", "document_sha256": signatures.sha256_hex(signed_pdf),
              "signed_at": now.isoformat(timespec="seconds"),
              "signed_by": {"email": official.email, "name": official.name, "profile": official.profile},
              "certificate_serial": signatures.certificate_serial(official, ctx.signatures)}
    if pending is not None:
        record.update(net_amount=pending["net_amount"], added=len(pending["added"]), removed=len(pending["removed"]))
    audit = audit_row(code, actor=official.email, profile=official.profile,
                      action="batch.correction.sign" if correction else "batch.sign", target=f"{day}#{number:03d}",
                      after={k: record[k] for k in ("count", "amount", "digest", "document_sha256",
                                                     "certificate_serial")}, now=now)
    try:
        ctx.signatures.repo.add_signed_batch(code, day, record, audit)
    except ConditionFailed as exc:
        raise Conflict("Otra firma de esta nómina se registró mientras usted firmaba; recargue.",
                       code="batch_already_signed") from exc
    return view(code, day, ctx)
