"""Retention that runs by itself: strip the personal data the register of processing says has
expired (docs/personal-data.md), municipality by municipality, and count it in the audit log.

Two passes, each walking a municipality's payments day by day (the by-day index) from where it
stopped last time up to its cutoff, a bounded number of days per run:

- `email`: the payer's e-mail address and the recipient of every delivery row, once the period of
  `payer_email` is over and the e-mail is settled (paid) or the payment closed unpaid.
- `unpaid`: the payer (RUN, name) and the owner's RUN in the items of payments that were never
  paid, once `unpaid_payer` is over; their RUT index entry goes too.

A paid payment's RUN, name, items and amount, its receipt record and PDF are never touched: the
receipt's legal content and its verification (`GET /v1/receipts/verify`, which reads the receipt
record only) keep working. A payment the job may not touch yet (pending, under review, paid
with its e-mail unsettled) waits in the marker and is looked at again on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from chalicelib.adapters.audit_log import AuditLog
from chalicelib.adapters.retention_repo import RetentionRepository
from chalicelib.domain.payments import PaymentStatus
from chalicelib.domain.personal_data import retention

UNPAID = (PaymentStatus.EXPIRED.value, PaymentStatus.CANCELLED.value, PaymentStatus.REJECTED.value)
FIRST_DAY = date(2025, 1, 1)
"""Where a municipality's first run starts: before any payment the platform took."""
ACTOR = "sistema:retencion"
MAX_WAITING = 500


@dataclass
class RetentionContext:
    """What the job needs; `clock` is injected so tests move time."""

    repo: RetentionRepository
    audit: AuditLog
    clock: Callable[[], datetime]
    max_days: int = 31
    first_day: date = FIRST_DAY


@dataclass
class PassResult:
    """What one pass did in one municipality."""

    days: int = 0
    anonymized: int = 0
    delivery_rows: int = 0
    deferred: list[str] = field(default_factory=list)
    through: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"days": self.days, "anonymized": self.anonymized, "delivery_rows": self.delivery_rows,
                "deferred": len(self.deferred), "through": self.through}


def _days(after: str | None, cutoff: date, limit: int, first_day: date) -> list[str]:
    start = first_day if after is None else date.fromisoformat(after) + timedelta(days=1)
    out: list[str] = []
    day = start
    while day < cutoff and len(out) < limit:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out


def _email_pass(code: str, payments: Iterable[dict[str, Any]], ctx: RetentionContext, at: str,
                result: PassResult) -> None:
    """Strip e-mail addresses from payments; the ones that must wait go to `result.deferred`."""
    for payment in payments:
        payment_id = str(payment["payment_id"])
        status = payment.get("status")
        settled = (payment.get("email") or {}).get("status") in ("sent", "failed")
        if not (status in UNPAID or (status == PaymentStatus.PAID.value and settled)):
            if "email" in (payment.get("payer") or {}):
                result.deferred.append(payment_id)
            continue  # a payment that holds no address has nothing to wait for
        if ctx.repo.remove_payer_email(code, payment_id, at=at, unpaid=UNPAID):
            result.anonymized += 1
        for row in ctx.repo.email_rows(code, payment_id):
            if ("to" in row or "recipient" in row) and ctx.repo.remove_delivery_recipient(code, payment_id,
                                                                                           str(row["sk"])):
                result.delivery_rows += 1


def _unpaid_pass(code: str, payments: Iterable[dict[str, Any]], ctx: RetentionContext, at: str,
                 result: PassResult) -> None:
    """Anonymize the payer of unpaid payments; the ones that must wait go to `result.deferred`."""
    for payment in payments:
        payment_id = str(payment["payment_id"])
        status = payment.get("status")
        if status == PaymentStatus.PAID.value:
            continue  # kept: the municipality's accounting needs who paid
        if status not in UNPAID:
            result.deferred.append(payment_id)
            continue
        items = [{k: v for k, v in item.items() if k != "owner_rut"} for item in payment.get("items", [])]
        if "rut" in (payment.get("payer") or {}) and ctx.repo.anonymize_unpaid_payer(
                code, payment_id, at=at, unpaid=UNPAID, items=items):
            result.anonymized += 1


_PASSES = {
    "email_through": ("payer_email", _email_pass),
    "unpaid_through": ("unpaid_payer", _unpaid_pass),
}


def run(code: str, ctx: RetentionContext) -> dict[str, Any]:
    """Both passes for one municipality; writes one audit entry with the counts when anything was
    anonymized, and returns the counts per pass.

    A payment the job may not touch yet (pending, under review, paid with its e-mail unsettled)
    is kept in the marker's waiting list and looked at again on every run until it can be."""
    now = ctx.clock()
    at = now.isoformat(timespec="seconds")
    marker = ctx.repo.marker(code)
    results: dict[str, PassResult] = {}
    for marker_field, (record, apply) in _PASSES.items():
        cutoff = retention(record).cutoff(now.date())
        result = results[marker_field] = PassResult()
        if cutoff is None:
            continue
        previous = marker.get(marker_field)
        waiting = [str(i) for i in marker.get(f"{marker_field}_waiting", [])]
        apply(code, [p for i in waiting if (p := ctx.repo.payment(code, i)) is not None], ctx, at, result)
        days = _days(previous, cutoff, ctx.max_days, ctx.first_day)
        if previous is not None and not days and result.deferred != waiting:
            days = [previous]  # nothing new to walk, but the waiting list changed: keep it
        for day in days:
            if day != previous:
                apply(code, ctx.repo.payments_of_day(code, day), ctx, at, result)
                result.days += 1
            if len(result.deferred) > MAX_WAITING:
                break  # too many to remember: walk this day again next run
            if not ctx.repo.advance(code, marker_field, previous, day, at, waiting=result.deferred):
                break  # another run is walking the same days
            previous = result.through = day
    summary = {name: r.as_dict() for name, r in results.items()}
    if any(r.anonymized or r.delivery_rows for r in results.values()):
        ctx.audit.record(code, actor=ACTOR, profile="sistema", action="personal_data.retention",
                         target=f"{code}#RETENTION", after=summary, now=now)
    return summary
