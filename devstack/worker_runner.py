"""Feeds SQS messages from the local queues to the same handler function Lambda would call.

`chalice local` serves HTTP only; in AWS, the event source mapping polls the queue and invokes
`handle_receipt_job` with an SQS event of one record. This runner does the same against moto:
it long-polls, builds the same event, calls the handler, and deletes the message only when the
handler returns. When it raises, the message stays, comes back after a short backoff, and after
the queue's maxReceiveCount moto's redrive moves it to the dead-letter queue — as in AWS.

    python -m devstack.worker_runner
"""

from __future__ import annotations

import argparse
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

    def run_forever(self) -> None:
        while self.running:
            try:
                self.run_once()
            except Exception:
                logger.exception("worker runner could not poll; retrying")
                time.sleep(1)


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    import app  # noqa: F401  (registers the blueprints, as Lambda's import of app.py does)
    from chalicelib.worker import receipts

    settings = get_settings()
    runner = WorkerRunner(aws_client("sqs"), settings.receipts_queue_url,
                          receipts.handle_receipt_job, settings.region)

    def stop(*_: Any) -> None:
        runner.running = False

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("worker runner polling the receipts queue", flush=True)
    runner.run_forever()


if __name__ == "__main__":
    main()
