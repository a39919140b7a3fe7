"""The one-off migration of permit holds to their plate's partition (docs/data-model.md, holds):
a hold kept under its old key, `00000#HOLD#PERMIT#<plate>#<year>#<n>` / `HOLD`, is copied to its
installment's map (`i<n>`) of `00000#HOLD#PERMIT#<plate>` / `<year>`, where the release that reads a
plate with one Query looks for it. Every permit hold was taken by a payment, and every payment names its holds, so
the migration walks each municipality's payments day by day (the by-day index, no Scan) and
copies the holds they name (`PaymentRepository.copy_legacy_permit_hold`: conditional, so running
it again changes nothing, and a hold the new release wrote is never replaced). The old items
stay where they are: nothing reads them any more."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from chalicelib.adapters.payments_repo import PaymentRepository
from chalicelib.domain.chile_time import days_from


def migrate(payments: PaymentRepository, codes: Iterable[str], *, since: date, until: date) -> dict[str, int]:
    """Copy the permit holds named by the payments created from `since` to `until` (both
    included) in each municipality; the counts of what it saw and did (no plate, no payment id)."""
    if until < since:
        raise ValueError("until is before since")
    counts = {"municipalities": 0, "days": (until - since).days + 1, "payments": 0, "holds": 0, "copied": 0,
              "already": 0, "absent": 0}
    seen: set[str] = set()
    for code in codes:
        counts["municipalities"] += 1
        for day in days_from(since, until):
            for payment in payments.created_on(code, day.isoformat()):
                counts["payments"] += 1
                for key in _permit_hold_keys(payment):
                    if key in seen:  # held by several payments over time: one copy is enough
                        continue
                    seen.add(key)
                    counts["holds"] += 1
                    counts[payments.copy_legacy_permit_hold(key)] += 1
    return counts


def _permit_hold_keys(payment: dict[str, Any]) -> list[str]:
    return [str(key) for item in payment.get("items") or [] if item.get("type") == "permit"
            for key in item.get("holds") or []]
