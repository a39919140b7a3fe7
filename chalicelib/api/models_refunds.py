"""Response shapes of the officials' refund routes: refunds and reversals (chalicelib/api/refunds.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import ConfigDict, Field

from chalicelib.api.models import Cursor, IsoDateTime, Out, Pesos

RefundState = Literal["proposed", "authorized", "accepted", "completed", "rejected", "failed", "cancelled"]
Reason = Literal["double_payment", "amount_mismatch", "wrong_municipality", "not_owed", "citizen_withdrawal",
                 "other"]


class ActorOut(Out):
    """The official who took a step."""

    email: str
    name: str | None
    profile: str | None


class MoneyBackOut(Out):
    """A refund (`kind: refund`) or a reversal by TGR (`kind: reversal`, always completed)."""

    kind: Literal["refund", "reversal"]
    refund_id: str | None = None
    reversal_id: str | None = None
    payment_id: str
    status: RefundState
    status_text: str
    amount: Pesos
    items: list[int] | None = Field(default=None, description="Índices de los ítems devueltos.")
    whole: bool | None = None
    reason: Reason | None = None
    reason_text: str
    note: str | None = None
    created_at: IsoDateTime | None
    proposed_by: ActorOut | None = None
    authorized_by: ActorOut | None = None
    authorized_at: IsoDateTime | None = None
    certificate_serial: str | None = None
    document_sha256: str | None = None
    tgr_refund_order_id: str | None = None
    tgr_reason: str | None = None
    completed_at: IsoDateTime | None = None
    closed_at: IsoDateTime | None = None
    cancelled_by: ActorOut | None = None
    document_url: str | None = Field(default=None, description="Enlace breve a la orden de devolución firmada (PDF).")
    acknowledged: bool | None = Field(default=None, description="Un contracargo: si la tesorería ya lo revisó.")
    acknowledged_at: IsoDateTime | None = None
    acknowledged_by: ActorOut | None = None
    acknowledgement_note: str | None = None


class RefundSentOut(MoneyBackOut):
    """An authorized refund and whether its order reached TGR (`sent: false`: resend later)."""

    sent: bool
    message: str | None = None


class ReasonOut(Out):
    code: Reason
    text: str


class RefundsPageOut(Out):
    items: list[MoneyBackOut]
    cursor: Cursor
    reasons: list[ReasonOut] = Field(description="Los motivos de devolución, con su texto.")


class PaymentRefundsOut(Out):
    items: list[MoneyBackOut]


class ReversalOut(Out):
    """A reversal (contracargo) TGR notified: the money it took back and whether the treasury
    acknowledged it (who, when, what was done)."""

    kind: Literal["reversal"]
    reversal_id: str
    payment_id: str
    status: Literal["completed"]
    status_text: str
    amount: int = Field(description="Pesos devueltos al medio de pago.")
    reason_text: str
    created_at: str | None
    completed_at: str | None
    acknowledged: bool
    acknowledged_at: str | None = None
    acknowledged_by: ActorOut | None = None
    acknowledgement_note: str | None = None


class OpenReversalsOut(Out):
    """The reversals no official has acknowledged yet, newest first (at most 50): the console's alert."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"items": [{
        "kind": "reversal", "reversal_id": "CC-1A2B3C4D5E6F", "payment_id": "13101-01J0000000000000000000",
        "status": "completed", "status_text": "Contracargo: pago reversado por la Tesorería", "amount": 45_000,
        "reason_text": "Contracargo del medio de pago informado por la Tesorería",
        "created_at": "2027-03-31T12:00:00-03:00", "completed_at": "2027-03-31T12:00:00-03:00",
        "acknowledged": False}]}]})

    items: list[ReversalOut]
