"""Injected AWS faults for fault-injection runs (`make chaos`): dev and test stages only.

With the setting `SEM_FAULTS` (JSON: service or `service:Operation` → share of calls, e.g.
`{"s3": 0.15, "ses:SendRawEmail": 0.25}`), every boto3 client that `aws_clients.aws_client` builds
for a listed service answers that share of its calls with the error the real service sends when
it throttles — S3 `SlowDown` (503), any other service `Throttling` (400) — *before* the request
is sent, so nothing happened on the service's side, exactly as with real throttling. The
botocore `before-call` hook short-circuits the SDK's own retries, so the adapter sees the error.

Refused on the `prod` stage (`Settings` refuses the combination too). Each injected fault is
logged as `fault injected` with the service and operation only, so a run can count them.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from typing import Any, Final

from chalicelib.observability import logger

THROTTLE: Final = {"s3": ("SlowDown", 503, "Please reduce your request rate.")}
DEFAULT_THROTTLE: Final = ("Throttling", 400, "Rate exceeded")

_lock = threading.Lock()
_injected: dict[str, int] = {}


def share_for(faults: Mapping[str, float], service: str, operation: str) -> float:
    """The share of `service`'s `operation` calls to fail (an operation's own entry wins)."""
    return float(faults.get(f"{service}:{operation}", faults.get(service, 0.0)))


def injected() -> dict[str, int]:
    """How many faults this process injected, by `service:Operation`."""
    with _lock:
        return dict(_injected)


def install(client: Any, service: str, faults: Mapping[str, float], *, stage: str,
            rng: random.Random | None = None) -> None:
    """Make `client` throttle a share of its calls, as `faults` says; a no-op without faults for
    `service`. Raises RuntimeError on the prod stage."""
    if stage == "prod":
        raise RuntimeError("fault injection is never enabled on the prod stage")
    if not any(key == service or key.startswith(f"{service}:") for key in faults):
        return
    chooser = rng or random.Random()  # noqa: S311 - chaos, not cryptography

    def before_call(model: Any, **_: Any) -> tuple[Any, dict[str, Any]] | None:
        operation = str(model.name)
        if chooser.random() >= share_for(faults, service, operation):
            return None
        code, status, message = THROTTLE.get(service, DEFAULT_THROTTLE)
        with _lock:
            name = f"{service}:{operation}"
            _injected[name] = _injected.get(name, 0) + 1
        logger.warning("fault injected", extra={"fault_service": service, "fault_operation": operation,
                                                "fault_code": code})
        parsed = {"Error": {"Code": code, "Message": message},
                  "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0}}
        return _FakeHttpResponse(status), parsed

    client.meta.events.register(f"before-call.{client.meta.service_model.service_id.hyphenize()}", before_call)


class _FakeHttpResponse:
    """What botocore's `_make_api_call` reads of the HTTP response a `before-call` hook returns."""

    def __init__(self, status: int) -> None:
        self.status_code = status
        self.headers: dict[str, str] = {}
        self.content = b""
