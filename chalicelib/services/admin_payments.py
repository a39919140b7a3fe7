"""Officials' view of a municipality's payments: search, detail, CSV export, resending a receipt.

Every read is a Query or a GetItem inside the municipality's own partitions (never a Scan):

- by day range: GSI1 `<cut>#PAYDAY#<day>`, one partition per Chilean calendar day, newest first;
- by RUT: GSI2 `<cut>#RUT#<rut>` (`PAY#<utc>#<id>`), by plate: GSI2 `<cut>#PLATE#<plate>` (the
  payment's item rows), by folio: GetItem of the receipt record `<cut>#RECEIPT#<folio>`;
- status and service are filters applied to the payments of that bounded query.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.dynamo import DynamoTable, Item
from chalicelib.adapters.job_queue import JobQueue
from chalicelib.adapters.object_store import ObjectStore
from chalicelib.adapters.paged_search import search
from chalicelib.adapters.payments_repo import PaymentRepository, event_row
from chalicelib.domain.chile_time import SANTIAGO
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, RuleRefused
from chalicelib.domain.payments import PAYMENT_ID, STATUS_TEXT, PaymentStatus, utc_key
from chalicelib.domain.personal_data import mask_email, mask_rut
from chalicelib.domain.plates import parse_plate
from chalicelib.domain.receipt_state import (
    email_attempts,
    implied_email_attempt,
    issued_receipt,
    receipt_allocation,
)
from chalicelib.domain.rut import parse_rut
from chalicelib.domain.spreadsheet import safe_row
from chalicelib.services.auth import Official
from chalicelib.services.receipt_jobs import receipt_job

MAX_DAYS = 93
MAX_EXAMINED_PER_PAGE = 2_000
CSV_MAX_ROWS = 10_000
CSV_MAX_EXAMINED = 50_000
RECEIPT_LINK_TTL_S = 300
_FOLIO = re.compile(r"^([0-9]{5})-([0-9]{4})-([0-9]{6,9})$")


@dataclass(frozen=True)
class PaymentFilters:
    """A search, normalized: RUT compact, plate canonical, days in Chile's calendar."""

    date_from: date | None = None
    date_to: date | None = None
    status: str | None = None
    service: str | None = None
    rut: str | None = None
    plate: str | None = None
    folio: str | None = None


@dataclass
class PaymentsAdminContext:
    """What the officials' payment use cases need."""

    table: DynamoTable
    payments: PaymentRepository
    receipts_store: ObjectStore
    receipts_queue: JobQueue
    audit: AuditLog
    today: Callable[[], date]


def normalize(*, date_from: date | None, date_to: date | None, status: str | None, service: str | None,
              rut: str | None, plate: str | None, folio: str | None, today: date) -> PaymentFilters:
    """Check and normalize a search. Without RUT, plate or folio the search is by day range
    (today when no dates are given), at most `MAX_DAYS` days."""
    compact_rut = parse_rut(rut, field="rut").compact if rut else None
    canonical_plate = parse_plate(plate, field="plate").value if plate else None
    if folio is not None and not _FOLIO.match(folio.strip()):
        raise InvalidInput("El folio debe tener la forma 13101-2027-000123.", code="invalid_folio", field="folio")
    by_key = bool(compact_rut or canonical_plate or folio)
    if not by_key:
        date_to = date_to or (date_from if date_from and date_from > today else today)
        date_from = date_from or date_to
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("La fecha 'from' no puede ser posterior a 'to'.", code="invalid_range", field="from")
    if not by_key and date_from and date_to and (date_to - date_from).days + 1 > MAX_DAYS:
        raise InvalidInput(f"El rango de fechas puede abarcar como máximo {MAX_DAYS} días.",
                           code="range_too_long", field="to")
    return PaymentFilters(date_from=date_from, date_to=date_to, status=status, service=service, rut=compact_rut,
                          plate=canonical_plate, folio=folio.strip() if folio else None)


# -- search -------------------------------------------------------------------------------------

