"""The national plate look-up for inspectors (Carabineros, municipal inspectors) and anyone who must
know whether a vehicle's permit for a year is paid: JSON for API clients, and a page for a phone.

No credentials, by design (docs/verification.md): the answer is what a permit sticker on the
windscreen shows — plate, year, state, municipality, folios, validity — and never the owner.
Look-ups are rate-limited per caller's address and logged without the plate or the address."""

from __future__ import annotations

from collections.abc import Mapping

from chalice.app import Blueprint, Request, Response
from pydantic import Field

from chalicelib import wiring
from chalicelib.api.http import json_response, source_address, typed
from chalicelib.api.models import PlatePermitOut, Strict
from chalicelib.api.operations import operation
from chalicelib.api.pages import page_or_api_view, render, wants_html
from chalicelib.domain.errors import InvalidInput, RateLimited, SemError
from chalicelib.services import verification

bp = Blueprint(__name__)


class PermitQuery(Strict):
    """Query of `GET /v1/permits/{plate}`."""

    year: int = Field(ge=2000, le=2100, description="Año del permiso.", examples=[2027])


class InspectorQuery(Strict):
    """Query of the inspectors' page (both optional: without a plate, the empty form)."""

    plate: str | None = Field(default=None, max_length=20, description="Patente (PPU).", examples=["BBBB10"])
    year: int | None = Field(default=None, ge=2000, le=2100, description="Año del permiso.", examples=[2027])

INSPECTOR_PATH = "/v1/inspector"


def _request() -> Request | None:
    return bp.current_request


def _inspector_page(plate: str, year: str, result: dict[str, object] | None = None,
                    error: SemError | None = None) -> Response:
    status = 200
    values: dict[str, object] = {"title": "Consulta de permiso de circulación", "heading": "Consulta de permisos",
                                 "subheading": "Fiscalización · registro nacional de la plataforma",
                                 "form_action": INSPECTOR_PATH, "plate": plate[:12], "year": year[:4],
                                 "result": result, "error": None, "error_title": ""}
    headers: dict[str, str] = {}
    if error is not None:
        status = 429 if isinstance(error, RateLimited) else 400
        values.update(error=error.message, error_title="Demasiadas consultas" if status == 429 else "Dato no válido")
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(error.retry_after)
    return render("inspector.html.j2", values, status=status, headers=headers)


@bp.route("/v1/permits/{plate}", methods=["GET"], cors=True)
@operation("getPermitByPlate",
           "Estado nacional del permiso de circulación de una patente en un año (pagado, pagado en parte, no pagado, "
           "anulado), sin datos del propietario; página para inspectores si se pide text/html; límite por origen",
           tag="inspection", query=PermitQuery, response=PlatePermitOut, errors=(400, 429, 503), media=("text/html",))
@page_or_api_view(_request, back=INSPECTOR_PATH)
def permit_by_plate(plate: str) -> Response:
    """A plate's permit for `year`, nationally: paid, partially_paid, not_paid or annulled."""
    request = bp.current_request
    params: Mapping[str, str] = request.query_params or {}
    year = params.get("year")
    if year is None:
        raise InvalidInput("Indique el año del permiso (?year=AAAA).", code="invalid_year", field="year")
    html = wants_html(request)
    body = verification.plate_permit(plate, year, wiring.verification_context(), source=source_address(request),
                                     channel="page" if html else "api")
    if html:
        return _inspector_page(body["plate"], str(body["year"]), body)
    return json_response(typed(PlatePermitOut, body), headers={"Cache-Control": "no-store", "Vary": "Accept"})


@bp.route(INSPECTOR_PATH, methods=["GET"], cors=True)
@operation("getInspectorPage",
           "Página para inspectores (teléfono): consulta de permiso por patente y año, sin JavaScript (text/html); a "
           "quien no pide HTML, el JSON de /v1/permits/{plate}",
           tag="inspection", query=InspectorQuery, errors=(400, 429, 503),
           response=PlatePermitOut, media=("text/html",))
@page_or_api_view(_request)
def inspector() -> Response:
    """The inspectors' page: type a plate and a year, see the permit's state (no JavaScript). A
    caller that does not prefer HTML gets the JSON of `GET /v1/permits/{plate}` (errors in the
    envelope)."""
    request = bp.current_request
    params: Mapping[str, str] = request.query_params or {}
    plate, year = str(params.get("plate") or ""), str(params.get("year") or "")
    context = wiring.verification_context()
    if not plate:
        return _inspector_page("", year or str(context.today.year))
    if not wants_html(request):
        body = verification.plate_permit(plate, year, context, source=source_address(request), channel="api")
        return json_response(typed(PlatePermitOut, body), headers={"Cache-Control": "no-store", "Vary": "Accept"})
    try:
        result = verification.plate_permit(plate, year, context, source=source_address(bp.current_request),
                                           channel="page")
    except (InvalidInput, RateLimited) as exc:
        return _inspector_page(plate, year, error=exc)
    return _inspector_page(result["plate"], str(result["year"]), result)
