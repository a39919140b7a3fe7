"""Officials: what became of the receipt e-mails (SES's events) and the sending health."""

from __future__ import annotations

from datetime import UTC, datetime

from chalice.app import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, typed
from chalicelib.api.models_logs import EmailDeliveriesOut, EmailHealthOut
from chalicelib.api.operations import operation
from chalicelib.services import email_events
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)


@bp.route("/v1/admin/municipalities/{code}/email-deliveries", methods=["GET"], cors=True)
@operation("listEmailDeliveries",
           "Correos de comprobantes de los últimos 7 días (entregados, rebotados, reclamos, demorados) y tasas de "
           "rebote y reclamo en 24 h y 7 días — payments.read",
           tag="admin", security="officialToken", errors=(401, 403), response=EmailDeliveriesOut)
@api_view
def email_deliveries(code: str) -> Response:
    """The municipality's receipt e-mails of the last 7 days (delivered, bounced, complained,
    delayed, with dates) and its bounce and complaint rates over 24 h and 7 days."""
    authorized(bp.current_request, Permission.PAYMENTS_READ, code)
    return json_response(typed(EmailDeliveriesOut, email_events.delivery_page(code, wiring.email_events_repo(),
                                                                              datetime.now(UTC))))


@bp.route("/v1/admin/central/email-health", methods=["GET"], cors=True)
@operation("getEmailHealth",
           "Tasas de rebote y reclamo en 24 h y 7 días, por municipalidad y de la plataforma — reports.central",
           tag="central", security="officialToken", errors=(401, 403), response=EmailHealthOut)
@api_view
def email_health() -> Response:
    """Bounce and complaint rates over 24 h and 7 days, per municipality and for the platform."""
    authorized(bp.current_request, Permission.REPORTS_CENTRAL)
    codes = [str(m["code"]) for m in wiring.municipalities().list_all() if str(m.get("code")) != "00000"]
    return json_response(typed(EmailHealthOut, email_events.platform_health(codes, wiring.email_events_repo(),
                                                                            datetime.now(UTC))))