def search_payments(code: str, filters: PaymentFilters, ctx: PaymentsAdminContext, *, limit: int,
                    cursor: str | None, masked: bool = False) -> dict[str, Any]:
    """One page of the municipality's payments matching `filters`, newest first."""
    if filters.folio:
        meta = _by_folio(code, filters.folio, ctx)
        found = [summary(meta, masked=masked)] if meta is not None and _matches(meta, filters) else []
        return {"items": found, "cursor": None}
    page = _search(code, filters, ctx, limit=limit, cursor=cursor, max_examined=MAX_EXAMINED_PER_PAGE)
    return {"items": [summary(m, masked=masked) for m in page.items], "cursor": page.cursor}


def _search(code: str, filters: PaymentFilters, ctx: PaymentsAdminContext, *, limit: int, cursor: str | None,
            max_examined: int) -> Any:
    def keep(row: Item) -> Item | None:  # listings hold keys: the payment is read by key
        meta = ctx.payments.listed(code, row)
        return meta if meta is not None and _matches(meta, filters) else None

    dedupe = None
    tag = f"{filters.status}|{filters.service}|{filters.rut}|{filters.plate}|{filters.date_from}|{filters.date_to}"
    if filters.rut or filters.plate:
        partitions = ctx.payments.listing_partitions(code, rut=filters.rut, plate=filters.plate,
                                                     utc_span=_utc_span(filters))
        if not filters.rut:  # plate rows are the payment's item rows: one payment may have several
            dedupe = ctx.payments.payment_id_of
    else:
        if filters.date_from is None or filters.date_to is None:
            raise InvalidInput("Indique el rango de fechas.", code="invalid_range", field="from")
        days = (filters.date_to - filters.date_from).days + 1
        partitions = ctx.payments.listing_partitions(
            code, days=[(filters.date_to - timedelta(days=n)).isoformat() for n in range(days)])
    return search(ctx.table, partitions, limit=limit, cursor=cursor, resolve=keep, max_examined=max_examined,
                  dedupe=dedupe, tag_extra=tag)


def _utc_span(filters: PaymentFilters) -> tuple[str, str] | None:
    if not filters.date_from and not filters.date_to:
        return None
    low = datetime.combine(filters.date_from or date(2000, 1, 1), time(), SANTIAGO)
    high = datetime.combine((filters.date_to or date(2999, 12, 30)) + timedelta(days=1), time(), SANTIAGO)
    return utc_key(low), utc_key(high)


def _by_folio(code: str, folio: str, ctx: PaymentsAdminContext) -> Item | None:
    if folio[:5] != code:
        return None  # another municipality's folio: nothing here, and nothing said about it
    from chalicelib.adapters.receipts_repo import ReceiptRepository

    record = ReceiptRepository(ctx.table).get(code, folio)
    if record is None:
        return None
    return ctx.payments.get(code, str(record["payment_id"]))


def _matches(meta: Item, f: PaymentFilters) -> bool:
    if meta.get("sk") != "META":
        return False
    if f.status and meta.get("status") != f.status:
        return False
    items = meta.get("items", [])
    if f.service and not any(i.get("service") == f.service for i in items):
        return False
    if f.rut and (meta.get("payer") or {}).get("rut") != f.rut:
        return False
    if f.plate and not any(i.get("plate") == f.plate for i in items):
        return False
    day = str(meta.get("created_at", ""))[:10]
    if f.date_from and day < f.date_from.isoformat():
        return False
    return not (f.date_to and day > f.date_to.isoformat())


def _folio_of(meta: Item) -> str | None:
    allocation = receipt_allocation(meta)
    return str(allocation["folio"]) if allocation else None


def summary(meta: Item, *, masked: bool = False) -> dict[str, Any]:
    """A payment as a row of the search; `masked` hides most of the payer's RUT and e-mail
    (docs/personal-data.md: minimization for profiles that do not need them)."""
    items = meta.get("items", [])
    payer = meta.get("payer") or {}
    status = PaymentStatus(meta["status"])
    return {
        "payment_id": meta["payment_id"], "created_at": meta.get("created_at"), "status": status.value,
        "status_text": STATUS_TEXT[status], "amount": int(meta.get("amount", 0)),
        "services": sorted({str(i.get("service")) for i in items if i.get("service")}),
        "plates": sorted({str(i["plate"]) for i in items if i.get("plate")}),
        "payer": {"rut": mask_rut(payer.get("rut")) if masked else payer.get("rut"), "name": payer.get("name"),
                  "email": mask_email(payer.get("email")) if masked else payer.get("email")},
        "folio": _folio_of(meta), "method": meta.get("method"), "paid_at": meta.get("paid_at"),
    }


