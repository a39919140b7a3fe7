"""Four eyes on payment authority: creating an official with a profile that authorizes payments
(alcalde, director de finanzas, tesorero, subrogante), promoting one to it, or reactivating a
deactivated account that has it, is a proposal that a second official approves — the
municipality's alcalde, or SUBDERE's administrator — before the account exists in Cognito or the
officials table (or gets that profile, or is enabled again).

The proposal is a record (`pending`); approving applies it through the officials' own create or
update, in the same DynamoDB transaction as the proposal's move from `pending` to `approved` and
its audit entries, so two approvals cannot both apply and a refused one changes nothing. Nobody
approves their own proposal, nor a proposal about themselves. Every step is in the audit log:
`official.propose`, `official.approve` (with the `official.create` / `official.update` it
applies), `official.reject`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import UTC
from typing import TYPE_CHECKING, Any

from chalicelib.adapters.audit_rows import audit_row
from chalicelib.domain.errors import ConditionFailed, Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.services.auth import Official
from chalicelib.services.permissions import PROFILE_NAMES, requires_totp

if TYPE_CHECKING:
    from chalicelib.services.admin_officials import OfficialsAdminContext

PROPOSAL_ID_CHARS = frozenset("0123456789abcdefTZ-")


def needs_approval(profile: str) -> bool:
    """Whether giving an account this profile takes a second approval: the profiles that
    authorize payments (the same set that must sign in with a TOTP second factor)."""
    return requires_totp(profile)


def kind_of_change(record: Mapping[str, Any], changes: Mapping[str, Any]) -> str | None:
    """Whether changing an existing official gives payment authority, and how: `promote` (to a
    profile that authorizes payments) or `reactivate` (an inactive account that has, or would have,
    such a profile — a deactivated treasurer does not come back on one official's say); None
    when the change takes no second approval."""
    profile = str(changes.get("profile", record.get("profile")))
    if not needs_approval(profile):
        return None
    if profile != record.get("profile"):
        return "promote"
    if changes.get("status") == "active" and record.get("status") != "active":
        return "reactivate"
    return None


def view(proposal: Mapping[str, Any]) -> dict[str, Any]:
    """What the console shows of a proposal."""
    profile = str(proposal.get("profile", ""))
    return {k: proposal.get(k) for k in (
        "proposal_id", "kind", "email", "name", "run", "profile", "from_profile", "status", "proposed_by",
        "proposed_at", "decided_by", "decided_at")} | {"profile_name": PROFILE_NAMES.get(profile, profile)}


def propose(code: str, change: Mapping[str, Any], actor: Official, ctx: OfficialsAdminContext) -> dict[str, Any]:
    """Record a pending proposal (one pending per official at a time)."""
    email = str(change["email"])
    if any(p.get("email") == email for p in ctx.officials.pending_proposals(code)):
        raise Conflict("Ya hay una propuesta pendiente para ese funcionario.", code="proposal_pending",
                       field="email")
    now = ctx.clock()
    proposal_id = f"{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"
    proposal = {**change, "proposal_id": proposal_id, "municipality": code, "status": "pending",
                "proposed_by": actor.email, "proposed_by_profile": actor.profile,
                "proposed_at": now.isoformat(timespec="seconds")}
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="official.propose", target=email,
                      after={k: proposal.get(k) for k in ("proposal_id", "kind", "profile", "from_profile", "run")})
    ctx.officials.propose(code, proposal, audit)
    return {"status": "pending_approval", "proposal": view(proposal)}


def list_proposals(code: str, ctx: OfficialsAdminContext, *, limit: int, cursor: str | None, pending_only: bool = False
                   ) -> dict[str, Any]:
    """The municipality's proposals, oldest first (a page), or every pending one."""
    if pending_only:
        return {"items": [view(p) for p in ctx.officials.pending_proposals(code)], "cursor": None}
    page = ctx.officials.proposals(code, limit=limit, cursor=cursor)
    return {"items": [view(p) for p in page.items], "cursor": page.cursor}


def _pending(code: str, proposal_id: str, actor: Official, ctx: OfficialsAdminContext) -> dict[str, Any]:
    if not 0 < len(proposal_id) <= 40 or not set(proposal_id) <= PROPOSAL_ID_CHARS:
        raise InvalidInput("El identificador de la propuesta no es válido.", code="invalid_input",
                           field="proposal_id")
    proposal = ctx.officials.proposal(code, proposal_id)
    if proposal is None:
        raise NotFound("No existe esa propuesta en la municipalidad.", code="proposal_not_found",
                       field="proposal_id")
    if proposal.get("status") != "pending":
        raise already_decided()
    if proposal.get("proposed_by") == actor.email:
        raise Forbidden("Quien propone no puede aprobar ni rechazar su propia propuesta.", code="own_proposal")
    if proposal.get("email") == actor.email:
        raise Forbidden("No puede decidir una propuesta sobre su propia cuenta.", code="own_proposal")
    return proposal


def approve(code: str, proposal_id: str, actor: Official, ctx: OfficialsAdminContext) -> dict[str, Any]:
    """Apply a pending proposal: create the account, or change the profile (Cognito follows)."""
    from chalicelib.services import admin_officials

    proposal = _pending(code, proposal_id, actor, ctx)
    if proposal["kind"] == "create":
        official = admin_officials.create_official(
            code, str(proposal["email"]), str(proposal["name"]), str(proposal["profile"]), actor, ctx,
            run=str(proposal["run"]), approval=proposal)
    else:
        official = admin_officials.update_official(code, str(proposal["email"]), dict(proposal["changes"]), actor,
                                                   ctx, approval=proposal)
    decided = {**proposal, **_decision(actor, ctx, "approved")}
    return {"proposal": view(decided), "official": official}


def reject(code: str, proposal_id: str, actor: Official, ctx: OfficialsAdminContext) -> dict[str, Any]:
    """Close a pending proposal without changing any account."""
    proposal = _pending(code, proposal_id, actor, ctx)
    decision = _decision(actor, ctx, "rejected")
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="official.reject",
                      target=str(proposal["email"]), before={"status": "pending"},
                      after={"proposal_id": proposal_id, "status": "rejected"})
    try:
        ctx.officials.close(code, proposal_id, decision, audit)
    except ConditionFailed as exc:
        raise already_decided() from exc
    return {"proposal": view({**proposal, **decision})}


