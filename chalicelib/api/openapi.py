"""`GET /v1/openapi.json`: the OpenAPI 3.1 description of the API, generated from the same
pydantic models the routes validate with, so it cannot drift from them. A test checks that every
route of the app is described here."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from chalice.app import Blueprint, Response
from pydantic import BaseModel

from chalicelib.api import (
    admin_audit,
    admin_central,
    admin_officials,
    admin_payments,
    admin_reference,
    admin_rolls,
    admin_settings,
    citizen,
    gateway,
    models,
)
from chalicelib.api.http import api_view, json_response

bp = Blueprint(__name__)

ERROR_SCHEMA = {
    "type": "object", "required": ["error"],
    "properties": {"error": {"type": "object", "required": ["code", "message", "request_id"], "properties": {
        "code": {"type": "string"}, "message": {"type": "string", "description": "En español, para personas."},
        "field": {"type": ["string", "null"]}, "request_id": {"type": "string"}}}},
}


@dataclass(frozen=True)
class Operation:
    summary: str
    tag: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    success: int = 200
    also: tuple[tuple[int, str], ...] = ()
    """Other success statuses, with what they mean (e.g. 202: a proposal waiting for approval)."""
    headers: tuple[tuple[str, bool, str], ...] = ()
    security: str | None = None
    errors: tuple[int, ...] = (400,)
    extra: dict[str, Any] = field(default_factory=dict)


PORTAL = (("X-Api-Key", True, "Clave de portal de la municipalidad."),)
FOUR_EYES = "Propuesta pendiente de aprobación (perfil que autoriza pagos: cuatro ojos)"

OPERATIONS: dict[tuple[str, str], Operation] = {
    ("/v1/health", "GET"): Operation("Estado de la plataforma y de cada dependencia", "plataforma", errors=(503,)),
    ("/v1/openapi.json", "GET"): Operation("Este documento", "plataforma", errors=()),
    ("/v1/municipalities", "GET"): Operation("Municipalidades habilitadas y sus servicios", "ciudadanía",
                                              errors=()),
    ("/v1/municipalities/{code}", "GET"): Operation(
        "Una municipalidad: nombre, servicios y colores (los del widget de pago)", "ciudadanía", errors=(400, 404)),
    ("/v1/municipalities/{code}/permits/simulate", "POST"): Operation(
        "Calculadora del permiso de circulación", "ciudadanía", body=models.PermitSimulationIn,
        response=models.SimulationOut, errors=(400, 404, 422)),
    ("/v1/municipalities/{code}/patentes/simulate", "POST"): Operation(
        "Calculadora de patentes municipales", "ciudadanía", body=models.PatenteSimulationIn,
        response=models.SimulationOut, errors=(400, 404, 422)),
    ("/v1/municipalities/{code}/permits/quote", "GET"): Operation(
        "Cotización del permiso por patente: montos, desglose, requisitos y años anteriores adeudados "
        "(back_years)", "ciudadanía",
        query=citizen.QuoteQuery, headers=PORTAL, errors=(400, 401, 403, 404, 503)),
    ("/v1/municipalities/{code}/debts", "GET"): Operation(
        "Deudas de un RUT en la municipalidad", "ciudadanía", query=citizen.DebtsQuery, headers=PORTAL,
        errors=(400, 401, 403, 404)),
    ("/v1/municipalities/{code}/payments", "POST"): Operation(
        "Iniciar el pago de un carro (422 back_years_owed si la patente adeuda años anteriores que no van en el "
        "mismo carro)", "ciudadanía", body=citizen.PaymentIn, response=citizen.PaymentCreatedOut,
        success=201, headers=(*PORTAL, ("Idempotency-Key", True, "1–255 de [A-Za-z0-9-]; misma clave y cuerpo "
                                        "devuelven la misma respuesta, otro cuerpo 409.")),
        errors=(400, 401, 403, 404, 409, 422, 503)),
    ("/v1/payments/{payment_id}", "GET"): Operation(
        "Estado de un pago (con su token de acceso); 429 tras demasiados tokens incorrectos", "ciudadanía",
        security="paymentToken", errors=(400, 401, 404, 429, 503)),
    ("/v1/gateways/tgr/notifications", "POST"): Operation(
        "Notificación firmada de resultado de la Tesorería (TGR)", "pasarela", body=gateway.TgrNotificationIn,
        headers=(("X-TGR-Signature", True, "t=<unix>,v1=<hex hmac-sha256(secreto, t + '.' + cuerpo)>"),),
        errors=(400, 401, 404, 409)),
    ("/v1/admin/reference/{table}", "GET"): Operation(
        "Tabla de UTM, IPC o tasa semestral de interés (utm, ipc, interest)", "administración",
        security="cognito", errors=(401, 403, 404)),
    ("/v1/admin/reference/{table}/{month}", "PUT"): Operation(
        "Fijar la UTM, el IPC o la tasa semestral de un mes (administrador SUBDERE)", "administración",
        body=admin_reference.ReferenceValueIn, security="cognito", errors=(400, 401, 403, 404)),
    ("/v1/admin/reference/{table}/import", "POST"): Operation(
        "Importar la UTM, el IPC o la tasa semestral (tasa de la CMF + 3,5) desde la API de la CMF (queda "
        "pendiente de confirmación)",
        "administración", body=admin_reference.ImportIn, security="cognito", errors=(400, 401, 403, 404, 503)),
    ("/v1/admin/reference/{table}/pending", "GET"): Operation(
        "Meses importados pendientes de confirmación", "administración", security="cognito",
        errors=(400, 401, 403, 404)),
    ("/v1/admin/reference/{table}/{month}/confirm", "POST"): Operation(
        "Confirmar un mes importado: desde ese momento lo usan los cálculos", "administración",
        security="cognito", errors=(400, 401, 403, 404)),
    # -- officials' console (docs/admin-api.md; permissions in docs/roles.md) ----------------------
    ("/v1/admin/me", "GET"): Operation(
        "Funcionario con sesión: perfil, municipalidad, permisos y segundo factor", "administración",
        security="cognito", errors=(401, 403)),
    ("/v1/admin/municipalities/{code}/payments", "GET"): Operation(
        "Buscar pagos por día, estado, servicio, RUT, patente o folio (paginado) — payments.read",
        "administración", query=admin_payments.PaymentSearchIn, response=admin_payments.PaymentPage,
        security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/municipalities/{code}/payments.csv", "GET"): Operation(
        "Exportar la búsqueda de pagos a CSV (máx. 10.000) — payments.export", "administración",
        query=admin_payments.PaymentFiltersIn, security="cognito", errors=(400, 401, 403, 422),
        extra={"x-content-type": "text/csv"}),
    ("/v1/admin/municipalities/{code}/payments/{payment_id}", "GET"): Operation(
        "Detalle de un pago: ítems, desglose, verificaciones, eventos, comprobante, correos — payments.read",
        "administración", query=admin_payments.DetailIn, security="cognito", errors=(400, 401, 403, 404)),
    ("/v1/admin/municipalities/{code}/payments/{payment_id}/resend-receipt", "POST"): Operation(
        "Reenviar el comprobante de un pago, opcionalmente a un correo corregido — receipts.resend", "administración",
        body=admin_payments.ResendIn, response=admin_payments.ResendOut, success=202, security="cognito",
        errors=(400, 401, 403, 404, 409, 503)),
    ("/v1/admin/municipalities/{code}/rolls/uploads", "POST"): Operation(
        "Iniciar la carga de un rol (URL prefirmada para PUT del CSV) — rolls.upload", "administración",
        body=admin_rolls.RollUploadIn, success=201, security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/municipalities/{code}/rolls/uploads", "GET"): Operation(
        "Cargas de roles, más recientes primero — rolls.read", "administración", query=admin_rolls.PageIn,
        security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/municipalities/{code}/rolls/uploads/{upload_id}/process", "POST"): Operation(
        "Validar y cargar el rol subido (idempotente; repetir mientras esté en proceso) — rolls.upload",
        "administración", security="cognito", errors=(401, 403, 404, 422)),
    ("/v1/admin/municipalities/{code}/rolls/uploads/{upload_id}", "GET"): Operation(
        "Estado, avance y errores por línea de una carga — rolls.read", "administración",
        query=admin_rolls.PageIn, security="cognito", errors=(400, 401, 403, 404)),
    ("/v1/admin/municipalities/{code}/settings", "GET"): Operation(
        "Configuración de la municipalidad — settings.read", "administración", security="cognito",
        errors=(401, 403, 404)),
    ("/v1/admin/municipalities/{code}/settings", "PATCH"): Operation(
        "Cambiar la configuración (imagen: settings.branding; lo demás: settings.edit)", "administración",
        body=admin_settings.SettingsPatchIn, security="cognito", errors=(400, 401, 403, 404, 409)),
    ("/v1/admin/municipalities/{code}/settings/logo-upload", "POST"): Operation(
        "URL prefirmada para subir el logo (PNG, máx. 512 KB) — settings.branding", "administración",
        body=admin_settings.LogoUploadIn, success=201, security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/municipalities/{code}/settings/logo", "POST"): Operation(
        "Validar el PNG subido y usarlo como logo — settings.branding", "administración",
        body=admin_settings.LogoApplyIn, security="cognito", errors=(400, 401, 403, 404, 409, 422)),
    ("/v1/admin/municipalities/{code}/portal-keys", "POST"): Operation(
        "Emitir una clave de portal (se muestra una vez) y revocar las anteriores — settings.portal_keys",
        "administración", body=admin_settings.PortalKeyIn, success=201, security="cognito",
        errors=(400, 401, 403, 404, 409)),
    ("/v1/admin/municipalities/{code}/officials", "GET"): Operation(
        "Funcionarios de la municipalidad — officials.read", "administración", query=admin_officials.PageIn,
        security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/municipalities/{code}/officials", "POST"): Operation(
        "Crear un funcionario con su RUN y su cuenta (contraseña temporal); con un perfil que autoriza pagos, "
        "202 y una propuesta pendiente de aprobación — officials.manage", "administración",
        body=admin_officials.OfficialIn, success=201, also=((202, FOUR_EYES),), security="cognito",
        errors=(400, 401, 403, 409, 503)),
    ("/v1/admin/municipalities/{code}/officials/{email}", "PATCH"): Operation(
        "Cambiar perfil o nombre, desactivar o reactivar un funcionario, o fijar el RUN de una cuenta que no lo "
        "tiene; subir a un perfil que autoriza pagos: 202 y una propuesta — officials.manage", "administración",
        body=admin_officials.OfficialPatchIn, also=((202, FOUR_EYES),), security="cognito",
        errors=(400, 401, 403, 404, 409, 503)),
    ("/v1/admin/municipalities/{code}/receipt-signer", "GET"): Operation(
        "Quién firma los comprobantes de la municipalidad — settings.read", "administración", security="cognito",
        errors=(401, 403, 404)),
    ("/v1/admin/municipalities/{code}/receipt-signer", "PUT"): Operation(
        "Designar al funcionario que firma los comprobantes (su RUN registrado) — settings.receipt_signer",
        "administración", body=admin_settings.ReceiptSignerIn, security="cognito",
        errors=(400, 401, 403, 404, 409, 503)),
    ("/v1/admin/municipalities/{code}/official-proposals", "GET"): Operation(
        "Propuestas de dar un perfil que autoriza pagos (cuatro ojos) — officials.read", "administración",
        query=admin_officials.ProposalsIn, security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/municipalities/{code}/official-proposals/{proposal_id}/approve", "POST"): Operation(
        "Aprobar una propuesta: la cuenta se crea o cambia de perfil ahora — officials.approve", "administración",
        security="cognito", errors=(400, 401, 403, 404, 409, 503)),
    ("/v1/admin/municipalities/{code}/official-proposals/{proposal_id}/reject", "POST"): Operation(
        "Rechazar una propuesta — officials.approve", "administración", security="cognito",
        errors=(400, 401, 403, 404, 409)),
    ("/v1/admin/municipalities/{code}/audit", "GET"): Operation(
        "Registro de auditoría por rango de días UTC (paginado) — audit.read", "administración",
        query=admin_audit.AuditQueryIn, security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/central/municipalities", "GET"): Operation(
        "Municipalidades de la plataforma, convenio y estado — municipalities.read", "nivel central",
        query=admin_central.PageIn, security="cognito", errors=(400, 401, 403)),
    ("/v1/admin/central/municipalities", "POST"): Operation(
        "Incorporar una municipalidad (y su primer administrador) — municipalities.onboard", "nivel central",
        body=admin_central.MunicipalityIn, success=201, security="cognito", errors=(400, 401, 403, 409)),
    ("/v1/admin/central/municipalities/{code}", "PATCH"): Operation(
        "Cambiar el convenio o habilitar/deshabilitar una municipalidad — municipalities.edit",
        "nivel central", body=admin_central.MunicipalityPatchIn, security="cognito",
        errors=(400, 401, 403, 404, 409)),
}

# Routes described by the modules that add them (receipts, admin, …) register here too.
EXTRA_OPERATIONS: dict[tuple[str, str], Operation] = {}


def build_document(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI document of `routes` (Chalice's route table)."""
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    catalogue = {**OPERATIONS, **EXTRA_OPERATIONS}
    for path, methods in sorted(routes.items()):
        for method in sorted(methods):
            op = catalogue.get((path, method))
            if op is None:
                continue
            paths.setdefault(path, {})[method.lower()] = _operation(path, method, op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "SEM — Plataforma de Servicios Municipales", "version": "1",
                 "description": "API pública para sitios municipales y la pasarela de pagos. Errores: "
                                "{\"error\": {code, message, field, request_id}}."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "paymentToken": {"type": "http", "scheme": "bearer", "description": "access_token del pago"},
            "citizenSession": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                               "description": "session_token de Mis pagos (tras ingresar con ClaveÚnica)"},
            "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "ID token de Cognito de un funcionario"}}},
    }


