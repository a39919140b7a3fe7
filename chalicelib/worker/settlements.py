"""Settlement files arriving in the uploads bucket: the SQS-notified function that ingests them,
and the poll the local worker runner calls instead.

Why SQS and not `on_s3_event`: `chalice package` (1.34, what `make package` runs) refuses apps with
`@app.on_s3_event` ("CloudFormation does not support modifying the event notifications of
existing buckets"), and an S3 notification filter cannot express `<cut>/settlements/` for every
municipality (prefix filters are literal). So the uploads bucket notifies the `sem-settlements`
queue of every `.csv` created (infra/resources.yaml: NotificationConfiguration → QueueConfigurations,
a queue policy for s3.amazonaws.com), and this function ingests the keys that match
`<cut>/settlements/<YYYY-MM-DD>/<name>.csv`, ignoring the rest. Batch size 1; ingestion is
idempotent, as SQS delivers at least once.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote_plus

from chalice.app import Blueprint, SQSEvent

from chalicelib import wiring
from chalicelib.observability import begin_request, logger
from chalicelib.services.reconciliation import ReconciliationContext

SETTLEMENTS_QUEUE_NAME = "sem-settlements"

bp = Blueprint(__name__)


def object_keys(body: str) -> list[str]:
    """The object keys of an S3 event notification (as S3 sends it to SQS; keys URL-encoded).
    S3's `s3:TestEvent` and anything else that is not an ObjectCreated record yields nothing."""
    try:
        message = json.loads(body)
    except ValueError:
        logger.warning("settlement notification is not JSON; ignored")
        return []
    found = []
    for record in message.get("Records", []) if isinstance(message, dict) else []:
        if str(record.get("eventName", "")).startswith("ObjectCreated"):
            found.append(unquote_plus(str(record.get("s3", {}).get("object", {}).get("key", ""))))
    return found


def process_notification(body: str, ctx: ReconciliationContext | None = None) -> list[dict[str, Any]]:
    """Ingest every settlement file named in one notification."""
    from chalicelib.services.settlements import ingest_settlement

    ctx = ctx or wiring.reconciliation_context()
    return [ingest_settlement(key, ctx) for key in object_keys(body)]


@bp.on_sqs_message(queue=SETTLEMENTS_QUEUE_NAME, batch_size=1)
def handle_settlement_notification(event: SQSEvent) -> None:
    begin_request()
    for record in event:
        results = process_notification(record.body)
        logger.info("settlement notification handled", extra={"results": [r["result"] for r in results]})


def poll_settlements(event: Any = None, context: Any = None) -> dict[str, Any]:
    """What the local worker runner calls every few seconds: ingest new settlement files of every
    municipality (in AWS, the queue above does this)."""
    from chalicelib.services.settlements import poll_new_settlements

    codes = [str(m["code"]) for m in wiring.municipalities().list_all()]
    return poll_new_settlements(wiring.reconciliation_context(), codes)
