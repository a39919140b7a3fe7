"""The gate of every citizen route a municipal site calls: which municipality's portal this is
(its API key), from where (its registered origins), and whether it may take this service now
(agreement in force, service enabled)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from chalicelib.adapters.municipalities_repo import MunicipalityRepository, PortalKeyRepository
from chalicelib.domain.errors import Forbidden, Unauthenticated
from chalicelib.domain.portal_keys import format_portal_key, hash_secret, parse_portal_key, secret_matches
from chalicelib.services.municipalities import require_municipality

SERVICE_NAMES = {"permisos": "permisos de circulación", "patentes": "patentes municipales",
                 "aseo": "derechos de aseo"}


@dataclass(frozen=True)
class Portal:
    """A municipality's portal, checked: its configuration and the origin to allow in CORS."""

    code: str
    config: dict[str, Any]
    allowed_origin: str | None


def registered_origins(config: dict[str, Any]) -> set[str]:
    """The municipality's web origins (scheme://host[:port]), as registered."""
    return {str(o).rstrip("/") for o in config.get("origins", [])}


def check_origin(config: dict[str, Any], origin: str | None) -> str | None:
    """The request's Origin when registered (None without one); 403 for any other origin."""
    if origin is None:
        return None
    if origin.rstrip("/") in registered_origins(config):
        return origin
    raise Forbidden("Este sitio no está autorizado para operar con la municipalidad.", code="origin_not_allowed")


def open_portal(code: str, *, api_key: str | None, origin: str | None, services: tuple[str, ...],
                munis: MunicipalityRepository, portal_keys: PortalKeyRepository, today: date) -> Portal:
    """Check everything a municipal site's call must satisfy, in the order a caller can fix it."""
    config = require_municipality(munis, code)
    allowed_origin = check_origin(config, origin)
    parsed = parse_portal_key(api_key)
    if parsed is None or parsed.municipality != code:
        raise Unauthenticated("Falta la clave de portal (X-Api-Key) de la municipalidad, o no es válida.",
                              code="invalid_api_key", field="X-Api-Key")
    record = portal_keys.get(code, parsed.key_id)
    if record is None or record.get("status") != "active" or not secret_matches(parsed.secret, record["hash"]):
        raise Unauthenticated("La clave de portal (X-Api-Key) no es válida.", code="invalid_api_key",
                              field="X-Api-Key")
    if config.get("enabled") is False:
        raise Forbidden("La municipalidad está deshabilitada en la plataforma.", code="municipality_disabled")
    agreement = config.get("agreement") or {}
    valid_until = agreement.get("valid_until")
    if agreement.get("status") != "in_force" or (valid_until and str(valid_until) < today.isoformat()):
        raise Forbidden("La municipalidad no tiene un convenio vigente con la plataforma.",
                        code="agreement_not_in_force")
    for service in services:
        if service not in config.get("services", []):
            name = SERVICE_NAMES.get(service, service)
            raise Forbidden(f"La municipalidad no tiene habilitado el servicio de {name}.", code="service_not_enabled")
    return Portal(code=code, config=config, allowed_origin=allowed_origin)


def issue_portal_key(code: str, portal_keys: PortalKeyRepository, *, created_at: str) -> str:
    """A new portal key for a municipality; the full key is returned once and never stored."""
    key_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)[:43]
    portal_keys.put(code, key_id, hash_secret(secret), created_at=created_at)
    return format_portal_key(code, key_id, secret)