# -- detail -------------------------------------------------------------------------------------

_DETAIL_FIELDS = ("order_id", "authorization_code", "expires_at", "closed_at", "review_reason", "gateway_amount",
                  "receipt_job", "checkout_url", "refunded_amount", "refunded_items", "refund_open", "reversed_at")


def payment_detail(code: str, payment_id: str, ctx: PaymentsAdminContext, *, masked: bool = False) -> dict[str, Any]:
    """Everything about one payment of the municipality."""
    meta = _require_payment(code, payment_id, ctx)
    item_rows = {int(r.get("index", n)): r for n, r in enumerate(ctx.payments.items(code, payment_id))}
    items = []
    for n, item in enumerate(meta.get("items", [])):
        row = item_rows.get(n, {})
        breakdown = dict(row.get("breakdown") or {})
        checks = breakdown.pop("checks", None)
        items.append({**{k: item.get(k) for k in ("type", "service", "description", "plate", "year", "installment",
                                                  "debt_id", "debt_type") if item.get(k) is not None},
                      "index": n, "amount": int(item.get("amount", 0)), "breakdown": breakdown, "checks": checks})
    events = [{"at": e.get("at"), "type": e.get("type"), "detail": e.get("detail") or {}}
              for e in ctx.payments.events(code, payment_id)]
    emails = [{k: (mask_email(v) if masked and k == "to" else v) for k, v in row.items()}
              for row in email_attempts(ctx.payments.email_attempts(code, payment_id), meta)]
    receipt = None
    stored = issued_receipt(meta)
    if stored is not None:
        receipt = {"folio": stored.get("folio"), "verification_code": stored.get("verification_code"),
                   "issued_at": stored.get("issued_at"),
                   "download_url": ctx.receipts_store.presign_get(
                       str(stored["key"]), expires_in=RECEIPT_LINK_TTL_S,
                       filename=f"comprobante-{stored.get('folio')}.pdf")}
    body = summary(meta, masked=masked)
    body.update({k: meta[k] for k in _DETAIL_FIELDS if meta.get(k) is not None})
    body.update(items=items, events=events, receipt=receipt, email=meta.get("email"), emails=emails)
    body.update(email_delivery(code, payment_id, meta, ctx))
    body.update(money_back(code, payment_id, stored, ctx))
    return body


def money_back(code: str, payment_id: str, receipt: Any, ctx: PaymentsAdminContext) -> dict[str, Any]:
    """The payment's refunds and reversals (docs/refunds.md) and its receipt's annulment, if any."""
    from chalicelib.adapters.receipts_repo import ReceiptRepository
    from chalicelib.adapters.refunds_repo import RefundRepository
    from chalicelib.services.refunds import view

    repo = RefundRepository(ctx.table)
    rows = repo.of_payment(code, payment_id) + repo.reversals_of(code, payment_id)
    annulment = None
    if isinstance(receipt, dict) and receipt.get("folio"):
        record = ReceiptRepository(ctx.table).get(code, str(receipt["folio"])) or {}
        if record.get("status") == "annulled":
            annulment = {"at": record.get("annulled_at"), "reason": record.get("annulment_reason")}
    return {"refunds": sorted((view(r) for r in rows), key=lambda r: str(r.get("created_at"))),
            "annulment": annulment}


def email_delivery(code: str, payment_id: str, meta: Item, ctx: PaymentsAdminContext) -> dict[str, Any]:
    """What SES said of the payment's e-mails (docs/email-events.md): each attempt's state with its
    dates, the state of the last one, and the hard bounce or complaint recorded."""
    from chalicelib.services.email_events import delivery_of

    attempts = delivery_of(ctx.payments.email_events(code, payment_id))
    return {"delivery": attempts, "delivery_status": attempts[-1]["status"] if attempts else None,
            "email_bounce": meta.get("email_bounce"), "email_complaint": meta.get("email_complaint")}


