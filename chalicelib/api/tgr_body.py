"""The body of a notification TGR signs (`X-TGR-Signature` over the raw body): read, bounded,
its signature checked before anything else, then parsed as the route's model. Shared by the
payment-result and the refund/reversal notification routes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from chalice.app import Request
from pydantic import BaseModel, ValidationError

from chalicelib.api.errors import invalid_input_from
from chalicelib.api.http import MAX_BODY_BYTES, header, loads_json
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import gateway
from chalicelib.settings import get_settings

M = TypeVar("M", bound=BaseModel)


def signed_notification(request: Request, model: type[M], now: Callable[[], datetime]) -> M:
    """The notification as `model`, once its size and TGR's signature hold (400 / 401 otherwise)."""
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput("El cuerpo de la solicitud es demasiado grande.", code="body_too_large")
    secrets = [s.get_secret_value() for s in get_settings().tgr_webhook_secrets]
    gateway.verify_signature(header(request, "x-tgr-signature"), raw, secrets, now())
    data = loads_json(raw, "El cuerpo de la notificación no es JSON válido.")
    if not isinstance(data, dict):
        raise InvalidInput("El cuerpo de la notificación debe ser un objeto JSON.", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input_from(exc) from exc
