"""Officials: the municipality's audit log (append-only; who, profile, what, when, before/after)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_query, typed
from chalicelib.api.models import Strict
from chalicelib.api.models_logs import AuditPageOut
from chalicelib.api.operations import operation
from chalicelib.services import admin_audit
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)


class AuditQueryIn(Strict):
    """Days in UTC, inclusive; by default the last 30 days."""

    date_from: date | None = Field(default=None, alias="from", description="Primer día UTC (AAAA-MM-DD).")
    date_to: date | None = Field(default=None, alias="to", description="Último día UTC (AAAA-MM-DD).")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


@bp.route("/v1/admin/municipalities/{code}/audit", methods=["GET"], cors=True)
@operation("listAuditEvents", "Registro de auditoría por rango de días UTC (paginado) — audit.read", tag="admin",
           query=AuditQueryIn, security="officialToken", errors=(400, 401, 403), response=AuditPageOut)
@api_view
def read_audit(code: str) -> Response:
    """The municipality's audit entries, newest first."""
    authorized(bp.current_request, Permission.AUDIT_READ, code)
    query = parse_query(bp.current_request, AuditQueryIn)
    last = query.date_to or datetime.now(UTC).date()
    first = query.date_from or date.fromordinal(last.toordinal() - 29)
    return json_response(typed(AuditPageOut, admin_audit.read_audit(code, first, last, wiring.data_table(),
                                                                    limit=query.limit, cursor=query.cursor)))
