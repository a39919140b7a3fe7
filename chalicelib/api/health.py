"""`GET /v1/health`: whether the platform and each dependency it can reach are up."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.http import api_view, json_response, typed
from chalicelib.api.models import HealthOut
from chalicelib.api.operations import operation
from chalicelib.services.health import check_health

bp = Blueprint(__name__)


@bp.route("/v1/health", methods=["GET"], cors=True)
@operation("getHealth", "Estado de la plataforma y de cada dependencia", tag="platform", response=HealthOut,
           also=((503, "Alguna dependencia no responde (el mismo cuerpo, con status degraded)"),), errors=())
@api_view
def health() -> Response:
    """200 with every check ok; 503 (same body) when any dependency is down."""
    report = check_health(wiring.health_probes())
    headers = {} if report.ok else {"Retry-After": "30"}
    return json_response(typed(HealthOut, report.as_dict()), status=200 if report.ok else 503, headers=headers)
