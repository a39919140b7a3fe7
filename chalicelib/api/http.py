"""What every route shares: the error-mapping wrapper and request parsing with pydantic."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from chalice.app import Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib.api.errors import error_response, internal_error_response, invalid_input_from
from chalicelib.domain.errors import InvalidInput, SemError, Unauthenticated
from chalicelib.observability import logger

P = ParamSpec("P")
M = TypeVar("M", bound=BaseModel)

MAX_BODY_BYTES = 64 * 1024


def api_view(func: Callable[P, Any]) -> Callable[P, Any]:
    """Wrap a view so that every error leaves it as the envelope with its status, never a 500
    for anything a caller sent; a bug is logged with its traceback and answered 500 in the
    envelope."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return func(*args, **kwargs)
        except SemError as exc:
            return error_response(exc)
        except ValidationError as exc:
            return error_response(invalid_input_from(exc))
        except Exception:
            logger.exception("unhandled error in view")
            return internal_error_response()

    return wrapper


# Every request header the API reads, and how a value that is not printable ASCII is refused:
# credentials with 401 (the code their own check answers), the rest with 400. Such a value can
# never be right (keys, tokens, signatures and origins are ASCII), and comparing one in constant
# time (hmac.compare_digest) raises TypeError on non-ASCII text: refusing it here, where every
# header is read, is what keeps that from being a 500 on any route.
READ_HEADERS: dict[str, tuple[type[SemError], str, str]] = {
    "authorization": (Unauthenticated, "invalid_token", "El encabezado Authorization no es válido."),
    "x-api-key": (Unauthenticated, "invalid_api_key", "La clave de portal (X-Api-Key) no es válida."),
    "x-tgr-signature": (Unauthenticated, "signature_malformed",
                        "La firma X-TGR-Signature no tiene el formato t=…,v1=…."),
    "idempotency-key": (InvalidInput, "invalid_idempotency_key",
                        "Idempotency-Key debe tener de 1 a 255 caracteres A-Z, a-z, 0-9 o guion."),
    "origin": (InvalidInput, "invalid_origin", "El encabezado Origin no es válido."),
    "accept": (InvalidInput, "invalid_accept", "El encabezado Accept no es válido."),
    "content-type": (InvalidInput, "invalid_content_type", "El encabezado Content-Type no es válido."),
}
_FIELD_NAMES = {"authorization": "Authorization", "x-api-key": "X-Api-Key", "x-tgr-signature": "X-TGR-Signature",
                "idempotency-key": "Idempotency-Key", "origin": "Origin", "accept": "Accept",
                "content-type": "Content-Type"}


def header(request: Request, name: str) -> str | None:
    """The request's header `name` (one of `READ_HEADERS`), ``None`` when absent; its refusal
    (400 or 401, in the envelope) when the value holds anything but printable ASCII and tabs."""
    key = name.lower()
    error, code, message = READ_HEADERS[key]
    headers: Mapping[str, str] = request.headers or {}
    value = headers.get(key)
    if value is None:
        return None
    if not all(char == "\t" or " " <= char <= "~" for char in value):
        raise error(message, code=code, field=_FIELD_NAMES[key])
    return str(value)


def parse_body(request: Request, model: type[M]) -> M:
    """The JSON body validated as `model`; a clear 400 for anything else."""
    raw = request.raw_body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise InvalidInput("El cuerpo de la solicitud es demasiado grande.", code="body_too_large")
    if not raw.strip():
        raise InvalidInput("Falta el cuerpo JSON de la solicitud.", code="invalid_json")
    data = loads_json(raw, "El cuerpo de la solicitud no es JSON válido.")
    if not isinstance(data, dict):
        raise InvalidInput("El cuerpo de la solicitud debe ser un objeto JSON.", code="invalid_json")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input_from(exc) from exc


def loads_json(raw: bytes | str, message: str) -> Any:
    """`raw` as JSON; a 400 `invalid_json` with `message` for anything else, including nesting
    too deep for the parser (a RecursionError is not a ValueError)."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise InvalidInput(message, code="invalid_json") from exc


def parse_query(request: Request, model: type[M]) -> M:
    """The query string validated as `model` (each parameter given once)."""
    params: Mapping[str, str] = request.query_params or {}
    multi = getattr(request.query_params, "getlist", None)
    if multi is not None:
        for name in params:
            if len(multi(name)) > 1:
                raise InvalidInput("Este parámetro se repite.", code="invalid_input", field=name)
    try:
        return model.model_validate(dict(params))
    except ValidationError as exc:
        raise invalid_input_from(exc) from exc


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return Response(body=body, status_code=status,
                    headers={"Content-Type": "application/json", **(headers or {})})


def source_address(request: Request) -> str | None:
    """The caller's address as API Gateway saw it (for rate limits; never logged)."""
    identity = (request.context or {}).get("identity") or {}
    address = identity.get("sourceIp") if isinstance(identity, dict) else None
    return str(address) if address else None
