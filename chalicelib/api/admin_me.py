"""Officials: who am I — the console shows only the modules of the official's profile."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import current_official
from chalicelib.api.http import api_view, json_response, typed
from chalicelib.api.models import Out
from chalicelib.api.operations import operation
from chalicelib.domain.errors import DependencyUnavailable
from chalicelib.services.auth import follow_enrolment
from chalicelib.services.permissions import PROFILE_NAMES, permissions_of, requires_totp

bp = Blueprint(__name__)


class MunicipalityRefOut(Out):
    code: str
    name: str | None


class TotpStateOut(Out):
    required: bool
    enrolled: bool | None = Field(description="null when the identity provider could not be asked.")


class CurrentOfficialOut(Out):
    """The signed-in official: profile, municipality, permissions and second factor."""

    email: str
    name: str | None
    profile: str
    profile_name: str
    central: bool
    municipality: MunicipalityRefOut
    permissions: list[str]
    totp: TotpStateOut


@bp.route("/v1/admin/me", methods=["GET"], cors=True)
@operation("getCurrentOfficial", "Funcionario con sesión: perfil, municipalidad, permisos y segundo factor",
           tag="admin", response=CurrentOfficialOut, security="officialToken", errors=(401, 403))
@api_view
def me() -> Response:
    """The signed-in official: profile, municipality, permissions, and the second factor's state.
    The first call after a TOTP app is enrolled ends the official's sessions (401
    `session_ended`): the console then signs in again, with the code."""
    official = current_official(bp.current_request, second_factor=False)
    municipality: dict[str, Any] = {"code": official.municipality, "name": "SUBDERE (nivel central)"}
    if not official.central:
        config = wiring.municipalities().get(official.municipality) or {}
        municipality["name"] = config.get("name")
    enrolled: bool | None
    try:
        enrolled = wiring.second_factor().enrolled(official.sub, fresh=True)
    except DependencyUnavailable:
        enrolled = None
    if enrolled is not None:
        follow_enrolment(official, enrolled, wiring.sessions())
    return json_response(typed(CurrentOfficialOut, {
        "email": official.email, "name": official.name, "profile": official.profile,
        "profile_name": PROFILE_NAMES.get(official.profile, official.profile), "central": official.central,
        "municipality": municipality, "permissions": permissions_of(official.profile),
        "totp": {"required": requires_totp(official.profile), "enrolled": enrolled},
    }))
