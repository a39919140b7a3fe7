"""Server-rendered pages for people (receipt verification, the inspectors' plate look-up): content
negotiation, rendering and errors as plain Spanish pages.

The pages need no JavaScript and carry no external resource: one HTML document with its styles
inline, a few kilobytes, so they open fast on a phone with a poor connection. Their CSP forbids
scripts outright. A route that also answers JSON picks the page only when the caller prefers
`text/html` (browsers do; API clients asking `application/json`, `*/*` or nothing get JSON).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any, ParamSpec

from chalice.app import Request, Response

from chalicelib.api.errors import error_response, invalid_input_from, status_for
from chalicelib.api.http import header
from chalicelib.domain.errors import InvalidInput, SemError
from chalicelib.domain.labels import INSTALLMENT_TEXT
from chalicelib.observability import logger

P = ParamSpec("P")

PAGES = Path(__file__).resolve().parent.parent / "assets" / "pages"
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
DEFAULT_COLORS = {"primary_color": "#1F3A5F", "secondary_color": "#C8A24A"}  # assets/branding/default.json
PAGE_ERROR_TITLES = {400: "Datos no válidos", 404: "No encontrado", 429: "Demasiados intentos",
                     503: "Servicio no disponible"}


def _quality(accept: str, wanted: str) -> float:
    """The q the Accept header gives `wanted` (exact type, `type/*` or `*/*`; the most specific wins)."""
    best: tuple[int, float] = (-1, 0.0)
    major = wanted.split("/")[0]
    for part in accept.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media, q = pieces[0].lower(), 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        specificity = 2 if media == wanted else 1 if media == f"{major}/*" else 0 if media == "*/*" else -1
        if specificity > best[0]:
            best = (specificity, q)
    return best[1]


def wants_html(request: Request | None) -> bool:
    """Whether the caller prefers an HTML page to JSON."""
    if request is None:
        return False
    try:
        accept = (header(request, "accept") or "")[:1000]
    except InvalidInput:  # a garbled preference: the default answer (JSON), never a 500
        return False
    return bool(accept) and _quality(accept, "text/html") > _quality(accept, "application/json")


VEHICLE_CLASS_TEXT = {
    "light": "Vehículo liviano (automóvil, station wagon, camioneta)", "motorcycle": "Motocicleta",
    "taxi": "Taxi", "bus": "Bus", "truck": "Camión", "tractor_truck": "Tractocamión",
    "trailer_light": "Remolque hasta 1.750 kg", "trailer_heavy": "Remolque de más de 1.750 kg",
    "tractor": "Tractor", "machinery": "Maquinaria automotriz",
}


def date_text(value: object) -> str:
    """``2027-03-20…`` → ``20-03-2027`` (as received when it is not a date)."""
    text = str(value or "")
    if len(text) >= 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}-{text[5:7]}-{text[:4]}"
    return text


def date_time_text(value: object) -> str:
    """``2027-03-20T14:05:09-03:00`` → ``20-03-2027 14:05`` (local time as recorded)."""
    text = str(value or "")
    if len(text) >= 16 and text[10] in "T ":
        return f"{date_text(text)} {text[11:16]}"
    return date_text(text)


@cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(loader=FileSystemLoader(PAGES), undefined=StrictUndefined,
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters.update(fecha=date_text, fecha_hora=date_time_text,
                       clase=lambda v: VEHICLE_CLASS_TEXT.get(str(v), str(v)),
                       cuota=lambda v: INSTALLMENT_TEXT.get(str(v), str(v)))
    return env


def colors(config: Mapping[str, Any] | None) -> dict[str, str]:
    """The municipality's colours (its branding settings), the platform's where it has none;
    only `#rrggbb` values reach the page's style sheet."""
    branding = dict((config or {}).get("branding") or {})
    chosen = {}
    for name, default in DEFAULT_COLORS.items():
        value = str(branding.get(name) or "")
        ok = len(value) == 7 and value.startswith("#") and all(c in "0123456789abcdefABCDEF" for c in value[1:])
        chosen[name] = value if ok else default
    return chosen


MAX_INLINE_LOGO_BYTES = 12_000
"""A municipality's logo is inlined in the page (CSP `img-src data:`, no second request) only when
small; a larger one is left out rather than slow the page on a poor connection."""


def logo_data_uri(png: bytes | None) -> str | None:
    """The municipality's PNG logo as a `data:` URI, when it is a small PNG."""
    import base64

    if not png or len(png) > MAX_INLINE_LOGO_BYTES or not png.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render(template: str, values: Mapping[str, Any], *, status: int = 200,
           headers: Mapping[str, str] | None = None) -> Response:
    """A page from `chalicelib/assets/pages/<template>`."""
    defaults = {"colors": DEFAULT_COLORS, "logo": None, "privacy_municipality": None}
    body = _environment().get_template(template).render({**defaults, **values})
    return Response(body=body, status_code=status,
                    headers={"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": PAGE_CSP,
                             "Cache-Control": "no-store", "Vary": "Accept", **(headers or {})})


def error_page(error: SemError, *, heading: str | None = None, back: str | None = None) -> Response:
    """A platform error as a plain Spanish page, with the status the JSON route would give."""
    status = status_for(error)
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(int(retry_after))} if status in (429, 503) and retry_after else {}
    return render("message.html.j2", {"title": heading or PAGE_ERROR_TITLES.get(status, "No fue posible"),
                                      "message": error.message, "back": back}, status=status, headers=headers)


def page_or_api_view(request_of: Callable[[], Request | None], *, back: str | None = None
                     ) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Like `api_view`, but errors become a page when the caller prefers HTML."""
    from pydantic import ValidationError

    from chalicelib.api.errors import internal_error_response

    def decorate(func: Callable[P, Response]) -> Callable[P, Response]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
            html = wants_html(request_of())
            try:
                response = func(*args, **kwargs)
            except SemError as exc:
                return error_page(exc, back=back) if html else error_response(exc)
            except ValidationError as exc:
                error = invalid_input_from(exc)
                return error_page(error, back=back) if html else error_response(error)
            except Exception:
                logger.exception("unhandled error in view")
                return internal_error_response()
            response.headers.setdefault("Vary", "Accept")
            return response

        return wrapper

    return decorate
