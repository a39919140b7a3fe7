"""Officials: who represents which company for fleets (docs/citizens.md, "Flotas"). A treasury
official registers a representation after checking the deed or power of attorney, and revokes it;
each change is audited in the municipality's log, in the same transaction."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import BaseModel, Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_body, typed
from chalicelib.api.models import Strict
from chalicelib.api.operations import operation
from chalicelib.services import fleets
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

TEXT = r"^[^\x00-\x1f<>]+$"


class RepresentationIn(Strict):
    """A representation to register: the company, its representative and the deed that proves it."""

    company_rut: str = Field(min_length=3, max_length=14, description="RUT de la empresa (persona jurídica).")
    company_name: str = Field(min_length=2, max_length=160, pattern=TEXT)
    representative_run: str = Field(min_length=3, max_length=14, description="RUN del representante.")
    deed: str = Field(min_length=5, max_length=300, pattern=TEXT,
                      description="Escritura o poder revisado: notaría, fecha, repertorio.")


class RevocationIn(Strict):
    company_rut: str = Field(min_length=3, max_length=14)
    representative_run: str = Field(min_length=3, max_length=14)


class RepresentationOut(BaseModel):
    company_rut: str
    company_name: str | None = None
    representative_run: str
    status: str
    registered_at: str | None = None
    revoked_at: str | None = None


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="seconds")


@bp.route("/v1/admin/municipalities/{code}/representations", methods=["POST"], cors=True)
@operation("registerRepresentation", "Registrar al representante de una empresa (flotas) — representations.manage",
           tag="admin", body=RepresentationIn, response=RepresentationOut, success=201, security="officialToken",
           errors=(400, 401, 403, 409))
@api_view
def register(code: str) -> Response:
    """Register a representation (company RUT ↔ representative RUN) after checking the deed."""
    official = authorized(bp.current_request, Permission.REPRESENTATIONS_MANAGE, code)
    body = parse_body(bp.current_request, RepresentationIn)
    ctx = wiring.fleet_context()
    answer = fleets.register(ctx.repo, ctx.citizens.index_secret, company_rut=body.company_rut,
                             company_name=body.company_name, representative_run=body.representative_run,
                             deed=body.deed, by=official.email, at=_now(), municipality=code,
                             profile=official.profile)
    return json_response(typed(RepresentationOut, answer), status=201)


@bp.route("/v1/admin/municipalities/{code}/representations/revoke", methods=["POST"], cors=True)
@operation("revokeRepresentation", "Revocar la representación de una empresa (flotas) — representations.manage",
           tag="admin", body=RevocationIn, response=RepresentationOut, security="officialToken",
           errors=(400, 401, 403, 404))
@api_view
def revoke(code: str) -> Response:
    """Revoke a representation this municipality registered."""
    official = authorized(bp.current_request, Permission.REPRESENTATIONS_MANAGE, code)
    body = parse_body(bp.current_request, RevocationIn)
    ctx = wiring.fleet_context()
    answer = fleets.revoke(ctx.repo, ctx.citizens.index_secret, company_rut=body.company_rut,
                           representative_run=body.representative_run, by=official.email, at=_now(),
                           municipality=code, profile=official.profile)
    return json_response(typed(RepresentationOut, answer))
