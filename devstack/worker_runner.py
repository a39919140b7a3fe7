"""Feeds SQS messages from the local queues to the same handler function Lambda would call.

`chalice local` serves HTTP only; in AWS, the event source mapping polls the queue and invokes
`handle_receipt_job` with an SQS event of one record, and EventBridge calls `sweep_payments` on its
schedule. This runner does both against moto (the sweep every SEM_LOCAL_SWEEP_S seconds, 5 by
default, instead of every five minutes):
it long-polls, builds the same event, calls the handler, and deletes the message only when the
handler returns. When it raises, the message stays, comes back after a short backoff, and after
the queue's maxReceiveCount moto's redrive moves it to the dead-letter queue — as in AWS.

    python -m devstack.worker_runner
"""

from __future__ import annotations

import argparse
import os
import signal
import time
from typing import Any

from chalicelib.adapters.aws_clients import aws_client
from chalicelib.observability import logger
from chalicelib.settings import get_settings

# Local retries come back quickly (AWS would wait the visibility timeout).
BACKOFF_S = (1, 2, 4, 8, 15)


def sqs_event(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda event for one SQS message, shaped as the event source mapping sends it."""
    return {"Records": [{
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }]}


def scheduled_event() -> dict[str, Any]:
    """The EventBridge event a schedule delivers, as Lambda receives it."""
    import uuid
    from datetime import UTC, datetime

    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "000000000000", "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:000000000000:rule/local"], "detail": {}}


class LambdaContext:
    """The little of Lambda's context object that handlers read."""

    function_name = "sem-local-worker"
    memory_limit_in_mb = 1536
    aws_request_id = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


class WorkerRunner:
    """Polls one queue and drives one handler, until stopped."""

    def __init__(self, sqs: Any, queue_url: str, handler: Any, region: str) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._handler = handler
        self._region = region
        self._arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.running = True

    def run_once(self, wait_s: int = 1) -> int:
        """Receive and handle at most one message; returns how many were handled successfully."""
        received = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=wait_s,
            AttributeNames=["All"], MessageAttributeNames=["All"])
        handled = 0
        for message in received.get("Messages", []):
            try:
                self._handler(sqs_event(message, self._arn, self._region), LambdaContext())
            except Exception as exc:  # the handler failed: leave the message for a retry or the DLQ
                count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                delay = BACKOFF_S[min(count, len(BACKOFF_S)) - 1]
                logger.warning("job failed; it will be retried", extra={
                    "error": type(exc).__name__, "receive_count": count, "retry_in_s": delay})
                self._sqs.change_message_visibility(QueueUrl=self._queue_url,
                                                    ReceiptHandle=message["ReceiptHandle"],
                                                    VisibilityTimeout=delay)
                continue
            self._sqs.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message["ReceiptHandle"])
            handled += 1
        return handled

    def run_forever(self, scheduled: Any = None, every_s: float = 5.0) -> None:
        """Poll until stopped; call `scheduled(event, context)` every `every_s` seconds."""
        next_run = time.monotonic()
        while self.running:
            if scheduled is not None and time.monotonic() >= next_run:
                next_run = time.monotonic() + every_s
                try:
                    scheduled(scheduled_event(), LambdaContext())
                except Exception:
                    logger.exception("scheduled handler failed; it runs again next time")
            try:
                self.run_once()
            except Exception:
                logger.exception("worker runner could not poll; retrying")
                time.sleep(1)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    import app  # noqa: F401  (registers the blueprints, as Lambda's import of app.py does)
    from chalicelib.worker import receipts, schedules, settlements

    def every_few_seconds(event: Any, context: Any) -> None:
        """What EventBridge and S3 notifications would start: the sweep, and new settlement files."""
        schedules.sweep_payments(event, context)
        settlements.poll_settlements(event, context)

    settings = get_settings()
    runner = WorkerRunner(aws_client("sqs"), settings.receipts_queue_url,
                          receipts.handle_receipt_job, settings.region)

    def stop(*_: Any) -> None:
        runner.running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("worker runner polling the receipts queue", flush=True)
    runner.run_forever(every_few_seconds, float(os.environ.get("SEM_LOCAL_SWEEP_S", "5")))


if __name__ == "__main__":
    main()
