"""One SQS queue of jobs. Messages carry ids, never payloads: the worker loads the record."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters.aws_errors import translated


class JobQueue:
    """Send small JSON job messages to one queue."""

    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self.queue_url = queue_url

    def send(self, job: Mapping[str, Any], *, delay_s: int = 0) -> str:
        """Enqueue one job; returns the message id."""
        response = self._call("send_message", QueueUrl=self.queue_url,
                              MessageBody=json.dumps(job, sort_keys=True), DelaySeconds=delay_s)
        message_id: str = response["MessageId"]
        return message_id

    def depth(self) -> int:
        """Messages waiting (approximate); also serves as the health probe."""
        response = self._call("get_queue_attributes", QueueUrl=self.queue_url,
                              AttributeNames=["ApproximateNumberOfMessages"])
        return int(response["Attributes"].get("ApproximateNumberOfMessages", 0))

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self._client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise translated(exc, message="La cola de trabajos no está disponible.", code="queue_unavailable",
                             refused=("La cola de trabajos rechazó el trabajo ({code}).", "queue_refused")) from exc
