"""Response shapes of the officials' logs: the audit log, the receipt e-mails' deliveries and
sending health, and the citizens' reminder e-mails (admin_audit.py, admin_email.py, admin_reminders.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.api.models import Cursor, FreeForm, IsoDate, IsoDateTime, IsoMonth, Out, Pesos


class AuditEntryOut(Out):
    at: IsoDateTime
    actor: str = Field(description="Correo del funcionario (o el sistema) que actuó.")
    profile: str
    action: str = Field(description="Qué hizo, p. ej. settings.update, officials.create, personal_data.reveal.")
    target: str
    # Free-form: the snapshot of whatever the action changed (settings, an official, a roll upload…);
    # its keys are the changed record's, so each action has its own.
    before: FreeForm | None = Field(description="Lo que cambió, antes (según la acción); null si no había.")
    after: FreeForm | None = Field(description="Lo que cambió, después (según la acción).")


class AuditPageOut(Out):
    items: list[AuditEntryOut]
    cursor: Cursor


class SendingRatesOut(Out):
    """Counts and rates over a window, as SES computes the account's reputation."""

    sent: int
    delivered: int
    bounced: int
    complained: int
    delayed: int
    rejected: int
    bounce_rate: float = Field(description="Rebotes permanentes / enviados.")
    complaint_rate: float = Field(description="Reclamos / enviados.")
    warning: bool = Field(description="true: una tasa alcanzó su umbral de alarma.")


class SendingHealthOut(Out):
    model_config = ConfigDict(extra="forbid", serialize_by_alias=True)

    last_24h: SendingRatesOut = Field(alias="24h")
    last_7d: SendingRatesOut = Field(alias="7d")


class MunicipalSendingHealthOut(SendingHealthOut):
    municipality: str


class AlarmThresholdsOut(Out):
    bounce_rate: float
    complaint_rate: float


EmailStatus = Literal["complained", "bounced", "rejected", "delivered", "delayed", "sent", "unknown"]


class EmailDeliveryOut(Out):
    payment_id: str | None
    folio: str | None
    message_id: str
    first_at: IsoDateTime
    status: EmailStatus = Field(description="El estado más revelador de sus eventos (un reclamo sobre una entrega).")
    dates: dict[EmailStatus, IsoDateTime] = Field(description="Primera fecha de cada estado visto.")


class EmailDeliveriesOut(Out):
    municipality: str
    health: SendingHealthOut
    emails: list[EmailDeliveryOut]
    thresholds: AlarmThresholdsOut


class EmailHealthOut(Out):
    platform: SendingHealthOut
    municipalities: list[MunicipalSendingHealthOut]
    thresholds: AlarmThresholdsOut


class ReminderDeliveryOut(Out):
    at: IsoDateTime | None
    kind: Literal["before", "after", "renewal"] | None = Field(
        description="before: antes del vencimiento; after: vencida; renewal: el permiso del año, en febrero.")
    debt_id: str | None
    description: str | None
    amount: Pesos | None
    due_date: IsoDate | None
    recipient: str | None = Field(description="Correo enmascarado.")
    status: Literal["sending", "sent", "failed"] | None
    reason: str | None = Field(description="Código del error de un envío fallido.")


class ReminderLogOut(Out):
    month: IsoMonth
    deliveries: list[ReminderDeliveryOut]
