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
    counts = reminders.run_reminders(wiring.reminder_context())
    logger.info("reminders done", extra=counts)
    return counts
