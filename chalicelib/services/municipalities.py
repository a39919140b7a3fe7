"""What the platform knows of a municipality, as the use cases need it."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.domain.errors import NotFound
from chalicelib.domain.patentes import PatenteRules
from chalicelib.domain.permit_rules import PermitRules


def require_municipality(repo: MunicipalityRepository, code: str) -> dict[str, Any]:
    """The municipality's configuration, or a 404 naming the code."""
    config = repo.get(code)
    if config is None:
        raise NotFound(f"La municipalidad {code} no está registrada en la plataforma.",
                       code="municipality_not_found", field="code")
    return config


def permit_rules(config: dict[str, Any]) -> PermitRules:
    """The permit rules of a municipality: the seeded law-level rules with its overrides."""
    from chalicelib.domain import reference_data

    return reference_data.permit_rules(config.get("permit_rules") or None)


def patente_rules(config: dict[str, Any]) -> PatenteRules:
    """The patente rules of a municipality (its rate per mille, zone rates, tariffs)."""
    from chalicelib.domain import reference_data

    return reference_data.patente_rules(config.get("patente_rules") or None)


def public_listing(repo: MunicipalityRepository) -> list[dict[str, Any]]:
    """Enabled municipalities with the services each offers (`GET /v1/municipalities`)."""
    return [{"code": m["code"], "name": m["name"], "region": m["region"], "services": m["services"]}
            for m in repo.list_all() if m.get("enabled")]


def public_profile(repo: MunicipalityRepository, code: str) -> dict[str, Any]:
    """What anyone may know of an enabled municipality: its name, services and the colours its
    citizens know it by (`GET /v1/municipalities/{code}`; the payment widget paints itself with
    them). A disabled one is as unknown as a missing one."""
    config = require_municipality(repo, code)
    if not config.get("enabled"):
        raise NotFound(f"La municipalidad {code} no está registrada en la plataforma.",
                       code="municipality_not_found", field="code")
    return {"code": config["code"], "name": config["name"], "region": config.get("region"),
            "services": list(config.get("services", [])), "branding": public_branding(config)}


def public_branding(config: dict[str, Any]) -> dict[str, str]:
    """The municipality's primary and secondary colours (the platform's where it set none)."""
    from chalicelib.documents.branding import branding_with_defaults

    branding = branding_with_defaults(dict(config.get("branding") or {}))
    return {"primary_color": branding.primary_color, "secondary_color": branding.secondary_color}
