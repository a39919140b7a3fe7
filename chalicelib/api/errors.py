"""The error envelope of docs/contract.md, and the one place errors become HTTP responses.

    {"error": {"code": "...", "message": "...", "field": "...", "request_id": "..."}}

Chalice converts exceptions raised in a view into its own `{"Code", "Message"}` responses before
middleware sees them, so views are wrapped by `chalicelib.api.http.api_view`, which calls
`error_response` here; what Chalice still answers by itself (405, 415, its own 500s) is rewritten
into the envelope by the HTTP middleware through `rewrite_chalice_error`.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.domain.errors import (
    ConditionFailed,
    Conflict,
    DependencyUnavailable,
    Forbidden,
    InvalidInput,
    NotFound,
    RateLimited,
    RuleRefused,
    SemError,
    Unauthenticated,
)
from chalicelib.observability import current_request_id

STATUS_BY_ERROR: dict[type[SemError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    ConditionFailed: 409,
    RuleRefused: 422,
    RateLimited: 429,
    DependencyUnavailable: 503,
}

INTERNAL_MESSAGE = "Ocurrió un error inesperado. Intente nuevamente; si persiste, informe el request_id."

# Pydantic's error types, said in Spanish for citizens and officials.
_VALIDATION_MESSAGES = {
    "missing": "Falta este campo obligatorio.",
    "extra_forbidden": "Este campo no está permitido.",
    "int_parsing": "Debe ser un número entero.",
    "int_type": "Debe ser un número entero.",
    "int_from_float": "Debe ser un número entero, sin decimales.",
    "float_parsing": "Debe ser un número.",
    "string_type": "Debe ser un texto.",
    "bool_parsing": "Debe ser verdadero o falso.",
    "dict_type": "Debe ser un objeto JSON.",
    "model_type": "Debe ser un objeto JSON.",
    "list_type": "Debe ser una lista.",
    "date_from_datetime_parsing": "Debe ser una fecha AAAA-MM-DD.",
    "date_parsing": "Debe ser una fecha AAAA-MM-DD.",
    "date_type": "Debe ser una fecha AAAA-MM-DD.",
    "string_too_short": "Es demasiado corto.",
    "string_too_long": "Es demasiado largo.",
    "too_short": "Tiene muy pocos elementos.",
    "too_long": "Tiene demasiados elementos.",
    "string_pattern_mismatch": "No tiene el formato esperado.",
    "value_error": "El valor no es válido.",
}


class ErrorDetail(BaseModel):
    """What went wrong, for a program (`code`, `field`) and for a person (`message`, in Spanish)."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(examples=["invalid_input"])
    message: str = Field(description="En español, para personas.", examples=["Falta este campo obligatorio."])
    field: str | None = Field(default=None, examples=["plate"])
    request_id: str = Field(description="El mismo del encabezado X-Request-Id.")


class ErrorOut(BaseModel):
    """The error envelope every error answer carries (docs/contract.md); `envelope` builds it."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


def status_for(error: SemError) -> int:
    """The HTTP status of an error class (walking up its bases)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    return 500


def envelope(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The error body of docs/contract.md."""
    return {"error": {"code": code, "message": message, "field": field, "request_id": current_request_id()}}


def error_response(error: SemError) -> Response:
    """The HTTP response for a platform error."""
    status = status_for(error)
    headers: dict[str, str | list[str]] = {"Content-Type": "application/json"}
    retry_after = getattr(error, "retry_after", None)
    if status in (429, 503) and retry_after:
        headers["Retry-After"] = str(int(retry_after))
    code = "conflict" if isinstance(error, ConditionFailed) else error.code
    return Response(body=envelope(code, error.message, error.field), status_code=status, headers=headers)


def internal_error_response() -> Response:
    """The answer to a bug: the envelope, never a traceback."""
    return Response(body=envelope("internal_error", INTERNAL_MESSAGE), status_code=500,
                    headers={"Content-Type": "application/json"})


def invalid_input_from(exc: ValidationError, *, prefix: str | None = None) -> InvalidInput:
    """The first problem pydantic found, as an `InvalidInput` naming the field."""
    first = exc.errors(include_url=False)[0]
    parts = [str(p) for p in first.get("loc", ()) if p != "__root__"]
    field = ".".join(([prefix] if prefix else []) + parts) or prefix
    kind = first.get("type", "value_error")
    message = _VALIDATION_MESSAGES.get(kind)
    ctx = first.get("ctx") or {}
    if kind == "literal_error" or kind == "enum":
        message = f"Valor no permitido; use uno de: {ctx.get('expected', '')}."
    elif kind in ("greater_than", "greater_than_equal"):
        bound = ctx.get("gt", ctx.get("ge"))
        message = f"Debe ser mayor {'que' if kind == 'greater_than' else 'o igual a'} {bound}."
    elif kind in ("less_than", "less_than_equal"):
        bound = ctx.get("lt", ctx.get("le"))
        message = f"Debe ser menor {'que' if kind == 'less_than' else 'o igual a'} {bound}."
    elif kind == "value_error" and ctx.get("error"):
        message = str(ctx["error"])
    return InvalidInput(message or "El valor no es válido.", code="invalid_input", field=field)


_CHALICE_CODES = {
    405: ("method_not_allowed", "Método HTTP no permitido en esta ruta."),
    415: ("unsupported_media_type", "Tipo de contenido no soportado; envíe application/json."),
    400: ("bad_request", "Solicitud no válida."),
    404: ("not_found", "La ruta no existe."),
    403: ("forbidden", "Acceso denegado."),
}


def rewrite_chalice_error(response: Response) -> Response:
    """Chalice's own `{"Code", "Message"}` answers, rewritten into the envelope."""
    body = response.body
    if not (isinstance(body, dict) and set(body) == {"Code", "Message"}):
        return response
    if response.status_code >= 500:
        return internal_error_response()
    code, message = _CHALICE_CODES.get(response.status_code, ("bad_request", "Solicitud no válida."))
    response.body = envelope(code, message)
    return response
