"""Response shapes of the personal-data rights requests handled by officials (Ley 19.628 as
amended by Ley 21.719; chalicelib/api/admin_privacy.py, docs/personal-data.md)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.api.models import Cursor, FreeForm, IsoDate, IsoDateTime, Out

RightsKind = Literal["access", "portability", "rectification", "suppression", "opposition"]
Outcome = Literal["done", "partial", "refused"]


class RightsEventOut(Out):
    type: Literal["filed", "exported", "rectified", "suppressed", "opposition_recorded", "extended", "closed"]
    at: str
    actor: str
    # Free-form: each step records its own facts (counts, fields, the new deadline, the outcome).
    detail: FreeForm


class RightsRequestOut(Out):
    """A rights request: who asks (the RUN, shown to the official handling it), how to answer
    them, how their identity was checked, and its 30-day deadline (extendable once)."""

    request_id: str
    municipality: str
    kind: RightsKind
    status: Literal["open", "closed"]
    rut: str
    name: str
    contact: str
    identity_method: Literal["cedula_presencial", "firma_electronica_avanzada", "poder_notarial", "clave_unica"]
    filed_at: IsoDateTime
    filed_by: str
    due_on: IsoDate
    details: str
    updated_at: IsoDateTime | None = None
    extended_on: IsoDate | None = None
    outcome: Outcome | None = None
    closed_at: IsoDateTime | None = None
    overdue: bool | None = Field(default=None, description="En la lista: abierta y con el plazo vencido.")
    events: list[RightsEventOut] | None = Field(default=None, description="En el detalle: cada paso dado.")


class RightsRequestsPageOut(Out):
    items: list[RightsRequestOut]
    cursor: Cursor


class RegisterEntryOut(Out):
    """A category of the register: what data, for what, on what legal basis, where and how long."""

    category: str
    data: str
    purpose: str
    basis: str
    storage: str
    retention: str


class PersonalDataExportOut(Out):
    """Access and portability: everything the platform holds about the RUN in this municipality."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    format: Literal["sem-personal-data-export/1"]
    municipality: str
    rut: str
    generated_at: IsoDateTime
    request_id: str
    categories: list[RegisterEntryOut] = Field(alias="register", description="El registro de tratamientos.")
    # Free-form on purpose: the records exactly as held (the right of access is to the data as
    # kept, not a summary), and a payment's record carries what its services and steps stored.
    payments: list[FreeForm] = Field(description="Cada pago del RUN tal como se guarda, con ítems, eventos y correos.")
    debts: list[FreeForm] = Field(description="Cada deuda del RUN en los roles de la municipalidad, como se guarda.")


class RectifiedOut(Out):
    fields: list[Literal["email", "name"]]
    payments: int = Field(description="Pagos rectificados.")


class SuppressedOut(Out):
    anonymized: int
    emails_removed: int
    kept_legal_obligation: int
    kept_in_process: int


class OppositionOut(Out):
    scope: str
    effect: str


class ExtendedOut(Out):
    due_on: IsoDate


class ClosedOut(Out):
    outcome: Outcome
    reason: str
    late: bool = Field(description="true: se cerró después del plazo.")
