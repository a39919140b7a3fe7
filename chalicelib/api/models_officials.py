"""Response shapes of the officials' routes: the municipality's officials and the four-eyes
proposals that give an account a profile that authorizes payments (chalicelib/api/admin_officials.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import Cursor, IsoDateTime, Out

Profile = Literal["alcalde", "director_finanzas", "tesorero", "tesorero_subrogante", "operador_rentas",
                  "operador_transito", "administrador_municipal", "administrador_subdere", "soporte"]


class OfficialOut(Out):
    """An official as the console shows it (no password, no second-factor secret)."""

    email: str
    name: str | None
    run: str | None = Field(description="RUN sin puntos (p. ej. 12345678-5); null en una cuenta que aún no lo tiene.")
    profile: Profile
    profile_name: str = Field(description="Nombre del perfil para personas (es-CL).")
    status: Literal["active", "inactive"] | None
    totp_required: bool
    created_at: IsoDateTime | None
    updated_at: IsoDateTime | None


class OfficialsPageOut(Out):
    items: list[OfficialOut]
    cursor: Cursor


class ProposalOut(Out):
    """A proposal to create, promote or reactivate an account with a profile that authorizes payments."""

    proposal_id: str
    kind: Literal["create", "promote", "reactivate"]
    email: str
    name: str | None
    run: str | None
    profile: Profile
    from_profile: Profile | None = Field(description="Perfil anterior (promote, reactivate); null al crear.")
    status: Literal["pending", "approved", "rejected"]
    proposed_by: str
    proposed_at: IsoDateTime
    decided_by: str | None
    decided_at: IsoDateTime | None
    profile_name: str


class ProposalsPageOut(Out):
    items: list[ProposalOut]
    cursor: Cursor


class OfficialChangeOut(Out):
    """A created or changed official (201/200); or, for a profile that authorizes payments,
    `status: pending_approval` with the proposal (202) and nothing else."""

    email: str | None = None
    name: str | None = None
    run: str | None = None
    profile: Profile | None = None
    profile_name: str | None = None
    status: Literal["active", "inactive", "pending_approval"] | None
    totp_required: bool | None = None
    created_at: IsoDateTime | None = None
    updated_at: IsoDateTime | None = None
    proposal: ProposalOut | None = None


class ProposalDecisionOut(Out):
    """The decided proposal and, when approved, the account as it is now."""

    proposal: ProposalOut
    official: OfficialOut | None = None
