"""What the OpenAPI document says about each route, declared beside the route with `@operation`.

A route module writes, between `@bp.route(...)` and `@api_view`::

    @operation("getPermitQuote", "Cotización del permiso", tag="citizen", query=QuoteQuery,
               response=PermitQuoteOut, security="portalKey", errors=(400, 401, 403, 404, 503))

The decorator only attaches an `Operation` to the view function; chalicelib/api/openapi.py reads
it back from the routes of the app it documents, and a test fails on any route without one.
This module imports nothing from the route modules, so every one of them can use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

F = TypeVar("F", bound=Callable[..., Any])

Tag = Literal["platform", "citizen", "citizenSpace", "gateway", "receipts", "inspection", "signatures", "admin",
              "reports", "reconciliation", "central"]
Security = Literal["portalKey", "paymentToken", "citizenSession", "officialToken"]

TAGS: dict[str, tuple[str, str]] = {
    "platform": ("Plataforma", "Estado de la plataforma y este documento."),
    "citizen": ("Ciudadanía", "Lo que llaman los sitios municipales: calculadoras, cotizaciones, deudas y pagos."),
    "citizenSpace": ("Mis pagos", "El espacio de cada persona, tras ingresar con ClaveÚnica (docs/citizens.md)."),
    "gateway": ("Pasarela", "Notificaciones de la Tesorería General de la República (TGR)."),
    "receipts": ("Comprobantes", "Verificación de comprobantes y las claves públicas que los firman."),
    "inspection": ("Fiscalización", "Consulta de permisos por patente (inspectores, Carabineros)."),
    "signatures": ("Firma electrónica", "Firma electrónica de funcionarios (simple con la CA de la plataforma, "
                                        "avanzada con FirmaGob): nóminas, convenios y devoluciones."),
    "admin": ("Administración", "Consola de funcionarios municipales (docs/admin-api.md)."),
    "reports": ("Informes", "Informes de recaudación."),
    "reconciliation": ("Conciliación", "Conciliación diaria con la Tesorería."),
    "central": ("Nivel central", "Administración de la plataforma (SUBDERE)."),
}
"""Every tag: ASCII name (what generated clients use) -> Spanish display name and description."""

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "portalKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key",
                  "description": "Clave de portal de la municipalidad (sem_<código>_…)."},
    "paymentToken": {"type": "http", "scheme": "bearer",
                     "description": "access_token del pago, entregado al crearlo."},
    "citizenSession": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                       "description": "session_token de Mis pagos (tras ingresar con ClaveÚnica)."},
    "officialToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                      "description": "ID token de Cognito de un funcionario."},
}

FOUR_EYES = "Propuesta pendiente de aprobación (perfil que autoriza pagos: cuatro ojos)"
IDEMPOTENCY_KEY = ("Idempotency-Key", True, "1–255 de [A-Za-z0-9-]; misma clave y cuerpo devuelven la misma "
                   "respuesta, otro cuerpo 409.")

_OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")
_ATTRIBUTE = "sem_operation"


@dataclass(frozen=True)
class Operation:
    """One route's entry in the OpenAPI document."""

    operation_id: str
    summary: str
    tag: Tag
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    media: tuple[str, ...] = ()
    """Media types of a success answer that is not JSON (text/csv, text/html, application/x-pem-file),
    documented as text; with `response` too, the route answers either (by format or Accept)."""
    success: int = 200
    also: tuple[tuple[int, str], ...] = ()
    """Other success statuses, with what they mean (e.g. 202: a proposal waiting for approval)."""
    headers: tuple[tuple[str, bool, str], ...] = ()
    """Request headers other than credentials (those are `security`): name, required, description."""
    security: Security | None = None
    errors: tuple[int, ...] = (400,)
    extra: dict[str, Any] = field(default_factory=dict)
    """Raw OpenAPI fields merged into the operation (a non-JSON success, a binary request body)."""


def operation(operation_id: str, summary: str, *, tag: Tag, body: type[BaseModel] | None = None,
              query: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
              media: tuple[str, ...] = (), success: int = 200,
              also: tuple[tuple[int, str], ...] = (), headers: tuple[tuple[str, bool, str], ...] = (),
              security: Security | None = None, errors: tuple[int, ...] = (400,),
              extra: dict[str, Any] | None = None) -> Callable[[F], F]:
    """Describe the route below: `operation_id` is the stable English camelCase name generated
    clients call it by; `summary` is in Spanish; `response` is the model the view returns, `media`
    the media types of a success answer that is not JSON."""
    if not _OPERATION_ID.match(operation_id):
        raise ValueError(f"operationId must be camelCase ASCII: {operation_id!r}")
    described = Operation(operation_id, summary, tag, body=body, query=query, response=response, media=media,
                          success=success,
                          also=also, headers=headers, security=security, errors=errors, extra=extra or {})

    def attach(view: F) -> F:
        setattr(view, _ATTRIBUTE, described)
        return view

    return attach


def operation_of(view: Callable[..., Any]) -> Operation | None:
    """The operation declared on a view function, if any."""
    found = getattr(view, _ATTRIBUTE, None)
    return found if isinstance(found, Operation) else None
