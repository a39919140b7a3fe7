"""The backfill of the national index of a citizen's payments (docs/citizens.md): payments made
before the index existed get their pointer, `00000#CITIZEN#<HMAC(RUN)>` / `PAY#<utc>#<id>` —
the very item the payment's creation writes today, so a payment indexed at creation is left as
it is and running the backfill again changes nothing (each write is conditional)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from chalicelib.adapters.citizens_repo import CitizenRepository
from chalicelib.domain.chile_time import days_from
from chalicelib.domain.payments import PaymentStatus, utc_key
from chalicelib.domain.rut import parse_rut
from chalicelib.services.citizen_index import run_digest

INDEXED = frozenset({PaymentStatus.PAID, PaymentStatus.REVIEW, PaymentStatus.REFUND_PENDING, PaymentStatus.REFUNDED,
                     PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUND_FAILED, PaymentStatus.REVERSED})
"""Payments that were paid (whatever happened after: a refund, a reversal): what the citizen has
to find. Payments never paid are left out; they expired long before the index existed."""


def backfill(citizens: CitizenRepository, codes: Iterable[str], index_secret: str, *, since: date,
             until: date) -> dict[str, Any]:
    """Index every paid payment created from `since` to `until` (both included) in each municipality;
    the counts of what it saw and did (no RUN, no payment id)."""
    if not index_secret:
        raise ValueError("the index secret is not set")
    if until < since:
        raise ValueError("until is before since")
    counts = {"municipalities": 0, "days": (until - since).days + 1, "seen": 0, "indexed": 0, "already": 0,
              "not_paid": 0, "no_payer": 0}
    for code in codes:
        counts["municipalities"] += 1
        for day in days_from(since, until):
            for payment in citizens.payments_of_day(code, day.isoformat()):
                counts["seen"] += 1
                _one(citizens, code, payment, index_secret, counts)
    return counts


def _one(citizens: CitizenRepository, code: str, payment: dict[str, Any], secret: str, counts: dict[str, Any]) -> None:
    if payment.get("status") not in INDEXED:
        counts["not_paid"] += 1
        return
    try:
        run = parse_rut(str((payment.get("payer") or {}).get("rut", "")))
    except Exception:  # an anonymized payer (docs/personal-data.md): nobody to index it for
        counts["no_payer"] += 1
        return
    created_key = utc_key(str(payment["created_at"]))  # the key the creation gives its pointer
    added = citizens.add_payment_pointer(run_digest(secret, run.compact), code=code,
                                         payment_id=str(payment["payment_id"]), created_key=created_key)
    counts["indexed" if added else "already"] += 1
