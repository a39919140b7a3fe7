"""Scheduled retention of personal data (docs/personal-data.md): every municipality, hourly."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from chalicelib import wiring
from chalicelib.observability import begin_request, logger
from chalicelib.services import retention

bp = Blueprint(__name__)


def run_retention() -> dict[str, Any]:
    """One pass over every municipality; returns the totals (counts only, no personal data)."""
    ctx = wiring.retention_context()
    totals = {"municipalities": 0, "anonymized": 0, "delivery_rows": 0, "deferred": 0}
    for municipality in wiring.municipalities().list_all():
        result = retention.run(str(municipality["code"]), ctx)
        totals["municipalities"] += 1
        for counts in result.values():
            totals["anonymized"] += counts["anonymized"]
            totals["delivery_rows"] += counts["delivery_rows"]
            totals["deferred"] += counts["deferred"]
    return totals


@bp.schedule(Cron("17", "*", "*", "*", "?", "*"))
def purge_personal_data(event: Any) -> dict[str, Any]:
    """Hourly in AWS (each run walks at most a month of days per municipality and pass)."""
    begin_request()
    totals = run_retention()
    logger.info("retention done", extra=totals)
    return totals
