"""Officials of a municipality, managed by its administrador municipal: list, create (with the
Cognito account and the official's RUN), change profile, deactivate and reactivate.

Creating an official with a profile that authorizes payments, promoting one to it, or
reactivating an account that has it, only proposes the change: it applies when the alcalde or SUBDERE approves it
(`services/official_approvals.py`, four eyes). The RUN is set by the administrator at creation
(or once, for an account that has none) and never by its holder: it is the identity the
official's signing certificate carries.

The officials table decides access (every request checks the record is active and has the
token's profile), so a change takes effect there first and at once; the Cognito account
follows (group, claim, enabled). A change is idempotent: repeating it finishes the Cognito part
when a previous attempt stopped half-way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.adapters.cognito_users import CognitoUsers
from chalicelib.adapters.officials_admin_repo import OfficialsAdminRepository
from chalicelib.domain.errors import ConditionFailed, Conflict, InvalidInput, NotFound
from chalicelib.domain.rut import parse_rut
from chalicelib.services.auth import Official, session_cutoff
from chalicelib.services.permissions import MUNICIPAL_PROFILES, PROFILE_NAMES, requires_totp


@dataclass
class OfficialsAdminContext:
    officials: OfficialsAdminRepository
    cognito: CognitoUsers
    clock: Callable[[], datetime]
    on_change: Callable[[str, str, Mapping[str, Any], Official], None]
    """After every change (and its retries): what signing does when an official left office or
    changed profile (wiring gives `services/signatures.official_changed` with its contexts)."""


def public(record: dict[str, Any]) -> dict[str, Any]:
    profile = str(record.get("profile", ""))
    return {"email": record.get("email") or record.get("sk"), "name": record.get("name"), "run": record.get("run"),
            "profile": profile,
            "profile_name": PROFILE_NAMES.get(profile, profile), "status": record.get("status"),
            "totp_required": requires_totp(profile), "created_at": record.get("created_at"),
            "updated_at": record.get("updated_at")}


def list_officials(code: str, ctx: OfficialsAdminContext, *, limit: int, cursor: str | None) -> dict[str, Any]:
    page = ctx.officials.page(code, limit=limit, cursor=cursor)
    return {"items": [public(r) for r in page.items], "cursor": page.cursor}


def create_official(code: str, email: str, name: str, profile: str, actor: Official, ctx: OfficialsAdminContext,
                    *, run: str, approval: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A new active official of the municipality and its Cognito account (temporary password).
    For a profile that authorizes payments, a pending proposal instead (`status`
    `pending_approval`), unless `approval` is the approved proposal being applied."""
    from chalicelib.services import official_approvals

    email = email.strip().lower()
    _check_profile(code, profile)
    run = check_run(code, run, ctx)
    if ctx.officials.get(code, email) is not None:
        raise Conflict("Ya existe un funcionario con ese correo en la municipalidad.", code="official_exists",
                       field="email")
    if approval is None and official_approvals.needs_approval(profile):
        return official_approvals.propose(code, {"kind": "create", "email": email, "name": name.strip(),
                                                 "profile": profile, "run": run}, actor, ctx)
    existing = ctx.cognito.attributes(email)
    if existing is None:
        sub = ctx.cognito.create(email=email, name=name, municipality=code, profile=profile)
    elif existing.get("custom:municipality") != code or existing.get("custom:profile") != profile:
        raise Conflict("Ya existe una cuenta con ese correo en la plataforma.", code="official_exists", field="email")
    else:  # an account left by an attempt that stopped before the record was written; adopt it.
        sub = existing["sub"]
    now = ctx.clock().isoformat(timespec="seconds")
    record = {"email": email, "name": name.strip(), "municipality": code, "profile": profile, "status": "active",
              "sub": sub, "run": run, "created_at": now, "created_by": actor.email, "updated_at": now,
              **official_approvals.approval_fields(approval)}
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="official.create", target=email,
                      before=None, after={k: record[k] for k in ("name", "profile", "status", "run")})
    try:
        ctx.officials.create(code, record, audit, extra=official_approvals.decision_ops(code, approval, actor, ctx))
    except ConditionFailed as exc:
        if approval is not None:
            raise official_approvals.already_decided() from exc
        raise Conflict("Ya existe un funcionario con ese correo o con ese RUN en la municipalidad.",
                       code="official_exists", field="email") from exc
    return public(record)


def check_run(code: str, run: str, ctx: OfficialsAdminContext, *, email: str | None = None) -> str:
    """The RUN in its stored (compact) form, once validated and free in the municipality."""
    compact = parse_rut(run, field="run").compact
    holder = ctx.officials.run_holder(code, compact)
    if holder is not None and holder != email:
        raise Conflict("Ese RUN ya corresponde a otro funcionario de la municipalidad.", code="run_taken",
                       field="run")
    return compact