def _schema_ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas[name] = definition
    schemas[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(path: str, method: str, op: Operation, schemas: dict[str, Any]) -> dict[str, Any]:
    parameters = [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in _path_params(path)]
    if op.query is not None:
        for name, info in op.query.model_json_schema().get("properties", {}).items():
            parameters.append({"name": name, "in": "query", "required": name in op.query.model_json_schema().get(
                "required", []), "schema": info})
    for name, required, description in op.headers:
        parameters.append({"name": name, "in": "header", "required": required, "description": description,
                           "schema": {"type": "string"}})
    success: dict[str, Any] = {"description": "OK"}
    if op.response is not None:
        success["content"] = {"application/json": {"schema": _schema_ref(op.response, schemas)}}
    responses: dict[str, Any] = {str(op.success): success}
    for status, description in op.also:
        responses[str(status)] = {"description": description}
    has_body = op.body is not None or "requestBody" in op.extra
    # A body in another content type is refused before the view runs (Chalice's 415, enveloped).
    for status in (*op.errors, *((415,) if has_body and 415 not in op.errors else ())):
        responses[str(status)] = {"description": "Error", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Error"}}}}
    operation: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "parameters": parameters,
                                 "responses": responses, **op.extra}
    if op.body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _schema_ref(op.body, schemas)}}}
    if op.security:
        operation["security"] = [{op.security: []}]
    return operation


def _path_params(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]


@cache
def _document() -> dict[str, Any]:
    """Built once per process: the routes do not change after the app is loaded."""
    from app import app

    return build_document(app.routes)


@bp.route("/v1/openapi.json", methods=["GET"], cors=True)
@api_view
def openapi() -> Response:
    return json_response(_document())
