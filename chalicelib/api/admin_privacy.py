"""Personal-data rights requests, handled by the municipality's officials (docs/personal-data.md).

Every route is scoped by the path's municipality, compared with the official's: a request for
another municipality is refused (403) and the attempt is written to the official's own audit log."""

from __future__ import annotations

from typing import Literal

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.admin_auth import current_official
from chalicelib.api.http import api_view, json_response, parse_body, parse_query, typed
from chalicelib.api.models import Strict, municipality_code
from chalicelib.api.models_privacy import (
    ClosedOut,
    ExtendedOut,
    OppositionOut,
    PersonalDataExportOut,
    RectifiedOut,
    RightsRequestOut,
    RightsRequestsPageOut,
    SuppressedOut,
)
from chalicelib.api.operations import operation
from chalicelib.domain.errors import Forbidden
from chalicelib.services import rights_requests as rights
from chalicelib.services.auth import Official, require
from chalicelib.services.permissions import Permission

bp = Blueprint(__name__)

BASE = "/v1/admin/municipalities/{code}/privacy/requests"
EMAIL = r"^[^@\s<>\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$"
TEXT = r"^[^\x00-\x1f<>]+$"


class RightsRequestIn(Strict):
    """A request as the official files it, after checking the person's identity."""

    kind: Literal["access", "portability", "rectification", "suppression", "opposition"]
    rut: str = Field(min_length=3, max_length=20)
    name: str = Field(min_length=3, max_length=120, pattern=TEXT)
    contact: str = Field(min_length=3, max_length=200, pattern=TEXT,
                         description="Cómo responder al titular: correo o dirección postal.")
    identity_verified: bool
    identity_method: Literal["cedula_presencial", "firma_electronica_avanzada", "poder_notarial",
                             "clave_unica"] | None = None
    details: str | None = Field(default=None, max_length=1000, pattern=TEXT)


class RectifyIn(Strict):
    email: str | None = Field(default=None, min_length=5, max_length=254, pattern=EMAIL)
    name: str | None = Field(default=None, min_length=3, max_length=120, pattern=TEXT)


class OppositionIn(Strict):
    scope: str | None = Field(default=None, max_length=200, pattern=TEXT)


class ReasonIn(Strict):
    reason: str = Field(min_length=3, max_length=500, pattern=TEXT)


class CloseIn(Strict):
    outcome: Literal["done", "partial", "refused"]
    reason: str | None = Field(default=None, max_length=1000, pattern=TEXT)


class ListIn(Strict):
    cursor: str | None = Field(default=None, max_length=2000)


def _official(code: str) -> Official:
    """`authorized` for these routes, with the refusal of another municipality audited."""
    request = bp.current_request
    official = current_official(request)
    try:
        require(official, Permission.PRIVACY_REQUESTS, municipality=code)
    except Forbidden as exc:
        if exc.code == "other_municipality":
            rights.refused_elsewhere(official, code if len(code) == 5 and code.isdigit() else "invalid",
                                     "other_municipality", wiring.rights_context())
        raise
    municipality_code(code)
    return official


@bp.route(BASE, methods=["POST"], cors=True)
@operation("filePrivacyRequest", "Ingresar una solicitud de derechos sobre datos personales — privacy.requests",
           tag="admin", body=RightsRequestIn, success=201, security="officialToken", errors=(400, 401, 403, 422),
           response=RightsRequestOut)
@api_view
def file_request(code: str) -> Response:
    """File a rights request (audited); due in 30 calendar days."""
    official = _official(code)
    body = parse_body(bp.current_request, RightsRequestIn)
    return json_response(typed(RightsRequestOut, rights.file_request(code, body.model_dump(), official,
                                                                     wiring.rights_context())), 201)


@bp.route(BASE, methods=["GET"], cors=True)
@operation("listPrivacyRequests", "Solicitudes de derechos, más recientes primero, con su plazo — privacy.requests",
           tag="admin", query=ListIn, security="officialToken", errors=(400, 401, 403), response=RightsRequestsPageOut)
@api_view
def list_requests(code: str) -> Response:
    """The municipality's requests, newest first, each with its deadline."""
    _official(code)
    query = parse_query(bp.current_request, ListIn)
    return json_response(typed(RightsRequestsPageOut,
                               rights.list_requests(code, query.cursor, wiring.rights_context())))


