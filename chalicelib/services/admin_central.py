"""The central level (SUBDERE): the platform's municipalities — list, onboard, agreement and
enabling. The configuration and the platform's index entry change in one transaction, with the
audit entry written in the municipality's own log (so its officials see what SUBDERE changed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.municipality_admin_repo import MunicipalityAdminRepository
from chalicelib.domain.errors import ConditionFailed, Conflict, DependencyUnavailable, InvalidInput, NotFound
from chalicelib.observability import logger
from chalicelib.services import admin_officials
from chalicelib.services.admin_settings import check_origin
from chalicelib.services.auth import Official

PLATFORM = "00000"


class TokenKeys(Protocol):
    def jwk(self, code: str, *, create: bool = True) -> dict[str, str]: ...


@dataclass
class CentralAdminContext:
    admin: MunicipalityAdminRepository
    municipalities: MunicipalityRepository
    officials: admin_officials.OfficialsAdminContext
    clock: Callable[[], datetime]
    token_keys: TokenKeys | None = None
    """Creates a new municipality's receipt-token key (KMS EC P-256, docs/verification.md)."""


def public(entry: dict[str, Any]) -> dict[str, Any]:
    return {"code": entry.get("code"), "name": entry.get("name"), "region": entry.get("region"),
            "services": list(entry.get("services", [])), "enabled": bool(entry.get("enabled")),
            "agreement": entry.get("agreement")}


def list_municipalities(ctx: CentralAdminContext, *, limit: int, cursor: str | None) -> dict[str, Any]:
    page = ctx.admin.index_page(limit=limit, cursor=cursor)
    return {"items": [public(e) for e in page.items], "cursor": page.cursor}


def onboard(data: dict[str, Any], actor: Official, ctx: CentralAdminContext) -> dict[str, Any]:
    """A new municipality (configuration + index entry), optionally with its first administrador
    municipal (who then creates the other officials)."""
    code = data["code"]
    if code == PLATFORM:
        raise InvalidInput("00000 está reservado para la plataforma.", code="invalid_municipality", field="code")
    origins = [check_origin(o, i) for i, o in enumerate(data.get("origins") or [])]
    now = ctx.clock().isoformat(timespec="seconds")
    agreement = {k: v for k, v in data["agreement"].items() if v is not None}
    config = {"code": code, "name": data["name"], "legal_name": data["legal_name"], "region": data["region"],
              "address": data.get("address"), "zone": data.get("zone"), "services": data["services"],
              "origins": origins, "agreement": agreement, "branding": {}, "enabled": data["enabled"],
              "sender_email": data.get("sender_email"),
              # the SES identity the platform verified for it: the only sender it may use (issue 15.4)
              "sender_identities": [data["sender_email"].lower()] if data.get("sender_email") else None,
              "created_at": now, "created_by": actor.email}
    config = {k: v for k, v in config.items() if v is not None}
    index_entry = {"code": code, "name": data["name"], "region": data["region"], "services": data["services"],
                   "enabled": data["enabled"], "agreement": agreement}
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="municipality.onboard", target=code,
                      before=None, after=index_entry)
    try:
        ctx.admin.create(config, index_entry, audit)
    except ConditionFailed as exc:
        raise Conflict(f"La municipalidad {code} ya está en la plataforma.", code="municipality_exists",
                       field="code") from exc
    ctx.municipalities.forget(code)
    if ctx.token_keys is not None:
        try:  # published in the JWKS from day one; else made by its first receipt
            ctx.token_keys.jwk(code)
        except DependencyUnavailable:
            logger.warning("receipt-token key not created at onboarding; the first receipt will create it")
    body = public(index_entry)
    first = data.get("first_admin")
    if first:
        body["first_admin"] = admin_officials.create_official(
            code, first["email"], first["name"], "administrador_municipal", actor, ctx.officials, run=first["run"])
    return body


def update_municipality(code: str, changes: dict[str, Any], actor: Official, ctx: CentralAdminContext
                        ) -> dict[str, Any]:
    """Change the agreement (state, validity) or enable / disable the municipality."""
    config = ctx.admin.config(code)
    entry = ctx.admin.index_entry(code)
    if config is None or entry is None:
        raise NotFound(f"La municipalidad {code} no está registrada en la plataforma.",
                       code="municipality_not_found", field="code")
    fields: dict[str, Any] = {}
    if "agreement" in changes:
        fields["agreement"] = {k: v for k, v in changes["agreement"].items() if v is not None}
    if "enabled" in changes:
        fields["enabled"] = changes["enabled"]
    before = {k: entry.get(k) for k in fields}
    if before == fields:
        return public(entry)
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="municipality.update", target=code,
                      before=before, after=fields)
    try:
        ctx.admin.update(code, {**fields, "updated_by": actor.email}, expect_version=int(config.get("version", 1)),
                         audit=audit, index_fields=fields)
    except ConditionFailed as exc:
        raise Conflict("La municipalidad cambió mientras la editaba; intente de nuevo.",
                       code="municipality_changed") from exc
    ctx.municipalities.forget(code)
    return public({**entry, **fields})
