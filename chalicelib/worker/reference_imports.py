"""Scheduled import of the UTM, IPC and semestral penalty rate from the CMF's API (docs/domain.md):
each month found is left pending until the central administrator confirms it in the console."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from chalicelib import wiring
from chalicelib.observability import begin_request, logger
from chalicelib.services import reference_import

bp = Blueprint(__name__)


def run_import() -> dict[str, int]:
    """One pass over the three tables; returns the counts (no values, no secrets)."""
    return reference_import.scheduled_import(wiring.today_in_chile(), client=wiring.cmf_client(),
                                             references=wiring.references(), audit=wiring.audit_log())


@bp.schedule(Cron("30", "12", "*", "*", "?", "*"))
def import_reference_data(event: Any) -> dict[str, int]:
    """Daily at 12:30 UTC in AWS (the UTM appears on the first working day, the IPC around the 8th,
    the CMF's rates before the 15th); the local worker runner calls it every minute."""
    begin_request()
    totals = run_import()
    logger.info("reference import done", extra=totals)
    return totals