@bp.route(BASE + "/{request_id}", methods=["GET"], cors=True)
@operation("getPrivacyRequest", "Una solicitud y sus pasos — privacy.requests", tag="admin", security="officialToken",
           errors=(401, 403, 404), response=RightsRequestOut)
@api_view
def get_request(code: str, request_id: str) -> Response:
    """One request and every step taken."""
    _official(code)
    return json_response(typed(RightsRequestOut, rights.get_request(code, request_id, wiring.rights_context())))


@bp.route(BASE + "/{request_id}/export", methods=["POST"], cors=True)
@operation("exportPrivacyRequestData",
           "Acceso/portabilidad: todos los datos del RUN en la municipalidad (JSON) — privacy.requests", tag="admin",
           security="officialToken", errors=(401, 403, 404, 409, 422), response=PersonalDataExportOut)
@api_view
def export(code: str, request_id: str) -> Response:
    """Access / portability: JSON of everything held about the RUN here (audited)."""
    official = _official(code)
    document = rights.export(code, request_id, official, wiring.rights_context())
    return json_response(typed(PersonalDataExportOut, document), headers={
        "Cache-Control": "no-store",
        "Content-Disposition": f'attachment; filename="datos-{request_id}.json"'})


@bp.route(BASE + "/{request_id}/rectify", methods=["POST"], cors=True)
@operation("rectifyPrivacyRequestData", "Rectificar correo o nombre del titular en sus pagos — privacy.requests",
           tag="admin", body=RectifyIn, security="officialToken", errors=(400, 401, 403, 404, 409, 422),
           response=RectifiedOut)
@api_view
def rectify(code: str, request_id: str) -> Response:
    official = _official(code)
    body = parse_body(bp.current_request, RectifyIn)
    return json_response(typed(RectifiedOut, rights.rectify(code, request_id, body.model_dump(exclude_none=True),
                                                            official, wiring.rights_context())))


@bp.route(BASE + "/{request_id}/suppress", methods=["POST"], cors=True)
@operation("suppressPrivacyRequestData", "Suprimir lo que ninguna obligación legal conserva — privacy.requests",
           tag="admin", security="officialToken", errors=(401, 403, 404, 409, 422), response=SuppressedOut)
@api_view
def suppress(code: str, request_id: str) -> Response:
    official = _official(code)
    return json_response(typed(SuppressedOut, rights.suppress(code, request_id, official, wiring.rights_context())))


@bp.route(BASE + "/{request_id}/opposition", methods=["POST"], cors=True)
@operation("recordPrivacyOpposition", "Registrar la oposición — privacy.requests", tag="admin", body=OppositionIn,
           security="officialToken", errors=(400, 401, 403, 404, 409, 422), response=OppositionOut)
@api_view
def opposition(code: str, request_id: str) -> Response:
    official = _official(code)
    body = parse_body(bp.current_request, OppositionIn)
    return json_response(typed(OppositionOut, rights.record_opposition(code, request_id, body.model_dump(), official,
                                                                       wiring.rights_context())))


@bp.route(BASE + "/{request_id}/extend", methods=["POST"], cors=True)
@operation("extendPrivacyRequest", "Prorrogar una vez el plazo (30 días) — privacy.requests", tag="admin",
           body=ReasonIn, security="officialToken", errors=(400, 401, 403, 404, 409), response=ExtendedOut)
@api_view
def extend(code: str, request_id: str) -> Response:
    official = _official(code)
    body = parse_body(bp.current_request, ReasonIn)
    return json_response(typed(ExtendedOut, rights.extend(code, request_id, body.model_dump(), official,
                                                          wiring.rights_context())))


@bp.route(BASE + "/{request_id}/close", methods=["POST"], cors=True)
@operation("closePrivacyRequest", "Cerrar con la respuesta dada — privacy.requests", tag="admin", body=CloseIn,
           security="officialToken", errors=(400, 401, 403, 404, 409), response=ClosedOut)
@api_view
def close(code: str, request_id: str) -> Response:
    official = _official(code)
    body = parse_body(bp.current_request, CloseIn)
    return json_response(typed(ClosedOut, rights.close(code, request_id, body.model_dump(), official,
                                                       wiring.rights_context())))
