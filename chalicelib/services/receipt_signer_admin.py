"""The receipt signer of a municipality: which of its officials signs its receipts, designated by
its administrador municipal. The designation copies the official's name, profile and RUN (the RUN
the administrator registered for the account, never one typed here) into the municipality's
configuration (`receipt_signer`), where the receipts worker reads it (docs/receipts.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.municipalities_repo import MunicipalityRepository
from chalicelib.adapters.municipality_admin_repo import MunicipalityAdminRepository
from chalicelib.adapters.officials_admin_repo import OfficialsAdminRepository
from chalicelib.domain.errors import ConditionFailed, Conflict, InvalidInput, NotFound
from chalicelib.services.auth import Official
from chalicelib.services.permissions import PROFILE_NAMES, TOTP_PROFILES

SIGNER_PROFILES = TOTP_PROFILES
"""Who may sign receipts: the profiles that authorize payments (and so were approved by four eyes)."""


@dataclass
class ReceiptSignerAdminContext:
    admin: MunicipalityAdminRepository
    officials: OfficialsAdminRepository
    municipalities: MunicipalityRepository
    clock: Callable[[], datetime]


def _config(code: str, ctx: ReceiptSignerAdminContext) -> dict[str, Any]:
    config = ctx.admin.config(code)
    if config is None:
        raise NotFound(f"La municipalidad {code} no está registrada en la plataforma.",
                       code="municipality_not_found", field="code")
    return config


def _view(config: Mapping[str, Any]) -> dict[str, Any]:
    signer = config.get("receipt_signer") or None
    designated = None
    if signer:
        profile = str(signer.get("profile", ""))
        designated = {k: signer.get(k) for k in ("email", "name", "run", "profile", "designated_at",
                                                  "designated_by")}
        designated["profile_name"] = PROFILE_NAMES.get(profile, profile)
    return {"designated": designated, "uses_default": designated is None,
            "version": int(config.get("version", 1)),
            "eligible_profiles": sorted(SIGNER_PROFILES)}


def view(code: str, ctx: ReceiptSignerAdminContext) -> dict[str, Any]:
    """The designated signer, or that receipts are signed by the platform's labelled default."""
    return _view(_config(code, ctx))


def official_changed(code: str, email: str, official: Mapping[str, Any], actor: Official,
                     ctx: ReceiptSignerAdminContext) -> None:
    """After a change to an official: if they are the designated receipt signer and are no longer
    active or no longer hold a profile that authorizes payments, the designation is withdrawn
    (receipts go back to the labelled default until the administrator designates another; on prod
    the demo default is refused). Repeat-safe."""
    config = ctx.admin.config(code) or {}
    signer = config.get("receipt_signer") or {}
    if signer.get("email") != email:
        return
    if official.get("status") == "active" and official.get("profile") in SIGNER_PROFILES:
        return
    current = int(config.get("version", 1))
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="settings.receipt_signer", target=code,
                      before={k: signer.get(k) for k in ("email", "run", "profile")},
                      after={"withdrawn": "official_not_active" if official.get("status") != "active"
                             else "profile_changed"})
    try:
        ctx.admin.update(code, {"updated_at": ctx.clock().isoformat(timespec="seconds"), "updated_by": actor.email},
                         expect_version=current, audit=audit, remove=["receipt_signer"])
    except ConditionFailed as exc:
        raise Conflict("La configuración cambió mientras se actualizaba; intente de nuevo.",
                       code="settings_version_mismatch") from exc
    ctx.municipalities.forget(code)


def designate(code: str, email: str, actor: Official, ctx: ReceiptSignerAdminContext, *, version: int | None
              ) -> dict[str, Any]:
    """Make an active official of the municipality, with a profile that authorizes payments and a
    registered RUN, the signer of its receipts (conditional on the configuration's version)."""
    config = _config(code, ctx)
    current = int(config.get("version", 1))
    if version is not None and version != current:
        raise Conflict("La configuración cambió mientras la editaba; recárguela e intente de nuevo.",
                       code="settings_version_mismatch", field="version")
    official = ctx.officials.get(code, email.strip().lower())
    if official is None:
        raise NotFound("No existe ese funcionario en la municipalidad.", code="official_not_found", field="email")
    if official.get("status") != "active":
        raise InvalidInput("El funcionario no está activo.", code="official_not_active", field="email")
    if official.get("profile") not in SIGNER_PROFILES:
        raise InvalidInput("Solo firma comprobantes un perfil que autoriza pagos (alcalde, director de finanzas, "
                           "tesorero o subrogante).", code="invalid_signer_profile", field="email")
    if not official.get("run"):
        raise InvalidInput("El funcionario no tiene RUN registrado.", code="run_missing", field="email")
    now = ctx.clock().isoformat(timespec="seconds")
    signer = {"email": official["email"], "name": official["name"], "run": official["run"],
              "profile": official["profile"], "designated_at": now, "designated_by": actor.email}
    before = config.get("receipt_signer")
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="settings.receipt_signer", target=code,
                      before={k: before.get(k) for k in ("email", "run", "profile")} if before else None,
                      after={k: signer[k] for k in ("email", "run", "profile")})
    try:
        ctx.admin.update(code, {"receipt_signer": signer, "updated_at": now, "updated_by": actor.email},
                         expect_version=current, audit=audit)
    except ConditionFailed as exc:
        raise Conflict("La configuración cambió mientras la editaba; recárguela e intente de nuevo.",
                       code="settings_version_mismatch", field="version") from exc
    ctx.municipalities.forget(code)
    return _view({**config, "receipt_signer": signer, "version": current + 1})
