"""Officials: the municipality's log of citizens' reminder e-mails (docs/citizens.md)."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_query, typed
from chalicelib.api.models import Strict
from chalicelib.api.models_logs import ReminderLogOut
from chalicelib.api.operations import operation
from chalicelib.services import reminders
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)


class ReminderLogQuery(Strict):
    month: str = Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="AAAA-MM (UTC)")


@bp.route("/v1/admin/municipalities/{code}/reminders", methods=["GET"], cors=True)
@operation("listReminderDeliveries", "Registro de recordatorios enviados a ciudadanos en el mes — payments.read",
           tag="admin", query=ReminderLogQuery, security="officialToken", errors=(400, 401, 403),
           response=ReminderLogOut)
@api_view
def reminder_log(code: str) -> Response:
    """The month's reminder deliveries (newest first): debt, kind, due date, masked recipient, outcome."""
    authorized(bp.current_request, Permission.PAYMENTS_READ, code)
    query = parse_query(bp.current_request, ReminderLogQuery)
    return json_response(typed(ReminderLogOut, reminders.delivery_log(wiring.citizen_repo(), code, query.month)))

