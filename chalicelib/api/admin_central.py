"""The central level (SUBDERE): the platform's municipalities."""

from __future__ import annotations

from datetime import date
from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.admin_officials import EMAIL, NAME
from chalicelib.api.http import api_view, json_response, parse_body, parse_query, typed
from chalicelib.api.models import Strict, municipality_code
from chalicelib.api.models_central import CentralMunicipalitiesOut, CentralMunicipalityOut
from chalicelib.api.operations import operation
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import admin_central
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

TEXT = r"^[^\x00-\x1f<>]+$"
Service = Literal["permisos", "patentes", "aseo"]


class MunicipalityAgreementIn(Strict):
    """The agreement (convenio) with SUBDERE; only `in_force` and not past `valid_until` lets the
    municipality's portal take payments."""

    status: Literal["negotiating", "in_force", "suspended", "terminated"]
    valid_until: date | None = None
    signed_at: date | None = None
    reference: str | None = Field(default=None, max_length=120, pattern=TEXT,
                                  description="Resolución o número del convenio.")


class FirstAdminIn(Strict):
    email: str = Field(min_length=5, max_length=254, pattern=EMAIL)
    name: str = Field(min_length=3, max_length=120, pattern=NAME)
    run: str = Field(min_length=3, max_length=14, description="RUN del administrador municipal.")


class MunicipalityIn(Strict):
    code: str = Field(pattern=r"^[0-9]{5}$", description="Código CUT.")
    name: str = Field(min_length=2, max_length=80, pattern=TEXT)
    legal_name: str = Field(min_length=5, max_length=160, pattern=TEXT)
    region: str = Field(min_length=3, max_length=120, pattern=TEXT)
    address: str | None = Field(default=None, max_length=200, pattern=TEXT)
    zone: Literal["zona_extrema", "zona_franca"] | None = None
    services: list[Service] = Field(min_length=1, max_length=3)
    agreement: MunicipalityAgreementIn
    enabled: bool = False
    origins: list[str] = Field(default_factory=list, max_length=10)
    sender_email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    first_admin: FirstAdminIn | None = Field(default=None, description="Primer administrador municipal.")


class MunicipalityPatchIn(Strict):
    agreement: MunicipalityAgreementIn | None = None
    enabled: bool | None = None


class PageIn(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


@bp.route("/v1/admin/central/municipalities", methods=["GET"], cors=True)
@operation("listCentralMunicipalities", "Municipalidades de la plataforma, convenio y estado — municipalities.read",
           tag="central", query=PageIn, security="officialToken", errors=(400, 401, 403),
           response=CentralMunicipalitiesOut)
@api_view
def list_municipalities() -> Response:
    """Every municipality of the platform with its agreement and whether it is enabled."""
    authorized(bp.current_request, Permission.MUNICIPALITIES_READ)
    query = parse_query(bp.current_request, PageIn)
    return json_response(typed(CentralMunicipalitiesOut, admin_central.list_municipalities(wiring.central_admin(),
                                                                                           limit=query.limit,
                                                                                           cursor=query.cursor)))


@bp.route("/v1/admin/central/municipalities", methods=["POST"], cors=True)
@operation("onboardMunicipality", "Incorporar una municipalidad (y su primer administrador) — municipalities.onboard",
           tag="central", body=MunicipalityIn, success=201, security="officialToken", errors=(400, 401, 403, 409),
           response=CentralMunicipalityOut)
@api_view
def onboard_municipality() -> Response:
    """Onboard a municipality (and, optionally, its first administrador municipal)."""
    actor = authorized(bp.current_request, Permission.MUNICIPALITIES_ONBOARD)
    body = parse_body(bp.current_request, MunicipalityIn)
    if len(set(body.services)) != len(body.services):
        raise InvalidInput("Hay servicios repetidos.", code="invalid_input", field="services")
    return json_response(typed(CentralMunicipalityOut, admin_central.onboard(body.model_dump(mode="json"), actor,
                                                                             wiring.central_admin())), status=201)


@bp.route("/v1/admin/central/municipalities/{code}", methods=["PATCH"], cors=True)
@operation("updateMunicipality", "Cambiar el convenio o habilitar/deshabilitar una municipalidad — municipalities.edit",
           tag="central", body=MunicipalityPatchIn, security="officialToken", errors=(400, 401, 403, 404, 409),
           response=CentralMunicipalityOut)
@api_view
def update_municipality(code: str) -> Response:
    """Change a municipality's agreement or enable / disable it."""
    actor = authorized(bp.current_request, Permission.MUNICIPALITIES_EDIT)
    municipality_code(code)
    body = parse_body(bp.current_request, MunicipalityPatchIn)
    changes = body.model_dump(mode="json", exclude_unset=True, exclude_none=True)
    if not changes:
        raise InvalidInput("Indique al menos un cambio.", code="no_changes")
    return json_response(typed(CentralMunicipalityOut, admin_central.update_municipality(code, changes, actor,
                                                                                         wiring.central_admin())))
