"""`POST /v1/gateways/tgr/notifications`: TGR's signed result notifications."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib import wiring
from chalicelib.api.errors import invalid_input_from
from chalicelib.api.http import MAX_BODY_BYTES, api_view, header, json_response, loads_json, typed
from chalicelib.api.models import Out
from chalicelib.api.operations import operation
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import gateway
from chalicelib.settings import get_settings

bp = Blueprint(__name__)


class TgrNotificationIn(BaseModel):
    """What TGR notifies (extra fields TGR may add are tolerated, not used)."""

    model_config = ConfigDict(extra="ignore")

    notification_id: str | None = Field(default=None, max_length=80)
    order_id: str = Field(min_length=1, max_length=80)
    payment_id: str = Field(min_length=1, max_length=80)
    status: Literal["approved", "rejected"]
    amount: int = Field(ge=0)
    authorization_code: str | None = Field(default=None, max_length=40)
    method: str | None = Field(default=None, max_length=40)
    paid_at: str | None = Field(default=None, max_length=40)


class NotificationResultOut(Out):
    """What a notification did: `applied`, or why it changed nothing; the payment's status after it."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"result": "applied", "status": "paid",
                                                               "reason": None}]})

    result: str
    status: str
    reason: str | None


@bp.route("/v1/gateways/tgr/notifications", methods=["POST"])
@operation("receiveTgrNotification", "Notificación firmada de resultado de la Tesorería (TGR)", tag="gateway",
           body=TgrNotificationIn, response=NotificationResultOut,
           headers=(("X-TGR-Signature", True, "t=<unix>,v1=<hex hmac-sha256(secreto, t + '.' + cuerpo)>"),),
           errors=(400, 401, 404, 409))
@api_view
def tgr_notification() -> Response:
    """Verify the signature over the raw body, then apply the notification once."""
    request = bp.current_request
    raw = request.raw_body or b""
    if isinstance(raw, str):
        raw = raw.encode()
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput("El cuerpo de la solicitud es demasiado grande.", code="body_too_large")
    ctx = wiring.payment_context()
    secrets = [s.get_secret_value() for s in get_settings().tgr_webhook_secrets]
    gateway.verify_signature(header(request, "x-tgr-signature"), raw, secrets, ctx.clock())
    data = loads_json(raw, "El cuerpo de la notificación no es JSON válido.")
    if not isinstance(data, dict):
        raise InvalidInput("El cuerpo de la notificación debe ser un objeto JSON.", code="invalid_json")
    try:
        notification = TgrNotificationIn.model_validate(data)
    except ValidationError as exc:
        raise invalid_input_from(exc) from exc
    return json_response(typed(NotificationResultOut, gateway.handle_notification(notification.model_dump(), ctx)))
