"""Public citizen routes that need no portal: the municipality list and the calculators."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import wiring
from chalicelib.api.http import api_view, json_response, parse_body
from chalicelib.api.models import PatenteSimulationIn, PermitSimulationIn, body_for_domain, municipality_code
from chalicelib.services import municipalities, simulation

bp = Blueprint(__name__)


@bp.route("/v1/municipalities", methods=["GET"], cors=True)
@api_view
def list_municipalities() -> Response:
    """Enabled municipalities with the services each offers."""
    return json_response({"municipalities": municipalities.public_listing(wiring.municipalities())})


@bp.route("/v1/municipalities/{code}", methods=["GET"], cors=True)
@api_view
def municipality_profile(code: str) -> Response:
    """An enabled municipality's name, services and colours (what the payment widget shows)."""
    return json_response(municipalities.public_profile(wiring.municipalities(), municipality_code(code)))


@bp.route("/v1/municipalities/{code}/permits/simulate", methods=["POST"], cors=True)
@api_view
def simulate_permit(code: str) -> Response:
    """The permit calculator: amount and breakdown for the given vehicle and year."""
    body = parse_body(bp.current_request, PermitSimulationIn)
    result = simulation.simulate_permit(municipality_code(code), body_for_domain(body),
                                        wiring.municipalities(), wiring.references())
    return json_response(result)


@bp.route("/v1/municipalities/{code}/patentes/simulate", methods=["POST"], cors=True)
@api_view
def simulate_patente(code: str) -> Response:
    """The patente calculator: yearly amount, semesters and breakdown."""
    body = parse_body(bp.current_request, PatenteSimulationIn)
    result = simulation.simulate_patente(municipality_code(code), body_for_domain(body),
                                         wiring.municipalities(), wiring.references())
    return json_response(result)