def _decision(actor: Official, ctx: OfficialsAdminContext, status: str) -> dict[str, Any]:
    return {"status": status, "decided_by": actor.email, "decided_by_profile": actor.profile,
            "decided_at": ctx.clock().isoformat(timespec="seconds")}


# -- used by admin_officials while applying an approved proposal -----------------------------------

def approval_fields(approval: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the official's record keeps of the approval that gave it its profile."""
    if approval is None:
        return {}
    return {"proposal_id": approval["proposal_id"], "proposed_by": approval["proposed_by"]}


def decision_ops(code: str, approval: Mapping[str, Any] | None, actor: Official, ctx: OfficialsAdminContext
                 ) -> list[dict[str, Any]]:
    """The operations that join the official's write: the proposal moves from `pending` to
    `approved` (the transaction fails if it is no longer pending) and the approval's audit entry."""
    if approval is None:
        return []
    audit = audit_row(code, actor=actor.email, profile=actor.profile, action="official.approve",
                      target=str(approval["email"]), before={"status": "pending"},
                      after={"proposal_id": approval["proposal_id"], "status": "approved",
                             "profile": approval["profile"], "proposed_by": approval["proposed_by"]})
    return ctx.officials.decision_ops(code, str(approval["proposal_id"]), _decision(actor, ctx, "approved"), audit)


def already_decided() -> Conflict:
    return Conflict("La propuesta ya fue decidida.", code="proposal_decided", field="proposal_id")
