"""The e-mail events worker: SES's events about receipt e-mails, recorded against each receipt.

SES publishes each event of the configuration set (send, delivery, bounce, complaint, reject,
delivery delay) to the SNS topic `sem-ses-events`; the topic's subscription puts it on the SQS
queue `sem-ses-events`, whose policy admits only that topic (infra/resources.yaml); Lambda calls
`handle_email_event` with one message at a time. Locally `devstack/worker_runner.py` feeds it,
and `devstack/ses_events.py` publishes what SES would for moto's sends.

A message that is not a notification of the configured topic, is malformed, or is not about a
receipt is refused: logged and dropped (it can never succeed; retrying it would only delay the
queue), changing nothing. Recording is idempotent, so a redelivered event is a no-op.
"""

from __future__ import annotations

from chalice.app import Blueprint, SQSEvent

from chalicelib.observability import begin_request, logger

EMAIL_EVENTS_QUEUE_NAME = "sem-ses-events"

bp = Blueprint(__name__)


def process(body: str) -> str:
    """Check and record one queued notification; returns what happened (for the log)."""
    from chalicelib import wiring
    from chalicelib.services.email_events import RefusedNotification, accept_notification, record_event
    from chalicelib.settings import get_settings

    try:
        event = accept_notification(body, get_settings().ses_events_topic_arn)
        outcome = record_event(event, wiring.email_events_repo())
    except RefusedNotification as exc:
        logger.warning("e-mail event refused", extra={"reason_code": exc.code})
        return f"refused:{exc.code}"
    if outcome == "no_such_receipt":
        logger.warning("e-mail event names no receipt of its municipality; nothing changed",
                       extra={"event_type": event["type"]})
    else:
        logger.info("e-mail event", extra={"event_type": event["type"], "outcome": outcome})
    return outcome


@bp.on_sqs_message(queue=EMAIL_EVENTS_QUEUE_NAME, batch_size=1)
def handle_email_event(event: SQSEvent) -> None:
    """Lambda entry point: one SQS record, one SES event. A database failure raises (retried)."""
    for record in event:
        begin_request(record.to_dict().get("messageId"))
        process(record.body)