def set_run(code: str, email: str, run: str, actor: Official, ctx: OfficialsAdminContext) -> dict[str, Any]:
    """Give an official created before RUNs were kept its RUN: once, by the administrator; a RUN
    already set is never changed (a mistaken one means a new account)."""
    if email == actor.email and actor.municipality == code:
        raise Conflict("Su RUN lo registra otro administrador; no puede fijarlo usted.", code="cannot_change_self",
                       field="run")
    record = ctx.officials.get(code, email)
    if record is None:
        raise NotFound("No existe ese funcionario en la municipalidad.", code="official_not_found", field="email")
    compact = check_run(code, run, ctx, email=email)
    if record.get("run"):
        if record["run"] == compact:
            return public(record)
        raise Conflict("El RUN de un funcionario no se cambia; si está errado, cree una cuenta nueva.",
                       code="run_immutable", field="run")
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="official.set_run", target=email,
                      before={"run": None}, after={"run": compact})
    try:
        ctx.officials.set_run(code, email, compact, audit)
    except ConditionFailed as exc:
        raise Conflict("El funcionario cambió mientras lo editaba; recargue e intente de nuevo.",
                       code="official_changed") from exc
    return public({**record, "run": compact})


def update_official(code: str, email: str, changes: dict[str, Any], actor: Official, ctx: OfficialsAdminContext,
                    *, approval: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Change an official's profile, name or status (`active` / `inactive`), or reset the
    password (`password_reset`: Cognito e-mails a code to choose a new one). A promotion to a
    profile that authorizes payments is a pending proposal instead, unless `approval` is the
    approved proposal being applied."""
    from chalicelib.services import official_approvals

    email = email.strip().lower()
    changes = dict(changes)
    reset = bool(changes.pop("password_reset", False))
    if "run" in changes:
        set_run(code, email, changes.pop("run"), actor, ctx)
        if not changes and not reset:
            return public(ctx.officials.get(code, email) or {})
    if email == actor.email and actor.municipality == code and (
            "status" in changes or "profile" in changes or reset):
        raise Conflict("No puede cambiar su propio perfil ni desactivar su propia cuenta.", code="cannot_change_self")
    record = ctx.officials.get(code, email)
    if record is None:
        raise NotFound("No existe ese funcionario en la municipalidad.", code="official_not_found", field="email")
    if "profile" in changes:
        _check_profile(code, changes["profile"])
    if reset and changes.get("status", record.get("status")) != "active":
        raise Conflict("Solo se restablece la contraseña de un funcionario activo.", code="official_inactive")
    kind = official_approvals.kind_of_change(record, changes)
    if approval is None and kind is not None:
        return official_approvals.propose(code, {"kind": kind, "email": email, "name": record.get("name"),
                                                 "profile": changes.get("profile", record.get("profile")),
                                                 "changes": changes, "from_profile": record.get("profile")},
                                          actor, ctx)
    fields = {k: v for k, v in changes.items() if record.get(k) != v}
    if approval is not None and not fields:
        raise official_approvals.already_decided()  # applied meanwhile by other means: nothing to apply
    if fields or reset:
        before = {k: record.get(k) for k in fields}
        fields["updated_at"] = ctx.clock().isoformat(timespec="seconds")
        fields["updated_by"] = actor.email
        fields.update(official_approvals.approval_fields(approval))
        if reset or "profile" in fields or "status" in fields:  # every session of the official ends with it
            fields["sessions_after"] = session_cutoff()
        after = {k: changes[k] for k in before} | ({"password_reset": True} if reset else {})
        audit = audit_row(code, actor=actor.email, profile=actor.profile, action="official.update", target=email,
                          before=before, after=after)
        try:
            ctx.officials.update(code, email, fields, expect={k: record[k] for k in before if k in record},
                                 audit=audit, extra=official_approvals.decision_ops(code, approval, actor, ctx))
        except ConditionFailed as exc:
            if approval is not None:
                raise official_approvals.already_decided() from exc
            raise Conflict("El funcionario cambió mientras lo editaba; recargue e intente de nuevo.",
                           code="official_changed") from exc
        record = {**record, **fields}
    ctx.on_change(code, email, record, actor)  # left office or changed profile: the certificate is revoked
    _sync_cognito(email, record, ctx)
    if reset:
        ctx.cognito.reset_password(str(record.get("sub") or email))
    return public(record)


def _sync_cognito(email: str, record: dict[str, Any], ctx: OfficialsAdminContext) -> None:
    handle = str(record.get("sub") or email)  # the account's sub; the e-mail only for a record made before it
    account = ctx.cognito.attributes(handle)
    if account is None:
        return
    profile = str(record["profile"])
    if account.get("custom:profile") != profile:
        ctx.cognito.change_profile(handle, old=str(account.get("custom:profile", "")), new=profile)
    active = record.get("status") == "active"
    if (account.get("Enabled") == "true") != active:
        ctx.cognito.set_enabled(handle, active)


def _check_profile(code: str, profile: str) -> None:
    if profile not in MUNICIPAL_PROFILES or code == "00000":
        raise InvalidInput("Perfil no permitido para un funcionario municipal.", code="invalid_profile",
                           field="profile")
