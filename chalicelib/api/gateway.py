"""`POST /v1/gateways/tgr/notifications`: TGR's signed result notifications."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib import wiring
from chalicelib.api.http import api_view, json_response, typed
from chalicelib.api.models import Out
from chalicelib.api.operations import operation
from chalicelib.api.tgr_body import signed_notification
from chalicelib.services import gateway

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
    ctx = wiring.payment_context()
    notification = signed_notification(bp.current_request, TgrNotificationIn, ctx.clock)
    return json_response(typed(NotificationResultOut, gateway.handle_notification(notification.model_dump(), ctx)))
