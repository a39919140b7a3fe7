"""Officials: the municipality's officials, managed by its administrador municipal, and the
four-eyes proposals that give an account a profile that authorizes payments."""

from __future__ import annotations

from typing import Literal
from urllib.parse import unquote

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import authorized
from chalicelib.api.http import api_view, json_response, parse_body, parse_query, typed
from chalicelib.api.models import Strict
from chalicelib.api.models_officials import OfficialChangeOut, OfficialsPageOut, ProposalDecisionOut, ProposalsPageOut
from chalicelib.api.operations import FOUR_EYES, operation
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import admin_officials, official_approvals
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

MunicipalProfile = Literal["alcalde", "director_finanzas", "tesorero", "tesorero_subrogante", "operador_rentas",
                           "operador_transito", "administrador_municipal"]
EMAIL = r"^[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
NAME = r"^[^\x00-\x1f<>]+$"


RUN = Field(min_length=3, max_length=14, description="RUN del funcionario (p. ej. 12.345.678-5): el de su firma.")


class OfficialIn(Strict):
    email: str = Field(min_length=5, max_length=254, pattern=EMAIL)
    name: str = Field(min_length=3, max_length=120, pattern=NAME)
    profile: MunicipalProfile
    run: str = RUN


class OfficialPatchIn(Strict):
    name: str | None = Field(default=None, min_length=3, max_length=120, pattern=NAME)
    run: str | None = Field(default=None, min_length=3, max_length=14,
                            description="Solo para una cuenta que aún no tiene RUN; un RUN fijado no cambia.")
    profile: MunicipalProfile | None = None
    status: Literal["active", "inactive"] | None = None
    password_reset: Literal[True] | None = None


class PageIn(Strict):
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=2000)


class ProposalsIn(PageIn):
    status: Literal["pending"] | None = Field(default=None, description="pending: solo las pendientes (todas).")


@bp.route("/v1/admin/municipalities/{code}/officials", methods=["GET"], cors=True)
@operation("listOfficials", "Funcionarios de la municipalidad — officials.read", tag="admin", query=PageIn,
           security="officialToken", errors=(400, 401, 403), response=OfficialsPageOut)
@api_view
def list_officials(code: str) -> Response:
    """The municipality's officials, by e-mail."""
    authorized(bp.current_request, Permission.OFFICIALS_READ, code)
    query = parse_query(bp.current_request, PageIn)
    return json_response(typed(OfficialsPageOut, admin_officials.list_officials(code, wiring.officials_admin(),
                                                                                limit=query.limit,
                                                                                cursor=query.cursor)))


@bp.route("/v1/admin/municipalities/{code}/officials", methods=["POST"], cors=True)
@operation("createOfficial",
           "Crear un funcionario con su RUN y su cuenta (contraseña temporal); con un perfil que autoriza pagos, 202 "
           "y una propuesta pendiente de aprobación — officials.manage",
           tag="admin", body=OfficialIn, success=201, also=((202, FOUR_EYES),), security="officialToken",
           errors=(400, 401, 403, 409, 503), response=OfficialChangeOut)
@api_view
def create_official(code: str) -> Response:
    """A new official; Cognito e-mails a temporary password that must be changed at first sign-in.
    A profile that authorizes payments answers 202 with a pending proposal instead."""
    actor = authorized(bp.current_request, Permission.OFFICIALS_MANAGE, code)
    body = parse_body(bp.current_request, OfficialIn)
    created = admin_officials.create_official(code, body.email, body.name, body.profile, actor,
                                              wiring.officials_admin(), run=body.run)
    return json_response(typed(OfficialChangeOut, created),
                         status=202 if created.get("status") == "pending_approval" else 201)


@bp.route("/v1/admin/municipalities/{code}/officials/{email}", methods=["PATCH"], cors=True)
@operation("updateOfficial",
           "Cambiar perfil o nombre, desactivar o reactivar un funcionario, o fijar el RUN de una cuenta que no lo "
           "tiene; subir a un perfil que autoriza pagos: 202 y una propuesta — officials.manage",
           tag="admin", body=OfficialPatchIn, also=((202, FOUR_EYES),), security="officialToken",
           errors=(400, 401, 403, 404, 409, 503), response=OfficialChangeOut)
@api_view
def update_official(code: str, email: str) -> Response:
    """Change an official's name or profile, deactivate / reactivate it, or reset its password;
    a profile or status change and a reset end every session of the official."""
    actor = authorized(bp.current_request, Permission.OFFICIALS_MANAGE, code)
    body = parse_body(bp.current_request, OfficialPatchIn)
    changes = {k: v for k, v in body.model_dump(exclude_unset=True).items() if v is not None}
    if not changes:
        raise InvalidInput("Indique al menos un cambio.", code="no_changes")
    address = unquote(email).lower()
    if len(address) > 254 or "@" not in address:
        raise InvalidInput("El correo del funcionario no es válido.", code="invalid_input", field="email")
    changed = admin_officials.update_official(code, address, changes, actor, wiring.officials_admin())
    return json_response(typed(OfficialChangeOut, changed),
                         status=202 if changed.get("status") == "pending_approval" else 200)


@bp.route("/v1/admin/municipalities/{code}/official-proposals", methods=["GET"], cors=True)
@operation("listOfficialProposals", "Propuestas de dar un perfil que autoriza pagos (cuatro ojos) — officials.read",
           tag="admin", query=ProposalsIn, security="officialToken", errors=(400, 401, 403), response=ProposalsPageOut)
@api_view
def list_proposals(code: str) -> Response:
    """Proposals to give an account a profile that authorizes payments, oldest first."""
    authorized(bp.current_request, Permission.OFFICIALS_READ, code)
    query = parse_query(bp.current_request, ProposalsIn)
    return json_response(typed(ProposalsPageOut, official_approvals.list_proposals(code, wiring.officials_admin(),
                                                                                   limit=query.limit,
                                                                                   cursor=query.cursor,
                                                                                   pending_only=bool(query.status))))


@bp.route("/v1/admin/municipalities/{code}/official-proposals/{proposal_id}/approve", methods=["POST"], cors=True)
@operation("approveOfficialProposal",
           "Aprobar una propuesta: la cuenta se crea o cambia de perfil ahora — officials.approve", tag="admin",
           security="officialToken", errors=(400, 401, 403, 404, 409, 503), response=ProposalDecisionOut)
@api_view
def approve_proposal(code: str, proposal_id: str) -> Response:
    """The second approval (alcalde or SUBDERE): the account is created or promoted now."""
    actor = authorized(bp.current_request, Permission.OFFICIALS_APPROVE, code)
    return json_response(typed(ProposalDecisionOut, official_approvals.approve(code, proposal_id, actor,
                                                                               wiring.officials_admin())))


@bp.route("/v1/admin/municipalities/{code}/official-proposals/{proposal_id}/reject", methods=["POST"], cors=True)
@operation("rejectOfficialProposal", "Rechazar una propuesta — officials.approve", tag="admin",
           security="officialToken", errors=(400, 401, 403, 404, 409), response=ProposalDecisionOut)
@api_view
def reject_proposal(code: str, proposal_id: str) -> Response:
    """Close a proposal without changing any account."""
    actor = authorized(bp.current_request, Permission.OFFICIALS_APPROVE, code)
    return json_response(typed(ProposalDecisionOut, official_approvals.reject(code, proposal_id, actor,
                                                                              wiring.officials_admin())))
