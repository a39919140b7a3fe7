"""Scheduled work: expire pending payments past their time and queue receipt and annulment-document
jobs that a crash left unqueued or unfinished, municipality by municipality (each a bounded query on
a sparse index)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Cron

from chalicelib import wiring
from chalicelib.observability import begin_request, logger
from chalicelib.services import annulments, gateway, refunds

bp = Blueprint(__name__)


def run_sweep() -> dict[str, Any]:
    """One pass over every municipality; returns the counts."""
    ctx = wiring.payment_context()
    documents = wiring.annulments_context()
    totals = {"municipalities": 0, "expired": 0, "receipts_queued": 0, "annulments_queued": 0}
    for municipality in wiring.municipalities().list_all():
        code = str(municipality["code"])
        result = gateway.sweep(code, ctx)
        totals["municipalities"] += 1
        totals["expired"] += result["expired"]
        totals["receipts_queued"] += result["receipts_queued"]
        totals["annulments_queued"] += annulments.sweep(code, documents, ctx.receipts_queue,
                                                        refunds.DOCUMENT_RECHECK)
    return totals


@bp.schedule(Cron("0/5", "*", "*", "*", "?", "*"))
def sweep_payments(event: Any) -> dict[str, Any]:
    """Every five minutes in AWS; the local worker runner calls it every few seconds."""
    begin_request()
    totals = run_sweep()
    logger.info("sweep done", extra=totals)
    return totals
