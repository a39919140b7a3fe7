"""The public calculators: what a permit or a patente costs, with its breakdown."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.reference_repo import ReferenceRepository
from chalicelib.domain.patentes import PatenteRequest, compute_patente
from chalicelib.domain.permits import PermitRequest, compute_back_years, compute_permit, permit_response_body
from chalicelib.services import municipalities


def simulate_permit(code: str, body: dict[str, Any], munis: MunicipalityRepository,
                    refs: ReferenceRepository) -> dict[str, Any]:
    """The permit calculator of docs/contract.md for one municipality (its rules and discounts)."""
    config = municipalities.require_municipality(munis, code)
    request = PermitRequest.parse(body)
    rules = municipalities.permit_rules(config)
    result = compute_permit(request, refs.tables(), rules)
    answer: dict[str, Any] = {"municipality": code, **permit_response_body(result)}
    if request.back_years:
        answer["back_years"] = compute_back_years(request, refs.tables(), rules)
    return answer


def simulate_patente(code: str, body: dict[str, Any], munis: MunicipalityRepository,
                     refs: ReferenceRepository) -> dict[str, Any]:
    """The patente calculator of docs/contract.md for one municipality (its rate per mille)."""
    config = municipalities.require_municipality(munis, code)
    request = PatenteRequest.parse(body)
    result = compute_patente(request, refs.tables(), municipalities.patente_rules(config))
    return {
        "municipality": code,
        "amount": result.amount,
        "installments": result.installments,
        "estimated": result.estimated,
        "breakdown": result.breakdown,
    }