def _require_payment(code: str, payment_id: str, ctx: PaymentsAdminContext) -> Item:
    match = PAYMENT_ID.match(payment_id or "")
    meta = ctx.payments.get(code, payment_id) if match and match.group(1) == code else None
    if meta is None:
        raise NotFound("No existe ese pago en esta municipalidad.", code="payment_not_found", field="payment_id")
    return meta


# -- CSV ----------------------------------------------------------------------------------------

CSV_HEADERS = ("ID de pago", "Fecha de creación", "Estado", "Monto ($)", "Servicios", "Patentes", "RUT pagador",
               "Nombre pagador", "Correo pagador", "Folio", "Medio de pago", "Fecha de pago")


def export_csv(code: str, filters: PaymentFilters, ctx: PaymentsAdminContext, *, masked: bool = False
               ) -> tuple[str, int]:
    """The search as CSV (UTF-8 with BOM, `;`-separated as Excel expects in es-CL) and its row count;
    422 when more than `CSV_MAX_ROWS` payments match (narrow the search)."""
    if filters.folio:
        meta = _by_folio(code, filters.folio, ctx)
        rows = [meta] if meta is not None and _matches(meta, filters) else []
    else:
        page = _search(code, filters, ctx, limit=CSV_MAX_ROWS + 1, cursor=None, max_examined=CSV_MAX_EXAMINED)
        if page.cursor is not None or len(page.items) > CSV_MAX_ROWS:
            raise RuleRefused(f"La exportación supera {CSV_MAX_ROWS:,} pagos".replace(",", ".") +
                              "; acote el rango de fechas o agregue filtros.", code="export_too_large")
        rows = page.items
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    for line in _csv_lines(rows, masked):
        writer.writerow(safe_row(line))
    return buffer.getvalue(), len(rows)


def _csv_lines(rows: list[Item], masked: bool) -> Iterator[list[str]]:
    for meta in rows:
        s = summary(meta, masked=masked)
        yield [_cell(v) for v in (s["payment_id"], s["created_at"], s["status_text"], str(s["amount"]),
                                  ", ".join(s["services"]), ", ".join(s["plates"]), s["payer"]["rut"],
                                  s["payer"]["name"], s["payer"]["email"], s["folio"], s["method"], s["paid_at"])]


def _cell(value: Any) -> str:
    """A cell that a spreadsheet will not run as a formula (payer names come from citizens)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# -- resend -------------------------------------------------------------------------------------

def resend_receipt(code: str, payment_id: str, official: Official, ctx: PaymentsAdminContext, *,
                   new_email: str | None = None) -> dict[str, Any]:
    """Queue the payment's receipt to be sent again (only a paid payment has one); with
    `new_email`, to that corrected address (the payer's address changes, the bounce mark goes)."""
    meta = _require_payment(code, payment_id, ctx)
    old_email = (meta.get("payer") or {}).get("email")
    if meta.get("status") != PaymentStatus.PAID.value:
        raise Conflict("Solo un pago pagado tiene comprobante para reenviar.", code="payment_not_paid")
    if not issued_receipt(meta):
        raise Conflict("El comprobante aún se está emitiendo; se enviará al terminar.", code="receipt_not_issued")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    detail = {"by": official.email, **({"address_corrected": True} if new_email else {})}
    reopened = ctx.payments.reopen_email(code, payment_id, requested_by=official.email, at=now, event=event_row(
        code, payment_id, now, "receipt_resend_requested", detail), new_email=new_email,
        sent_attempt=implied_email_attempt(meta))
    if not reopened:
        raise Conflict("Ya hay un envío del comprobante en curso.", code="email_in_progress")
    # The ordinary receipt job: its e-mail step sees `retry` and sends again, exactly once.
    message_id = ctx.receipts_queue.send(receipt_job(code, payment_id))
    ctx.audit.record(code, actor=official.email, profile=official.profile, action="payment.receipt.resend",
                     target=payment_id, before={"to": old_email} if new_email else None,
                     after={"to": new_email or old_email, "folio": _folio_of(meta)})
    return {"payment_id": payment_id, "queued": True, "message_id": message_id}
