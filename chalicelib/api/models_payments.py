"""Response shapes of the officials' payment routes: search, detail and receipt resend
(chalicelib/api/admin_payments.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.models import AnnulmentOut, Cursor, FreeForm, IsoDateTime, Out, Pesos
from chalicelib.api.models_logs import EmailStatus
from chalicelib.api.models_refunds import MoneyBackOut

PaymentState = Literal["pending", "paid", "rejected", "expired", "cancelled", "review", "refund_pending", "refunded",
                       "partially_refunded", "refund_failed", "reversed"]


class PayerOut(Out):
    """The payer; RUT and e-mail masked for a profile that does not see them in full."""

    rut: str | None
    name: str | None
    email: str | None


class PaymentRow(Out):
    payment_id: str
    created_at: IsoDateTime | None
    status: PaymentState
    status_text: str
    amount: Pesos
    services: list[str]
    plates: list[str]
    payer: PayerOut
    folio: str | None
    method: str | None
    paid_at: IsoDateTime | None


class PaymentPage(Out):
    items: list[PaymentRow]
    cursor: Cursor


class ResendOut(Out):
    payment_id: str
    queued: bool
    message_id: str


class CheckOut(Out):
    """A prerequisite check of a permit (insurance, inspection, emissions, fines)."""

    status: Literal["ok", "failed", "unavailable"]
    reason: str | None
    # Free-form: what the source answered (policy, plant, dates…), different for each source.
    detail: FreeForm | None = None


class PaymentItemDetailOut(Out):
    type: Literal["permit", "debt"] | None = None
    service: str | None = None
    description: str | None = None
    plate: str | None = None
    year: int | None = None
    installment: Literal["full", "first", "second"] | None = None
    debt_id: str | None = None
    debt_type: str | None = None
    index: int
    amount: Pesos
    # Free-form: the calculation trail as the rule in force built it (legal basis, UTM, scale,
    # installments, interest…); its keys depend on the service and the rule, as in the quote.
    breakdown: FreeForm = Field(description="Desglose del cálculo según la regla vigente (como en la cotización).")
    checks: dict[str, CheckOut] | None = Field(description="Verificaciones del permiso por fuente; null en una deuda.")


class PaymentEventOut(Out):
    at: IsoDateTime | None
    type: str | None = Field(description="created, gateway_order_created, gateway_approved, receipt_issued, …")
    # Free-form: each event type records its own facts (amount, order, notification, decision…).
    detail: FreeForm


class PaymentReceiptLinkOut(Out):
    folio: str | None
    verification_code: str | None
    issued_at: IsoDateTime | None
    download_url: str = Field(description="Enlace breve al PDF del comprobante.")


class EmailStateOut(Out):
    """The receipt e-mail's step as the receipts worker left it."""

    status: Literal["sending", "sent", "retry", "failed", "unknown"]
    attempts: int | None = None
    at: str | None = None
    attempt_id: str | None = None
    lease_until: str | None = None
    message_id: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    confirmed_by: str | None = None
    resend_requested_by: str | None = None
    resend_requested_at: IsoDateTime | None = None


class EmailAttemptOut(Out):
    """One sending attempt of the receipt e-mail (recipient masked for a profile that sees it masked)."""

    at: IsoDateTime
    attempt: int
    to: str | None = None
    kind: str
    folio: str | None = None
    outcome: str | None = None
    message_id: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    confirmed_by: str | None = None


class DeliveryAttemptOut(Out):
    """What SES said of one attempt: its state and the first date of each."""

    attempt_id: str
    message_id: str
    first_at: IsoDateTime
    status: EmailStatus
    dates: dict[EmailStatus, IsoDateTime]


class EmailMarkOut(Out):
    """A hard bounce or a complaint recorded on the payment."""

    at: IsoDateTime
    attempt_id: str
    message_id: str
    subtype: str | None = None


class PaymentDetailOut(PaymentRow):
    """A payment with its items (breakdown, checks), events, receipt, e-mails and money back."""

    order_id: str | None = None
    authorization_code: str | None = None
    expires_at: IsoDateTime | None = None
    closed_at: IsoDateTime | None = None
    review_reason: str | None = None
    gateway_amount: Pesos | None = None
    receipt_job: str | None = None
    checkout_url: str | None = None
    refunded_amount: Pesos | None = None
    refunded_items: list[int] | None = None
    refund_open: str | None = Field(default=None, description="La devolución en curso (refund_id).")
    reversed_at: IsoDateTime | None = None
    items: list[PaymentItemDetailOut]
    events: list[PaymentEventOut]
    receipt: PaymentReceiptLinkOut | None
    email: EmailStateOut | None
    emails: list[EmailAttemptOut]
    delivery: list[DeliveryAttemptOut]
    delivery_status: EmailStatus | None
    email_bounce: EmailMarkOut | None
    email_complaint: EmailMarkOut | None
    refunds: list[MoneyBackOut]
    annulment: AnnulmentOut | None
