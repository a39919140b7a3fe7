"""Scheduled: citizens' payment reminders (docs/citizens.md), once a day."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from chalicelib import wiring
from chalicelib.observability import begin_request, logger
from chalicelib.services import reminders

bp = Blueprint(__name__)


@bp.schedule(Cron("0", "12", "*", "*", "?", "*"))
def send_reminders(event: Any) -> dict[str, int]:
    """Every day at 12:00 UTC (morning in Chile): one pass over every municipality's due debts."""
    begin_request()
    ctx = wiring.reminder_context()
    counts = reminders.run_reminders(ctx)
    # next year's permit, in February (a no-op the rest of the year)
    counts.update({f"renewal_{k}": v for k, v in reminders.run_permit_renewals(ctx).items()})
    logger.info("reminders done", extra=counts)
    return counts
