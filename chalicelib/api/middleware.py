"""HTTP middleware: request id, structured access log, the envelope for Chalice's own errors,
and response headers every answer carries."""

from __future__ import annotations

import time
from collections.abc import Callable

from chalice.app import Request, Response

from chalicelib.api.errors import internal_error_response, rewrite_chalice_error
from chalicelib.observability import begin_request, logger

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "Referrer-Policy": "no-referrer",
    # Lets browser callers (municipal sites, the console) read these on cross-origin answers.
    "Access-Control-Expose-Headers": "X-Request-Id, Retry-After, X-Row-Count, Content-Disposition",
}


def request_context(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """Serve one request inside its logging context, and finish its response."""
    started = time.perf_counter()
    gateway_id = (event.context or {}).get("requestId") if event is not None else None
    request_id = begin_request(gateway_id)
    route = (event.context or {}).get("resourcePath", "") if event is not None else ""
    municipality = (event.uri_params or {}).get("code") if event is not None else None
    if municipality and municipality.isdigit() and len(municipality) == 5:
        logger.append_keys(municipality=municipality)
    logger.append_keys(route=route)
    try:
        response = get_response(event)
    except Exception:
        logger.exception("unhandled error")
        response = internal_error_response()
    response = rewrite_chalice_error(response)
    response.headers["X-Request-Id"] = request_id
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    logger.info("request", extra={
        "method": event.method if event is not None else "",
        "status": response.status_code,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    })
    return response
