"""Structured JSON logs and the request context they carry.

One powertools Logger for the whole platform. Keys appended per request or job: `request_id`,
`municipality`, `payment_id` — never a RUT, e-mail, name, plate, token or request body.
"""

from __future__ import annotations

import contextvars
import uuid

from aws_lambda_powertools import Logger

logger = Logger(service="sem")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def begin_request(request_id: str | None = None) -> str:
    """Start a request (or job) context; returns its id (the gateway's, or a new one)."""
    rid = request_id or str(uuid.uuid4())
    _request_id.set(rid)
    logger.remove_keys(["municipality", "payment_id", "route"])
    logger.append_keys(request_id=rid)
    return rid


def current_request_id() -> str:
    """The id of the request being served (a fresh one outside any request)."""
    rid = _request_id.get()
    if rid is None:
        rid = begin_request()
    return rid
