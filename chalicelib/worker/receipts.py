"""The receipts worker: the SQS-triggered function that turns a paid payment into a receipt.

Lambda calls `handle_receipt_job` with one message at a time (batch size 1, so a failure returns
exactly that message to the queue and, after the queue's maxReceiveCount, to its dead-letter
queue). Locally, `devstack/worker_runner.py` feeds it the same events. Messages carry ids only;
every step of the job must be idempotent, because SQS delivers at least once.
"""

from __future__ import annotations

from chalice.app import Blueprint, SQSEvent

from chalicelib.observability import begin_request, logger
from chalicelib.services.receipt_jobs import PoisonMessage, ReceiptJob, parse_job

__all__ = ["PoisonMessage", "ReceiptJob", "bp", "handle_receipt_job", "parse_job", "process"]

RECEIPTS_QUEUE_NAME = "sem-receipts"

bp = Blueprint(__name__)


def process(job: ReceiptJob) -> None:
    """Run one receipt job: folio, signed PDF in S3, e-mail (`chalicelib.services.receipts`).

    A retryable failure raises (the message comes back; after the queue's maxReceiveCount it goes
    to the dead-letter queue); a job that can never succeed on its data (unknown payment, payment
    not paid, e-mail refused) is logged or recorded on the payment and returns.
    """
    from chalicelib import wiring
    from chalicelib.services.receipts import issue_receipt

    if job.kind == "annulment" and job.ref:
        from chalicelib.services.annulments import issue_annulment

        outcome = issue_annulment(job.municipality, job.payment_id, job.ref,
                                  wiring.fenced_annulments_context(job.municipality))
        logger.info("annulment job done", extra={"job_kind": job.kind, "outcome": outcome})
        return
    # The table is read and written with credentials fenced to the job's municipality (prod).
    outcome = issue_receipt(job.municipality, job.payment_id, wiring.fenced_receipt_context(job.municipality))
    logger.info("receipt job done", extra={"job_kind": job.kind, "outcome": outcome})


@bp.on_sqs_message(queue=RECEIPTS_QUEUE_NAME, batch_size=1)
def handle_receipt_job(event: SQSEvent) -> None:
    """Lambda entry point: one SQS record, one job. Raising returns the message to the queue."""
    for record in event:
        begin_request(record.to_dict().get("messageId"))
        job = parse_job(record.body)
        logger.append_keys(municipality=job.municipality, payment_id=job.payment_id)
        process(job)
