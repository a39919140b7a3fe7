"""The public privacy notice (docs/personal-data.md)."""

from __future__ import annotations

from chalice.app import Blueprint, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.http import api_view, parse_query
from chalicelib.api.models import Strict
from chalicelib.api.operations import operation
from chalicelib.services.privacy_notice import controller_name, notice_html

bp = Blueprint(__name__)


class PrivacyQuery(Strict):
    """Query of `GET /v1/privacy`."""

    municipality: str | None = Field(default=None, pattern=r"^[0-9]{5}$",
                                     description="Código CUT de la municipalidad responsable, p. ej. 13101.",
                                     examples=["13101"])


@bp.route("/v1/privacy", methods=["GET"], cors=True)
@operation("getPrivacyNotice",
           "Aviso de privacidad (HTML): qué datos se tratan, para qué, con qué base y por cuánto tiempo; derechos",
           tag="citizen", query=PrivacyQuery, errors=(400, 404), extra={"x-content-type": "text/html"},
           media=("text/html",))
@api_view
def privacy() -> Response:
    """The privacy notice (HTML, es-CL); `?municipality=<CUT>` names that municipality as controller."""
    query = parse_query(bp.current_request, PrivacyQuery)
    html = notice_html(controller_name(query.municipality, wiring.municipalities()))
    return Response(body=html, status_code=200, headers={
        "Content-Type": "text/html; charset=utf-8",
        "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'"})
